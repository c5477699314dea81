//! The authorization matrix: every operation of the merged document (`openapi/gateway.json`,
//! read at test time) called as every kind of caller against objects of district A (siming),
//! each outcome compared with the declared policy table `docs/AUTHORIZATION.md`.
//!
//! An operation without a row, or a row without an operation, fails the test. Writes get a
//! fresh object again after every success, so one caller's success never changes what the
//! next one sees. Every mismatch is collected and reported at once.
//!
//! `XS_AUTHZ_PRINT=1` also prints the observed table (to draft rows for new operations).

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use xs_kit::Role;
use xs_testkit::{member_token, staff, token};

/// The callers, in the table's column order.
const CALLERS: [&str; 10] = [
    "admin",
    "staff A",
    "staff B",
    "coordinator",
    "member",
    "resident",
    "integrator",
    "dashboard",
    "service",
    "anonymous",
];

const POLICY: &str = include_str!("../../docs/AUTHORIZATION.md");
const DOCUMENT: &str = include_str!("../../openapi/gateway.json");

/// What the table says one caller gets from one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    /// 2xx, the named fields whole.
    Ok,
    /// 2xx, the named fields masked or null.
    Masked,
    /// 2xx, a list with no items: the caller's scope narrows it to their own, and they own none.
    Empty,
    /// Exactly this status.
    Status(u16),
}

impl Expect {
    fn parse(cell: &str) -> Option<Expect> {
        match cell.trim().trim_matches('`') {
            "ok" => Some(Expect::Ok),
            "masked" => Some(Expect::Masked),
            "empty" => Some(Expect::Empty),
            s => s.parse().ok().map(Expect::Status),
        }
    }
}

struct Row {
    cells: Vec<Expect>,
    fields: Vec<String>,
}

/// The policy table's rows by operation (`GET /api/v1/members/{id}`).
fn policy() -> Result<BTreeMap<String, Row>, String> {
    let mut rows = BTreeMap::new();
    let mut header: Option<Vec<String>> = None;
    for line in POLICY.lines() {
        let line = line.trim();
        if !line.starts_with('|') {
            continue;
        }
        let cells: Vec<String> = line
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect();
        if cells.first().map(String::as_str) == Some("operation") {
            header = Some(cells);
            continue;
        }
        if !cells[0].starts_with('`') {
            continue;
        }
        let Some(h) = &header else {
            return Err("a row before the table's header".into());
        };
        let col = |name: &str| h.iter().position(|c| c == name);
        let op = cells[0].trim_matches('`').to_string();
        let mut expect = Vec::new();
        for caller in CALLERS {
            let i = col(caller).ok_or(format!("no column {caller}"))?;
            let cell = cells.get(i).ok_or(format!("{op}: no cell for {caller}"))?;
            expect.push(Expect::parse(cell).ok_or(format!("{op}: bad cell {cell:?}"))?);
        }
        let fields = col("masked fields")
            .and_then(|i| cells.get(i))
            .map(|c| {
                c.split(',')
                    .map(|f| f.trim().trim_matches('`').to_string())
                    .filter(|f| !f.is_empty() && f != "–" && f != "-")
                    .collect()
            })
            .unwrap_or_default();
        if rows
            .insert(
                op.clone(),
                Row {
                    cells: expect,
                    fields,
                },
            )
            .is_some()
        {
            return Err(format!("{op}: two rows"));
        }
    }
    Ok(rows)
}

/// Every operation of the merged document.
fn operations() -> Vec<String> {
    let doc: Value = serde_json::from_str(DOCUMENT).unwrap();
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, _) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                ops.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    ops
}

/// One request to send.
#[derive(Debug, Clone)]
struct Call {
    method: Method,
    path: String,
    body: Option<Value>,
    form: Option<Vec<(String, String)>>,
    if_match: Option<String>,
    /// For a list: the fixture whose fields are checked (other items may be fresh objects
    /// other operations made).
    subject: Option<String>,
}

impl Call {
    fn new(method: Method, path: impl Into<String>) -> Call {
        Call {
            method,
            path: path.into(),
            body: None,
            form: None,
            if_match: None,
            subject: None,
        }
    }
    fn get(path: impl Into<String>) -> Call {
        Call::new(Method::GET, path)
    }
    fn post(path: impl Into<String>, body: Value) -> Call {
        Call::new(Method::POST, path).json(body)
    }
    fn json(mut self, body: Value) -> Call {
        self.body = Some(body);
        self
    }
    fn about(mut self, id: &str) -> Call {
        self.subject = Some(id.to_string());
        self
    }
    fn version(mut self, v: &Value) -> Call {
        self.if_match = Some(format!("\"{}\"", v["version"].as_i64().unwrap_or(1)));
        self
    }
}

/// The objects of district A the reads are made against.
struct Fixtures {
    /// A member of A with a phone and every personal field (the subject).
    member: String,
    member_name: String,
    /// The member who calls as `member`.
    me: String,
    workroom: String,
    shift: String,
    topic: String,
    consultation: String,
    case: String,
    reception: String,
    /// An accepted report (coordinators and integrations read published reports).
    report: String,
    compatriot: String,
    enterprise: String,
    event: String,
    /// A held event (suggestions are recorded for held events).
    held: String,
    registration: String,
    suggestion: String,
    request: String,
    activity: String,
    check_in: String,
    account: String,
    /// A webhook subscription of the integrator caller, and one of its deliveries.
    hook: String,
    delivery: String,
    /// The evaluation points per activity type in force.
    points: Value,
}

struct World {
    t: TestStack,
    admin: String,
    n: AtomicUsize,
    fx: Option<Fixtures>,
}

/// Today where the platform is (check-ins and on-duty use the local day).
/// The integrator caller: a client of district A.
fn integrator() -> String {
    token("integrator-siming", &[Role::Integrator], Some("siming"))
}

fn today() -> String {
    xs_kit::localtime::today().to_string()
}

fn days_ago(n: u64) -> String {
    (xs_kit::localtime::today() - chrono::Days::new(n)).to_string()
}

fn essentials() -> Value {
    let one = json!({"met": true});
    json!({"venue": one, "team": one, "rules": one, "signage": one, "duty_list": one, "funding": one})
}

impl World {
    fn fx(&self) -> &Fixtures {
        self.fx.as_ref().unwrap()
    }

    fn next(&self) -> usize {
        self.n.fetch_add(1, Ordering::Relaxed)
    }

    /// Send as admin; the body of the expected status (panics otherwise: a fixture failed).
    async fn admin_send(&self, call: Call, status: u16) -> Value {
        let (got, body) = self.send(Some(&self.admin), &call).await;
        assert_eq!(got, status, "fixture {} {}: {body}", call.method, call.path);
        body
    }

    /// A subscription of the integrator caller (the test's allow-list admits its loopback URL;
    /// nothing listens there, so deliveries stay pending).
    async fn hook(&self) -> String {
        let call = Call::post(
            "/api/v1/webhooks",
            json!({"url": "http://127.0.0.1:9/hook", "description": "矩阵测试"}),
        );
        let (status, body) = self.send(Some(&integrator()), &call).await;
        assert_eq!(status, 201, "fixture webhook: {body}");
        id(&body)
    }

