//! Members, workrooms (applied → inspected → approved → plaque awarded), who serves where,
//! Jimei's annual plans, and duty rotas around today.

use super::api::{Api, by_key, id};
use super::reference::{SECTORS, district};
use super::rng::Rng;
use super::{Demo, WorkroomRef, date_ago, date_ahead};
use serde_json::{Value, json};
use std::collections::HashSet;

const SURNAMES: &[&str] = &[
    "陈", "林", "黄", "张", "李", "王", "吴", "刘", "蔡", "杨", "郑", "许", "谢", "洪", "郭", "邱",
    "曾", "廖", "赖", "周", "叶", "苏", "庄", "吕", "江", "何", "萧", "罗", "高", "潘", "简", "朱",
];
const GIVEN: &[&str] = &[
    "志", "明", "丽", "华", "建", "国", "伟", "芳", "文", "秀", "海", "峰", "玉", "梅", "俊", "杰",
    "晓", "燕", "宏", "斌", "静", "婷", "鸿", "鹭", "嘉", "欣", "德", "清", "思", "源", "宁", "涛",
];
const SPECIALTIES: &[&str] = &[
    "法律",
    "医疗",
    "教育",
    "规划",
    "物业",
    "养老",
    "心理咨询",
    "财税",
    "环保",
    "交通",
    "文化",
    "社区治理",
];
const AFFILIATIONS: &[&str] = &[
    "无党派",
    "民革",
    "民盟",
    "民建",
    "民进",
    "农工党",
    "致公党",
    "台盟",
];

/// How many members each district has, and its workrooms: kind, name, subdistrict, members.
pub struct Plan {
    pub district: &'static str,
    pub members: usize,
    pub workrooms: Vec<(&'static str, String, &'static str)>,
}

/// The five stories' workrooms (and a few in Xiang'an).
pub fn plans() -> Vec<Plan> {
    let sm = district("siming");
    // 66 studios in 10 subdistricts: 7 in the first six, 6 in the last four.
    let mut siming = Vec::new();
    for (i, (code, name, _)) in sm.subdistricts.iter().enumerate() {
        let n = if i < 6 { 7 } else { 6 };
        for k in 1..=n {
            let short = name.trim_end_matches("街道");
            siming.push((
                "haoshangliang_studio",
                format!("{short}好商量工作室{k}"),
                *code,
            ));
        }
    }
    let ta = district("tongan");
    let mut tongan = Vec::new();
    for k in 0..11 {
        let (code, name, _) = ta.subdistricts[k % ta.subdistricts.len()];
        let short = name.trim_end_matches("街道").trim_end_matches('镇');
        let n = 1 + k / ta.subdistricts.len();
        tongan.push(("liaison_group", format!("{short}委员联络组{n}"), code));
    }
    for (k, code) in ["datong", "xiangping", "wuxian"].iter().enumerate() {
        tongan.push(("member_studio", format!("同安委员工作室{}", k + 1), *code));
    }
    let jimei = district("jimei")
        .subdistricts
        .iter()
        .map(|(code, name, _)| ("activity_room", format!("{name}委员活动室"), *code))
        .collect();
    let haicang = vec![
        (
            "member_studio",
            "“政协+调解”委员工作室".to_string(),
            "haicang",
        ),
        ("member_studio", "新阳委员工作室".to_string(), "xinyang"),
        ("member_studio", "嵩屿委员工作室".to_string(), "songyu"),
        ("member_studio", "东孚委员工作室".to_string(), "dongfu"),
        ("member_studio", "海沧湾委员工作室".to_string(), "haicang"),
        (
            "member_studio",
            "台商投资区委员工作室".to_string(),
            "xinyang",
        ),
        ("member_studio", "海沧企业委员工作室".to_string(), "songyu"),
    ];
    let huli = vec![
        (
            "taiwan_liaison_point",
            "湖里台籍委员联系点".to_string(),
            "jiangtou",
        ),
        ("member_studio", "殿前委员工作室".to_string(), "dianqian"),
        ("member_studio", "禾山委员工作室".to_string(), "heshan"),
        ("member_studio", "金山委员工作室".to_string(), "jinshan"),
    ];
    let xiangan = vec![
        ("member_studio", "马巷委员工作室".to_string(), "maxiang"),
        ("member_studio", "新店委员工作室".to_string(), "xindian"),
        ("member_studio", "大嶝委员工作室".to_string(), "dadeng"),
    ];
    vec![
        Plan {
            district: "siming",
            members: 295,
            workrooms: siming,
        },
        Plan {
            district: "huli",
            members: 45,
            workrooms: huli,
        },
        Plan {
            district: "jimei",
            members: 48,
            workrooms: jimei,
        },
        Plan {
            district: "haicang",
            members: 42,
            workrooms: haicang,
        },
        Plan {
            district: "tongan",
            members: 227,
            workrooms: tongan,
        },
        Plan {
            district: "xiangan",
            members: 24,
            workrooms: xiangan,
        },
    ]
}

