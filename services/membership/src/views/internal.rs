//! What other services see of members and workrooms when they check a reference. The shapes
//! are the kit's contracts (`xs_kit::contracts`), so a caller needs only the kit.

use crate::models::member::MemberRow;
use crate::models::workroom::WorkroomRow;
pub use xs_kit::contracts::{MemberRef, WorkroomRef};

pub fn member_ref(r: MemberRow) -> MemberRef {
    MemberRef {
        id: r.id,
        name: r.name,
        district: r.district_code,
        status: r.status,
        taiwan_origin: r.taiwan_origin,
        sector: r.sector_code,
    }
}

pub fn workroom_ref(r: WorkroomRow) -> WorkroomRef {
    WorkroomRef {
        id: r.id,
        name: r.name,
        district: r.district_code,
        subdistrict: r.subdistrict_code,
        kind: r.kind,
        status: r.status,
    }
}
