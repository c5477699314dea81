//! Districts, their real subdistricts and towns, and sectors: the reference data every other
//! area names by code.

use super::api::{Api, by_key};
use serde_json::json;

/// A district: code, name, the centre of its workrooms' coordinates, and its subdistricts
/// (code, name, true for a town).
pub struct District {
    pub code: &'static str,
    pub name: &'static str,
    pub centre: (f64, f64),
    pub subdistricts: &'static [(&'static str, &'static str, bool)],
}

pub const DISTRICTS: [District; 6] = [
    District {
        code: "siming",
        name: "思明区",
        centre: (24.47, 118.10),
        subdistricts: &[
            ("zhonghua", "中华街道", false),
            ("xiagang", "厦港街道", false),
            ("binhai", "滨海街道", false),
            ("lujiang", "鹭江街道", false),
            ("kaiyuan", "开元街道", false),
            ("wucun", "梧村街道", false),
            ("yundang", "筼筜街道", false),
            ("lianqian", "莲前街道", false),
            ("jialian", "嘉莲街道", false),
            ("gulangyu", "鼓浪屿街道", false),
        ],
    },
    District {
        code: "huli",
        name: "湖里区",
        centre: (24.51, 118.13),
        subdistricts: &[
            ("huli", "湖里街道", false),
            ("dianqian", "殿前街道", false),
            ("heshan", "禾山街道", false),
            ("jiangtou", "江头街道", false),
            ("jinshan", "金山街道", false),
        ],
    },
    District {
        code: "jimei",
        name: "集美区",
        centre: (24.58, 118.10),
        subdistricts: &[
            ("jimei", "集美街道", false),
            ("qiaoying", "侨英街道", false),
            ("xinglin", "杏林街道", false),
            ("xingbin", "杏滨街道", false),
            ("guankou", "灌口镇", true),
            ("houxi", "后溪镇", true),
        ],
    },
    District {
        code: "haicang",
        name: "海沧区",
        centre: (24.48, 118.03),
        subdistricts: &[
            ("haicang", "海沧街道", false),
            ("xinyang", "新阳街道", false),
            ("songyu", "嵩屿街道", false),
            ("dongfu", "东孚街道", false),
        ],
    },
    District {
        code: "tongan",
        name: "同安区",
        centre: (24.72, 118.15),
        subdistricts: &[
            ("datong", "大同街道", false),
            ("xiangping", "祥平街道", false),
            ("xike", "西柯街道", false),
            ("xinmin", "新民街道", false),
            ("wuxian", "五显镇", true),
            ("lianhua", "莲花镇", true),
            ("hongtang", "洪塘镇", true),
            ("tingxi", "汀溪镇", true),
        ],
    },
    District {
        code: "xiangan",
        name: "翔安区",
        centre: (24.62, 118.25),
        subdistricts: &[
            ("dadeng", "大嶝街道", false),
            ("jinhai", "金海街道", false),
            ("fengxiang", "凤翔街道", false),
            ("xindian", "新店街道", false),
            ("maxiang", "马巷街道", false),
            ("neicuo", "内厝镇", true),
            ("xinxu", "新圩镇", true),
        ],
    },
];

pub const SECTORS: [(&str, &str); 8] = [
    ("economy", "经济界"),
    ("education", "教育界"),
    ("health", "医药卫生界"),
    ("law", "社会福利和社会保障界"),
    ("science", "科学技术界"),
    ("culture", "文化艺术界"),
    ("taiwan", "台联"),
    ("agriculture", "农业界"),
];

pub fn district(code: &str) -> &'static District {
    DISTRICTS
        .iter()
        .find(|d| d.code == code)
        .unwrap_or(&DISTRICTS[0])
}

pub async fn load(api: &Api) -> anyhow::Result<()> {
    let have = by_key(api.all("/api/v1/districts").await?, "code");
    for d in &DISTRICTS {
        if !have.contains_key(d.code) {
            api.post(
                "/api/v1/districts",
                &json!({"code": d.code, "name": d.name}),
                &format!("demo:district:{}", d.code),
            )
            .await?;
        }
    }
    let have = by_key(api.all("/api/v1/subdistricts").await?, "code");
    for d in &DISTRICTS {
        for (code, name, town) in d.subdistricts {
            if !have.contains_key(*code) {
                api.post(
                    "/api/v1/subdistricts",
                    &json!({"code": code, "district": d.code, "name": name,
                            "kind": if *town { "town" } else { "subdistrict" }}),
                    &format!("demo:subdistrict:{code}"),
                )
                .await?;
            }
        }
    }
    let have = by_key(api.all("/api/v1/sectors").await?, "code");
    for (code, name) in SECTORS {
        if !have.contains_key(code) {
            api.post(
                "/api/v1/sectors",
                &json!({"code": code, "name": name}),
                &format!("demo:sector:{code}"),
            )
            .await?;
        }
    }
    Ok(())
}
