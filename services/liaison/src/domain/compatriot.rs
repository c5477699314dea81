//! Compatriots (台胞): where they come from, and who sees their personal data.

use crate::domain::access::COMPATRIOTS;
use xs_kit::audit::Disclosures;
use xs_kit::{Caller, Role};

xs_kit::text_enum! {
    /// Where in Taiwan a compatriot comes from: a county or city, or Kinmen / Matsu.
    pub enum Origin {
        Taipei = "taipei",
        NewTaipei = "new_taipei",
        Taoyuan = "taoyuan",
        Taichung = "taichung",
        Tainan = "tainan",
        Kaohsiung = "kaohsiung",
        Keelung = "keelung",
        HsinchuCity = "hsinchu_city",
        HsinchuCounty = "hsinchu_county",
        Miaoli = "miaoli",
        Changhua = "changhua",
        Nantou = "nantou",
        Yunlin = "yunlin",
        ChiayiCity = "chiayi_city",
        ChiayiCounty = "chiayi_county",
        Pingtung = "pingtung",
        Yilan = "yilan",
        Hualien = "hualien",
        Taitung = "taitung",
        Penghu = "penghu",
        /// 金门
        Kinmen = "kinmen",
        /// 马祖 (Lienchiang)
        Matsu = "matsu",
    }
}

/// The audit's name for a compatriot as the subject of a personal-data read.
pub const AUDIT_SUBJECT: &str = "compatriot";

/// Is the caller the resident who registered this compatriot record themself?
pub fn is_self(caller: &Caller, account_sub: Option<&str>) -> bool {
    caller.has(Role::Resident) && account_sub == Some(caller.sub.as_str())
}

/// Does this caller register as a compatriot themself (a resident), rather than for others
/// (the office)?
pub fn registers_self(caller: &Caller) -> bool {
    !caller.has_any(COMPATRIOTS.writers) && caller.has(Role::Resident)
}

/// A resident reads the register only as their own record.
pub fn reads_own_only(caller: &Caller) -> bool {
    COMPATRIOTS.read_scope(caller).is_err() && caller.has(Role::Resident)
}

/// Contact and document number whole: admins and the office staff of the compatriot's
/// district, and the compatriot themself.
pub fn may_see_personal(caller: &Caller, district: &str, account_sub: Option<&str>) -> bool {
    is_self(caller, account_sub) || COMPATRIOTS.may_read_personal(caller, district, None)
}

/// Note a compatriot's personal fields served whole to someone other than the compatriot.
pub fn note_personal(
    seen: &mut Disclosures,
    caller: &Caller,
    id: &str,
    account_sub: Option<&str>,
    contact: Option<&str>,
    id_number: Option<&str>,
    masked: bool,
) {
    if masked || is_self(caller, account_sub) {
        return;
    }
    let fields: Vec<&str> = [("contact", contact), ("id_number", id_number)]
        .into_iter()
        .filter(|(_, v)| v.is_some())
        .map(|(f, _)| f)
        .collect();
    if !fields.is_empty() {
        seen.note(AUDIT_SUBJECT, id, &fields);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(sub: &str, roles: &[Role], district: Option<&str>) -> Caller {
        Caller {
            sub: sub.into(),
            roles: roles.to_vec(),
            district: district.map(Into::into),
            member_id: None,
            token_id: "t".into(),
        }
    }

    #[test]
    fn who_sees_personal_fields() {
        let me = caller("r1", &[Role::Resident], Some("huli"));
        assert!(may_see_personal(&me, "huli", Some("r1")));
        assert!(!may_see_personal(&me, "huli", Some("r2")));
        assert!(!may_see_personal(&me, "huli", None));
        let staff = caller("s", &[Role::OfficeStaff], Some("huli"));
        assert!(may_see_personal(&staff, "huli", None));
        assert!(!may_see_personal(&staff, "siming", None));
    }

    #[test]
    fn only_whole_fields_shown_to_others_are_audited() {
        let staff = caller("s", &[Role::OfficeStaff], Some("huli"));
        let me = caller("r1", &[Role::Resident], Some("huli"));
        let mut seen = Disclosures::new();
        note_personal(&mut seen, &staff, "c1", None, Some("1"), None, false);
        note_personal(&mut seen, &staff, "c2", None, Some("1"), Some("A1"), true);
        note_personal(&mut seen, &me, "c3", Some("r1"), Some("1"), None, false);
        note_personal(&mut seen, &staff, "c4", None, None, None, false);
        let got: Vec<(String, Vec<String>)> = seen
            .iter()
            .map(|d| (d.subject_id.clone(), d.fields.clone()))
            .collect();
        assert_eq!(got, [("c1".to_string(), vec!["contact".to_string()])]);
    }
}
