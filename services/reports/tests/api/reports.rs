//! The register: writing, reading, editing (with revisions), who sees what before and after
//! acceptance, residents' contacts, references checked with other services, filters and
//! search.

use crate::common::*;
use serde_json::{Value, json};
use xs_kit::Role;

#[actix_web::test]
async fn members_and_the_office_write_reports_checked_against_membership() {
    let t = TestStack::start().await;
    let s = t.seed().await;
    let a = member_token(&s.a, "siming");

    // A member writes a joint report; the authors' names come from membership.
    let r = t
        .report(
            &a,
            &new_report("关于小区停车难的建议", "siming", &[&s.a, &s.b]),
        )
        .await;
    assert_eq!(r["status"], "draft");
    assert_eq!(r["authors"][0]["member_id"], s.a.as_str());
    assert_eq!(r["authors"][0]["name"], "林委员");
    assert_eq!(r["authors"][1]["name"], "陈委员");
    assert_eq!(r["allowed_actions"], json!(["submit"]));
    assert_eq!(r["created_by"], format!("user-{}", s.a));
    // The office writes for its members.
    let o = t
        .report(
            &staff("siming"),
            &new_report("关于老旧小区加装电梯", "siming", &[&s.b]),
        )
        .await;
    assert_eq!(o["allowed_actions"], json!(["submit"]));

    // A member writes only reports they are an author of, in their district.
    let p = problem(
        t.post("/api/v1/reports", &a, &new_report("x", "siming", &[&s.b]))
            .await,
        403,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("author"), "{p}");
    problem(
        t.post(
            "/api/v1/reports",
            &staff("huli"),
            &new_report("x", "siming", &[&s.a]),
        )
        .await,
        403,
    )
    .await;
    let resident = token("r-1", &[Role::Resident], Some("siming"));
    problem(
        t.post(
            "/api/v1/reports",
            &resident,
            &new_report("x", "siming", &[&s.a]),
        )
        .await,
        403,
    )
    .await;

    // Unknown members, members of another district: 422 naming each field.
    let p = problem(
        t.post(
            "/api/v1/reports",
            &staff("siming"),
            &new_report("x", "siming", &[&s.a, "no-such-member", &s.h]),
        )
        .await,
        422,
    )
    .await;
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("authors[1]: no such member"), "{detail}");
    assert!(
        detail.contains("authors[2]: is not a member of the report's district"),
        "{detail}"
    );

    // Bad input: every field named at once, nothing written.
    let mut bad = new_report(" ", "Siming!", &[]);
    bad["resident_phone"] = json!("12ab");
    let p = problem(t.post("/api/v1/reports", &admin(), &bad).await, 400).await;
    let mut f = fields(&p);
    f.sort();
    assert_eq!(
        f,
        [
            "authors",
            "district",
            "resident_phone",
            "resident_phone",
            "title"
        ]
    );
    let p = problem(
        t.post(
            "/api/v1/reports",
            &admin(),
            &json!({"title": "x", "body": "y", "category": "weather", "district": "siming",
                    "source_channel": "hotline", "authors": [s.a]}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["category"]);
    let list = t.json("/api/v1/reports", &admin()).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);

    // Membership down: a write that needs it is a 503, not a guess.
    let mut t = t;
    t.stop_peer("membership").await;
    let p = problem(
        t.post(
            "/api/v1/reports",
            &a,
            &new_report("停电", "siming", &[&s.a]),
        )
        .await,
        503,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("membership"), "{p}");
    t.stop().await;
}

