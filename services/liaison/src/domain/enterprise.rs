//! Taiwan-funded enterprises, youth bases (台青基地) and associations.

xs_kit::text_enum! {
    /// What kind of organisation members visit.
    pub enum EnterpriseKind {
        /// 台资企业
        Enterprise = "enterprise",
        /// 台青基地: a youth entrepreneurship or employment base.
        YouthBase = "youth_base",
        /// 台胞社团
        Association = "association",
    }
}
