//! The gateway's tables.

diesel::table! {
    gw_accounts (id) {
        id -> Text,
        username -> Text,
        kind -> Text,
        display_name -> Nullable<Text>,
        password_hash -> Text,
        roles -> Text,
        district -> Nullable<Text>,
        member_id -> Nullable<Text>,
        disabled -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        token_epoch -> BigInt,
    }
}

diesel::table! {
    gw_refresh_tokens (token_hash) {
        token_hash -> Text,
        family_id -> Text,
        account_id -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(gw_refresh_tokens -> gw_accounts (account_id));
diesel::allow_tables_to_appear_in_same_query!(gw_accounts, gw_refresh_tokens);
