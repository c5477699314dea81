// The membership database. Hand-written to match migrations/; both backends share it.

diesel::table! {
    districts (code) {
        code -> Text,
        name -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    subdistricts (code) {
        code -> Text,
        district_code -> Text,
        name -> Text,
        kind -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    communities (code) {
        code -> Text,
        subdistrict_code -> Text,
        name -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    sectors (code) {
        code -> Text,
        name -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    members (id) {
        id -> Text,
        name -> Text,
        gender -> Text,
        birth_year -> Nullable<Integer>,
        sector_code -> Nullable<Text>,
        affiliation -> Nullable<Text>,
        district_code -> Text,
        residence_subdistrict -> Nullable<Text>,
        workplace_subdistrict -> Nullable<Text>,
        phone -> Nullable<Text>,
        photo_url -> Nullable<Text>,
        taiwan_origin -> Bool,
        term -> Nullable<Text>,
        status -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    member_specialties (member_id, specialty) {
        member_id -> Text,
        specialty -> Text,
        position -> Integer,
    }
}

diesel::table! {
    evaluation_rule_years (year) {
        year -> Integer,
        excellent_min -> Integer,
        competent_min -> Integer,
        version -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    evaluation_rules (year, activity_type) {
        year -> Integer,
        activity_type -> Text,
        points -> Integer,
    }
}

diesel::table! {
    evaluation_rule_levels (year, activity_type, level) {
        year -> Integer,
        activity_type -> Text,
        level -> Text,
        points -> Integer,
    }
}

diesel::table! {
    activities (id) {
        id -> Text,
        member_id -> Text,
        district_code -> Text,
        activity_type -> Text,
        activity_date -> Date,
        workroom_id -> Nullable<Text>,
        beneficiaries -> Integer,
        problems_solved -> Integer,
        note -> Nullable<Text>,
        points -> Integer,
        rule_year -> Integer,
        points_overridden -> Bool,
        source_service -> Text,
        source_event_id -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    member_year_points (member_id, year) {
        member_id -> Text,
        year -> Integer,
        district_code -> Text,
        points -> BigInt,
        activity_count -> BigInt,
    }
}

diesel::table! {
    activity_day_totals (district_code, activity_date, activity_type) {
        district_code -> Text,
        activity_date -> Date,
        activity_type -> Text,
        activities -> BigInt,
        beneficiaries -> BigInt,
        problems_solved -> BigInt,
    }
}

diesel::table! {
    workrooms (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        district_code -> Text,
        subdistrict_code -> Text,
        community_code -> Nullable<Text>,
        host_organisation -> Nullable<Text>,
        address -> Text,
        latitude -> Double,
        longitude -> Double,
        opening_hours -> Nullable<Text>,
        reception_days -> Text,
        convener_id -> Nullable<Text>,
        essentials -> Text,
        status -> Text,
        inspected_on -> Nullable<Date>,
        inspector -> Nullable<Text>,
        inspection_findings -> Nullable<Text>,
        inspection_passed -> Nullable<Bool>,
        approved_by -> Nullable<Text>,
        approved_on -> Nullable<Date>,
        plaque_awarded_on -> Nullable<Date>,
        version -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    workroom_assignments (workroom_id, member_id) {
        workroom_id -> Text,
        member_id -> Text,
        role -> Text,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    duty_shifts (id) {
        id -> Text,
        workroom_id -> Text,
        member_id -> Text,
        shift_date -> Date,
        start_minute -> Integer,
        end_minute -> Integer,
        origin -> Text,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    check_ins (id) {
        id -> Text,
        workroom_id -> Text,
        member_id -> Text,
        district_code -> Text,
        check_in_date -> Date,
        checked_in_at -> Timestamp,
        shift_id -> Nullable<Text>,
        activity_id -> Text,
        created_by -> Text,
    }
}

diesel::table! {
    workroom_plans (id) {
        id -> Text,
        workroom_id -> Text,
        year -> Integer,
        note -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    workroom_plan_targets (plan_id, activity_type) {
        plan_id -> Text,
        activity_type -> Text,
        target -> Integer,
    }
}

diesel::joinable!(subdistricts -> districts (district_code));
diesel::joinable!(communities -> subdistricts (subdistrict_code));
diesel::joinable!(member_specialties -> members (member_id));
diesel::joinable!(evaluation_rules -> evaluation_rule_years (year));
diesel::joinable!(evaluation_rule_levels -> evaluation_rule_years (year));
diesel::joinable!(activities -> members (member_id));
diesel::joinable!(member_year_points -> members (member_id));
diesel::joinable!(workroom_assignments -> workrooms (workroom_id));
diesel::joinable!(workroom_assignments -> members (member_id));
diesel::joinable!(duty_shifts -> members (member_id));
diesel::joinable!(check_ins -> members (member_id));
diesel::joinable!(check_ins -> activities (activity_id));
diesel::joinable!(workroom_plans -> workrooms (workroom_id));
diesel::joinable!(workroom_plan_targets -> workroom_plans (plan_id));
diesel::allow_tables_to_appear_in_same_query!(
    districts,
    subdistricts,
    communities,
    sectors,
    members,
    member_specialties,
    evaluation_rule_years,
    evaluation_rules,
    evaluation_rule_levels,
    activities,
    member_year_points,
    activity_day_totals,
    workrooms,
    workroom_assignments,
    duty_shifts,
    check_ins,
    workroom_plans,
    workroom_plan_targets
);
