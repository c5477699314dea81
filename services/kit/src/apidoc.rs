//! What every operation of every API document states the same way, filled in after the
//! handlers' own annotations: a description on each response (OpenAPI requires one), the
//! problem+json content type on every error the kit renders, and the answers every operation
//! can give that its annotation may leave out (401 without a valid token, 400 for input the
//! schema refuses, 422 for schema-valid input that cannot be processed — an unknown reference,
//! a foreign cursor, an `Idempotency-Key` reused with another body —, 415 for a body that is
//! not JSON, 409 while a request with the same key is still in progress).
//! Handler-specific descriptions written on the annotation always win.

use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr};

const PROBLEM_REF: &str = "#/components/schemas/Problem";

/// The standard description of a status, for responses whose annotation gave none.
pub fn standard_description(status: &str) -> &'static str {
    match status {
        "200" => "OK",
        "201" => "Created",
        "202" => "Accepted",
        "204" => "No content",
        "304" => "Not modified",
        "400" => "Invalid input: the problem's `errors` name each offending field",
        "401" => "No valid access token (missing, expired, forged, or revoked)",
        "403" => "The caller's role or district does not allow this",
        "404" => "No such resource (or not visible to the caller)",
        "405" => "Method not allowed",
        "409" => "Conflicts with the resource's current state",
        "412" => "The version sent (If-Match or `version`) is not the current one",
        "413" => "The body is too large",
        "415" => "The body is not JSON (send Content-Type: application/json)",
        "422" => {
            "Well-formed but cannot be processed: an unknown reference, a cursor this list did \
             not give out, `from` after `to`, or an Idempotency-Key used before with another \
             request; the problem's `errors` name each field"
        }
        "428" => "A version is required: send If-Match or `version`",
        "429" => "Too many requests; see Retry-After",
        "500" => "Internal error",
        "502" => "A service behind the gateway failed",
        "503" => "A dependency (database or another service) is unavailable; retry shortly",
        "504" => "A service behind the gateway did not answer in time",
        _ => "See the status code",
    }
}

/// What a 409 of an operation taking an `Idempotency-Key` may also mean.
const IN_PROGRESS: &str = "Also answered while a request with the same Idempotency-Key is still in progress: retry shortly.";

fn problem(status: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(standard_description(status))
            .content(
                crate::error::PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(Ref::new(PROBLEM_REF)))
                    .build(),
            )
            .build(),
    )
}

/// Fill in what every operation states the same way (see the module documentation), and
/// make operation ids unique (a merged document holds each service's `list_personal_data_reads`:
/// those become `list_personal_data_reads_<path>`), as clients generated from it need.
pub fn complete(doc: &mut OpenApi) {
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    for item in doc.paths.paths.values() {
        for op in operations(item) {
            if let Some(id) = &op.operation_id {
                *seen.entry(id.clone()).or_default() += 1;
            }
        }
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        let slug: String = path
            .trim_start_matches("/api/v1/")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        for op in operations_mut(item) {
            if let Some(id) = &op.operation_id
                && seen.get(id).is_some_and(|n| *n > 1)
            {
                op.operation_id = Some(format!("{id}_{}", slug.trim_matches('_')));
            }
        }
    }
    for item in doc.paths.paths.values_mut() {
        for op in operations_mut(item) {
            complete_operation(op);
        }
    }
    state_whitespace_exactly(doc);
}

/// What the server counts as whitespace (`char::is_whitespace`, Unicode's White_Space: what
/// `trim` removes and [`crate::validate::Validator::text`] calls blank), as the body of a regex
/// character class.
pub const WHITESPACE_CLASS: &str =
    r"\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

