//! Credits to membership through the outbox: acceptance credits each author
//! `report_submitted`, each adoption each author `report_adopted` — exactly once, also when
//! membership is down while the report moves on.

use crate::common::*;
use serde_json::{Value, json};
use std::time::Duration;

fn of_type<'a>(records: &'a [Value], kind: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["type"] == kind).collect()
}

#[actix_web::test]
async fn acceptance_and_each_adoption_credit_every_author_once() {
    let t = TestStack::start().await;
    let s = t.seed().await;
    let office = staff("siming");
    let r = t
        .report(
            &office,
            &new_report("关于社区医疗的建议", "siming", &[&s.a, &s.b]),
        )
        .await;
    let id = r["id"].as_str().unwrap();
    t.accepted(id).await;
    t.step(
        id,
        &office,
        json!({"action": "forward",
        "targets": [{"level": "municipal"}, {"level": "provincial"}]}),
    )
    .await;
    let today = chrono::Utc::now().date_naive();
    for level in ["municipal", "provincial"] {
        t.step(
            id,
            &office,
            json!({"action": "adopt",
            "adoption": {"level": level, "date": today}}),
        )
        .await;
    }
    for member in [&s.a, &s.b] {
        let got = wait_for_activities(&t, member, 3).await;
        assert_eq!(of_type(&got, "report_submitted").len(), 1, "{got:?}");
        let adopted = of_type(&got, "report_adopted");
        assert_eq!(adopted.len(), 2);
        assert!(got.iter().all(|a| a["source"] == "reports"));
        assert!(got.iter().all(|a| {
            a["source_event_id"]
                .as_str()
                .unwrap()
                .ends_with(member.as_str())
        }));
        // Points from membership's rule table.
        assert_eq!(of_type(&got, "report_submitted")[0]["points"], 3);
        assert_eq!(adopted[0]["points"], 10);
    }
    // An instruction credits nothing; the counts stay after the relay had time to repeat.
    t.step(
        id,
        &office,
        json!({"action": "instruct", "instruction": {"leader": "李某",
        "leader_title": "市长", "level": "municipal", "date": today, "text": "阅。"}}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(activities(&t, &s.a).await.len(), 3);
    assert_eq!(activities(&t, &s.b).await.len(), 3);
    t.stop().await;
}

#[actix_web::test]
async fn credits_wait_for_membership_and_arrive_once_when_it_is_back() {
    let mut t = TestStack::start().await;
    let s = t.seed().await;
    let office = staff("siming");
    let r = t
        .report(&office, &new_report("关于公交线路优化", "siming", &[&s.a]))
        .await;
    let id = r["id"].as_str().unwrap().to_string();
    t.step(&id, &office, json!({"action": "submit"})).await;
    t.step(&id, &office, json!({"action": "start_review"}))
        .await;

    // Membership goes down; the office goes on: accepting needs no synchronous call.
    t.stop_peer("membership").await;
    t.step(&id, &office, json!({"action": "accept"})).await;
    t.step(
        &id,
        &office,
        json!({"action": "forward", "targets": [{"level": "municipal"}]}),
    )
    .await;
    let today = chrono::Utc::now().date_naive();
    t.step(
        &id,
        &office,
        json!({"action": "adopt",
        "adoption": {"level": "municipal", "date": today}}),
    )
    .await;
    // The relay keeps trying meanwhile.
    tokio::time::sleep(Duration::from_secs(2)).await;
    t.restart_peer("membership").await;

    let got = wait_for_activities(&t, &s.a, 2).await;
    assert_eq!(of_type(&got, "report_submitted").len(), 1);
    assert_eq!(of_type(&got, "report_adopted").len(), 1);
    // Nothing more arrives later.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let again = activities(&t, &s.a).await;
    assert_eq!(again.len(), 2, "{again:?}");
    t.stop().await;
}
