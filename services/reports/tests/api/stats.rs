//! Statistics against a hand-counted fixture: six reports in two districts. Members a and c
//! are of sector `economy`, b of `law`, h of none (so `""` by sector).
//!
//! | report | district | category    | channel         | authors | where it got                      |
//! |--------|----------|-------------|-----------------|---------|-----------------------------------|
//! | R1     | siming   | livelihood  | hotline         | a       | adopted municipal + provincial, 1 provincial instruction |
//! | R2     | siming   | environment | member_research | a, b, c | adopted national                  |
//! | R3     | siming   | livelihood  | mailbox         | b       | rejected                          |
//! | R4     | siming   | economy     | member_research | b       | draft (not received)              |
//! | R5     | huli     | economy     | wechat          | h       | accepted                          |
//! | R6     | huli     | livelihood  | member_research | h       | submitted                         |

use crate::common::*;
use serde_json::{Value, json};
use xs_kit::Role;

fn counts(v: &Value) -> (i64, i64, i64, i64, i64, i64) {
    let n = |k: &str| v[k].as_i64().unwrap();
    (
        n("received"),
        n("accepted"),
        n("forwarded"),
        n("adopted"),
        n("adoptions"),
        n("instructions"),
    )
}

fn group<'a>(stats: &'a Value, key: &str) -> &'a Value {
    stats["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == key)
        .unwrap_or_else(|| panic!("no group {key} in {stats}"))
}

