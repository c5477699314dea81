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

diesel::joinable!(subdistricts -> districts (district_code));
diesel::joinable!(communities -> subdistricts (subdistrict_code));
diesel::joinable!(member_specialties -> members (member_id));
diesel::allow_tables_to_appear_in_same_query!(
    districts,
    subdistricts,
    communities,
    sectors,
    members,
    member_specialties
);
