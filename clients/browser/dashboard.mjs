// The reference dashboard in headless Chromium: sign in, pick a district, wait for the figures,
// and check that they are exactly what GET /api/v1/dashboard/summary returns for the same query,
// that the charts were drawn, and that nothing failed on the way (console errors, failed
// requests). Saves $SCREENSHOT_DIR/dashboard.png.
//
// Environment: BASE_URL (the gateway), DASHBOARD_USER, DASHBOARD_PASSWORD, DISTRICT,
// SCREENSHOT_DIR; CHROMIUM (default /usr/bin/chromium, Debian's package).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const base = required("BASE_URL").replace(/\/$/, "");
const user = required("DASHBOARD_USER");
const password = required("DASHBOARD_PASSWORD");
const district = required("DISTRICT");
const screenshots = required("SCREENSHOT_DIR");

/** The summary as the API returns it, with a token of the same account. */
async function summaryFromApi(query) {
  const form = new URLSearchParams({ grant_type: "password", username: user, password });
  const signIn = await fetch(`${base}/auth/token`, { method: "POST", body: form });
  if (!signIn.ok) throw new Error(`sign-in: HTTP ${signIn.status}`);
  const { access_token: token } = await signIn.json();
  const res = await fetch(`${base}/api/v1/dashboard/summary?${query}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!res.ok) throw new Error(`summary: HTTP ${res.status}`);
  return res.json();
}

/** What the page must show for `path` of the summary. */
function expected(summary, path) {
  const grade = path.match(/^evaluation\.by_grade\.(.+)$/);
  const value = grade
    ? summary.evaluation?.by_grade.find((g) => g.value === grade[1])?.count
    : path.split(".").reduce((o, k) => (o == null ? o : o[k]), summary);
  return value == null ? "—" : String(value);
}

const problems = [];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });

  await page.goto(`${base}/dashboard/`);
  await page.fill("input[name=username]", user);
  await page.fill("input[name=password]", password);
  await page.click("#sign-in button[type=submit]");
  await page.waitForSelector("#board:not([hidden])");
  await page.selectOption("#district", district);
  await page.click("#query button[type=submit]");
  await page.waitForSelector("body[data-loaded=true]", { timeout: 15000 });

  const query = await page.evaluate(() => document.body.dataset.query);
  const shown = await page.$$eval("[data-figure]", (es) => es.map((e) => [e.dataset.figure, e.textContent]));
  const summary = await summaryFromApi(query);
  if (summary.district !== district) problems.push(`summary of ${summary.district}, not ${district}`);
  if (shown.length < 20) problems.push(`only ${shown.length} figures shown`);
  for (const [path, text] of shown) {
    const want = expected(summary, path);
    if (text !== want) problems.push(`${path}: shown ${text}, the API says ${want}`);
  }
  const charts = await page.$$eval("svg[data-chart]", (es) =>
    es.map((e) => [e.dataset.chart, e.dataset.bars, e.querySelectorAll("rect").length]));
  if (charts.length !== 3) problems.push(`${charts.length} charts, not 3`);
  for (const [name, bars, rects] of charts) {
    if (bars === undefined) problems.push(`chart ${name} was not drawn`);
    else if (Number(bars) !== rects) problems.push(`chart ${name}: ${bars} bars, ${rects} rectangles`);
  }
  const topicBars = charts.find(([name]) => name === "topics_by_status")?.[1];
  const topics = summary.consultation?.topics ?? 0;
  if (topics > 0 && !(Number(topicBars) > 0)) problems.push("topics were raised but the topic chart is empty");

  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, "dashboard.png"), fullPage: true });
  console.log(`dashboard: ${shown.length} figures match the API for ${district} (${query}); charts ${JSON.stringify(charts)}`);
} finally {
  await browser.close();
}
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
