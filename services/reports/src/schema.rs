// The reports database. Hand-written to match migrations/; both backends share it.

diesel::table! {
    reports (id) {
        id -> Text,
        title -> Text,
        body -> Text,
        category -> Text,
        district_code -> Text,
        source_channel -> Text,
        resident_name -> Nullable<Text>,
        resident_phone -> Nullable<Text>,
        reception_id -> Nullable<Text>,
        liaison_event_id -> Nullable<Text>,
        liaison_suggestion_id -> Nullable<Text>,
        status -> Text,
        submitted_title -> Nullable<Text>,
        submitted_body -> Nullable<Text>,
        review_comments -> Nullable<Text>,
        rejection_reason -> Nullable<Text>,
        submitted_at -> Nullable<Timestamp>,
        accepted_at -> Nullable<Timestamp>,
        forwarded_at -> Nullable<Timestamp>,
        adopted_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
        topic_id -> Nullable<Text>,
    }
}

diesel::table! {
    report_authors (report_id, member_id) {
        report_id -> Text,
        member_id -> Text,
        member_name -> Text,
        position -> Integer,
        member_sector -> Nullable<Text>,
    }
}

diesel::table! {
    report_revisions (id) {
        id -> Text,
        report_id -> Text,
        number -> Integer,
        kind -> Text,
        status -> Text,
        title -> Text,
        body -> Text,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    report_forwards (id) {
        id -> Text,
        report_id -> Text,
        level -> Text,
        department -> Nullable<Text>,
        forwarded_on -> Date,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    report_adoptions (id) {
        id -> Text,
        report_id -> Text,
        level -> Text,
        department -> Nullable<Text>,
        adopted_on -> Date,
        document_number -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    report_instructions (id) {
        id -> Text,
        report_id -> Text,
        leader -> Text,
        leader_title -> Text,
        level -> Text,
        instructed_on -> Date,
        text -> Text,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::joinable!(report_authors -> reports (report_id));
diesel::joinable!(report_revisions -> reports (report_id));
diesel::joinable!(report_forwards -> reports (report_id));
diesel::joinable!(report_adoptions -> reports (report_id));
diesel::joinable!(report_instructions -> reports (report_id));

diesel::allow_tables_to_appear_in_same_query!(
    reports,
    report_authors,
    report_revisions,
    report_forwards,
    report_adoptions,
    report_instructions,
);