#[actix_web::test]
async fn statistics_match_the_hand_counted_fixture() {
    let t = TestStack::start().await;
    for (code, name) in [("siming", "思明区"), ("huli", "湖里区")] {
        let r = t
            .post(
                "/api/v1/districts",
                &admin(),
                &json!({"code": code, "name": name}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    t.sector("economy", "经济界").await;
    t.sector("law", "法律界").await;
    let s = Seeded {
        a: t.member_in("林委员", "siming", Some("economy")).await,
        b: t.member_in("陈委员", "siming", Some("law")).await,
        h: t.member_in("黄委员", "huli", None).await,
    };
    let c = t.member_in("吴委员", "siming", Some("economy")).await;
    let (sm, hl) = (staff("siming"), staff("huli"));
    let today = chrono::Utc::now().date_naive();
    let mk = |title: &str, district: &str, category: &str, channel: &str, authors: &[&str]| {
        let mut b = new_report(title, district, authors);
        b["category"] = json!(category);
        b["source_channel"] = json!(channel);
        b
    };
    let id = |v: Value| v["id"].as_str().unwrap().to_string();
    let r1 = id(t
        .report(&sm, &mk("R1", "siming", "livelihood", "hotline", &[&s.a]))
        .await);
    let r2 = id(t
        .report(
            &sm,
            &mk(
                "R2",
                "siming",
                "environment",
                "member_research",
                &[&s.a, &s.b, &c],
            ),
        )
        .await);
    let r3 = id(t
        .report(&sm, &mk("R3", "siming", "livelihood", "mailbox", &[&s.b]))
        .await);
    t.report(
        &sm,
        &mk("R4", "siming", "economy", "member_research", &[&s.b]),
    )
    .await;
    let r5 = id(t
        .report(&hl, &mk("R5", "huli", "economy", "wechat", &[&s.h]))
        .await);
    let r6 = id(t
        .report(
            &hl,
            &mk("R6", "huli", "livelihood", "member_research", &[&s.h]),
        )
        .await);

    t.accepted(&r1).await;
    t.step(
        &r1,
        &sm,
        json!({"action": "forward",
        "targets": [{"level": "municipal"}, {"level": "provincial"}]}),
    )
    .await;
    for level in ["municipal", "provincial"] {
        t.step(
            &r1,
            &sm,
            json!({"action": "adopt", "adoption": {"level": level, "date": today}}),
        )
        .await;
    }
    t.step(
        &r1,
        &sm,
        json!({"action": "instruct", "instruction": {"leader": "张某",
        "leader_title": "副省长", "level": "provincial", "date": today, "text": "请研究。"}}),
    )
    .await;
    t.accepted(&r2).await;
    t.step(
        &r2,
        &sm,
        json!({"action": "forward", "targets": [{"level": "provincial"}]}),
    )
    .await;
    t.step(
        &r2,
        &sm,
        json!({"action": "adopt", "adoption": {"level": "national", "date": today}}),
    )
    .await;
    t.step(&r3, &sm, json!({"action": "submit"})).await;
    t.step(&r3, &sm, json!({"action": "start_review"})).await;
    t.step(&r3, &sm, json!({"action": "reject", "reason": "重复"}))
        .await;
    for r in [&r5, &r6] {
        t.step(r, &hl, json!({"action": "submit"})).await;
    }
    t.step(&r5, &hl, json!({"action": "start_review"})).await;
    t.step(&r5, &hl, json!({"action": "accept"})).await;

    // Citywide.
    let city = t.json("/api/v1/stats/reports", &admin()).await;
    assert_eq!(counts(&city["totals"]), (5, 3, 2, 2, 3, 1));
    assert_eq!(
        city["totals"]["adoptions_by_level"],
        json!([{"level": "municipal", "count": 1}, {"level": "national", "count": 1},
               {"level": "provincial", "count": 1}])
    );
    assert_eq!(
        city["totals"]["instructions_by_level"],
        json!([{"level": "provincial", "count": 1}])
    );
    assert_eq!(city["totals"]["adoption_rate"], 0.4);
    assert_eq!(city["groups"], json!([]));

    // By district.
    let by = t
        .json("/api/v1/stats/reports?group_by=district", &admin())
        .await;
    assert_eq!(counts(group(&by, "siming")), (3, 2, 2, 2, 3, 1));
    assert_eq!(group(&by, "siming")["adoption_rate"], 0.6667);
    assert_eq!(counts(group(&by, "huli")), (2, 1, 0, 0, 0, 0));
    assert_eq!(group(&by, "huli")["adoption_rate"], 0.0);
    assert_eq!(by["groups"].as_array().unwrap().len(), 2);

    // The office of siming: its district only.
    let own = t.json("/api/v1/stats/reports", &sm).await;
    assert_eq!(own["district"], "siming");
    assert_eq!(counts(&own["totals"]), (3, 2, 2, 2, 3, 1));
    let cat = t.json("/api/v1/stats/reports?group_by=category", &sm).await;
    assert_eq!(cat["groups"].as_array().unwrap().len(), 2, "{cat}");
    assert_eq!(counts(group(&cat, "livelihood")), (2, 1, 1, 1, 2, 1));
    assert_eq!(group(&cat, "livelihood")["adoption_rate"], 0.5);
    assert_eq!(counts(group(&cat, "environment")), (1, 1, 1, 1, 1, 0));
    let ch = t.json("/api/v1/stats/reports?group_by=channel", &sm).await;
    assert_eq!(counts(group(&ch, "hotline")), (1, 1, 1, 1, 2, 1));
    assert_eq!(counts(group(&ch, "member_research")), (1, 1, 1, 1, 1, 0));
    assert_eq!(counts(group(&ch, "mailbox")), (1, 0, 0, 0, 0, 0));
    // By member: a joint report counts for each author; the totals count it once.
    let m = t.json("/api/v1/stats/reports?group_by=member", &sm).await;
    assert_eq!(counts(group(&m, &s.a)), (2, 2, 2, 2, 3, 1));
    assert_eq!(counts(group(&m, &s.b)), (2, 1, 1, 1, 1, 0));
    assert_eq!(group(&m, &s.b)["adoption_rate"], 0.5);
    assert_eq!(counts(group(&m, &c)), (1, 1, 1, 1, 1, 0));
    assert_eq!(counts(&m["totals"]), (3, 2, 2, 2, 3, 1));

    // By sector: each distinct sector among a report's authors counts it once (R2's two
    // economy authors, a and c, once). Citywide, h's reports under "" (no sector).
    let sec = t.json("/api/v1/stats/reports?group_by=sector", &sm).await;
    assert_eq!(sec["groups"].as_array().unwrap().len(), 2, "{sec}");
    assert_eq!(counts(group(&sec, "economy")), (2, 2, 2, 2, 3, 1));
    assert_eq!(group(&sec, "economy")["adoption_rate"], 1.0);
    assert_eq!(counts(group(&sec, "law")), (2, 1, 1, 1, 1, 0));
    assert_eq!(group(&sec, "law")["adoption_rate"], 0.5);
    assert_eq!(counts(&sec["totals"]), (3, 2, 2, 2, 3, 1));
    let city_sec = t
        .json("/api/v1/stats/reports?group_by=sector", &admin())
        .await;
    assert_eq!(
        city_sec["groups"].as_array().unwrap().len(),
        3,
        "{city_sec}"
    );
    assert_eq!(counts(group(&city_sec, "")), (2, 1, 0, 0, 0, 0));
    assert_eq!(counts(group(&city_sec, "economy")), (2, 2, 2, 2, 3, 1));
    // The sector is the one the author had when named: b moving to economy changes nothing.
    let b_now = t.json(&format!("/api/v1/members/{}", s.b), &admin()).await;
    let r = t
        .patch(
            &format!("/api/v1/members/{}", s.b),
            &admin(),
            &json!({"version": b_now["version"], "sector": "economy"}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let again = t.json("/api/v1/stats/reports?group_by=sector", &sm).await;
    assert_eq!(again["groups"], sec["groups"]);

    // The period is the day of the first submission.
    let tomorrow = today.succ_opt().unwrap();
    let yesterday = today.pred_opt().unwrap();
    let v = t
        .json(&format!("/api/v1/stats/reports?from={tomorrow}"), &admin())
        .await;
    assert_eq!(counts(&v["totals"]), (0, 0, 0, 0, 0, 0));
    assert_eq!(v["totals"]["adoption_rate"], Value::Null);
    let v = t
        .json(&format!("/api/v1/stats/reports?to={yesterday}"), &admin())
        .await;
    assert_eq!(counts(&v["totals"]).0, 0);
    let v = t
        .json(
            &format!("/api/v1/stats/reports?from={today}&to={today}&district=huli"),
            &admin(),
        )
        .await;
    assert_eq!(counts(&v["totals"]), (2, 1, 0, 0, 0, 0));

    // Who may ask.
    let dash = token("dash-1", &[Role::Dashboard], None);
    assert_eq!(
        counts(&t.json("/api/v1/stats/reports", &dash).await["totals"]).0,
        5
    );
    problem(t.get("/api/v1/stats/reports?district=huli", &sm).await, 403).await;
    problem(
        t.get("/api/v1/stats/reports", &member_token(&s.a, "siming"))
            .await,
        403,
    )
    .await;
    let p = problem(
        t.get("/api/v1/stats/reports?group_by=workroom", &admin())
            .await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["group_by"]);
    t.stop().await;
}
