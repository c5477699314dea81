//! One demo account for each role: office staff per district, a coordinator, a member (linked
//! to a Siming member), a resident, an integrator and a dashboard.

use super::api::{Api, by_key};
use super::reference::DISTRICTS;
use super::{Account, Demo};
use serde_json::json;

/// The demo password of a demo account: printed, for trying the demo only.
fn password(username: &str) -> String {
    format!("demo-{username}-2026")
}

pub async fn load(api: &Api, demo: &Demo) -> anyhow::Result<Vec<Account>> {
    let mut wanted: Vec<(String, &'static str, Option<&'static str>, Option<String>)> = Vec::new();
    for d in &DISTRICTS {
        wanted.push((
            format!("staff-{}", d.code),
            "office_staff",
            Some(d.code),
            None,
        ));
    }
    wanted.push((
        "coordinator-siming".into(),
        "coordinator",
        Some("siming"),
        None,
    ));
    let member = demo.members.get("siming").and_then(|m| m.first()).cloned();
    wanted.push(("member-siming".into(), "member", Some("siming"), member));
    wanted.push(("resident".into(), "resident", None, None));
    wanted.push(("integrator".into(), "integrator", None, None));
    wanted.push(("dashboard".into(), "dashboard", None, None));
    let have = by_key(api.all("/api/v1/accounts").await?, "username");
    let mut out = Vec::new();
    for (username, role, district, member_id) in wanted {
        if !have.contains_key(&username) {
            api.post(
                "/api/v1/accounts",
                &json!({"username": username, "password": password(&username), "roles": [role],
                        "district": district, "member_id": member_id,
                        "display_name": format!("演示账号 {username}")}),
                &format!("demo:account:{username}"),
            )
            .await?;
        }
        out.push(Account {
            password: password(&username),
            username,
            roles: role,
            district,
        });
    }
    Ok(out)
}
