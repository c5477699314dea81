//! Huli's cross-strait work: Taiwan enterprises, youth bases and associations, compatriots,
//! lectures, study classes, symposiums (with 100+ suggestions), volunteer services (116
//! volunteers, 70,000+ people served), and compatriots' requests tracked to resolution.

use super::api::{Api, by_key, id};
use super::rng::Rng;
use super::{Demo, date_ago};
use serde_json::json;

const ENTERPRISES: [(&str, &str); 9] = [
    ("enterprise", "鹭岛精密电子（台资）"),
    ("enterprise", "海峡食品科技（台资）"),
    ("enterprise", "宝岛茶业贸易（台资）"),
    ("enterprise", "两岸智能制造（台资）"),
    ("enterprise", "金门湾文创（台资）"),
    ("youth_base", "湖里两岸青年创业基地"),
    ("youth_base", "殿前台青就业见习基地"),
    ("association", "湖里台商协会"),
    ("association", "湖里台胞联谊会"),
];

/// Events: kind, title stem, how many, people served each, volunteers each.
const EVENTS: [(&str, &str, usize, i64, i64); 5] = [
    ("lecture", "台籍委员宣讲团宣讲", 10, 120, 4),
    ("study_class", "台胞国情研习班", 4, 60, 3),
    ("symposium", "台胞台企座谈会", 6, 40, 2),
    ("enterprise_visit", "走访台资企业", 8, 30, 2),
    ("volunteer_service", "台胞志愿服务", 20, 3500, 6),
];

pub async fn load(api: &Api, demo: &Demo) -> anyhow::Result<()> {
    let point = demo
        .rooms("huli")
        .find(|w| w.kind == "taiwan_liaison_point")
        .map(|w| w.id.clone());
    let members = &demo.members["huli"];
    let taiwan: Vec<&String> = members.iter().take(12).collect();
    // Enterprises, youth bases, associations: by name; each linked to a Taiwan-origin member.
    let have = by_key(
        api.all("/api/v1/taiwan-enterprises?district=huli").await?,
        "name",
    );
    let mut enterprises = Vec::new();
    for (i, (kind, name)) in ENTERPRISES.iter().enumerate() {
        let e = match have.get(*name) {
            Some(e) => e.clone(),
            None => {
                api.post(
                    "/api/v1/taiwan-enterprises",
                    &json!({"kind": kind, "name": name, "district": "huli",
                            "address": format!("湖里区高新技术园{}号", 10 + i),
                            "contact_person": "林经理", "members": [taiwan[i % taiwan.len()]]}),
                    &format!("demo:enterprise:{i}"),
                )
                .await?
            }
        };
        enterprises.push(id(&e));
    }
    // Events, held, with people served; symposiums collect suggestions.
    let have = by_key(
        api.all("/api/v1/liaison-events?district=huli").await?,
        "title",
    );
    let mut n = 0;
    for (kind, stem, count, served, volunteers) in EVENTS {
        for k in 0..count {
            n += 1;
            let title = format!("{stem}（第{}场）", k + 1);
            let ago = 10 + (n as u64 * 17) % 330;
            let event = match have.get(&title) {
                Some(e) => e.clone(),
                None => {
                    let mut body = json!({"kind": kind, "title": title, "district": "huli",
                            "starts_at": format!("{}T02:00:00Z", date_ago(ago)),
                            "place": "湖里台籍委员联系点", "capacity": 5000,
                            "organisers": [taiwan[n % taiwan.len()]]});
                    if kind == "enterprise_visit" {
                        body["enterprise"] = json!(enterprises[k % 5]);
                    } else {
                        body["liaison_point"] = json!(point);
                    }
                    api.post(
                        "/api/v1/liaison-events",
                        &body,
                        &format!("demo:event:{kind}:{k}"),
                    )
                    .await?
                }
            };
            let eid = id(&event);
            let path = format!("/api/v1/liaison-events/{eid}");
            let people = served + Rng::item("event", kind, k).below(20) as i64;
            api.advance(
                &path,
                event["status"].as_str().unwrap_or("planned"),
                &[
                    (
                        "open_for_registration",
                        json!({"action": "open_registration"}),
                    ),
                    (
                        "held",
                        json!({"action": "hold", "people_served": people, "volunteers": volunteers,
                                    "summary": "活动顺利举行"}),
                    ),
                ],
            )
            .await?;
            if kind == "symposium" {
                let got = by_key(api.all(&format!("{path}/suggestions")).await?, "title");
                for s in 0..17 {
                    let title = format!("台胞建议（{}-{}）", k + 1, s + 1);
                    if got.contains_key(&title) {
                        continue;
                    }
                    api.post(
                        &format!("{path}/suggestions"),
                        &json!({"title": title, "body": "建议简化台胞就业创业补贴申领流程", "raised_by": "台胞代表"}),
                        &format!("demo:suggestion:{eid}:{s}"),
                    )
                    .await?;
                }
            }
        }
    }
    // Requests from enterprises and youth bases, assigned to the point's rotating members.
    let have = by_key(
        api.all("/api/v1/compatriot-requests?district=huli").await?,
        "description",
    );
    let kinds = [
        "entrepreneurship",
        "employment",
        "medical",
        "housing",
        "education",
        "legal",
    ];
    for i in 0..30 {
        let description = format!("{}方面的困难诉求（演示 {}）", kinds[i % kinds.len()], i + 1);
        let request = match have.get(&description) {
            Some(r) => r.clone(),
            None => {
                api.post(
                    "/api/v1/compatriot-requests",
                    &json!({"kind": kinds[i % kinds.len()], "description": description,
                            "enterprise": enterprises[i % enterprises.len()],
                            "received_on": date_ago(40 + i as u64 * 9)}),
                    &format!("demo:request:{i}"),
                )
                .await?
            }
        };
        let mut steps = vec![
            (
                "assigned",
                json!({"action": "assign", "member": taiwan[i % 9]}),
            ),
            ("in_progress", json!({"action": "start"})),
        ];
        if i % 6 != 5 {
            steps.push((
                "resolved",
                json!({"action": "resolve", "resolution": "协调有关部门解决"}),
            ));
        }
        api.advance(
            &format!("/api/v1/compatriot-requests/{}", id(&request)),
            request["status"].as_str().unwrap_or("received"),
            &steps,
        )
        .await?;
    }
    Ok(())
}