/// Invented names, unique across the demo (the natural key of a member in their district).
fn names(rng: &mut Rng, n: usize, taken: &mut HashSet<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let mut name = rng.pick(SURNAMES).to_string();
        name.push_str(GIVEN[rng.below(GIVEN.len())]);
        if rng.chance(70) {
            name.push_str(GIVEN[rng.below(GIVEN.len())]);
        }
        if taken.insert(name.clone()) {
            out.push(name);
        }
    }
    out
}

/// Two different specialties.
fn two_specialties(rng: &mut Rng) -> [&'static str; 2] {
    let a = rng.below(SPECIALTIES.len());
    let b = (a + 1 + rng.below(SPECIALTIES.len() - 1)) % SPECIALTIES.len();
    [SPECIALTIES[a], SPECIALTIES[b]]
}

fn essentials() -> Value {
    let met = json!({"met": true});
    json!({"venue": met, "team": met, "rules": met, "signage": met, "duty_list": met, "funding": met})
}

pub async fn load(api: &Api, demo: &mut Demo) -> anyhow::Result<()> {
    let mut rng = Rng::new(0x5845_4d42);
    let mut taken = HashSet::new();
    for plan in plans() {
        let d = district(plan.district);
        // Members: by name; Huli's first 12 are of Taiwan origin.
        let have = by_key(
            api.all(&format!("/api/v1/members?district={}", d.code))
                .await?,
            "name",
        );
        let mut members = Vec::new();
        let all_names = names(&mut rng, plan.members, &mut taken);
        // Which workroom each member serves in: by where they live, round-robin.
        // Huli's liaison point (its first workroom) is staffed by 9 rotating members.
        let per_room: Vec<usize> = (0..plan.members)
            .map(|i| match d.code {
                "huli" if i < 9 => 0,
                "huli" => 1 + (i - 9) % (plan.workrooms.len() - 1),
                _ => i % plan.workrooms.len(),
            })
            .collect();
        for (i, name) in all_names.iter().enumerate() {
            let room = &plan.workrooms[per_room[i]];
            let taiwan = d.code == "huli" && i < 12;
            let body = json!({
                "name": name,
                "gender": if rng.chance(45) { "female" } else { "male" },
                "district": d.code,
                "phone": format!("139{:08}", rng.next_u64() % 100_000_000),
                "birth_year": 1958 + rng.below(36) as i64,
                "residence_subdistrict": room.2,
                "workplace_subdistrict": rng.pick(d.subdistricts).0,
                "sector": if taiwan { "taiwan" } else { rng.pick(&SECTORS).0 },
                "affiliation": if taiwan { "台盟" } else { *rng.pick(AFFILIATIONS) },
                "specialties": two_specialties(&mut rng),
                "taiwan_origin": taiwan,
                "term": "第十四届",
            });
            let member = match have.get(name) {
                Some(m) => m.clone(),
                None => {
                    api.post(
                        "/api/v1/members",
                        &body,
                        &format!("demo:member:{}:{i}", d.code),
                    )
                    .await?
                }
            };
            members.push(id(&member));
        }
        // Workrooms: by name, then through their lifecycle to active.
        let have = by_key(
            api.all(&format!("/api/v1/workrooms?district={}", d.code))
                .await?,
            "name",
        );
        for (w, (kind, name, sub)) in plan.workrooms.iter().enumerate() {
            let every_day = *kind == "taiwan_liaison_point";
            let days: Vec<&str> = if every_day {
                vec![
                    "monday",
                    "tuesday",
                    "wednesday",
                    "thursday",
                    "friday",
                    "saturday",
                    "sunday",
                ]
            } else {
                vec!["monday", "tuesday", "wednesday", "thursday", "friday"]
                    .into_iter()
                    .enumerate()
                    .filter(|(k, _)| (k + w) % 2 == 0)
                    .map(|(_, day)| day)
                    .collect()
            };
            let (lat, lon) = d.centre;
            let existing = have.get(name).cloned();
            let room = match &existing {
                Some(r) => r.clone(),
                None => {
                    let body = json!({
                        "name": name, "kind": kind, "district": d.code, "subdistrict": sub,
                        "address": format!("{}{}号", super::subdistrict_name(sub), 10 + w),
                        "latitude": lat + ((w % 9) as f64 - 4.0) * 0.004,
                        "longitude": lon + ((w / 9) as f64 - 3.0) * 0.004,
                        "reception_days": days, "opening_hours": "08:30-17:30",
                        "host_organisation": if *kind == "haoshangliang_studio" {
                            Some(format!("{}党工委", super::subdistrict_name(sub)))
                        } else { None },
                        "essentials": essentials(),
                    });
                    api.post(
                        "/api/v1/workrooms",
                        &body,
                        &format!("demo:workroom:{}:{w}", d.code),
                    )
                    .await?
                }
            };
            let wid = id(&room);
            let path = format!("/api/v1/workrooms/{wid}");
            api.advance(
                &path,
                room["status"].as_str().unwrap_or("applied"),
                &[
                    ("inspected", json!({"action": "inspect", "date": date_ago(0), "inspector": "区政协专委会办公室", "passed": true})),
                    ("approved", json!({"action": "approve", "approved_by": "区政协党组", "date": date_ago(0)})),
                    ("active", json!({"action": "award_plaque", "date": date_ago(0)})),
                ],
            )
            .await?;
            // Who serves here: the first is convener (group leader of a liaison group).
            let serving: Vec<&String> = members
                .iter()
                .zip(&per_room)
                .filter(|(_, r)| **r == w)
                .map(|(m, _)| m)
                .collect();
            let assigned: HashSet<String> = if existing.is_some() {
                api.all(&format!("{path}/members"))
                    .await?
                    .iter()
                    .map(|a| a["member_id"].as_str().unwrap_or_default().to_string())
                    .collect()
            } else {
                HashSet::new()
            };
            for (k, m) in serving.iter().enumerate() {
                if assigned.contains(*m) {
                    continue;
                }
                let role = match (k, *kind) {
                    (0, "liaison_group") => "group_leader",
                    (0, _) => "convener",
                    _ => "member",
                };
                api.post(
                    &format!("{path}/members"),
                    &json!({"member_id": m, "role": role}),
                    &format!("demo:assign:{wid}:{m}"),
                )
                .await?;
            }
            // Duty around today (days already staffed are kept by the rota itself).
            api.post(
                &format!("{path}/duty-rota"),
                &json!({"from": date_ago(14), "to": date_ahead(14), "start": "08:30", "end": "17:30"}),
                &format!("demo:rota:{wid}:{}", date_ago(14)),
            )
            .await?;
            // Jimei's activity rooms: an annual plan with quantified targets.
            if *kind == "activity_room" {
                let year = super::year();
                let plan_path = format!("{path}/plans/{year}");
                if api.get(&plan_path).await.is_err() {
                    api.put(
                        &plan_path,
                        &json!({"targets": {"consultation": 4, "reception": 24, "report_submitted": 6,
                                            "research_visit": 4},
                                "note": "年度履职计划"}),
                    )
                    .await?;
                }
            }
            demo.workrooms.push(WorkroomRef {
                id: wid,
                district: d.code,
                subdistrict: sub,
                kind,
                name: name.clone(),
                members: serving.into_iter().cloned().collect(),
            });
        }
        demo.members.insert(d.code, members);
    }
    Ok(())
}

