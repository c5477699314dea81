//! Topics in their three origins, micro-consultations that take them up (held, submitted to
//! the government with copies to departments, implemented), the problems solved; visitor
//! receptions by every channel; Haicang's mediation cases.

use super::api::{Api, by_key, id};
use super::rng::Rng;
use super::{Demo, WorkroomRef, date_ago};
use serde_json::{Value, json};

/// Per district: topics solved, topics left open, receptions, mediation cases.
const LINES: [(&str, usize, usize, usize, usize); 6] = [
    ("siming", 23, 6, 40, 6),
    ("huli", 6, 2, 12, 3),
    ("jimei", 8, 3, 24, 3),
    ("haicang", 6, 2, 310, 105),
    ("tongan", 15, 4, 60, 4),
    ("xiangan", 3, 1, 6, 1),
];

const SUBJECTS: &[(&str, &str, &str)] = &[
    ("老旧小区加装电梯", "elderly_care", "区建设局"),
    ("背街小巷停车难", "traffic", "区交通运输局"),
    ("农贸市场周边环境整治", "environment", "区市政园林局"),
    ("社区居家养老服务站运营", "elderly_care", "区民政局"),
    ("学校周边交通安全", "traffic", "交警大队"),
    ("小区物业管理纠纷", "property_management", "区住房和建设局"),
    ("夜市噪音扰民", "environment", "区城市管理局"),
    ("社区卫生服务中心就医排队", "health", "区卫生健康局"),
    ("老城区排水防涝", "public_safety", "区应急管理局"),
    ("外来务工子女入学", "education", "区教育局"),
    ("台胞来厦就业创业服务", "cross_strait", "区台港澳办"),
    ("小微企业融资难", "economy", "区工信局"),
];

const ORIGINS: [&str; 3] = ["assigned", "public", "member_chosen"];

pub async fn load(api: &Api, demo: &Demo) -> anyhow::Result<()> {
    for (district, solved, open, receptions, cases) in LINES {
        let rooms: Vec<&WorkroomRef> = demo.rooms(district).collect();
        topics(api, district, &rooms, solved, open).await?;
        reception_line(api, district, &rooms, receptions).await?;
        mediation(api, district, &rooms, cases).await?;
    }
    Ok(())
}

fn topic_body(
    district: &str,
    room: &WorkroomRef,
    title: &str,
    i: usize,
    subject: &(&str, &str, &str),
) -> Value {
    let origin = ORIGINS[i % 3];
    let mut body = json!({
        "title": title,
        "description": format!("{}：居民反映较多，希望委员牵头协商解决。", subject.0),
        "district": district, "subdistrict": room.subdistrict, "category": subject.1,
        "origin": origin, "workroom": room.id,
    });
    match origin {
        "public" => {
            body["contact"] = json!({"name": "居民代表", "phone": format!("1380000{:04}", i)});
        }
        "member_chosen" => body["proposer_member"] = json!(room.members[0]),
        _ => {}
    }
    body
}

async fn topics(
    api: &Api,
    district: &str,
    rooms: &[&WorkroomRef],
    solved: usize,
    open: usize,
) -> anyhow::Result<()> {
    let have = by_key(
        api.all(&format!("/api/v1/topics?district={district}"))
            .await?,
        "title",
    );
    let consultations = by_key(
        api.all(&format!("/api/v1/consultations?district={district}"))
            .await?,
        "title",
    );
    for i in 0..solved + open {
        let mut rng = Rng::item("topic", district, i);
        let room = rooms[(i * 7) % rooms.len()];
        let subject = &SUBJECTS[(i + rng.below(3)) % SUBJECTS.len()];
        let title = format!(
            "{}{}（{}）",
            crate::demo::subdistrict_name(room.subdistrict),
            subject.0,
            i + 1
        );
        let topic = match have.get(&title) {
            Some(t) => t.clone(),
            None => {
                api.post(
                    "/api/v1/topics",
                    &topic_body(district, room, &title, i, subject),
                    &format!("demo:topic:{district}:{i}"),
                )
                .await?
            }
        };
        let tid = id(&topic);
        let path = format!("/api/v1/topics/{tid}");
        let status = topic["status"].as_str().unwrap_or("open").to_string();
        if i >= solved {
            continue; // left open for the walk-through
        }
        if status == "open" {
            api.post(
                &format!("{path}/transitions"),
                &json!({"action": "claim", "workroom": room.id, "members": &room.members[..room.members.len().min(3)]}),
                &format!("demo:{path}:claim"),
            )
            .await?;
        }
        // One micro-consultation per solved topic.
        let ctitle = format!("{}微协商会", title);
        let residents = 8 + rng.below(20) as i64;
        let held = 20 + (i as u64 * 11) % 300;
        let consultation = match consultations.get(&ctitle) {
            Some(c) => c.clone(),
            None => {
                api.post(
                    "/api/v1/consultations",
                    &json!({"title": ctitle, "district": district, "topics": [tid],
                            "scheduled_on": date_ago(held), "place": format!("{}议事厅", room.name),
                            "format": "on_site", "host": room.name, "workroom": room.id,
                            "members": &room.members[..room.members.len().min(3)],
                            "residents_count": residents,
                            "resident_names": ["居民甲", "居民乙"],
                            "grassroots_units": [format!("{}社区居委会", crate::demo::subdistrict_name(room.subdistrict))],
                            "departments": [subject.2]}),
                    &format!("demo:consultation:{district}:{i}"),
                )
                .await?
            }
        };
        let cpath = format!("/api/v1/consultations/{}", id(&consultation));
        api.advance(
            &cpath,
            consultation["status"].as_str().unwrap_or("planned"),
            &[
                ("held", json!({"action": "hold", "date": date_ago(held), "minutes": "居民、基层单位、职能部门共商",
                                "opinions": [{"text": format!("{}的解决办法", subject.0), "responsible_body": subject.2}]})),
                ("submitted", json!({"action": "submit", "date": date_ago(held),
                                     "recipients": [{"body": "government", "due_on": date_ago(held.saturating_sub(15))}],
                                     "copies": [{"name": subject.2}]})),
                ("following_up", json!({"action": "follow_up"})),
                ("implemented", json!({"action": "implement", "date": date_ago(held.saturating_sub(10)), "note": "已落实"})),
            ],
        )
        .await?;
        let now = api.get(&path).await?;
        if now["status"] == "consulted" {
            api.post(
                &format!("{path}/transitions"),
                &json!({"action": "resolve", "note": "问题已解决"}),
                &format!("demo:{path}:resolve"),
            )
            .await?;
        }
    }
    Ok(())
}