/// `pattern` with `\s` and `\S` spelled as the characters the server means. Readers of a
/// pattern disagree on `\s`: ECMA-262 (what JSON Schema names) adds U+FEFF and leaves out
/// U+0085, Python's `re` adds U+001C to U+001F, and fuzzers read it as ASCII whitespace only; an
/// explicit class reads the same everywhere. Handlers and annotations keep writing `\S`
/// ("not blank"); the documents state it exactly.
pub fn spell_whitespace(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('s') if in_class => out.push_str(WHITESPACE_CLASS),
                Some('s') => out.push_str(&format!("[{WHITESPACE_CLASS}]")),
                Some('S') if !in_class => out.push_str(&format!("[^{WHITESPACE_CLASS}]")),
                Some(e) => {
                    out.push('\\');
                    out.push(e);
                }
                None => out.push('\\'),
            },
            '[' if !in_class => {
                in_class = true;
                out.push(c);
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Every `pattern` of the document (component schemas, parameters and bodies, at any depth)
/// through [`spell_whitespace`].
fn state_whitespace_exactly(doc: &mut OpenApi) {
    fn spell<T: serde::Serialize + serde::de::DeserializeOwned>(item: &mut T, what: &str) {
        let mut json = serde_json::to_value(&*item).expect("a schema serializes");
        if !json.to_string().contains("\"pattern\"") {
            return;
        }
        walk(&mut json);
        *item = serde_json::from_value(json)
            .unwrap_or_else(|e| panic!("{what} does not read back after spelling: {e}"));
    }
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                for (key, value) in map.iter_mut() {
                    match value {
                        serde_json::Value::String(p) if key == "pattern" => {
                            *p = spell_whitespace(p);
                        }
                        other => walk(other),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    if let Some(components) = doc.components.as_mut() {
        for (name, schema) in components.schemas.iter_mut() {
            spell(schema, name);
        }
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        for op in operations_mut(item) {
            for param in op.parameters.iter_mut().flatten() {
                spell(param, path);
            }
            if let Some(body) = op.request_body.as_mut() {
                spell(body, path);
            }
        }
    }
}

fn operations(item: &utoipa::openapi::PathItem) -> impl Iterator<Item = &Operation> {
    [&item.get, &item.put, &item.post, &item.delete, &item.patch]
        .into_iter()
        .flatten()
}

/// [`operations`], to change them.
fn operations_mut(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .flatten()
}

/// The rules the kit enforces on parameters every service shares, stated in their schemas.
const PARAMETER_RULES: [(&str, &str, &str); 3] = [
    // `Idempotency` (kit::idempotency): 1 to 255 visible ASCII characters.
    (
        "Idempotency-Key",
        "^[!-~]{1,255}$",
        "1 to 255 visible ASCII characters",
    ),
    // `IfMatch` (kit::extract): an ETag this API gave out, strong or weak.
    (
        "If-Match",
        "^(W/)?(\"[0-9]{1,18}\"|[0-9]{1,18})$",
        "an ETag this API gave out, like \"3\" (a bare version number, 3, is taken too)",
    ),
    // `PageRequest` (kit::pagination): the `next_cursor` of the previous page (base64url).
    (
        "cursor",
        crate::pagination::CURSOR_PATTERN,
        "the next_cursor of the previous page",
    ),
];

/// `limit` on a list: every list takes 1 to [`crate::pagination::MAX_LIMIT`] unless its own
/// annotation states other bounds.
fn limit_rule(param: &mut utoipa::openapi::path::Parameter) {
    use utoipa::openapi::schema::Schema;
    if param.name != "limit" || param.parameter_in != utoipa::openapi::path::ParameterIn::Query {
        return;
    }
    if let Some(RefOr::T(Schema::Object(o))) = &mut param.schema
        && o.maximum.is_none()
    {
        o.minimum = Some(1.into());
        o.maximum = Some(crate::pagination::MAX_LIMIT.into());
    }
}

fn state_parameter_rules(op: &mut Operation) {
    use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
    for param in op.parameters.iter_mut().flatten() {
        let RefOr::T(param) = param else { continue };
        limit_rule(param);
        let Some(&(_, pattern, what)) = PARAMETER_RULES
            .iter()
            .find(|(name, _, _)| *name == param.name)
        else {
            continue;
        };
        param.schema = Some(RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(pattern))
                .build(),
        )));
        if param.description.as_deref().is_none_or(str::is_empty) {
            param.description = Some(what.to_string());
        }
    }
}

