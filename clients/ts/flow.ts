// One resident's path through the public API, written against the TypeScript client generated
// from openapi/gateway.json (openapi-typescript's `paths` and `components`, called through
// openapi-fetch). Every path, parameter, body field and answer field used here is checked by
// `tsc --strict` against the generated types, so a change to the document that breaks generated
// clients breaks this file's compilation; running it checks the answers against the stack.
//
// Steps: sign in (POST /auth/token, password grant, a resident account), who am I (GET /auth/me),
// nearest studio (GET /api/v1/workrooms?near=), pose a public topic for it (POST /api/v1/topics),
// read its status (GET /api/v1/topics/{id}). Exits non-zero on the first failed assertion.
//
// Environment: BASE_URL (the gateway, e.g. http://127.0.0.1:8080), RESIDENT_USER,
// RESIDENT_PASSWORD, NEAR (`latitude,longitude`), EXPECT_WORKROOM (the id of the active workroom
// nearest to NEAR).
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/gateway.js";

type Schemas = components["schemas"];
type TokenRequest = Schemas["TokenRequest"];
type TokenResponse = Schemas["TokenResponse"];
type Account = Schemas["Account"];
type Workroom = Schemas["Workroom"];
type NewTopic = Schemas["NewTopic"];
type Topic = Schemas["Topic"];
type TopicStatus = Schemas["TopicStatus"];

class FlowError extends Error {}

function env(name: string): string {
    const value = process.env[name];
    if (value === undefined || value === "") {
        throw new FlowError(`environment variable ${name} is not set`);
    }
    return value;
}

function check(condition: boolean, what: string): asserts condition {
    if (!condition) {
        throw new FlowError(what);
    }
}

/** The answer's body when its status is the expected one; otherwise a failure naming both. */
function expect<T>(
    step: string,
    result: { data?: T; error?: unknown; response: Response },
    status: number,
): T {
    const { data, error, response } = result;
    if (response.status !== status || data === undefined) {
        throw new FlowError(
            `${step}: expected ${status}, got ${response.status} ${JSON.stringify(error ?? data)}`,
        );
    }
    return data;
}

async function main(): Promise<void> {
    const baseUrl = env("BASE_URL");
    const near = env("NEAR");
    const expectWorkroom = env("EXPECT_WORKROOM");
    const client = createClient<paths>({ baseUrl });

    // 1. Sign in as a resident (the token endpoint takes form fields).
    const grant: TokenRequest = {
        grant_type: "password",
        username: env("RESIDENT_USER"),
        password: env("RESIDENT_PASSWORD"),
    };
    const tokens: TokenResponse = expect(
        "sign in",
        await client.POST("/auth/token", {
            body: grant,
            bodySerializer: (body) => {
                const form = new URLSearchParams();
                for (const [key, value] of Object.entries(body)) {
                    if (typeof value === "string") form.set(key, value);
                }
                return form.toString();
            },
            headers: { "Content-Type": "application/x-www-form-urlencoded" },
        }),
        200,
    );
    check(tokens.token_type.toLowerCase() === "bearer", `token_type is ${tokens.token_type}`);
    check(tokens.access_token.length > 0, "an empty access token");
    check(tokens.expires_in > 0, `expires_in is ${tokens.expires_in}`);
    const auth = { Authorization: `Bearer ${tokens.access_token}` };
    console.log(`signed in; the access token lasts ${tokens.expires_in} s`);

    const me: Account = expect("who am I", await client.GET("/auth/me", { headers: auth }), 200);
    check(me.username === grant.username, `signed in as ${me.username}, not ${grant.username}`);
    check(me.roles.includes("resident"), `roles are ${JSON.stringify(me.roles)}`);

    // 2. The nearest studio: nearest first, each with its distance; residents see active ones.
    const page = expect(
        "nearest studio",
        await client.GET("/api/v1/workrooms", {
            params: { query: { near, radius_km: 20, limit: 10 } },
            headers: auth,
        }),
        200,
    );
    const found: Workroom[] = page.items;
    check(found.length > 0, `no workroom within 20 km of ${near}`);
    const distances = found.map((w) => w.distance_km);
    check(
        distances.every((d): d is number => typeof d === "number" && d >= 0),
        `a near search without distances: ${JSON.stringify(distances)}`,
    );
    check(
        distances.every((d, i) => i === 0 || (distances[i - 1] ?? 0) <= (d ?? 0)),
        `not nearest first: ${JSON.stringify(distances)}`,
    );
    const nearest = found[0];
    check(nearest !== undefined, "no first workroom");
    check(
        nearest.id === expectWorkroom,
        `the nearest is ${nearest.id} (${nearest.name}), expected ${expectWorkroom}`,
    );
    check(
        found.every((w) => w.status === "active"),
        `a resident sees one not active: ${JSON.stringify(found.map((w) => w.status))}`,
    );
    check(nearest.inspection == null, "a resident sees the office's inspection record");
    console.log(
        `nearest studio: ${nearest.name} (${nearest.id}), ${nearest.distance_km?.toFixed(2)} km, ` +
            `${nearest.address}`,
    );

    // 3. Pose a public topic for that studio.
    const question: NewTopic = {
        title: "小区停车难",
        description: "晚上小区周边停车位不足，希望工作室组织协商。",
        district: nearest.district,
        subdistrict: nearest.subdistrict,
        community: nearest.community ?? null,
        category: "traffic",
        origin: "public",
        workroom: nearest.id,
        contact: { name: "王小明", phone: "13900002222" },
    };
    const posed: Topic = expect(
        "pose a topic",
        await client.POST("/api/v1/topics", {
            body: question,
            headers: { ...auth, "Idempotency-Key": `ts-flow-${Date.now()}` },
        }),
        201,
    );
    check(posed.id.length > 0, "the new topic has no id");
    check(posed.status === "open", `a new topic is ${posed.status}, not open`);
    check(posed.origin === "public", `origin is ${posed.origin}`);
    check(posed.title === question.title, `title is ${posed.title}`);
    check(posed.district === nearest.district, `district is ${posed.district}`);
    check(posed.raised_by_role === "resident", `raised_by_role is ${posed.raised_by_role}`);
    console.log(`posed topic ${posed.id}: ${posed.status}`);

    // 4. Read its status back, as the resident who posed it.
    const read: Topic = expect(
        "read the topic",
        await client.GET("/api/v1/topics/{id}", {
            params: { path: { id: posed.id } },
            headers: auth,
        }),
        200,
    );
    const status: TopicStatus = read.status;
    check(read.id === posed.id, `read ${read.id}, posed ${posed.id}`);
    check(status === "open", `the topic reads as ${status}, not open`);
    check(read.version === posed.version, `version ${read.version} after ${posed.version}`);
    console.log(`topic ${read.id} reads back: ${status} (version ${read.version})`);

    // A topic that does not exist is a 404 problem, not an answer.
    const missing = await client.GET("/api/v1/topics/{id}", {
        params: { path: { id: "00000000-0000-0000-0000-000000000000" } },
        headers: auth,
    });
    check(missing.response.status === 404, `an unknown topic answered ${missing.response.status}`);
    console.log("flow passed");
}

main().catch((err: unknown) => {
    console.error(`flow FAILED: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
});
