//! `xieshang serve --demo`: a synthetic dataset modelled on the five stories of the source
//! document, loaded through the gateway's public API like any client would, so every rule,
//! event and outbox applies.
//!
//! - Idempotent: each area lists what exists and creates only what is missing, by natural key
//!   (a district's code, a member's or workroom's name, a topic's title, a username); every
//!   POST also carries a stable `Idempotency-Key`. Lifecycles continue from the status found,
//!   so a load killed mid-way completes on the next run, and a second load adds nothing.
//! - Deterministic: a seeded PRNG ([`rng::Rng`]); dates are days before today (the platform's
//!   local date), fixed within a run.
//! - Figures of the source document's order: Siming 66 studios in 10 subdistricts and 295
//!   members, 23 problems solved, 85 warmth deliveries helping about 2,500 people; Tong'an 11
//!   liaison groups, 3 studios, 227 members, 15 problems solved; Haicang 100+ mediations and
//!   300+ legal consultations; Huli's liaison point with 9 rotating members, 100+ suggestions;
//!   reports adopted at every level.

mod accounts;
pub mod api;
mod consultation;
mod liaison;
mod membership;
pub mod reference;
mod reports;
mod rng;

use std::collections::HashMap;

/// A workroom the later areas refer to.
pub struct WorkroomRef {
    pub id: String,
    pub district: &'static str,
    pub subdistrict: &'static str,
    pub kind: &'static str,
    pub name: String,
    pub members: Vec<String>,
}

/// What the load found or made, shared between areas.
#[derive(Default)]
pub struct Demo {
    pub workrooms: Vec<WorkroomRef>,
    /// Member ids per district, in a stable order.
    pub members: HashMap<&'static str, Vec<String>>,
}

impl Demo {
    pub fn rooms<'a>(&'a self, district: &'a str) -> impl Iterator<Item = &'a WorkroomRef> + 'a {
        self.workrooms
            .iter()
            .filter(move |w| w.district == district)
    }
}

/// A demo account, printed at the end of the load.
pub struct Account {
    pub username: String,
    pub password: String,
    pub roles: &'static str,
    pub district: Option<&'static str>,
}

/// What a load reports.
pub struct Loaded {
    pub accounts: Vec<Account>,
    pub calls: usize,
    pub workrooms: usize,
    pub members: usize,
}

/// Load (or complete) the demo through the gateway at `base`, as `admin`.
pub async fn load(base: &str, admin_password: &str) -> anyhow::Result<Loaded> {
    let api = api::Api::sign_in(base, "admin", admin_password).await?;
    let mut demo = Demo::default();
    tracing::info!("demo: reference data");
    reference::load(&api).await?;
    tracing::info!("demo: members and workrooms");
    membership::load(&api, &mut demo).await?;
    tracing::info!("demo: accounts");
    let accounts = accounts::load(&api, &demo).await?;
    tracing::info!("demo: activities");
    membership::activities(&api, &demo).await?;
    tracing::info!("demo: topics, consultations, receptions, mediation");
    consultation::load(&api, &demo).await?;
    tracing::info!("demo: reports");
    reports::load(&api, &demo).await?;
    tracing::info!("demo: liaison");
    liaison::load(&api, &demo).await?;
    Ok(Loaded {
        accounts,
        calls: api.calls.load(std::sync::atomic::Ordering::Relaxed),
        workrooms: demo.workrooms.len(),
        members: demo.members.values().map(Vec::len).sum(),
    })
}

/// The platform's local date, `n` days ago.
pub fn date_ago(n: u64) -> String {
    (xs_kit::localtime::today() - chrono::Days::new(n)).to_string()
}

/// The platform's local date, `n` days ahead.
pub fn date_ahead(n: u64) -> String {
    (xs_kit::localtime::today() + chrono::Days::new(n)).to_string()
}

/// The current year (local time).
pub fn year() -> i32 {
    use chrono::Datelike;
    xs_kit::localtime::today().year()
}

/// A subdistrict's Chinese name by code.
pub fn subdistrict_name(code: &str) -> &'static str {
    reference::DISTRICTS
        .iter()
        .flat_map(|d| d.subdistricts.iter())
        .find(|(c, _, _)| *c == code)
        .map_or("", |(_, name, _)| name)
}
