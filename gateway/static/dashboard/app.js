// The reference dashboard: sign in, pick a district and a period, show the summary.
// Plain JavaScript, no libraries; charts are SVG drawn below. Everything comes from the public API.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const COLOURS = ["#b91c1c", "#d97706", "#65a30d", "#0891b2", "#4f46e5", "#c026d3", "#64748b", "#0f766e"];

const state = { token: null, labels: {} };

// ---- API ---------------------------------------------------------------------------------

async function api(path) {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${state.token}`, Accept: "application/json" } });
  const body = await res.json();
  if (!res.ok) throw new Error(body.detail || body.title || `HTTP ${res.status}`);
  return body;
}

async function signIn(username, password) {
  const form = new URLSearchParams({ grant_type: "password", username, password });
  const res = await fetch("/auth/token", { method: "POST", body: form });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error_description || body.error || `HTTP ${res.status}`);
  state.token = body.access_token;
}

/** The display name of `value` of the enum `schema` (the code itself if it has none). */
function label(schema, value) {
  return (state.labels[schema] || {})[value] || value;
}

// ---- Figures -----------------------------------------------------------------------------

/** The figures shown: [group title, [[label, path into the summary], ...]]. */
const FIGURES = [
  ["工作室与委员", [["工作室", "workrooms.workrooms"], ["委员", "workrooms.members"],
    ["已进驻委员", "workrooms.members_placed"], ["履职活动", "workrooms.activities"],
    ["服务群众（人次）", "workrooms.people_helped"], ["履职解决问题", "workrooms.problems_solved"]]],
  ["议题与协商", [["议题", "consultation.topics"], ["解决问题", "consultation.problems_solved"],
    ["微协商", "consultation.consultations_held"], ["来访接待", "consultation.receptions"],
    ["法律咨询", "consultation.legal_consultations"]]],
  ["政协+调解", [["受理", "consultation.mediation.cases_received"],
    ["调解纠纷", "consultation.mediation.disputes_mediated"]]],
  ["社情民意信息", [["收到", "reports.received"], ["编发", "reports.accepted"],
    ["报送上级", "reports.forwarded"], ["被采用", "reports.adopted"], ["采用（次）", "reports.adoptions"],
    ["领导批示", "reports.instructions"]]],
  ["对台工作", [["活动", "liaison.events_held"], ["服务群众（人次）", "liaison.people_served"],
    ["志愿者", "liaison.volunteers"], ["台胞诉求", "liaison.requests"], ["已解决", "liaison.requests_resolved"]]],
];

function at(object, path) {
  return path.split(".").reduce((o, k) => (o == null ? o : o[k]), object);
}

function element(tag, attributes = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function showFigures(summary) {
  const root = document.getElementById("figures");
  root.replaceChildren();
  for (const [title, items] of FIGURES) {
    const group = element("div", { class: "group" });
    group.append(element("h3", {}, title));
    const list = element("dl");
    for (const [name, path] of items) {
      const value = at(summary, path);
      list.append(element("dt", {}, name),
        element("dd", { "data-figure": path }, value == null ? "—" : String(value)));
    }
    group.append(list);
    root.append(group);
  }
  const evaluation = summary.evaluation;
  if (evaluation) {
    const group = element("div", { class: "group" });
    group.append(element("h3", {}, `${evaluation.year} 年度履职考评`));
    const list = element("dl");
    for (const { value, count } of evaluation.by_grade) {
      list.append(element("dt", {}, label("Grade", value)),
        element("dd", { "data-figure": `evaluation.by_grade.${value}` }, String(count)));
    }
    group.append(list);
    root.append(group);
  }
}

// ---- Charts ------------------------------------------------------------------------------

function svg(tag, attributes, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * Draw stacked bars into `target` (an <svg> 640×260): `bars` is [{name, parts: [{key, count}]}],
 * `colour(key)` the fill of a part. Returns the number of rectangles drawn.
 */
function drawBars(target, bars, colour) {
  target.replaceChildren();
  const width = 640, height = 260, left = 36, bottom = 40, top = 10;
  const max = Math.max(1, ...bars.map((b) => b.parts.reduce((s, p) => s + p.count, 0)));
  const slot = (width - left) / Math.max(1, bars.length);
  const scale = (height - top - bottom) / max;
  target.append(svg("line", { x1: left, y1: height - bottom, x2: width, y2: height - bottom, stroke: "#d9e2ec" }));
  target.append(svg("text", { x: left - 6, y: top + 10, "text-anchor": "end" }, String(max)));
  target.append(svg("text", { x: left - 6, y: height - bottom, "text-anchor": "end" }, "0"));
  let drawn = 0;
  bars.forEach((bar, i) => {
    const x = left + i * slot + slot * 0.15;
    let y = height - bottom;
    for (const part of bar.parts) {
      if (part.count === 0) continue;
      const h = part.count * scale;
      y -= h;
      const rect = svg("rect", { x, y, width: slot * 0.7, height: h, fill: colour(part.key) });
      rect.append(svg("title", {}, `${bar.name} · ${part.label}: ${part.count}`));
      target.append(rect);
      drawn += 1;
    }
    target.append(svg("text", { x: x + slot * 0.35, y: height - bottom + 16, "text-anchor": "middle" }, bar.name));
  });
  if (drawn === 0) {
    target.append(svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle" }, "暂无数据"));
  }
  target.dataset.bars = String(drawn);
  return drawn;
}

function showCharts(summary) {
  const series = summary.series;
  // Topics by status over time: one stacked bar per bucket, one colour per status.
  const statuses = [...new Set((series.topics_by_status || []).flatMap((b) => b.by_status.map((c) => c.value)))];
  const statusColour = (s) => COLOURS[statuses.indexOf(s) % COLOURS.length];
  drawBars(document.getElementById("chart-topics"), (series.topics_by_status || []).map((b) => ({
    name: b.from.slice(2, 7),
    parts: b.by_status.map((c) => ({ key: c.value, label: label("TopicStatus", c.value), count: c.count })),
  })), statusColour);
  const legend = document.getElementById("legend-topics");
  legend.replaceChildren(...statuses.map((s) => {
    const item = element("li");
    const swatch = svg("svg", { width: 10, height: 10 });
    swatch.append(svg("rect", { width: 10, height: 10, fill: statusColour(s) }));
    item.append(swatch, ` ${label("TopicStatus", s)}`);
    return item;
  }));
  // Reports adopted by level, and liaison events by kind: one bar per value.
  const single = (schema) => (c, i) => ({ name: label(schema, c.value), parts: [{ key: i, label: label(schema, c.value), count: c.count }] });
  const byIndex = (i) => COLOURS[i % COLOURS.length];
  drawBars(document.getElementById("chart-adoptions"), (series.reports_adopted_by_level || []).map(single("Level")), byIndex);
  drawBars(document.getElementById("chart-events"), (series.events_by_kind || []).map(single("EventKind")), byIndex);
}

// ---- The page ----------------------------------------------------------------------------

async function showSummary() {
  const status = document.getElementById("status");
  const query = new URLSearchParams();
  for (const name of ["district", "from", "to"]) {
    const value = document.getElementById(name).value;
    if (value) query.set(name, value);
  }
  status.textContent = "加载中…";
  document.body.dataset.loaded = "false";
  try {
    const summary = await api(`/api/v1/dashboard/summary?${query}`);
    showFigures(summary);
    showCharts(summary);
    const missing = document.getElementById("unavailable");
    missing.hidden = summary.unavailable.length === 0;
    missing.textContent = `暂时无法获取：${summary.unavailable.join("、")}`;
    status.textContent = "";
    document.body.dataset.loaded = "true";
    document.body.dataset.query = query.toString();
  } catch (e) {
    status.textContent = `查询失败：${e.message}`;
  }
}

async function start() {
  const [labels, districts] = await Promise.all([api("/api/v1/labels?lang=zh-CN"), api("/api/v1/districts")]);
  state.labels = labels.labels;
  const select = document.getElementById("district");
  for (const d of districts.items) select.append(element("option", { value: d.code }, d.name));
  const today = new Date().toISOString().slice(0, 10);
  document.getElementById("from").value = `${today.slice(0, 4)}-01-01`;
  document.getElementById("to").value = today;
  document.getElementById("sign-in").hidden = true;
  document.getElementById("board").hidden = false;
}

document.getElementById("sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const error = document.getElementById("sign-in-error");
  error.hidden = true;
  try {
    await signIn(form.get("username"), form.get("password"));
    await start();
  } catch (e) {
    error.textContent = `登录失败：${e.message}`;
    error.hidden = false;
  }
});

document.getElementById("query").addEventListener("submit", (event) => {
  event.preventDefault();
  showSummary();
});
