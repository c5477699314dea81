// The liaison database. Hand-written to match migrations/; both backends share it.

diesel::table! {
    compatriots (id) {
        id -> Text,
        name -> Text,
        origin -> Text,
        occupation -> Nullable<Text>,
        employer -> Nullable<Text>,
        district_code -> Text,
        contact -> Nullable<Text>,
        id_number -> Nullable<Text>,
        account_sub -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    taiwan_enterprises (id) {
        id -> Text,
        kind -> Text,
        name -> Text,
        district_code -> Text,
        address -> Text,
        sector -> Nullable<Text>,
        contact_person -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    enterprise_members (enterprise_id, member_id) {
        enterprise_id -> Text,
        member_id -> Text,
        position -> Integer,
    }
}

diesel::table! {
    liaison_events (id) {
        id -> Text,
        kind -> Text,
        title -> Text,
        district_code -> Text,
        starts_at -> Timestamp,
        ends_at -> Nullable<Timestamp>,
        place -> Text,
        liaison_point -> Nullable<Text>,
        enterprise_id -> Nullable<Text>,
        capacity -> Nullable<Integer>,
        status -> Text,
        people_served -> Nullable<Integer>,
        volunteers -> Nullable<Integer>,
        summary -> Nullable<Text>,
        cancel_reason -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    event_organisers (event_id, member_id) {
        event_id -> Text,
        member_id -> Text,
        position -> Integer,
    }
}

diesel::table! {
    event_registrations (id) {
        id -> Text,
        event_id -> Text,
        compatriot_id -> Nullable<Text>,
        member_id -> Nullable<Text>,
        person -> Text,
        status -> Text,
        queue_no -> Integer,
        attended -> Nullable<Bool>,
        promoted_at -> Nullable<Timestamp>,
        cancelled_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    event_suggestions (id) {
        id -> Text,
        event_id -> Text,
        district_code -> Text,
        title -> Text,
        body -> Text,
        raised_by -> Nullable<Text>,
        report_id -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    compatriot_requests (id) {
        id -> Text,
        district_code -> Text,
        compatriot_id -> Nullable<Text>,
        enterprise_id -> Nullable<Text>,
        kind -> Text,
        description -> Text,
        assigned_member -> Nullable<Text>,
        status -> Text,
        received_on -> Date,
        closed_on -> Nullable<Date>,
        resolution -> Nullable<Text>,
        unresolvable_reason -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    request_notes (id) {
        id -> Text,
        request_id -> Text,
        note -> Text,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::joinable!(enterprise_members -> taiwan_enterprises (enterprise_id));
diesel::joinable!(event_organisers -> liaison_events (event_id));
diesel::joinable!(event_registrations -> liaison_events (event_id));
diesel::joinable!(event_registrations -> compatriots (compatriot_id));
diesel::joinable!(event_suggestions -> liaison_events (event_id));
diesel::joinable!(request_notes -> compatriot_requests (request_id));
diesel::allow_tables_to_appear_in_same_query!(
    compatriots,
    taiwan_enterprises,
    enterprise_members,
    liaison_events,
    event_organisers,
    event_registrations,
    event_suggestions,
    compatriot_requests,
    request_notes
);