    async fn first_delivery(&self, hook: &str) -> String {
        let path = format!("/api/v1/webhooks/{hook}/deliveries");
        for _ in 0..300 {
            let body = self.admin_send(Call::get(path.clone()), 200).await;
            if let Some(d) = body["items"].as_array().and_then(|i| i.first()) {
                return id(d);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no delivery queued for the fixture webhook in 30 s");
    }

    async fn create(&self, path: &str, body: Value) -> Value {
        self.admin_send(Call::post(path, body), 201).await
    }

    async fn create_id(&self, path: &str, body: Value) -> String {
        id(&self.create(path, body).await)
    }

    async fn send(&self, token: Option<&str>, call: &Call) -> (u16, Value) {
        let mut req = self
            .t
            .client
            .request(call.method.clone(), self.t.url(&call.path));
        if let Some(tok) = token {
            req = req.bearer_auth(tok);
        }
        if let Some(v) = &call.if_match {
            req = req.header("If-Match", v);
        }
        if let Some(b) = &call.body {
            req = req.json(b);
        }
        if let Some(f) = &call.form {
            req = req
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(serde_urlencoded::to_string(f).unwrap());
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn member(&self, name: &str) -> String {
        self.create_id(
            "/api/v1/members",
            json!({"name": name, "gender": "female", "district": "siming", "phone": "13812341234",
                   "birth_year": 1975, "residence_subdistrict": "jialian",
                   "workplace_subdistrict": "jialian", "sector": "economy",
                   "specialties": ["法律"]}),
        )
        .await
    }

    async fn applied_workroom(&self) -> String {
        let n = self.next();
        self.create_id(
            "/api/v1/workrooms",
            json!({"name": format!("莲花好商量{n}"), "kind": "haoshangliang_studio",
                   "district": "siming", "subdistrict": "jialian", "address": "莲花路1号",
                   "latitude": 24.47, "longitude": 118.11, "reception_days": ["monday"],
                   "essentials": essentials()}),
        )
        .await
    }

    async fn active_workroom(&self) -> String {
        let w = self.applied_workroom().await;
        for step in [
            json!({"action": "inspect", "date": today(), "inspector": "专委会办公室", "passed": true}),
            json!({"action": "approve", "approved_by": "区政协党组", "date": today()}),
            json!({"action": "award_plaque", "date": today()}),
        ] {
            self.admin_send(
                Call::post(format!("/api/v1/workrooms/{w}/transitions"), step),
                200,
            )
            .await;
        }
        w
    }

    async fn assign(&self, workroom: &str, member: &str) {
        self.create(
            &format!("/api/v1/workrooms/{workroom}/members"),
            json!({"member_id": member, "role": "member"}),
        )
        .await;
    }

    async fn topic(&self) -> Value {
        let n = self.next();
        self.create(
            "/api/v1/topics",
            json!({"title": format!("小区停车难{n}"), "description": "居民反映较多",
                   "district": "siming", "subdistrict": "jialian", "category": "livelihood",
                   "origin": "public", "contact": {"name": "王小明", "phone": "13900002222"},
                   "workroom": self.fx().workroom}),
        )
        .await
    }

    async fn consultation(&self) -> Value {
        self.consultation_on(&today()).await
    }

    async fn consultation_on(&self, date: &str) -> Value {
        let topic = id(&self.topic().await);
        let member = &self.fx().member;
        self.create(
            "/api/v1/consultations",
            json!({"title": "停车难微协商", "district": "siming", "topics": [topic],
                   "scheduled_on": date, "place": "莲花社区议事厅", "format": "on_site",
                   "host": "莲花好商量工作室", "members": [member], "residents_count": 12,
                   "resident_names": ["王小明", "欧阳娜娜"], "grassroots_units": ["莲花社区居委会"],
                   "departments": ["区交通运输局"]}),
        )
        .await
    }

    async fn case(&self) -> Value {
        let member = &self.fx().member;
        self.create(
            "/api/v1/mediation-cases",
            json!({"district": "siming", "dispute_type": "work_injury", "summary": "装修工人工伤赔偿纠纷",
                   "parties": [{"name": "张三", "contact": "13811112222", "role": "applicant"},
                               {"name": "欧阳娜娜", "contact": "13933334444", "role": "respondent"}],
                   "mediators": [member], "received_on": days_ago(3)}),
        )
        .await
    }

    fn report_body(&self) -> Value {
        let member = &self.fx().member;
        json!({"title": "关于停车难的建议", "body": "社区居民反映的情况和建议。",
               "category": "livelihood", "district": "siming", "source_channel": "hotline",
               "authors": [member], "resident_name": "王小明", "resident_phone": "13900003333"})
    }

    async fn report(&self) -> Value {
        self.create("/api/v1/reports", self.report_body()).await
    }

    async fn compatriot(&self) -> Value {
        let n = self.next();
        self.create(
            "/api/v1/compatriots",
            json!({"name": format!("张台胞{n}"), "origin": "taichung", "district": "siming",
                   "contact": "13900001111", "id_number": "A123456789"}),
        )
        .await
    }

    async fn enterprise(&self) -> Value {
        let n = self.next();
        self.create(
            "/api/v1/taiwan-enterprises",
            json!({"kind": "enterprise", "name": format!("台资电子厂{n}"), "district": "siming",
                   "address": "莲花路2号", "contact_person": "林经理"}),
        )
        .await
    }

    async fn event(&self) -> Value {
        self.create(
            "/api/v1/liaison-events",
            json!({"kind": "symposium", "title": "两岸青年座谈会", "district": "siming",
                   "starts_at": format!("{}T10:00:00Z", days_ago(1)), "place": "思明区台胞驿站",
                   "capacity": 1000, "organisers": [self.fx().member]}),
        )
        .await
    }

    async fn open_event(&self) -> String {
        let e = id(&self.event().await);
        self.admin_send(
            Call::post(
                format!("/api/v1/liaison-events/{e}/transitions"),
                json!({"action": "open_registration"}),
            ),
            200,
        )
        .await;
        e
    }

    async fn registration(&self, event: &str) -> String {
        let c = id(&self.compatriot().await);
        self.create_id(
            &format!("/api/v1/liaison-events/{event}/registrations"),
            json!({"compatriot": c}),
        )
        .await
    }

    async fn suggestion(&self, event: &str) -> String {
        self.create_id(
            &format!("/api/v1/liaison-events/{event}/suggestions"),
            json!({"title": "台青创业补贴", "body": "建议简化台青创业补贴申领流程", "raised_by": "台青代表"}),
        )
        .await
    }

    async fn request(&self) -> Value {
        let c = &self.fx().compatriot;
        self.create(
            "/api/v1/compatriot-requests",
            json!({"compatriot": c, "kind": "medical", "description": "就医报销咨询"}),
        )
        .await
    }

    async fn setup(&mut self) {
        self.t.seed().await;
        // Subscribed first, so the events of every fixture below are delivered to it.
        let hook = self.hook().await;
        self.create(
            "/api/v1/communities",
            json!({"code": "lianhua", "subdistrict": "jialian", "name": "莲花社区"}),
        )
        .await;
        let member_name = "林主体委员".to_string();
        let member = self.member(&member_name).await;
        let me = self.member("陈自己委员").await;
        let workroom = self.active_workroom().await;
        self.assign(&workroom, &member).await;
        self.assign(&workroom, &me).await;
        self.admin_send(
            Call::new(
                Method::PUT,
                format!("/api/v1/workrooms/{workroom}/plans/2026"),
            )
            .json(json!({"targets": {"consultation": 12, "lecture": 4}, "note": "年度计划"})),
            201,
        )
        .await;
        let shift = self
            .create_id(
                &format!("/api/v1/workrooms/{workroom}/duty-shifts"),
                json!({"member": member, "date": today(), "start": "00:00", "end": "23:59"}),
            )
            .await;
        let check_in = self
            .create_id(
                "/api/v1/check-ins",
                json!({"workroom": workroom, "member": member}),
            )
            .await;
        let activity = self
            .create_id(
                "/api/v1/activities",
                json!({"member": member, "type": "lecture", "date": today(),
                       "workroom": workroom, "beneficiaries": 30}),
            )
            .await;
        let account = id(&self
            .create(
                "/api/v1/accounts",
                json!({"username": "siming-office", "password": "a-long-password-1",
                       "roles": ["office_staff"], "district": "siming",
                       "display_name": "思明区政协办"}),
            )
            .await);
        // Fixtures that need the member set first.
        self.fx = Some(Fixtures {
            member,
            member_name,
            me,
            workroom,
            shift,
            topic: String::new(),
            consultation: String::new(),
            case: String::new(),
            reception: String::new(),
            report: String::new(),
            compatriot: String::new(),
            enterprise: String::new(),
            event: String::new(),
            held: String::new(),
            registration: String::new(),
            suggestion: String::new(),
            request: String::new(),
            activity,
            check_in,
            account,
            hook: hook.clone(),
            delivery: String::new(),
            points: Value::Null,
        });
        let rules = self
            .admin_send(Call::get("/api/v1/evaluation-rules?year=2026"), 200)
            .await;
        let topic = id(&self.topic().await);
        // Held and submitted 40 days ago, its reply due 10 days ago (overdue), followed up.
        let consultation = id(&self.consultation_on(&days_ago(40)).await);
        for step in [
            json!({"action": "hold", "date": days_ago(40), "minutes": "居民、物业共商",
                   "opinions": [{"text": "增设夜间临时停车位", "responsible_body": "区交通运输局"}]}),
            json!({"action": "submit", "date": days_ago(40),
                   "recipients": [{"body": "government", "due_on": days_ago(10)}]}),
        ] {
            self.admin_send(
                Call::post(
                    format!("/api/v1/consultations/{consultation}/transitions"),
                    step,
                ),
                200,
            )
            .await;
        }
        self.create(
            &format!("/api/v1/consultations/{consultation}/follow-ups"),
            json!({"date": days_ago(5), "by_whom": "区交通运输局", "note": "正在研究"}),
        )
        .await;
        let case = id(&self.case().await);
        let fx = self.fx();
        let reception = self
            .create_id(
                "/api/v1/receptions",
                json!({"workroom": fx.workroom, "date": today(), "members": [fx.member],
                       "visitor": {"name": "王小明", "contact": "13900001111"},
                       "channel": "visit", "category": "legal_consultation",
                       "concern": "工伤赔偿如何申请", "handling": "answered"}),
            )
            .await;
        let report = id(&self.report().await);
        for step in ["submit", "start_review", "accept"] {
            self.admin_send(
                Call::post(
                    format!("/api/v1/reports/{report}/transitions"),
                    json!({"action": step}),
                ),
                200,
            )
            .await;
        }
        let compatriot = id(&self.compatriot().await);
        let enterprise = id(&self.enterprise().await);
        let event = self.open_event().await;
        let held = self.open_event().await;
        self.admin_send(
            Call::post(
                format!("/api/v1/liaison-events/{held}/transitions"),
                json!({"action": "hold", "people_served": 120, "volunteers": 8, "summary": "交流顺利"}),
            ),
            200,
        )
        .await;
        let fx = self.fx.as_mut().unwrap();
        fx.topic = topic;
        fx.consultation = consultation;
        fx.case = case;
        fx.reception = reception;
        fx.report = report;
        fx.compatriot = compatriot;
        fx.enterprise = enterprise;
        fx.event = event.clone();
        fx.held = held.clone();
        let registration = self.registration(&event).await;
        let suggestion = self.suggestion(&held).await;
        // Received 60 days ago (overdue), with a follow-up note.
        let c = self.fx().compatriot.clone();
        let request = self
            .create_id(
                "/api/v1/compatriot-requests",
                json!({"compatriot": c, "kind": "medical", "description": "就医报销咨询",
                       "received_on": days_ago(60)}),
            )
            .await;
        self.create(
            &format!("/api/v1/compatriot-requests/{request}/notes"),
            json!({"note": "已联系区医保中心"}),
        )
        .await;
        // Whole personal data read by a district's staff, for the audits to list.
        let office = staff("siming");
        let fx = self.fx();
        for path in [
            format!("/api/v1/members/{}", fx.member),
            format!("/api/v1/compatriots/{}", fx.compatriot),
            format!("/api/v1/reports/{}", fx.report),
            format!("/api/v1/topics/{}", fx.topic),
        ] {
            let (status, body) = self.send(Some(&office), &Call::get(path)).await;
            assert_eq!(status, 200, "{body}");
        }
        let delivery = self.first_delivery(&hook).await;
        let fx = self.fx.as_mut().unwrap();
        fx.delivery = delivery;
        fx.points = rules["points"].clone();
        fx.registration = registration;
        fx.suggestion = suggestion;
        fx.request = request;
    }

    /// The request that exercises `op`, with fresh objects where the call changes state.
    async fn prepare(&self, op: &str) -> Call {
        let fx = self.fx();
        let n = self.next();
        let (method, path) = op.split_once(' ').unwrap();
        let year = 2026;
        match (method, path) {
            ("GET", "/.well-known/jwks.json") | ("GET", "/readyz") | ("GET", "/auth/me") => {
                Call::get(path)
            }
            ("GET", "/auth/revocations") => Call::get(path),
            ("GET", "/dashboard/") => Call::get(path),
            ("GET", "/dashboard/{file}") => Call::get("/dashboard/app.js"),
            ("GET", "/api/v1/labels") => Call::get("/api/v1/labels?lang=zh-CN"),
            ("POST", "/auth/register") => Call::post(
                path,
                json!({"username": format!("resident-{n}"), "password": "a-long-password-1"}),
            ),
            ("POST", "/auth/revoke") => {
                let mut c = Call::new(Method::POST, path);
                c.form = Some(vec![("token".into(), "not-a-refresh-token".into())]);
                c
            }
            ("POST", "/auth/token") => {
                let mut c = Call::new(Method::POST, path);
                c.form = Some(vec![
                    ("grant_type".into(), "password".into()),
                    ("username".into(), "siming-office".into()),
                    ("password".into(), "a-long-password-1".into()),
                ]);
                c
            }
            ("GET", "/api/v1/accounts") => Call::get("/api/v1/accounts?district=siming"),
            ("POST", "/api/v1/accounts") => Call::post(
                path,
                json!({"username": format!("user-{n}"), "password": "a-long-password-1",
                       "roles": ["resident"]}),
            ),
            ("GET", "/api/v1/accounts/{id}") => {
                Call::get(format!("/api/v1/accounts/{}", fx.account))
            }
            ("PATCH", "/api/v1/accounts/{id}") => {
                let a = self
                    .create(
                        "/api/v1/accounts",
                        json!({"username": format!("staff-{n}"), "password": "a-long-password-1",
                               "roles": ["office_staff"], "district": "siming"}),
                    )
                    .await;
                Call::new(Method::PATCH, format!("/api/v1/accounts/{}", id(&a)))
                    .json(json!({"display_name": "改名"}))
                    .version(&a)
            }
            ("POST", "/api/v1/clients") => Call::post(
                path,
                json!({"name": format!("dashboard-{n}"), "roles": ["dashboard"], "district": "siming"}),
            ),
            ("GET", "/api/v1/activities") => Call::get(format!(
                "/api/v1/activities?district=siming&member={}",
                fx.member
            )),
            ("POST", "/api/v1/activities") => Call::post(
                path,
                json!({"member": fx.member, "type": "lecture", "date": days_ago(n as u64 % 300),
                       "beneficiaries": 10, "note": format!("讲座{n}")}),
            ),
            ("GET", "/api/v1/activities/{id}") => {
                Call::get(format!("/api/v1/activities/{}", fx.activity))
            }
            ("GET", p) if p.starts_with("/api/v1/audit/") => Call::get(p),
            ("GET", "/api/v1/bulletins") => Call::get(format!(
                "/api/v1/bulletins?year={year}&quarter=4&district=siming"
            )),
            ("GET", "/api/v1/check-ins") => Call::get(format!(
                "/api/v1/check-ins?district=siming&member={}",
                fx.member
            )),
            ("POST", "/api/v1/check-ins") => {
                let m = self.member(&format!("签到委员{n}")).await;
                self.assign(&fx.workroom, &m).await;
                Call::post(path, json!({"workroom": fx.workroom, "member": m}))
            }
            ("GET", "/api/v1/check-ins/{id}") => {
                Call::get(format!("/api/v1/check-ins/{}", fx.check_in))
            }
            ("GET", "/api/v1/communities") => Call::get("/api/v1/communities?district=siming"),
            ("POST", "/api/v1/communities") => Call::post(
                path,
                json!({"code": format!("c{n}"), "subdistrict": "jialian", "name": format!("社区{n}")}),
            ),
            ("GET", "/api/v1/communities/{code}") => Call::get("/api/v1/communities/lianhua"),
            ("PATCH", "/api/v1/communities/{code}") => {
                let c = self
                    .create(
                        "/api/v1/communities",
                        json!({"code": format!("c{n}"), "subdistrict": "jialian", "name": "社区"}),
                    )
                    .await;
                Call::new(Method::PATCH, format!("/api/v1/communities/c{n}"))
                    .json(json!({"name": "新名"}))
                    .version(&c)
            }
            ("GET", "/api/v1/compatriot-requests") => {
                Call::get("/api/v1/compatriot-requests?district=siming")
            }
            ("POST", "/api/v1/compatriot-requests") => Call::post(
                path,
                json!({"compatriot": fx.compatriot, "kind": "legal", "description": format!("咨询{n}")}),
            ),
            ("GET", "/api/v1/compatriot-requests/overdue") => {
                Call::get("/api/v1/compatriot-requests/overdue?district=siming")
            }
            ("GET", "/api/v1/compatriot-requests/{id}") => {
                Call::get(format!("/api/v1/compatriot-requests/{}", fx.request))
            }
            ("PATCH", "/api/v1/compatriot-requests/{id}") => {
                let r = self.request().await;
                Call::new(
                    Method::PATCH,
                    format!("/api/v1/compatriot-requests/{}", id(&r)),
                )
                .json(json!({"description": "就医报销咨询（补充）"}))
                .version(&r)
            }
            ("GET", "/api/v1/compatriot-requests/{id}/history") => Call::get(format!(
                "/api/v1/compatriot-requests/{}/history",
                fx.request
            )),
            ("GET", "/api/v1/compatriot-requests/{id}/notes") => {
                Call::get(format!("/api/v1/compatriot-requests/{}/notes", fx.request))
            }
            ("POST", "/api/v1/compatriot-requests/{id}/notes") => Call::post(
                format!("/api/v1/compatriot-requests/{}/notes", fx.request),
                json!({"note": format!("已联系区医保中心{n}")}),
            ),
            ("POST", "/api/v1/compatriot-requests/{id}/transitions") => {
                let r = self.request().await;
                Call::post(
                    format!("/api/v1/compatriot-requests/{}/transitions", id(&r)),
                    json!({"action": "assign", "member": fx.member}),
                )
                .version(&r)
            }
            ("GET", "/api/v1/compatriots") => {
                Call::get("/api/v1/compatriots?district=siming").about(&fx.compatriot)
            }
            ("POST", "/api/v1/compatriots") => Call::post(
                path,
                json!({"name": format!("李台胞{n}"), "origin": "kinmen", "district": "siming",
                       "contact": "13900001111"}),
            ),
            ("GET", "/api/v1/compatriots/{id}") => {
                Call::get(format!("/api/v1/compatriots/{}", fx.compatriot))
            }
            ("PATCH", "/api/v1/compatriots/{id}") => {
                let c = self.compatriot().await;
                Call::new(Method::PATCH, format!("/api/v1/compatriots/{}", id(&c)))
                    .json(json!({"occupation": "教师"}))
                    .version(&c)
            }
            ("GET", "/api/v1/consultations") => {
                Call::get("/api/v1/consultations?district=siming").about(&fx.consultation)
            }
            ("POST", "/api/v1/consultations") => {
                let topic = id(&self.topic().await);
                Call::post(
                    path,
                    json!({"title": "微协商", "district": "siming", "topics": [topic],
                           "scheduled_on": today(), "place": "议事厅", "format": "online",
                           "host": "工作室"}),
                )
            }
            ("GET", "/api/v1/consultations/overdue") => {
                Call::get("/api/v1/consultations/overdue?district=siming")
            }
            ("GET", "/api/v1/consultations/{id}") => {
                Call::get(format!("/api/v1/consultations/{}", fx.consultation))
            }
            ("PATCH", "/api/v1/consultations/{id}") => {
                let c = self.consultation().await;
                Call::new(Method::PATCH, format!("/api/v1/consultations/{}", id(&c)))
                    .json(json!({"place": "社区会议室"}))
                    .version(&c)
            }
            ("GET", "/api/v1/consultations/{id}/follow-ups") => Call::get(format!(
                "/api/v1/consultations/{}/follow-ups",
                fx.consultation
            )),
            ("POST", "/api/v1/consultations/{id}/follow-ups") => {
                let c = id(&self.consultation().await);
                for step in [
                    json!({"action": "hold", "date": today(), "minutes": "居民、物业共商",
                           "opinions": [{"text": "增设夜间临时停车位", "responsible_body": "区交通运输局"}]}),
                    json!({"action": "submit", "date": today(),
                           "recipients": [{"body": "government", "due_on": today()}]}),
                ] {
                    self.admin_send(
                        Call::post(format!("/api/v1/consultations/{c}/transitions"), step),
                        200,
                    )
                    .await;
                }
                Call::post(
                    format!("/api/v1/consultations/{c}/follow-ups"),
                    json!({"date": today(), "by_whom": "区交通运输局", "note": "已安排"}),
                )
            }
            ("GET", "/api/v1/consultations/{id}/history") => {
                Call::get(format!("/api/v1/consultations/{}/history", fx.consultation))
            }
            ("POST", "/api/v1/consultations/{id}/transitions") => {
                let c = self.consultation().await;
                Call::post(
                    format!("/api/v1/consultations/{}/transitions", id(&c)),
                    json!({"action": "cancel", "note": "改期"}),
                )
                .version(&c)
            }
            ("GET", "/api/v1/districts") => Call::get(path),
            ("POST", "/api/v1/districts") => Call::post(
                path,
                json!({"code": format!("d{n}"), "name": format!("区{n}")}),
            ),
            ("GET", "/api/v1/districts/{code}") => Call::get("/api/v1/districts/siming"),
            ("PATCH", "/api/v1/districts/{code}") => {
                let d = self
                    .create(
                        "/api/v1/districts",
                        json!({"code": format!("d{n}"), "name": format!("区{n}")}),
                    )
                    .await;
                Call::new(Method::PATCH, format!("/api/v1/districts/d{n}"))
                    .json(json!({"name": format!("新区{n}")}))
                    .version(&d)
            }
            ("GET", "/api/v1/evaluation-rules") => {
                Call::get(format!("/api/v1/evaluation-rules?year={year}"))
            }
            ("PUT", "/api/v1/evaluation-rules/{year}") => {
                let y = 2030 + (n % 60);
                Call::new(Method::PUT, format!("/api/v1/evaluation-rules/{y}"))
                    .json(json!({"excellent_min": 40, "competent_min": 10, "points": fx.points}))
            }
            ("GET", "/api/v1/evaluations") => {
                Call::get(format!("/api/v1/evaluations?year={year}&district=siming"))
            }
            ("GET", "/api/v1/liaison-events") => {
                Call::get("/api/v1/liaison-events?district=siming")
            }
            ("POST", "/api/v1/liaison-events") => Call::post(
                path,
                json!({"kind": "lecture", "title": format!("讲座{n}"), "district": "siming",
                       "starts_at": format!("{}T10:00:00Z", today()), "place": "台胞驿站"}),
            ),
            ("GET", "/api/v1/liaison-events/{id}") => {
                Call::get(format!("/api/v1/liaison-events/{}", fx.event))
            }
            ("PATCH", "/api/v1/liaison-events/{id}") => {
                let e = self.event().await;
                Call::new(Method::PATCH, format!("/api/v1/liaison-events/{}", id(&e)))
                    .json(json!({"place": "思明区文化馆"}))
                    .version(&e)
            }
            ("GET", "/api/v1/liaison-events/{id}/history") => {
                Call::get(format!("/api/v1/liaison-events/{}/history", fx.event))
            }
            ("GET", "/api/v1/liaison-events/{id}/registrations") => {
                Call::get(format!("/api/v1/liaison-events/{}/registrations", fx.event))
            }
            ("POST", "/api/v1/liaison-events/{id}/registrations") => {
                let c = id(&self.compatriot().await);
                Call::post(
                    format!("/api/v1/liaison-events/{}/registrations", fx.event),
                    json!({"compatriot": c}),
                )
            }
            ("DELETE", "/api/v1/liaison-events/{id}/registrations/{reg_id}") => {
                let r = self.registration(&fx.event).await;
                Call::new(
                    Method::DELETE,
                    format!("/api/v1/liaison-events/{}/registrations/{r}", fx.event),
                )
            }
            ("POST", "/api/v1/liaison-events/{id}/registrations/{reg_id}/attendance") => {
                let r = self.registration(&fx.event).await;
                Call::post(
                    format!(
                        "/api/v1/liaison-events/{}/registrations/{r}/attendance",
                        fx.event
                    ),
                    json!({"attended": true}),
                )
            }
            ("GET", "/api/v1/liaison-events/{id}/suggestions") => {
                Call::get(format!("/api/v1/liaison-events/{}/suggestions", fx.held))
            }
            ("POST", "/api/v1/liaison-events/{id}/suggestions") => Call::post(
                format!("/api/v1/liaison-events/{}/suggestions", fx.held),
                json!({"title": format!("建议{n}"), "body": "建议简化申领流程"}),
            ),
            ("POST", "/api/v1/liaison-events/{id}/suggestions/{sid}/to-report") => {
                let s = self.suggestion(&fx.held).await;
                Call::post(
                    format!(
                        "/api/v1/liaison-events/{}/suggestions/{s}/to-report",
                        fx.held
                    ),
                    json!({}),
                )
            }
            ("POST", "/api/v1/liaison-events/{id}/transitions") => {
                let e = self.event().await;
                Call::post(
                    format!("/api/v1/liaison-events/{}/transitions", id(&e)),
                    json!({"action": "cancel", "reason": "台风"}),
                )
                .version(&e)
            }
            ("GET", "/api/v1/mediation-cases") => {
                Call::get("/api/v1/mediation-cases?district=siming").about(&fx.case)
            }
            ("POST", "/api/v1/mediation-cases") => Call::post(
                path,
                json!({"district": "siming", "dispute_type": "labour", "summary": format!("欠薪纠纷{n}"),
                       "parties": [{"name": "张三"}], "mediators": [fx.member],
                       "received_on": today()}),
            ),
            ("GET", "/api/v1/mediation-cases/{id}") => {
                Call::get(format!("/api/v1/mediation-cases/{}", fx.case))
            }
            ("PATCH", "/api/v1/mediation-cases/{id}") => {
                let c = self.case().await;
                Call::new(Method::PATCH, format!("/api/v1/mediation-cases/{}", id(&c)))
                    .json(json!({"summary": "工伤赔偿纠纷（补充）"}))
                    .version(&c)
            }
            ("GET", "/api/v1/mediation-cases/{id}/history") => {
                Call::get(format!("/api/v1/mediation-cases/{}/history", fx.case))
            }
            ("POST", "/api/v1/mediation-cases/{id}/sessions") => {
                let c = id(&self.case().await);
                Call::post(
                    format!("/api/v1/mediation-cases/{c}/sessions"),
                    json!({"date": today(), "note": "双方到场"}),
                )
            }
            ("POST", "/api/v1/mediation-cases/{id}/transitions") => {
                let c = self.case().await;
                Call::post(
                    format!("/api/v1/mediation-cases/{}/transitions", id(&c)),
                    json!({"action": "start", "date": today()}),
                )
                .version(&c)
            }
            ("GET", "/api/v1/members") => Call::get(format!(
                "/api/v1/members?district=siming&q={}",
                fx.member_name
            ))
            .about(&fx.member),
            ("POST", "/api/v1/members") => Call::post(
                path,
                json!({"name": format!("新委员{n}"), "gender": "male", "district": "siming"}),
            ),
            ("GET", "/api/v1/members/{id}") => Call::get(format!("/api/v1/members/{}", fx.member)),
            ("PATCH", "/api/v1/members/{id}") => {
                let m = self.member(&format!("改委员{n}")).await;
                Call::new(Method::PATCH, format!("/api/v1/members/{m}"))
                    .json(json!({"affiliation": "民盟"}))
                    .if_match_version(1)
            }
            ("GET", "/api/v1/members/{id}/card") => {
                Call::get(format!("/api/v1/members/{}/card", fx.member))
            }
            ("GET", "/api/v1/members/{id}/evaluation") => Call::get(format!(
                "/api/v1/members/{}/evaluation?year={year}",
                fx.member
            )),
            ("GET", "/api/v1/receptions") => {
                Call::get("/api/v1/receptions?district=siming").about(&fx.reception)
            }
            ("POST", "/api/v1/receptions") => Call::post(
                path,
                json!({"workroom": fx.workroom, "date": today(), "members": [fx.member],
                       "channel": "hotline", "category": "livelihood",
                       "concern": format!("咨询{n}"), "handling": "answered"}),
            ),
            ("GET", "/api/v1/receptions/{id}") => {
                Call::get(format!("/api/v1/receptions/{}", fx.reception))
            }
            ("GET", "/api/v1/reports") => {
                Call::get("/api/v1/reports?district=siming").about(&fx.report)
            }
            ("POST", "/api/v1/reports") => Call::post(path, self.report_body()),
            ("GET", "/api/v1/reports/{id}") => Call::get(format!("/api/v1/reports/{}", fx.report)),
            ("PATCH", "/api/v1/reports/{id}") => {
                let r = self.report().await;
                Call::new(Method::PATCH, format!("/api/v1/reports/{}", id(&r)))
                    .json(json!({"title": "关于停车难的建议（修改）"}))
                    .version(&r)
            }
            ("GET", "/api/v1/reports/{id}/feedback") => {
                Call::get(format!("/api/v1/reports/{}/feedback", fx.report))
            }
            ("GET", "/api/v1/reports/{id}/history") => {
                Call::get(format!("/api/v1/reports/{}/history", fx.report))
            }
            ("GET", "/api/v1/reports/{id}/revisions") => {
                Call::get(format!("/api/v1/reports/{}/revisions", fx.report))
            }
            ("POST", "/api/v1/reports/{id}/transitions") => {
                let r = self.report().await;
                Call::post(
                    format!("/api/v1/reports/{}/transitions", id(&r)),
                    json!({"action": "submit"}),
                )
                .version(&r)
            }
            ("GET", "/api/v1/sectors") => Call::get(path),
            ("POST", "/api/v1/sectors") => Call::post(
                path,
                json!({"code": format!("s{n}"), "name": format!("界别{n}")}),
            ),
            ("GET", "/api/v1/sectors/{code}") => Call::get("/api/v1/sectors/economy"),
            ("PATCH", "/api/v1/sectors/{code}") => {
                let s = self
                    .create(
                        "/api/v1/sectors",
                        json!({"code": format!("s{n}"), "name": format!("界别{n}")}),
                    )
                    .await;
                Call::new(Method::PATCH, format!("/api/v1/sectors/s{n}"))
                    .json(json!({"name": format!("新界别{n}")}))
                    .version(&s)
            }
            ("GET", p) if p.starts_with("/api/v1/stats/") => {
                Call::get(format!("{p}?district=siming"))
            }
            ("GET", "/api/v1/subdistricts") => Call::get("/api/v1/subdistricts?district=siming"),
            ("POST", "/api/v1/subdistricts") => Call::post(
                path,
                json!({"code": format!("sd{n}"), "district": "siming", "name": format!("街道{n}"),
                       "kind": "subdistrict"}),
            ),
            ("GET", "/api/v1/subdistricts/{code}") => Call::get("/api/v1/subdistricts/jialian"),
            ("PATCH", "/api/v1/subdistricts/{code}") => {
                let s = self
                    .create(
                        "/api/v1/subdistricts",
                        json!({"code": format!("sd{n}"), "district": "siming",
                               "name": format!("街道{n}"), "kind": "subdistrict"}),
                    )
                    .await;
                Call::new(Method::PATCH, format!("/api/v1/subdistricts/sd{n}"))
                    .json(json!({"name": format!("新街道{n}")}))
                    .version(&s)
            }
            ("GET", "/api/v1/taiwan-enterprises") => {
                Call::get("/api/v1/taiwan-enterprises?district=siming")
            }
            ("POST", "/api/v1/taiwan-enterprises") => Call::post(
                path,
                json!({"kind": "youth_base", "name": format!("台青基地{n}"), "district": "siming",
                       "address": "软件园"}),
            ),
            ("GET", "/api/v1/taiwan-enterprises/{id}") => {
                Call::get(format!("/api/v1/taiwan-enterprises/{}", fx.enterprise))
            }
            ("PATCH", "/api/v1/taiwan-enterprises/{id}") => {
                let e = self.enterprise().await;
                Call::new(
                    Method::PATCH,
                    format!("/api/v1/taiwan-enterprises/{}", id(&e)),
                )
                .json(json!({"address": "莲花路3号"}))
                .version(&e)
            }
            ("GET", "/api/v1/topics") => {
                Call::get("/api/v1/topics?district=siming").about(&fx.topic)
            }
            ("POST", "/api/v1/topics") => Call::post(
                path,
                json!({"title": format!("垃圾分类{n}"), "description": "居民反映", "district": "siming",
                       "subdistrict": "jialian", "category": "environment", "origin": "assigned"}),
            ),
            ("GET", "/api/v1/topics/{id}") => Call::get(format!("/api/v1/topics/{}", fx.topic)),
            ("PATCH", "/api/v1/topics/{id}") => {
                let t = self.topic().await;
                Call::new(Method::PATCH, format!("/api/v1/topics/{}", id(&t)))
                    .json(json!({"description": "居民反映较多（补充）"}))
                    .version(&t)
            }
            ("GET", "/api/v1/topics/{id}/history") => {
                Call::get(format!("/api/v1/topics/{}/history", fx.topic))
            }
            ("GET", "/api/v1/topics/{id}/similar") => {
                Call::get(format!("/api/v1/topics/{}/similar", fx.topic))
            }
            ("POST", "/api/v1/topics/{id}/transitions") => {
                let t = self.topic().await;
                Call::post(
                    format!("/api/v1/topics/{}/transitions", id(&t)),
                    json!({"action": "decline", "reason": "重复"}),
                )
                .version(&t)
            }
            ("GET", "/api/v1/workrooms") => {
                Call::get("/api/v1/workrooms?district=siming").about(&fx.workroom)
            }
            ("POST", "/api/v1/workrooms") => Call::post(
                path,
                json!({"name": format!("新工作室{n}"), "kind": "member_studio", "district": "siming",
                       "subdistrict": "jialian", "address": "莲花路9号", "latitude": 24.47,
                       "longitude": 118.11, "essentials": essentials()}),
            ),
            ("GET", "/api/v1/workrooms/{id}") => {
                Call::get(format!("/api/v1/workrooms/{}", fx.workroom))
            }
            ("PATCH", "/api/v1/workrooms/{id}") => {
                let w = self.applied_workroom().await;
                Call::new(Method::PATCH, format!("/api/v1/workrooms/{w}"))
                    .json(json!({"opening_hours": "09:00-17:00"}))
                    .if_match_version(1)
            }
            ("GET", "/api/v1/workrooms/{id}/assignment-suggestions") => Call::get(format!(
                "/api/v1/workrooms/{}/assignment-suggestions",
                fx.workroom
            )),
            ("POST", "/api/v1/workrooms/{id}/duty-rota") => {
                let from = chrono::Utc::now().date_naive() + chrono::Days::new(10 + 3 * n as u64);
                let to = from + chrono::Days::new(1);
                Call::post(
                    format!("/api/v1/workrooms/{}/duty-rota", fx.workroom),
                    json!({"from": from.to_string(), "to": to.to_string(),
                           "start": "09:00", "end": "12:00"}),
                )
            }
            ("GET", "/api/v1/workrooms/{id}/duty-shifts") => {
                Call::get(format!("/api/v1/workrooms/{}/duty-shifts", fx.workroom))
            }
            ("POST", "/api/v1/workrooms/{id}/duty-shifts") => {
                let date = chrono::Utc::now().date_naive() + chrono::Days::new(1 + n as u64);
                Call::post(
                    format!("/api/v1/workrooms/{}/duty-shifts", fx.workroom),
                    json!({"member": fx.member, "date": date.to_string(), "start": "14:00",
                           "end": "17:00"}),
                )
            }
            ("GET", "/api/v1/workrooms/{id}/duty-shifts/{shift_id}") => Call::get(format!(
                "/api/v1/workrooms/{}/duty-shifts/{}",
                fx.workroom, fx.shift
            )),
            ("GET", "/api/v1/workrooms/{id}/history") => {
                Call::get(format!("/api/v1/workrooms/{}/history", fx.workroom))
            }
            ("GET", "/api/v1/workrooms/{id}/members") => {
                Call::get(format!("/api/v1/workrooms/{}/members", fx.workroom))
            }
            ("POST", "/api/v1/workrooms/{id}/members") => {
                let m = self.member(&format!("派驻委员{n}")).await;
                Call::post(
                    format!("/api/v1/workrooms/{}/members", fx.workroom),
                    json!({"member_id": m, "role": "member"}),
                )
            }
            ("DELETE", "/api/v1/workrooms/{id}/members/{member_id}") => {
                let m = self.member(&format!("离开委员{n}")).await;
                self.assign(&fx.workroom, &m).await;
                Call::new(
                    Method::DELETE,
                    format!("/api/v1/workrooms/{}/members/{m}", fx.workroom),
                )
            }
            ("GET", "/api/v1/workrooms/{id}/on-duty") => {
                Call::get(format!("/api/v1/workrooms/{}/on-duty", fx.workroom))
            }
            ("GET", "/api/v1/workrooms/{id}/plans/{year}") => {
                Call::get(format!("/api/v1/workrooms/{}/plans/{year}", fx.workroom))
            }
            ("PUT", "/api/v1/workrooms/{id}/plans/{year}") => {
                let w = self.applied_workroom().await;
                Call::new(Method::PUT, format!("/api/v1/workrooms/{w}/plans/{year}")).json(
                    json!({"targets": {"consultation": 12, "reception": 48}, "note": "年度计划"}),
                )
            }
            ("POST", "/api/v1/workrooms/{id}/transitions") => {
                let w = self.applied_workroom().await;
                Call::post(
                    format!("/api/v1/workrooms/{w}/transitions"),
                    json!({"action": "inspect", "date": today(), "inspector": "专委会办公室",
                           "passed": true}),
                )
                .if_match_version(1)
            }
            ("GET", "/api/v1/events") => Call::get("/api/v1/events?limit=5"),
            ("GET", "/api/v1/dashboard/summary") => {
                Call::get("/api/v1/dashboard/summary?district=siming")
            }
            ("GET", "/api/v1/webhooks") => Call::get(path),
            ("POST", "/api/v1/webhooks") => Call::post(
                path,
                json!({"url": format!("http://127.0.0.1:9/hook-{n}"), "event_types": ["report.adopted"]}),
            ),
            ("GET", "/api/v1/webhooks/{id}") => Call::get(format!("/api/v1/webhooks/{}", fx.hook)),
            ("PATCH", "/api/v1/webhooks/{id}") => {
                let h = self.hook().await;
                Call::new(Method::PATCH, format!("/api/v1/webhooks/{h}"))
                    .json(json!({"description": "停用", "enabled": false}))
                    .if_match_version(1)
            }
            ("DELETE", "/api/v1/webhooks/{id}") => {
                let h = self.hook().await;
                Call::new(Method::DELETE, format!("/api/v1/webhooks/{h}"))
            }
            ("GET", "/api/v1/webhooks/{id}/deliveries") => {
                Call::get(format!("/api/v1/webhooks/{}/deliveries", fx.hook))
            }
            ("POST", "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver") => Call::new(
                Method::POST,
                format!(
                    "/api/v1/webhooks/{}/deliveries/{}/redeliver",
                    fx.hook, fx.delivery
                ),
            ),
            _ => panic!("the matrix test does not know how to call {op}: add it to `prepare`"),
        }
    }
}

impl Call {
    fn if_match_version(mut self, v: i64) -> Call {
        self.if_match = Some(format!("\"{v}\""));
        self
    }
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_string()
}

/// The values a field path names in a response: in each item of a list page, or in the object;
/// `a[].b` steps into each element of array `a`.
fn values<'a>(body: &'a Value, path: &str, subject: Option<&str>) -> Vec<&'a Value> {
    let mut at: Vec<&Value> = match body.get("items").and_then(Value::as_array) {
        Some(items) => items.iter().collect(),
        None => match body.as_array() {
            Some(items) => items.iter().collect(),
            None => vec![body],
        },
    };
    if let Some(id) = subject {
        at.retain(|v| v["id"].as_str() == Some(id));
    }
    for step in path.split('.') {
        let (key, each) = match step.strip_suffix("[]") {
            Some(k) => (k, true),
            None => (step, false),
        };
        let mut next = Vec::new();
        for v in at {
            let inner = v.get(key).unwrap_or(&Value::Null);
            if each {
                if let Some(a) = inner.as_array() {
                    next.extend(a.iter());
                }
            } else {
                next.push(inner);
            }
        }
        at = next;
    }
    at
}

fn is_masked(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty() || s.contains('*'),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Is every named field masked (`Masked`) or every one whole (`Ok`)? The problem, if not.
fn check_fields(
    body: &Value,
    fields: &[String],
    subject: Option<&str>,
    masked: bool,
) -> Option<String> {
    for f in fields {
        let vs = values(body, f, subject);
        if vs.is_empty() {
            return Some(format!("no `{f}` in the answer"));
        }
        for v in vs {
            if masked && !is_masked(v) {
                return Some(format!("`{f}` is whole: {v}"));
            }
            if !masked && is_masked(v) {
                return Some(format!("`{f}` is masked or missing: {v}"));
            }
        }
    }
    None
}

fn is_empty_list(body: &Value) -> bool {
    body.get("items")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
        || body.as_array().is_some_and(Vec::is_empty)
}

fn describe(status: u16, body: &Value, fields: &[String], subject: Option<&str>) -> String {
    if (200..300).contains(&status) {
        if is_empty_list(body) {
            return "empty".into();
        }
        if !fields.is_empty() && check_fields(body, fields, subject, true).is_none() {
            return "masked".into();
        }
        return "ok".into();
    }
    status.to_string()
}

#[actix_web::test]
async fn every_operation_answers_every_caller_as_the_policy_table_says() {
    let policy = match policy() {
        Ok(p) => p,
        Err(e) => panic!("docs/AUTHORIZATION.md: {e}"),
    };
    let ops = operations();
    let print = std::env::var("XS_AUTHZ_PRINT").is_ok();
    let mut problems = Vec::new();
    let documented: BTreeSet<&String> = ops.iter().collect();
    for op in &ops {
        if !policy.contains_key(op) {
            problems.push(format!("{op}: no row in docs/AUTHORIZATION.md"));
        }
    }
    for op in policy.keys() {
        if !documented.contains(op) {
            problems.push(format!(
                "{op}: a row in docs/AUTHORIZATION.md for no operation of openapi/gateway.json"
            ));
        }
    }
    if !print {
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    // Webhook fixtures point at a loopback receiver, which the operator's allow-list must name.
    let t = TestStack::start_with(&[("XS_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")]).await;
    let mut w = World {
        t,
        admin: admin(),
        n: AtomicUsize::new(0),
        fx: None,
    };
    w.setup().await;
    let member = member_token(&w.fx().me, "siming");
    let tokens: Vec<Option<String>> = vec![
        Some(admin()),
        Some(staff("siming")),
        Some(staff("huli")),
        Some(token("coord-siming", &[Role::Coordinator], Some("siming"))),
        Some(member),
        Some(token("resident-1", &[Role::Resident], None)),
        Some(integrator()),
        Some(token(
            "dashboard-siming",
            &[Role::Dashboard],
            Some("siming"),
        )),
        Some(token("svc-1", &[Role::Service], None)),
        None,
    ];

    let mut observed = Vec::new();
    for op in &ops {
        let row = policy.get(op);
        let fields = row.map(|r| r.fields.clone()).unwrap_or_default();
        let mut call = w.prepare(op).await;
        let mut got_row = Vec::new();
        for (i, caller) in CALLERS.iter().enumerate() {
            let (status, body) = w.send(tokens[i].as_deref(), &call).await;
            let success = (200..300).contains(&status);
            if print && i == 0 && !success {
                println!("ADMIN {op}: {status} {body}");
            }
            let subject = call.subject.as_deref();
            got_row.push(describe(status, &body, &fields, subject));
            if let Some(row) = row {
                let expect = &row.cells[i];
                let problem = match expect {
                    Expect::Status(s) if *s == status => None,
                    Expect::Status(s) => Some(format!("expected {s}, got {status}")),
                    Expect::Ok | Expect::Masked | Expect::Empty if !success => {
                        Some(format!("expected {expect:?}, got {status}"))
                    }
                    Expect::Empty if is_empty_list(&body) => None,
                    Expect::Empty => Some("expected an empty list".into()),
                    _ if is_empty_list(&body) => Some(format!(
                        "expected {expect:?}, got an empty list (the fixture is not in it)"
                    )),
                    Expect::Ok if fields.is_empty() => None,
                    Expect::Ok => check_fields(&body, &fields, subject, false),
                    Expect::Masked => check_fields(&body, &fields, subject, true),
                };
                if let Some(p) = problem {
                    let detail = body
                        .get("detail")
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| {
                            let s = body.to_string();
                            s.chars().take(200).collect()
                        });
                    problems.push(format!("{op} as {caller}: {p} — {detail}"));
                }
            }
            // Role before input: a denied caller gets the same answer without a version.
            let denied = row.is_some_and(|r| {
                matches!(r.cells[i], Expect::Status(401 | 403 | 404))
                    && r.cells[i] == Expect::Status(status)
            });
            if denied && call.if_match.is_some() {
                let mut bare = call.clone();
                bare.if_match = None;
                let (again, body) = w.send(tokens[i].as_deref(), &bare).await;
                if again != status {
                    problems.push(format!(
                        "{op} as {caller}: {status} with a version but {again} without one (role \
                         before input) — {}",
                        body.get("detail").unwrap_or(&body)
                    ));
                }
            }
            if success && call.method != Method::GET {
                call = w.prepare(op).await;
            }
        }
        observed.push((op.clone(), got_row));
    }
    problems.extend(residents_see_active_workrooms_only(&w, &tokens[5], &tokens[4]).await);
    if print {
        for (op, row) in &observed {
            println!("| `{op}` | {} |", row.join(" | "));
        }
    }
    w.t.stop().await;
    assert!(
        problems.is_empty(),
        "{} disagreements with docs/AUTHORIZATION.md:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// What one operation row cannot show: a workroom that is not active is 404 to residents and
/// anonymous callers on every path that names it, like an unknown id; and the register's
/// `subdistrict` filter is refused to those who see where members live and work withheld.
async fn residents_see_active_workrooms_only(
    w: &World,
    resident: &Option<String>,
    member: &Option<String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let applied = w.applied_workroom().await;
    w.admin_send(
        Call::new(
            Method::PUT,
            format!("/api/v1/workrooms/{applied}/plans/2026"),
        )
        .json(json!({"targets": {"consultation": 4}})),
        201,
    )
    .await;
    for path in [
        format!("/api/v1/workrooms/{applied}"),
        format!("/api/v1/workrooms/{applied}/on-duty"),
        format!("/api/v1/workrooms/{applied}/duty-shifts"),
        format!("/api/v1/workrooms/{applied}/duty-shifts/none"),
        format!("/api/v1/workrooms/{applied}/history"),
        format!("/api/v1/workrooms/{applied}/members"),
    ] {
        for (who, tok) in [("resident", resident.as_deref()), ("anonymous", None)] {
            let (status, body) = w.send(tok, &Call::get(path.clone())).await;
            let expect = if tok.is_none() && !path.ends_with(&applied) && !path.ends_with("on-duty")
            {
                401
            } else {
                404
            };
            if status != expect {
                problems.push(format!(
                    "GET {path} (a workroom not active) as {who}: expected {expect}, got {status} — {body}"
                ));
            }
        }
    }
    let (status, body) = w
        .send(
            member.as_deref(),
            &Call::get("/api/v1/members?district=siming&subdistrict=jialian"),
        )
        .await;
    if status != 403 {
        problems.push(format!(
            "GET /api/v1/members?subdistrict= as member: expected 403, got {status} — {body}"
        ));
    }
    problems
}