/// Siming's recorded activities (85 warmth deliveries helping about 2,500 people, 20 lectures,
/// 15 free clinics, 650 volunteer participations) and research visits in Jimei; each record's
/// note is its natural key.
pub async fn activities(api: &Api, demo: &Demo) -> anyhow::Result<()> {
    let lines: [(&str, &str, usize, &str); 5] = [
        ("siming", "warmth_delivery", 85, "送温暖"),
        ("siming", "lecture", 20, "政策宣讲"),
        ("siming", "free_clinic", 15, "义诊"),
        ("siming", "volunteer_service", 650, "志愿服务"),
        ("jimei", "research_visit", 24, "调研走访"),
    ];
    for (district, kind, n, label) in lines {
        let have: HashSet<String> = api
            .all(&format!(
                "/api/v1/activities?district={district}&type={kind}"
            ))
            .await?
            .iter()
            .filter_map(|a| a["note"].as_str().map(str::to_string))
            .collect();
        let rooms: Vec<&WorkroomRef> = demo.rooms(district).collect();
        for i in 0..n {
            let mut rng = Rng::item(kind, district, i);
            let room = rooms[i % rooms.len()];
            let member = &room.members[rng.below(room.members.len())];
            // Only the warmth deliveries count people helped (about 2,500 in the source).
            let helped = 20 + rng.below(19) as i64;
            let beneficiaries = if kind == "warmth_delivery" { helped } else { 0 };
            let ago = 5 + rng.below(330) as u64;
            let note = format!("{}{label}活动（演示 {district}-{kind}-{i}）", room.name);
            if have.contains(&note) {
                continue;
            }
            api.post(
                "/api/v1/activities",
                &json!({"member": member, "type": kind, "date": date_ago(ago),
                        "workroom": room.id, "beneficiaries": beneficiaries, "note": note}),
                &format!("demo:activity:{district}:{kind}:{i}"),
            )
            .await?;
        }
    }
    Ok(())
}