#[actix_web::test]
async fn every_edit_keeps_a_revision_and_drafts_may_be_longer_than_a_report() {
    let t = TestStack::start().await;
    let s = t.seed().await;
    let a = member_token(&s.a, "siming");
    let r = t
        .report(&a, &new_report("关于垃圾分类的建议", "siming", &[&s.a]))
        .await;
    let id = r["id"].as_str().unwrap();
    let path = format!("/api/v1/reports/{id}");

    // Versioned: no version is a 428, a stale one a 412.
    problem(t.patch(&path, &a, &json!({"title": "新标题"})).await, 428).await;
    problem(
        t.patch(&path, &a, &json!({"version": 7, "title": "新标题"}))
            .await,
        412,
    )
    .await;

    // A draft may run past 1,500 characters while the authors work on it.
    let long = "垃".repeat(1_600);
    let r = t
        .patch(&path, &a, &json!({"version": 1, "body": long}))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"2\"");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["body"].as_str().unwrap().chars().count(), 1_600);
    // ... but it cannot be submitted so.
    assert_eq!(v["allowed_actions"], json!([]));
    let p = problem(
        t.post(
            &format!("{path}/transitions"),
            &a,
            &json!({"action": "submit"}),
        )
        .await,
        409,
    )
    .await;
    assert!(
        p["detail"].as_str().unwrap().contains("1600 characters"),
        "{p}"
    );
    assert_eq!(p["allowed_actions"], json!([]));
    let too_long = "垃".repeat(20_001);
    let p = problem(
        t.patch(&path, &a, &json!({"version": 2, "body": too_long}))
            .await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["body"]);

    let v: Value = t
        .patch(
            &path,
            &a,
            &json!({"version": 2, "body": "建议在小区设置分类回收点。", "category": "environment",
                    "authors": [s.a, s.b]}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["category"], "environment");
    assert_eq!(v["authors"].as_array().unwrap().len(), 2);
    assert_eq!(v["allowed_actions"], json!(["submit"]));
    // An unknown co-author is refused by membership's answer, and nothing changes.
    problem(
        t.patch(
            &path,
            &a,
            &json!({"version": 3, "authors": [s.a, "nobody"]}),
        )
        .await,
        422,
    )
    .await;

    let revisions = t.json(&format!("{path}/revisions"), &a).await;
    let items = revisions["items"].as_array().unwrap();
    let numbers: Vec<i64> = items
        .iter()
        .map(|r| r["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert_eq!(items[0]["kind"], "created");
    assert_eq!(
        items[0]["body"],
        "关于垃圾分类的建议：社区居民反映的情况和建议。"
    );
    assert_eq!(items[1]["kind"], "edited");
    assert_eq!(items[1]["body"].as_str().unwrap().chars().count(), 1_600);
    assert_eq!(items[2]["body"], "建议在小区设置分类回收点。");
    assert_eq!(items[2]["by"], format!("user-{}", s.a));
    // Paged.
    let first = t.json(&format!("{path}/revisions?limit=2"), &a).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest = t
        .json(&format!("{path}/revisions?limit=2&cursor={cursor}"), &a)
        .await;
    assert_eq!(rest["items"][0]["number"], 3);

    // Submitted: the authors no longer edit it; the office edits its text only.
    t.step(id, &a, json!({"action": "submit"})).await;
    let p = problem(
        t.patch(&path, &a, &json!({"version": 4, "title": "改"}))
            .await,
        409,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("office"), "{p}");
    problem(
        t.patch(
            &path,
            &staff("siming"),
            &json!({"version": 4, "category": "health"}),
        )
        .await,
        409,
    )
    .await;
    let p = problem(
        t.patch(
            &path,
            &staff("siming"),
            &json!({"version": 4, "body": "长".repeat(1_501)}),
        )
        .await,
        // Schema-valid (a draft may be longer); the report's state rules it out: 422.
        422,
    )
    .await;
    assert_eq!(fields(&p), ["body"]);
    let v: Value = t
        .patch(
            &path,
            &staff("siming"),
            &json!({"version": 4, "title": "关于推进垃圾分类的建议"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["title"], "关于推进垃圾分类的建议");
    let revisions = t.json(&format!("{path}/revisions"), &a).await;
    assert_eq!(revisions["items"][3]["kind"], "office_edited");
    assert_eq!(revisions["items"][3]["status"], "submitted");
    t.stop().await;
}

#[actix_web::test]
async fn before_acceptance_only_authors_and_the_office_see_a_report() {
    let t = TestStack::start().await;
    let s = t.seed().await;
    let c = t.member("郑委员", "siming").await;
    let a = member_token(&s.a, "siming");
    let other = member_token(&c, "siming");
    let coordinator = token("coord-1", &[Role::Coordinator], Some("siming"));
    let dashboard = token("dash-1", &[Role::Dashboard], None);
    let resident = token("r-1", &[Role::Resident], Some("siming"));
    let r = t
        .report(
            &a,
            &new_report("关于校园周边交通安全", "siming", &[&s.a, &s.b]),
        )
        .await;
    let id = r["id"].as_str().unwrap().to_string();
    let h = t
        .report(&staff("huli"), &new_report("湖里的报告", "huli", &[&s.h]))
        .await;
    let path = format!("/api/v1/reports/{id}");

    // Who reads it while it is a draft, under review, ...
    let readers = [
        (&a, true),
        (&member_token(&s.b, "siming"), true),
        (&staff("siming"), true),
        (&admin(), true),
        (&other, false),
        (&coordinator, false),
        (&dashboard, false),
        (&staff("huli"), false),
    ];
    let check = |state: &'static str| {
        let t = &t;
        let path = path.clone();
        let id = id.clone();
        async move {
            for (tok, sees) in readers {
                let r = t.get(&path, tok).await;
                assert_eq!(r.status() == 200, sees, "{state}: {}", r.status());
                if !sees {
                    problem(r, 403).await;
                }
                // The list agrees with the single read.
                let list = t.json("/api/v1/reports", tok).await;
                assert_eq!(ids(&list).contains(&id), sees, "{state} list");
            }
        }
    };
    check("draft").await;
    t.step(&id, &a, json!({"action": "submit"})).await;
    t.step(&id, &staff("siming"), json!({"action": "start_review"}))
        .await;
    check("under review").await;
    t.step(&id, &staff("siming"), json!({"action": "accept"}))
        .await;
    // Accepted: coordinators and integrations of its district read it too; other members
    // and other districts' staff still do not.
    for (tok, sees) in [
        (&coordinator, true),
        (&dashboard, true),
        (&other, false),
        (&staff("huli"), false),
    ] {
        assert_eq!(t.get(&path, tok).await.status() == 200, sees);
        let list = t.json("/api/v1/reports", tok).await;
        assert_eq!(ids(&list).contains(&id), sees);
    }
    // The dashboard reads citywide, but the huli draft is not accepted.
    let list = t.json("/api/v1/reports", &dashboard).await;
    assert!(!ids(&list).contains(&h["id"].as_str().unwrap().to_string()));

    // Residents never read reports; lists beyond one's scope are refused.
    problem(t.get(&path, &resident).await, 403).await;
    problem(t.get("/api/v1/reports", &resident).await, 403).await;
    problem(
        t.get("/api/v1/reports?district=huli", &staff("siming"))
            .await,
        403,
    )
    .await;
    problem(
        t.get(&format!("/api/v1/reports?author={}", s.b), &a).await,
        403,
    )
    .await;
    // Filtered to another district's member: 403 like reading them; an unknown one selects
    // nothing.
    problem(
        t.get(&format!("/api/v1/reports?author={}", s.h), &staff("siming"))
            .await,
        403,
    )
    .await;
    let none = t
        .json("/api/v1/reports?author=nobody", &staff("siming"))
        .await;
    assert!(ids(&none).is_empty());
    // Unknown reports are 404.
    problem(t.get("/api/v1/reports/nope", &admin()).await, 404).await;
    t.stop().await;
}

#[actix_web::test]
async fn a_residents_contact_is_masked_to_all_but_the_office() {
    let t = TestStack::start().await;
    let s = t.seed().await;
    let a = member_token(&s.a, "siming");
    let mut body = new_report("热线反映噪音扰民", "siming", &[&s.a]);
    body["source_channel"] = json!("hotline");
    body["resident_name"] = json!("王小明");
    body["resident_phone"] = json!("13812345678");
    let r = t.report(&a, &body).await;
    let id = r["id"].as_str().unwrap();
    // Even its author sees the contact masked.
    assert_eq!(
        r["resident_contact"],
        json!({"name": "王**", "phone": "138****5678", "masked": true})
    );
    let mine = t.json(&format!("/api/v1/reports/{id}"), &a).await;
    assert_eq!(mine["resident_contact"]["masked"], true);
    // The office sees it whole, and that read is recorded.
    assert!(contact_reads(&t, id).await.is_empty());
    let seen = t
        .json(&format!("/api/v1/reports/{id}"), &staff("siming"))
        .await;
    assert_eq!(
        seen["resident_contact"],
        json!({"name": "王小明", "phone": "13812345678", "masked": false})
    );
    let reads = contact_reads(&t, id).await;
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0]["reader"], "staff-siming");
    assert_eq!(
        reads[0]["fields"],
        json!(["resident_name", "resident_phone"])
    );
    // Accepted, a coordinator reads it, masked.
    t.accepted(id).await;
    let coord = token("coord-1", &[Role::Coordinator], Some("siming"));
    let v = t.json(&format!("/api/v1/reports/{id}"), &coord).await;
    assert_eq!(v["resident_contact"]["phone"], "138****5678");
    // Only a resident channel names a resident (a rule between two fields: 422).
    let mut bad = new_report("x", "siming", &[&s.a]);
    bad["resident_phone"] = json!("13812345678");
    let p = problem(t.post("/api/v1/reports", &a, &bad).await, 422).await;
    assert_eq!(fields(&p), ["resident_phone"]);
    t.stop().await;
}

#[actix_web::test]
async fn reports_link_receptions_and_liaison_suggestions_checked_with_their_services() {
    let t = TestStack::start().await;
    let s = t.seed().await;
    let a = member_token(&s.a, "siming");
    // Without those services, a link cannot be checked: 503 naming the service.
    let mut body = new_report("来访反映", "siming", &[&s.a]);
    body["source_channel"] = json!("reception");
    body["reception"] = json!("rec-siming");
    let p = problem(t.post("/api/v1/reports", &a, &body).await, 503).await;
    assert!(
        p["detail"].as_str().unwrap().contains("consultation"),
        "{p}"
    );
    let fake = fake_sources(&t).await;

    let r = t.report(&a, &body).await;
    assert_eq!(r["reception"], "rec-siming");
    let mut other = body.clone();
    other["reception"] = json!("rec-huli");
    let p = problem(t.post("/api/v1/reports", &a, &other).await, 422).await;
    assert!(
        p["detail"].as_str().unwrap().starts_with("reception:"),
        "{p}"
    );
    other["reception"] = json!("rec-none");
    problem(t.post("/api/v1/reports", &a, &other).await, 422).await;

    let mut body = new_report("台胞座谈会上的建议", "siming", &[&s.a]);
    body["category"] = json!("cross_strait");
    body["source_channel"] = json!("liaison_event");
    body["liaison_suggestion"] = json!("sug-siming");
    let r = t.report(&a, &body).await;
    // The event is the suggestion's.
    assert_eq!(r["liaison_event"], "ev-1");
    assert_eq!(r["liaison_suggestion"], "sug-siming");
    body["liaison_event"] = json!("ev-2");
    let p = problem(t.post("/api/v1/reports", &a, &body).await, 422).await;
    assert!(
        p["detail"].as_str().unwrap().contains("liaison_event"),
        "{p}"
    );
    body["liaison_event"] = json!(null);
    body["liaison_suggestion"] = json!("sug-huli");
    problem(t.post("/api/v1/reports", &a, &body).await, 422).await;
    // An event alone cannot be checked.
    let mut alone = new_report("x", "siming", &[&s.a]);
    alone["liaison_event"] = json!("ev-1");
    let p = problem(t.post("/api/v1/reports", &a, &alone).await, 422).await;
    assert_eq!(fields(&p), ["liaison_event"]);
    // Links change through PATCH, checked again.
    let id = r["id"].as_str().unwrap();
    let p = problem(
        t.patch(
            &format!("/api/v1/reports/{id}"),
            &a,
            &json!({"version": 1, "reception": "rec-huli"}),
        )
        .await,
        422,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("reception"), "{p}");
    let v: Value = t
        .patch(
            &format!("/api/v1/reports/{id}"),
            &a,
            &json!({"version": 1, "liaison_suggestion": null}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["liaison_suggestion"], Value::Null);
    assert_eq!(v["liaison_event"], Value::Null);
    fake.stop(true).await;
    t.stop().await;
}

#[actix_web::test]
async fn lists_filter_and_search_chinese_text() {
    let t = TestStack::start().await;
    let s = t.seed().await;
    let office = staff("siming");
    let mk = |title: &'static str,
              category: &'static str,
              channel: &'static str,
              authors: Vec<String>| {
        let mut b = new_report(
            title,
            "siming",
            &authors.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        b["category"] = json!(category);
        b["source_channel"] = json!(channel);
        b
    };
    let parking = t
        .report(
            &office,
            &mk("小区停车难问题", "livelihood", "hotline", vec![s.a.clone()]),
        )
        .await;
    let lift = t
        .report(
            &office,
            &mk(
                "老旧小区加装电梯",
                "livelihood",
                "mailbox",
                vec![s.b.clone()],
            ),
        )
        .await;
    let river = t
        .report(
            &office,
            &mk(
                "筼筜湖水质治理",
                "environment",
                "member_research",
                vec![s.a.clone(), s.b.clone()],
            ),
        )
        .await;
    t.report(&staff("huli"), &new_report("湖里停车难", "huli", &[&s.h]))
        .await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_string();
    t.accepted(&id(&river)).await;
    t.step(
        &id(&river),
        &office,
        json!({"action": "forward", "targets": [{"level": "provincial"}]}),
    )
    .await;
    let today = chrono::Utc::now().date_naive();
    t.step(
        &id(&river),
        &office,
        json!({"action": "adopt",
        "adoption": {"level": "provincial", "date": today}}),
    )
    .await;

    let list = |q: String| {
        let t = &t;
        let office = office.clone();
        async move { ids(&t.json(&format!("/api/v1/reports?{q}"), &office).await) }
    };
    // Newest first, in the caller's district.
    assert_eq!(
        list(String::new()).await,
        [id(&river), id(&lift), id(&parking)]
    );
    assert_eq!(
        list("category=livelihood".into()).await,
        [id(&lift), id(&parking)]
    );
    assert_eq!(list("channel=hotline".into()).await, [id(&parking)]);
    assert_eq!(
        list(format!("author={}", s.a)).await,
        [id(&river), id(&parking)]
    );
    assert_eq!(list("status=adopted".into()).await, [id(&river)]);
    assert_eq!(list("adopted_level=provincial".into()).await, [id(&river)]);
    assert!(list("adopted_level=national".into()).await.is_empty());
    assert_eq!(list(format!("from={today}&to={today}")).await.len(), 3);
    assert!(list("to=2020-01-01".into()).await.is_empty());
    // Chinese text search over title and body, composing with the filters and the scope.
    assert_eq!(list("q=停车".into()).await, [id(&parking)]);
    assert_eq!(list("q=小区".into()).await, [id(&lift), id(&parking)]);
    assert_eq!(list("q=小区&channel=mailbox".into()).await, [id(&lift)]);
    assert_eq!(
        list("q=居民反映".into()).await.len(),
        3,
        "body text is searched"
    );
    assert!(list("q=地铁".into()).await.is_empty());
    let all = ids(&t.json("/api/v1/reports?q=停车", &admin()).await);
    assert_eq!(all.len(), 2, "the admin reads both districts");
    // Pages.
    let first = t.json("/api/v1/reports?limit=2", &office).await;
    assert_eq!(ids(&first), [id(&river), id(&lift)]);
    let next = first["next_cursor"].as_str().unwrap();
    assert_eq!(
        ids(&t
            .json(&format!("/api/v1/reports?limit=2&cursor={next}"), &office)
            .await),
        [id(&parking)]
    );
    // Bad filters name them: 400 where the schema refuses them, 422 for `from` after `to` and
    // for a `q` with nothing to search for.
    let long_q = format!("q={}", "a".repeat(101));
    for (q, field, status) in [
        ("q=%20%2C%2C", "q", 422),
        (long_q.as_str(), "q", 400),
        ("status=lost", "status", 400),
        ("limit=0", "limit", 400),
        ("from=2026-02-01&to=2026-01-01", "to", 422),
    ] {
        let p = problem(
            t.get(&format!("/api/v1/reports?{q}"), &office).await,
            status,
        )
        .await;
        assert_eq!(fields(&p), [field], "{q}");
    }
    t.stop().await;
}

/// The personal-data reads of a report's resident contact, as an admin lists them.
async fn contact_reads(t: &TestStack, id: &str) -> Vec<Value> {
    let r = t
        .get(
            &format!(
                "/api/v1/audit/reports/personal-data-reads?subject_kind=report_resident&subject_id={id}"
            ),
            &admin(),
        )
        .await;
    let v: Value = r.json().await.unwrap();
    v["items"].as_array().unwrap().clone()
}

/// A topic raised in consultation (a real peer) by the office of `district`; its id.
async fn topic(t: &TestStack, title: &str, district: &str, subdistrict: &str) -> String {
    let r = t
        .post(
            "/api/v1/topics",
            &staff(district),
            &json!({"title": title, "description": format!("{title}，居民反映较多"),
                    "district": district, "subdistrict": subdistrict,
                    "category": "livelihood", "origin": "assigned"}),
        )
        .await;
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{v}");
    v["id"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn a_report_links_the_topic_it_came_from_checked_with_consultation() {
    let mut t = TestStack::with_consultation().await;
    let s = t.seed().await;
    t.subdistrict("jialian", "siming", "嘉莲街道").await;
    t.subdistrict("dianqian", "huli", "殿前街道").await;
    let own = topic(&t, "小区停车难", "siming", "jialian").await;
    let huli = topic(&t, "殿前菜市场改造", "huli", "dianqian").await;
    let a = member_token(&s.a, "siming");

    // A topic of the report's district: kept, shown, exported.
    let mut body = new_report("关于小区停车难的建议", "siming", &[&s.a]);
    body["topic"] = json!(own);
    let r = t.report(&a, &body).await;
    assert_eq!(r["topic"], json!(own));
    let id = r["id"].as_str().unwrap().to_string();
    assert_eq!(
        t.json(&format!("/api/v1/reports/{id}"), &a).await["topic"],
        json!(own)
    );
    // No such topic, or another district's: 422 naming the field; nothing written.
    let before = ids(&t.json("/api/v1/reports", &admin()).await).len();
    for bad in ["no-such-topic", huli.as_str()] {
        let mut other = body.clone();
        other["topic"] = json!(bad);
        let p = problem(t.post("/api/v1/reports", &a, &other).await, 422).await;
        assert!(p["detail"].as_str().unwrap().starts_with("topic:"), "{p}");
    }
    assert_eq!(
        ids(&t.json("/api/v1/reports", &admin()).await).len(),
        before
    );
    // Through PATCH: checked again; null clears it.
    let path = format!("/api/v1/reports/{id}");
    let p = problem(
        t.patch(&path, &a, &json!({"version": 1, "topic": huli}))
            .await,
        422,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().starts_with("topic:"), "{p}");
    let v: Value = t
        .patch(&path, &a, &json!({"version": 1, "topic": null}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["topic"], Value::Null);

    // Consultation down: 503 naming it, nothing written; back, the link is checked again.
    t.stop_peer("consultation").await;
    let p = problem(t.post("/api/v1/reports", &a, &body).await, 503).await;
    assert!(
        p["detail"].as_str().unwrap().contains("consultation"),
        "{p}"
    );
    assert_eq!(
        ids(&t.json("/api/v1/reports", &admin()).await).len(),
        before
    );
    t.restart_peer("consultation").await;
    let again = t.report(&a, &body).await;
    assert_eq!(again["topic"], json!(own));
    t.stop().await;
}
