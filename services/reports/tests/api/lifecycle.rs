//! The lifecycle: draft → submitted → under review → returned → submitted again → accepted
//! (in the office's edited version, the authors' original kept) → forwarded → adopted
//! several times, leader instructions; illegal steps; the history and the authors' feedback.

use crate::common::*;
use serde_json::{Value, json};
use xs_kit::Role;

#[actix_web::test]
async fn a_report_goes_from_draft_to_several_adoptions_with_a_return_on_the_way() {
    let t = TestStack::start().await;
    let s = t.seed().await;
    let a = member_token(&s.a, "siming");
    let b = member_token(&s.b, "siming");
    let office = staff("siming");
    let r = t
        .report(
            &a,
            &new_report("关于加强台胞创业扶持的建议", "siming", &[&s.a, &s.b]),
        )
        .await;
    let id = r["id"].as_str().unwrap();
    let path = format!("/api/v1/reports/{id}");

    // A co-author submits; the office takes it up and returns it with comments.
    let v = t.step(id, &b, json!({"action": "submit"})).await;
    assert_eq!(v["status"], "submitted");
    assert!(v["submitted_at"].is_string());
    assert_eq!(
        v["allowed_actions"],
        json!([]),
        "authors wait for the office"
    );
    let v = t.step(id, &office, json!({"action": "start_review"})).await;
    assert_eq!(v["allowed_actions"], json!(["return", "reject", "accept"]));
    let v = t
        .step(
            id,
            &office,
            json!({"action": "return", "comments": "请补充具体数据"}),
        )
        .await;
    assert_eq!(v["status"], "returned");
    assert_eq!(v["review_comments"], "请补充具体数据");

    // The authors revise and submit again.
    let v: Value = t
        .patch(
            &path,
            &a,
            &json!({"version": v["version"], "body": "建议设立台胞创业基金，去年申请人数达120人。"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "returned");
    let v = t.step(id, &a, json!({"action": "submit"})).await;
    assert_eq!(v["status"], "submitted");
    t.step(id, &office, json!({"action": "start_review"})).await;

    // Accepted in the office's edited version; the authors' original stays readable.
    let v = t
        .step(
            id,
            &office,
            json!({"action": "accept", "title": "关于设立台胞创业基金的建议",
                   "body": "建议设立台胞创业基金。"}),
        )
        .await;
    assert_eq!(v["status"], "accepted");
    assert_eq!(v["title"], "关于设立台胞创业基金的建议");
    assert_eq!(v["body"], "建议设立台胞创业基金。");
    assert_eq!(
        v["original"],
        json!({"title": "关于加强台胞创业扶持的建议",
               "body": "建议设立台胞创业基金，去年申请人数达120人。"})
    );
    assert!(v["accepted_at"].is_string());
    let mine = t.json(&path, &a).await;
    assert_eq!(mine["original"]["title"], "关于加强台胞创业扶持的建议");
    // Final now: no more edits.
    problem(
        t.patch(
            &path,
            &office,
            &json!({"version": mine["version"], "title": "x"}),
        )
        .await,
        409,
    )
    .await;

    // Forwarded to two levels, then a department.
    let today = chrono::Utc::now().date_naive();
    let v = t
        .step(
            id,
            &office,
            json!({"action": "forward", "targets": [{"level": "municipal"}, {"level": "provincial"}]}),
        )
        .await;
    assert_eq!(v["status"], "forwarded");
    assert_eq!(v["forwards"].as_array().unwrap().len(), 2);
    let v = t
        .step(
            id,
            &office,
            json!({"action": "forward", "date": today,
                   "targets": [{"level": "department", "department": "区台港澳办"}]}),
        )
        .await;
    assert_eq!(v["forwards"][2]["department"], "区台港澳办");
    // Forwarding twice to the same level is refused (the report's state decides: 422), and so
    // is naming one twice in a request.
    let p = problem(
        t.post(
            &format!("{path}/transitions"),
            &office,
            &json!({"action": "forward", "targets": [{"level": "municipal"}]}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["targets[0]"]);
    let p = problem(
        t.post(
            &format!("{path}/transitions"),
            &office,
            &json!({"action": "forward", "targets": [{"level": "national"},
                {"level": "national", "department": null}]}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["targets"]);

    // Adopted by the provincial committee, then nationally: two adoptions.
    let v = t
        .step(
            id,
            &office,
            json!({"action": "adopt", "adoption": {"level": "provincial", "date": today,
                   "document_number": "闽政协信〔2026〕12号"}}),
        )
        .await;
    assert_eq!(v["status"], "adopted");
    let v = t
        .step(
            id,
            &office,
            json!({"action": "adopt", "adoption": {"level": "national", "date": today}}),
        )
        .await;
    assert_eq!(v["adoptions"].as_array().unwrap().len(), 2);
    assert_eq!(v["adoptions"][0]["document_number"], "闽政协信〔2026〕12号");
    assert_eq!(v["adoptions"][1]["level"], "national");
    // The same adopter twice is a conflict.
    problem(
        t.post(
            &format!("{path}/transitions"),
            &office,
            &json!({"action": "adopt", "adoption": {"level": "national", "date": today}}),
        )
        .await,
        409,
    )
    .await;
    // A leader's instruction on the adopted report.
    let v = t
        .step(
            id,
            &office,
            json!({"action": "instruct", "instruction": {"leader": "张某某", "leader_title": "副省长",
                   "level": "provincial", "date": today, "text": "请省台办研究落实。"}}),
        )
        .await;
    assert_eq!(v["status"], "adopted");
    assert_eq!(v["instructions"][0]["leader_title"], "副省长");
    assert_eq!(
        v["allowed_actions"],
        json!(["forward", "adopt", "instruct"])
    );

    // The office's history: every step with who and when.
    let h = t.json(&format!("{path}/history"), &office).await;
    let steps: Vec<&str> = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "create",
            "submit",
            "start_review",
            "return",
            "submit",
            "start_review",
            "accept",
            "forward",
            "forward",
            "adopt",
            "adopt",
            "instruct"
        ]
    );
    let items = h["items"].as_array().unwrap();
    assert_eq!(items[0]["by"], format!("user-{}", s.a));
    assert_eq!(items[1]["by"], format!("user-{}", s.b));
    assert_eq!(items[3]["by"], "staff-siming");
    assert_eq!(items[3]["details"]["comments"], "请补充具体数据");
    assert_eq!(items[4]["details"]["resubmitted"], true);
    assert_eq!(items[6]["details"]["edited"], true);
    assert!(items.iter().all(|e| e["at"].is_string()));
    // Only the office reads it; authors have their feedback.
    problem(t.get(&format!("{path}/history"), &a).await, 403).await;

    // The authors' feedback: the same steps, with what they say, without account ids.
    let f = t.json(&format!("{path}/feedback"), &b).await;
    let items = f["items"].as_array().unwrap();
    assert_eq!(items.len(), 12);
    assert_eq!(items[3]["action"], "return");
    assert_eq!(items[3]["status"], "returned");
    assert_eq!(items[3]["details"]["comments"], "请补充具体数据");
    assert_eq!(items[9]["details"]["adoption"]["level"], "provincial");
    assert_eq!(
        items[11]["details"]["instruction"]["text"],
        "请省台办研究落实。"
    );
    assert!(items.iter().all(|e| e.get("by").is_none()));
    let other = t.member("郑委员", "siming").await;
    problem(
        t.get(&format!("{path}/feedback"), &member_token(&other, "siming"))
            .await,
        403,
    )
    .await;

    // Revisions: the first text, the authors' revision, the office's version.
    let revs = t.json(&format!("{path}/revisions"), &a).await;
    let kinds: Vec<&str> = revs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "edited", "office_edited"]);
    t.stop().await;
}

#[actix_web::test]
async fn illegal_steps_are_409_with_the_allowed_actions_and_roles_are_checked() {
    let t = TestStack::start().await;
    let s = t.seed().await;
    let a = member_token(&s.a, "siming");
    let office = staff("siming");
    let r = t
        .report(&a, &new_report("关于社区养老的建议", "siming", &[&s.a]))
        .await;
    let id = r["id"].as_str().unwrap();
    let tr = format!("/api/v1/reports/{id}/transitions");

    // From a draft, only submit.
    for action in ["start_review", "accept", "return", "forward"] {
        let mut body = json!({"action": action});
        if action == "return" {
            body["comments"] = json!("x");
        }
        if action == "forward" {
            body["targets"] = json!([{"level": "municipal"}]);
        }
        let p = problem(t.post(&tr, &office, &body).await, 409).await;
        assert_eq!(p["allowed_actions"], json!(["submit"]), "{action}");
        assert!(p["detail"].as_str().unwrap().contains("draft"), "{p}");
    }
    // Fields that do not belong to the action, or are missing.
    let p = problem(
        t.post(&tr, &a, &json!({"action": "submit", "reason": "x"}))
            .await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["reason"]);
    t.step(id, &a, json!({"action": "submit"})).await;
    // Authors do not review their own report; other districts' offices do not either.
    problem(
        t.post(&tr, &a, &json!({"action": "start_review"})).await,
        403,
    )
    .await;
    problem(
        t.post(&tr, &staff("huli"), &json!({"action": "start_review"}))
            .await,
        403,
    )
    .await;
    let coordinator = token("coord-1", &[Role::Coordinator], Some("siming"));
    problem(
        t.post(&tr, &coordinator, &json!({"action": "start_review"}))
            .await,
        403,
    )
    .await;
    t.step(id, &office, json!({"action": "start_review"})).await;
    let p = problem(
        t.post(&tr, &office, &json!({"action": "return"})).await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["comments"]);
    let p = problem(
        t.post(&tr, &office, &json!({"action": "reject"})).await,
        400,
    )
    .await;
    assert_eq!(fields(&p), ["reason"]);
    // A stale version is a 412.
    problem(
        t.post(
            &tr,
            &office,
            &json!({"action": "reject", "reason": "重复", "version": 1}),
        )
        .await,
        412,
    )
    .await;
    let v = t
        .step(
            id,
            &office,
            json!({"action": "reject", "reason": "与已报送信息重复"}),
        )
        .await;
    assert_eq!(v["status"], "rejected");
    assert_eq!(v["rejection_reason"], "与已报送信息重复");
    assert_eq!(v["allowed_actions"], json!([]));
    // Rejected is the end.
    for action in ["submit", "accept", "adopt"] {
        let mut body = json!({"action": action});
        if action == "adopt" {
            body["adoption"] = json!({"level": "municipal", "date": "2026-01-01"});
        }
        let p = problem(t.post(&tr, &office, &body).await, 409).await;
        assert_eq!(p["allowed_actions"], json!([]), "{action}");
    }
    // Adoption before forwarding, and dates, on another report.
    let r = t
        .report(&a, &new_report("关于夜市管理", "siming", &[&s.a]))
        .await;
    let id = r["id"].as_str().unwrap();
    t.accepted(id).await;
    let tr = format!("/api/v1/reports/{id}/transitions");
    let p = problem(
        t.post(
            &tr,
            &office,
            &json!({"action": "adopt",
            "adoption": {"level": "municipal", "date": "2026-01-01"}}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(p["allowed_actions"], json!(["forward", "instruct"]));
    t.step(
        id,
        &office,
        json!({"action": "forward", "targets": [{"level": "municipal"}]}),
    )
    .await;
    let p = problem(
        t.post(
            &tr,
            &office,
            &json!({"action": "adopt",
            "adoption": {"level": "municipal", "date": "2020-01-01"}}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["adoption.date"]);
    let p = problem(
        t.post(
            &tr,
            &office,
            &json!({"action": "adopt",
            "adoption": {"level": "department", "date": "2026-01-01"}}),
        )
        .await,
        // Which level needs a department is a rule between two fields: 422.
        422,
    )
    .await;
    assert_eq!(fields(&p), ["adoption.department"]);
    // A replayed transition (same Idempotency-Key) is applied once.
    let today = chrono::Utc::now().date_naive();
    let body = json!({"action": "adopt", "adoption": {"level": "municipal", "date": today}});
    for _ in 0..2 {
        let r = t
            .req(reqwest::Method::POST, &tr, &office)
            .header("Idempotency-Key", "adopt-1")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let v = t.json(&format!("/api/v1/reports/{id}"), &office).await;
    assert_eq!(v["adoptions"].as_array().unwrap().len(), 1);
    t.stop().await;
}