const CHANNELS: [&str; 4] = ["visit", "mailbox", "hotline", "wechat"];

async fn reception_line(
    api: &Api,
    district: &str,
    rooms: &[&WorkroomRef],
    n: usize,
) -> anyhow::Result<()> {
    let have = by_key(
        api.all(&format!("/api/v1/receptions?district={district}"))
            .await?,
        "concern",
    );
    for i in 0..n {
        let mut rng = Rng::item("reception", district, i);
        // Haicang's legal consultations happen at its mediation room (its first studio).
        let room = if district == "haicang" {
            rooms[0]
        } else {
            rooms[i % rooms.len()]
        };
        let (category, concern) = if district == "haicang" {
            ("legal_consultation", "劳动合同与工伤赔偿法律咨询")
        } else {
            *rng.pick(&[
                ("livelihood", "小区路灯损坏"),
                ("policy", "医保异地结算政策咨询"),
                ("suggestion", "建议增设公交站点"),
                ("dispute", "邻里漏水纠纷"),
            ])
        };
        let concern = format!("{concern}（演示 {district}-{i}）");
        if have.contains_key(&concern) {
            continue;
        }
        api.post(
            "/api/v1/receptions",
            &json!({"workroom": room.id, "date": date_ago(1 + (i as u64 * 13) % 330),
                    "members": [room.members[i % room.members.len()]],
                    "channel": CHANNELS[i % 4], "category": category, "concern": concern,
                    "visitor": {"name": "来访居民"}, "handling": "answered"}),
            &format!("demo:reception:{district}:{i}"),
        )
        .await?;
    }
    Ok(())
}

async fn mediation(
    api: &Api,
    district: &str,
    rooms: &[&WorkroomRef],
    n: usize,
) -> anyhow::Result<()> {
    let have = by_key(
        api.all(&format!("/api/v1/mediation-cases?district={district}"))
            .await?,
        "summary",
    );
    let kinds = [
        "labour",
        "neighbour",
        "contract",
        "family",
        "consumer",
        "work_injury",
    ];
    for i in 0..n {
        let mut rng = Rng::item("mediation", district, i);
        let room = rooms[0];
        let kind = if i == 0 {
            "work_injury"
        } else {
            kinds[rng.below(kinds.len())]
        };
        let summary = if i == 0 {
            "外地务工人员工伤赔偿纠纷，5天内达成调解协议（演示 0）".to_string()
        } else {
            format!("{}纠纷调解（演示 {district}-{i}）", kind)
        };
        let received = 10 + (i as u64 * 3) % 320;
        let case = match have.get(&summary) {
            Some(c) => c.clone(),
            None => {
                api.post(
                    "/api/v1/mediation-cases",
                    &json!({"district": district, "dispute_type": kind, "summary": summary,
                            "parties": [{"name": "申请人", "role": "applicant"}, {"name": "被申请人", "role": "respondent"}],
                            "mediators": &room.members[..room.members.len().min(2)],
                            "received_on": date_ago(received), "workroom": room.id}),
                    &format!("demo:mediation:{district}:{i}"),
                )
                .await?
            }
        };
        let days = if i == 0 { 5 } else { 2 + (i as u64 % 9) };
        let last = if i % 10 == 9 {
            (
                "failed",
                json!({"action": "fail", "date": date_ago(received - days), "note": "双方分歧过大"}),
            )
        } else {
            (
                "agreement_signed",
                json!({"action": "sign_agreement", "date": date_ago(received - days), "summary": "双方签订调解协议"}),
            )
        };
        api.advance(
            &format!("/api/v1/mediation-cases/{}", id(&case)),
            case["status"].as_str().unwrap_or("received"),
            &[
                (
                    "in_mediation",
                    json!({"action": "start", "date": date_ago(received - 1)}),
                ),
                last,
            ],
        )
        .await?;
    }
    Ok(())
}
