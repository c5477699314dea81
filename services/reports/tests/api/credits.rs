//! Credits to membership through the outbox: acceptance credits each author
//! `report_submitted`, each adoption each author `report_adopted` at the points membership's
//! rule table gives the adoption's level — exactly once, also when membership is down while
//! the report moves on.

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
        "targets": [{"level": "municipal"}, {"level": "provincial"}, {"level": "national"}]}),
    )
    .await;
    let today = chrono::Utc::now().date_naive();
    for level in ["municipal", "provincial", "national"] {
        t.step(
            id,
            &office,
            json!({"action": "adopt",
            "adoption": {"level": level, "date": today}}),
        )
        .await;
    }
    // Membership's rule table gives an adoption its points by level.
    let rules = t.json("/api/v1/evaluation-rules", &admin()).await;
    let by_level = &rules["level_points"]["report_adopted"];
    assert_eq!(
        *by_level,
        json!({"municipal": 10, "provincial": 15, "national": 20, "department": 10}),
        "{rules}"
    );
    for member in [&s.a, &s.b] {
        let got = wait_for_activities(&t, member, 4).await;
        assert_eq!(of_type(&got, "report_submitted").len(), 1, "{got:?}");
        let adopted = of_type(&got, "report_adopted");
        assert_eq!(adopted.len(), 3);
        assert!(got.iter().all(|a| a["source"] == "reports"));
        assert!(got.iter().all(|a| {
            a["source_event_id"]
                .as_str()
                .unwrap()
                .ends_with(member.as_str())
        }));
        // Points from membership's rule table: by the adoption's level.
        assert_eq!(of_type(&got, "report_submitted")[0]["points"], 3);
        for level in ["municipal", "provincial", "national"] {
            let one: Vec<&&Value> = adopted
                .iter()
                .filter(|a| {
                    a["note"]
                        .as_str()
                        .unwrap()
                        .ends_with(&format!("adopted by {level}"))
                })
                .collect();
            assert_eq!(one.len(), 1, "{level}: {adopted:?}");
            assert_eq!(one[0]["points"], by_level[level], "{level}");
        }
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
    assert_eq!(activities(&t, &s.a).await.len(), 4);
    assert_eq!(activities(&t, &s.b).await.len(), 4);
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
        json!({"action": "forward", "targets": [{"level": "national"}]}),
    )
    .await;
    let today = chrono::Utc::now().date_naive();
    t.step(
        &id,
        &office,
        json!({"action": "adopt",
        "adoption": {"level": "national", "date": today}}),
    )
    .await;
    // The relay keeps trying meanwhile.
    tokio::time::sleep(Duration::from_secs(2)).await;
    t.restart_peer("membership").await;

    let got = wait_for_activities(&t, &s.a, 2).await;
    assert_eq!(of_type(&got, "report_submitted").len(), 1);
    let adopted = of_type(&got, "report_adopted");
    assert_eq!(adopted.len(), 1);
    // A national adoption earns the rule table's national points.
    assert_eq!(adopted[0]["points"], 20);
    // Nothing more arrives later.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let again = activities(&t, &s.a).await;
    assert_eq!(again.len(), 2, "{again:?}");
    t.stop().await;
}
