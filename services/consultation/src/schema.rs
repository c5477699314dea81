// The consultation database. Hand-written to match migrations/; both backends share it.

diesel::table! {
    topics (id) {
        id -> Text,
        title -> Text,
        description -> Text,
        district_code -> Text,
        subdistrict_code -> Text,
        community_code -> Nullable<Text>,
        workroom_id -> Nullable<Text>,
        category -> Text,
        origin -> Text,
        status -> Text,
        raised_by -> Text,
        raised_by_role -> Text,
        proposer_member_id -> Nullable<Text>,
        contact_name -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        claimed_members -> Text,
        claimed_workroom_id -> Nullable<Text>,
        declined_reason -> Nullable<Text>,
        merged_into -> Nullable<Text>,
        raised_on -> Date,
        resolved_on -> Nullable<Date>,
        resolution_days -> Nullable<Integer>,
        version -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    consultations (id) {
        id -> Text,
        title -> Text,
        district_code -> Text,
        subdistrict_code -> Nullable<Text>,
        workroom_id -> Nullable<Text>,
        scheduled_on -> Date,
        place -> Text,
        format -> Text,
        host -> Text,
        residents_count -> Integer,
        resident_names -> Text,
        grassroots_units -> Text,
        departments -> Text,
        status -> Text,
        minutes -> Nullable<Text>,
        held_on -> Nullable<Date>,
        submitted_on -> Nullable<Date>,
        closed_on -> Nullable<Date>,
        closing_note -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    consultation_topics (consultation_id, topic_id) {
        consultation_id -> Text,
        topic_id -> Text,
    }
}

diesel::table! {
    consultation_members (consultation_id, member_id) {
        consultation_id -> Text,
        member_id -> Text,
    }
}

diesel::table! {
    opinions (id) {
        id -> Text,
        consultation_id -> Text,
        district_code -> Text,
        subdistrict_code -> Nullable<Text>,
        held_on -> Date,
        position -> Integer,
        text -> Text,
        responsible_body -> Text,
        status -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    recipients (id) {
        id -> Text,
        consultation_id -> Text,
        district_code -> Text,
        kind -> Text,
        body -> Text,
        name -> Nullable<Text>,
        due_on -> Nullable<Date>,
        replied_on -> Nullable<Date>,
        reply -> Nullable<Text>,
    }
}

diesel::table! {
    follow_ups (id) {
        id -> Text,
        consultation_id -> Text,
        follow_up_on -> Date,
        by_whom -> Text,
        note -> Text,
        recipient_id -> Nullable<Text>,
        reply -> Nullable<Text>,
        opinion_statuses -> Text,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    mediation_cases (id) {
        id -> Text,
        district_code -> Text,
        subdistrict_code -> Nullable<Text>,
        workroom_id -> Nullable<Text>,
        dispute_type -> Text,
        summary -> Text,
        parties -> Text,
        status -> Text,
        received_on -> Date,
        started_on -> Nullable<Date>,
        outcome_on -> Nullable<Date>,
        agreement_summary -> Nullable<Text>,
        referred_to -> Nullable<Text>,
        outcome_note -> Nullable<Text>,
        days_taken -> Nullable<Integer>,
        version -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    mediation_mediators (case_id, member_id) {
        case_id -> Text,
        member_id -> Text,
    }
}

diesel::table! {
    mediation_sessions (id) {
        id -> Text,
        case_id -> Text,
        session_on -> Date,
        note -> Text,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    receptions (id) {
        id -> Text,
        district_code -> Text,
        subdistrict_code -> Text,
        workroom_id -> Text,
        received_on -> Date,
        visitor_name -> Nullable<Text>,
        visitor_contact -> Nullable<Text>,
        channel -> Text,
        category -> Text,
        concern -> Text,
        handling -> Text,
        referred_to -> Nullable<Text>,
        topic_id -> Nullable<Text>,
        report_id -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    reception_members (reception_id, member_id) {
        reception_id -> Text,
        member_id -> Text,
    }
}

diesel::joinable!(consultation_topics -> consultations (consultation_id));
diesel::joinable!(consultation_topics -> topics (topic_id));
diesel::joinable!(consultation_members -> consultations (consultation_id));
diesel::joinable!(opinions -> consultations (consultation_id));
diesel::joinable!(recipients -> consultations (consultation_id));
diesel::joinable!(follow_ups -> consultations (consultation_id));
diesel::joinable!(mediation_mediators -> mediation_cases (case_id));
diesel::joinable!(mediation_sessions -> mediation_cases (case_id));
diesel::joinable!(reception_members -> receptions (reception_id));

diesel::allow_tables_to_appear_in_same_query!(
    topics,
    consultations,
    consultation_topics,
    consultation_members,
    opinions,
    recipients,
    follow_ups,
    mediation_cases,
    mediation_mediators,
    mediation_sessions,
    receptions,
    reception_members,
);
