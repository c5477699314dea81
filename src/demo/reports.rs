//! Social-situation reports: written by members, submitted, reviewed, accepted, forwarded
//! upward and adopted (Tong'an's "through train" to departments, Huli's provincial adoption),
//! some returned or rejected.

use super::api::{Api, by_key, id};
use super::rng::Rng;
use super::{Demo, date_ago};
use serde_json::{Value, json};

/// Per district: reports written, and how many of them are adopted.
const LINES: [(&str, usize, usize); 6] = [
    ("siming", 30, 12),
    ("huli", 20, 8),
    ("jimei", 15, 6),
    ("haicang", 10, 4),
    ("tongan", 36, 18),
    ("xiangan", 6, 2),
];

const SUBJECTS: &[(&str, &str)] = &[
    ("关于优化老旧小区改造资金使用的建议", "livelihood"),
    ("关于加强台胞台企惠台政策落地的建议", "cross_strait"),
    ("关于缓解学校周边交通拥堵的建议", "governance"),
    ("关于完善社区养老服务体系的建议", "livelihood"),
    ("关于支持小微企业稳岗扩岗的建议", "economy"),
    ("关于加强近岸海域环境保护的建议", "environment"),
    ("关于推进基层医疗资源下沉的建议", "health"),
    ("关于规范校外培训机构管理的建议", "education"),
    ("关于化解劳动争议多元调解的建议", "law"),
];

const CHANNELS: [&str; 5] = [
    "member_research",
    "reception",
    "mailbox",
    "hotline",
    "wechat",
];

pub async fn load(api: &Api, demo: &Demo) -> anyhow::Result<()> {
    for (district, n, adopted) in LINES {
        let members = &demo.members[district];
        let have = by_key(
            api.all(&format!("/api/v1/reports?district={district}"))
                .await?,
            "title",
        );
        for i in 0..n {
            let subject =
                SUBJECTS[(i + Rng::item("report", district, i).below(4)) % SUBJECTS.len()];
            let title = format!(
                "{}（{}-{}）",
                subject.0,
                super::reference::district(district).name,
                i + 1
            );
            let report = match have.get(&title) {
                Some(r) => r.clone(),
                None => {
                    let channel = if district == "tongan" && i % 2 == 0 {
                        "liaison_group"
                    } else {
                        CHANNELS[i % CHANNELS.len()]
                    };
                    api.post(
                        "/api/v1/reports",
                        &json!({"title": title, "category": subject.1, "district": district,
                                "body": format!("{}。委员在履职中了解到群众反映集中，提出具体建议。", subject.0),
                                "source_channel": channel,
                                "authors": [members[(i * 5) % members.len()]]}),
                        &format!("demo:report:{district}:{i}"),
                    )
                    .await?
                }
            };
            let path = format!("/api/v1/reports/{}", id(&report));
            let status = report["status"].as_str().unwrap_or("draft");
            api.advance(&path, status, &steps(district, i, adopted))
                .await?;
        }
    }
    Ok(())
}

/// The first `adopted` reports are adopted (Tong'an's by departments, one of Huli's by the
/// provincial committee); of the rest every third is rejected, the others stay accepted.
fn steps(district: &str, i: usize, adopted: usize) -> Vec<(&'static str, Value)> {
    let mut steps = vec![
        ("submitted", json!({"action": "submit"})),
        ("under_review", json!({"action": "start_review"})),
    ];
    if i < adopted {
        let (target, adoption) = match (district, i) {
            ("huli", 0) => (
                json!({"level": "provincial"}),
                json!({"level": "provincial", "date": date_ago(0)}),
            ),
            ("tongan", _) => (
                json!({"level": "department", "department": "区住房和建设局"}),
                json!({"level": "department", "department": "区住房和建设局", "date": date_ago(0)}),
            ),
            (_, i) if i % 3 == 0 => (
                json!({"level": "provincial"}),
                json!({"level": "provincial", "date": date_ago(0)}),
            ),
            _ => (
                json!({"level": "municipal"}),
                json!({"level": "municipal", "date": date_ago(0)}),
            ),
        };
        steps.push(("accepted", json!({"action": "accept"})));
        steps.push((
            "forwarded",
            json!({"action": "forward", "targets": [target]}),
        ));
        steps.push(("adopted", json!({"action": "adopt", "adoption": adoption})));
    } else if i.is_multiple_of(3) {
        steps.push((
            "rejected",
            json!({"action": "reject", "reason": "与已报送信息重复"}),
        ));
    } else {
        steps.push(("accepted", json!({"action": "accept"})));
    }
    steps
}
