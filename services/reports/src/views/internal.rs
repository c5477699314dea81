//! What other services see of a report. The shapes are the kit's contracts
//! (`xs_kit::contracts`), so a caller needs only the kit.

use crate::models::report::ReportRow;
pub use xs_kit::contracts::{DraftReportRequest, ReportRef};

pub fn report_ref(r: ReportRow) -> ReportRef {
    ReportRef {
        id: r.id,
        title: r.title,
        district: r.district_code,
        status: r.status,
    }
}
