//! The memory of verified tokens: bounded, it evicts the tokens not seen for longest instead of
//! forgetting everything when full, and it never vouches for a token it was not given.

use std::sync::Arc;
use xs_kit::auth::{VerifiedTokens, Verifier};
use xs_kit::service::{DEFAULT_AUDIENCE, DEFAULT_ISSUER};
use xs_testkit::{admin, claims, test_key_source};

#[test]
fn a_full_memory_evicts_the_least_recently_used() {
    let memory = VerifiedTokens::new(4);
    assert_eq!(memory.capacity(), 4);
    let c = Arc::new(claims("admin-1", &[xs_kit::Role::Admin], None));
    memory.insert("a", c.clone());
    memory.insert("b", c.clone());
    for t in ["c", "d", "e", "f", "g", "h"] {
        memory.insert(t, c.clone());
        // "a" is used all the time; "b" never again.
        assert!(memory.get("a").is_some(), "a token in use stays ({t})");
        assert!(memory.len() <= 4, "{} tokens remembered", memory.len());
        assert!(
            memory.get(t).is_some(),
            "the newest token is remembered ({t})"
        );
    }
    assert!(
        memory.get("b").is_none(),
        "a token not seen since was evicted"
    );
    assert!(memory.get("g").is_some() && memory.get("h").is_some());
    assert!(
        memory.len() >= 3,
        "eviction dropped only the old, not everything"
    );
    memory.clear();
    assert!(memory.is_empty());
}

#[test]
fn a_sharded_memory_stays_within_its_capacity() {
    let memory = VerifiedTokens::new(10_000);
    assert!(
        (10_000..10_100).contains(&memory.capacity()),
        "{}",
        memory.capacity()
    );
    let c = Arc::new(claims("admin-1", &[xs_kit::Role::Admin], None));
    let name = |i: u64| format!("token-{i:08}-{}", i * 7919);
    for i in 0..50_000 {
        memory.insert(&name(i), c.clone());
    }
    let n = memory.len();
    assert!(n <= memory.capacity(), "{n} remembered");
    assert!(n >= memory.capacity() / 2 - 16, "only {n} remembered");
    assert!(
        memory.get(&name(49_999)).is_some(),
        "the newest is remembered"
    );
    assert!(memory.get(&name(0)).is_none(), "the oldest was evicted");
}

#[test]
fn a_memory_of_zero_remembers_nothing() {
    let memory = VerifiedTokens::new(0);
    memory.insert(
        "a",
        Arc::new(claims("admin-1", &[xs_kit::Role::Admin], None)),
    );
    assert!(memory.get("a").is_none());
    assert!(memory.is_empty());
}

#[actix_web::test]
async fn the_verifier_remembers_within_its_bound_and_still_refuses_forgeries() {
    let verifier = Verifier::remembering(test_key_source(), DEFAULT_ISSUER, DEFAULT_AUDIENCE, 8);
    let tokens: Vec<String> = (0..40).map(|_| admin()).collect();
    for token in &tokens {
        let claims = verifier.verify(token).await.expect("a valid token");
        assert_eq!(claims.sub, "admin-1");
        assert!(verifier.verified().len() <= 8);
    }
    let last = tokens.last().unwrap();
    assert!(
        verifier.verified().get(last).is_some(),
        "the newest is remembered"
    );
    assert!(
        verifier.verified().get(&tokens[0]).is_none(),
        "the oldest was evicted"
    );
    // Evicted tokens are verified again, not refused.
    verifier.verify(&tokens[0]).await.expect("verified afresh");
    // A token differing from a remembered one in one byte is checked, and refused.
    let mut forged = last.clone().into_bytes();
    let i = forged.len() - 2;
    forged[i] = if forged[i] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    assert!(verifier.verify(&forged).await.is_err());
    assert!(verifier.verified().get(&forged).is_none());
}
