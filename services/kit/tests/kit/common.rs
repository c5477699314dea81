use serde_json::{Value, json};
pub use xs_testkit::TestStack;

/// The notebook service behind a gateway.
pub async fn start() -> TestStack {
    TestStack::with(&crate::notebook::SPEC).await
}

/// A valid new note.
pub fn note(title: &str) -> Value {
    json!({"title": title})
}