fn complete_operation(op: &mut Operation) {
    state_parameter_rules(op);
    let public = op
        .security
        .as_ref()
        .is_some_and(|reqs| reqs.iter().any(|r| r == &Default::default()));
    let has_body = op.request_body.is_some();
    let json_body = op.request_body.as_ref().is_some_and(|b| match b {
        RefOr::T(b) => b
            .content
            .keys()
            .any(|ct| ct == "application/json" || ct.ends_with("+json")),
        RefOr::Ref(_) => false,
    });
    let params = op.parameters.as_deref().unwrap_or_default();
    let has_input = has_body || !params.is_empty();
    // A path parameter that names nothing (or cannot be read as its type) is a 404.
    let has_path_param = params.iter().any(
        |p| matches!(p, RefOr::T(p) if p.parameter_in == utoipa::openapi::path::ParameterIn::Path),
    );
    let idempotent = params
        .iter()
        .any(|p| matches!(p, RefOr::T(p) if p.name == "Idempotency-Key"));
    let responses = &mut op.responses.responses;
    let mut add = |status: &str| {
        responses
            .entry(status.to_string())
            .or_insert_with(|| problem(status));
    };
    if !public {
        add("401");
    }
    if has_input {
        add("400");
        add("422");
    }
    if has_path_param {
        add("404");
    }
    if json_body {
        add("415");
    }
    if idempotent {
        add("409");
        add("422");
    }
    for (status, response) in responses.iter_mut() {
        let RefOr::T(r) = response else { continue };
        if r.description.is_empty() {
            r.description = standard_description(status).to_string();
        }
        if idempotent && status == "409" && !r.description.contains(IN_PROGRESS) {
            r.description = format!("{} {IN_PROGRESS}", r.description.trim_end());
        }
        // The kit renders every error as problem+json, whatever the annotation said.
        if (status.starts_with('4') || status.starts_with('5'))
            && let Some(content) = r.content.shift_remove("application/json")
        {
            let is_problem = matches!(
                &content,
                RefOr::T(c) if matches!(&c.schema, Some(RefOr::Ref(x)) if x.ref_location == PROBLEM_REF)
            );
            let key = if is_problem {
                crate::error::PROBLEM_JSON
            } else {
                "application/json"
            };
            r.content.insert(key.to_string(), content);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod whitespace_tests {
    use super::*;

    #[test]
    fn spelled_patterns_mean_what_the_server_means() {
        let not_blank = regex::Regex::new(&spell_whitespace("\\S")).unwrap();
        let blank = regex::Regex::new(&format!("^{}*$", spell_whitespace("\\s"))).unwrap();
        let url = regex::Regex::new(&spell_whitespace(crate::validate::URL_PATTERN)).unwrap();
        for c in (0..0x3100)
            .chain([0xfeff, 0x1_0000])
            .filter_map(char::from_u32)
        {
            let s = c.to_string();
            assert_eq!(not_blank.is_match(&s), !s.trim().is_empty(), "{c:?}");
            assert_eq!(blank.is_match(&s), s.trim().is_empty(), "{c:?}");
            let u = format!("http://{c}");
            assert_eq!(url.is_match(&u), crate::validate::url_shaped(&u), "{c:?}");
        }
        // Inside a class `\s` joins it; other escapes stay; it is idempotent.
        assert_eq!(
            spell_whitespace(r"^[^/?#\s]\d\.$"),
            format!(r"^[^/?#{WHITESPACE_CLASS}]\d\.$")
        );
        let once = spell_whitespace(r"^\s*[a-z]{3}\s*$|\S");
        assert_eq!(spell_whitespace(&once), once);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
    use utoipa::openapi::{OpenApiBuilder, PathsBuilder};

    fn op(id: &str) -> Operation {
        OperationBuilder::new()
            .operation_id(Some(id))
            .response("200", ResponseBuilder::new().build())
            .response(
                "404",
                ResponseBuilder::new()
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::new(PROBLEM_REF)))
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    #[test]
    fn every_response_is_described_and_ids_are_unique() {
        let paths = PathsBuilder::new()
            .path("/api/v1/a", PathItem::new(HttpMethod::Get, op("list")))
            .path("/api/v1/b", PathItem::new(HttpMethod::Get, op("list")))
            .build();
        let mut doc = OpenApiBuilder::new().paths(paths).build();
        complete(&mut doc);
        let json = serde_json::to_value(&doc).expect("serialises");
        for path in ["/api/v1/a", "/api/v1/b"] {
            let get = &json["paths"][path]["get"];
            assert_eq!(get["responses"]["200"]["description"], "OK");
            assert_eq!(
                get["responses"]["401"]["content"]["application/problem+json"]["schema"]["$ref"],
                PROBLEM_REF
            );
            let not_found = &get["responses"]["404"];
            assert!(
                not_found["content"]["application/problem+json"].is_object(),
                "{not_found}"
            );
            assert!(not_found["content"]["application/json"].is_null());
        }
        assert_eq!(json["paths"]["/api/v1/a"]["get"]["operationId"], "list_a");
        assert_eq!(json["paths"]["/api/v1/b"]["get"]["operationId"], "list_b");
    }
}

/// Schema-only item types for lists of text that [`crate::validate::Validator::text`] checks
/// item by item: not blank and at most so many characters. A field states it with
/// `#[schema(value_type = Vec<xs_kit::apidoc::Text64>, inline)]`, so the document refuses
/// exactly what the handler refuses (`["", "x"]` is a 400 naming `field[0]`).
macro_rules! text_item {
    ($($name:ident = $max:expr),* $(,)?) => {$(
        #[doc = concat!("A list item: not blank, at most ", stringify!($max), " characters.")]
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
                use utoipa::openapi::schema::{ObjectBuilder, Type};
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("\\S"))
                    .max_length(Some($max))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    )*};
}

text_item!(Text50 = 50, Text64 = 64, Text100 = 100);

/// What each action of a transition request takes: `(action, required, optional)`. Every
/// other field (besides `action` and `version`) must be left out or `null`.
pub type ActionFields = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

/// A request schema whose fields depend on its `action`, stated from the same table the
/// handler checks with (so the document and the 400s cannot drift apart).
pub struct ByAction {
    /// The component name, e.g. `TopicTransition`.
    pub schema: &'static str,
    /// Every action, with the fields it requires and those it may take.
    pub rules: fn() -> Vec<ActionFields>,
}

/// The schema without `null` among its values (a required field must carry a value).
fn without_null(schema: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    let mut s = schema.clone();
    if let Some(Value::Array(types)) = s.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            s["type"] = types[0].clone();
        }
    }
    if let Some(Value::Array(alternatives)) = s.get("oneOf").cloned() {
        let rest: Vec<Value> = alternatives
            .into_iter()
            .filter(|a| a.get("type").and_then(Value::as_str) != Some("null"))
            .collect();
        if rest.len() == 1 {
            let mut only = rest[0].clone();
            if let (Some(d), Some(o)) = (s.get("description"), only.as_object_mut()) {
                o.entry("description").or_insert(d.clone());
            }
            return only;
        }
        s["oneOf"] = Value::Array(rest);
    }
    s
}

/// Replace the component `by.schema` (an object of optional fields) with one alternative per
/// action: `action` fixed to that value, its required fields required and not `null`, its
/// optional ones as they were, every other field `null` at most.
pub fn by_action(doc: &mut OpenApi, by: &ByAction) {
    use serde_json::{Value, json};
    let schemas = &mut doc
        .components
        .as_mut()
        .expect("a document with components")
        .schemas;
    let base = serde_json::to_value(
        schemas
            .get(by.schema)
            .unwrap_or_else(|| panic!("no schema {} to state by action", by.schema)),
    )
    .expect("a schema serializes");
    let properties = base["properties"].as_object().cloned().unwrap_or_default();
    let branches: Vec<Value> = (by.rules)()
        .into_iter()
        .map(|(action, required, optional)| {
            let mut props = serde_json::Map::new();
            let mut needed = vec![json!("action")];
            for (name, schema) in &properties {
                let schema = match name.as_str() {
                    "action" => json!({"type": "string", "enum": [action]}),
                    "version" => schema.clone(),
                    n if required.contains(&n) => {
                        needed.push(json!(n));
                        without_null(schema)
                    }
                    n if optional.contains(&n) => schema.clone(),
                    _ => {
                        json!({"type": "null", "description": format!("Not taken by `{action}`.")})
                    }
                };
                props.insert(name.clone(), schema);
            }
            json!({
                "type": "object",
                "title": action,
                "properties": props,
                "required": needed,
                "additionalProperties": false,
            })
        })
        .collect();
    let mut replacement = json!({ "oneOf": branches });
    if let Some(d) = base.get("description") {
        replacement["description"] = d.clone();
    }
    schemas.insert(
        by.schema.to_string(),
        serde_json::from_value(replacement).expect("a oneOf schema deserializes"),
    );
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod by_action_tests {
    use super::*;
    use utoipa::OpenApi as _;

    #[derive(serde::Deserialize, utoipa::ToSchema)]
    #[allow(dead_code)]
    struct Move {
        /// `open` or `close`.
        action: String,
        version: Option<i64>,
        #[schema(max_length = 10)]
        reason: Option<String>,
        note: Option<String>,
    }

    #[derive(utoipa::OpenApi)]
    #[openapi(components(schemas(Move)))]
    struct Doc;

    #[test]
    fn each_action_states_what_it_takes() {
        let mut doc = Doc::openapi();
        by_action(
            &mut doc,
            &ByAction {
                schema: "Move",
                rules: || vec![("open", &[], &["note"]), ("close", &["reason"], &[])],
            },
        );
        let s = serde_json::to_value(&doc.components.unwrap().schemas["Move"]).unwrap();
        let [open, close] = s["oneOf"].as_array().unwrap().as_slice() else {
            panic!("two alternatives: {s}")
        };
        assert_eq!(
            open["properties"]["action"]["enum"],
            serde_json::json!(["open"])
        );
        assert_eq!(open["required"], serde_json::json!(["action"]));
        assert_eq!(open["properties"]["reason"]["type"], "null");
        assert_eq!(
            open["properties"]["note"]["type"],
            serde_json::json!(["string", "null"])
        );
        assert_eq!(open["additionalProperties"], false);
        assert_eq!(close["required"], serde_json::json!(["action", "reason"]));
        // Required: a string, no longer null, its own rules kept.
        assert_eq!(close["properties"]["reason"]["type"], "string");
        assert_eq!(close["properties"]["reason"]["maxLength"], 10);
        assert_eq!(close["properties"]["note"]["type"], "null");
        assert!(close["properties"]["version"].is_object());
    }
}
