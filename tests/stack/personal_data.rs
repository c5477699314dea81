//! Personal data never reaches the logs: a phone, an identity number, a name and an address,
//! planted through real requests (created, updated, read, searched for, looked up by, and sent
//! in ways that fail validation), appear in no log line of the gateway or membership, at the
//! level operators run and finer for our own crates.

use crate::common::*;
use reqwest::Method;
use serde_json::json;
use std::sync::{Mutex, OnceLock};
use xs_kit::telemetry::LogFormat;
use xs_testkit::staff;

/// Every log line of this test process from the moment the capture is installed.
static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Sink;

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG.lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Install the capturing subscriber, as production formats logs (JSON with the request span),
/// at production's level for libraries and `trace` for our own crates.
fn capture_logs() {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    let installed = INSTALLED.get_or_init(|| {
        xs_kit::telemetry::init_with_writer(
            "info,actix_server=warn,xs_kit=trace,xs_gateway=trace,xs_membership=trace,xieshang=trace",
            LogFormat::Json,
            || Sink,
        )
    });
    assert!(installed, "another log subscriber was installed first");
}

fn logs() -> String {
    String::from_utf8_lossy(&LOG.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
}

/// The ways a value can show in a log line: as is, or percent-encoded in a path or query.
fn spellings(value: &str) -> Vec<String> {
    let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let lower = encoded.to_ascii_lowercase();
    vec![value.to_string(), encoded.replace('+', "%20"), lower]
}

#[actix_web::test]
async fn planted_personal_data_never_reaches_the_logs() {
    capture_logs();
    let t = TestStack::start().await;
    t.seed().await;
    // Values no other test uses, different on every run.
    let n = {
        use std::hash::BuildHasher;
        let r = std::collections::hash_map::RandomState::new();
        (u128::from(r.hash_one(1u8)) << 64) | u128::from(r.hash_one(2u8))
    };
    let tag = format!("plant-{:x}", n % (1 << 48));
    let phone = format!("139{:08}", n % 100_000_000);
    let id_number = format!("350203199003{:05}X", (n >> 40) % 100_000);
    let name = "钟离翠华";
    let address = format!("福建省厦门市思明区莲花路{}号2栋301室", (n >> 20) % 10_000);
    let planted = [phone.as_str(), id_number.as_str(), name, address.as_str()];
    let staff = staff("siming");
    let mut sent = 0;
    let mut send = |method: Method, path: String, body: Option<serde_json::Value>| {
        sent += 1;
        let mut req = t
            .req(method, &path, &staff)
            .header("X-Request-Id", format!("{tag}-{sent}"));
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send()
    };

    // Created with all four.
    let r = send(
        Method::POST,
        "/api/v1/members".into(),
        Some(
            json!({"name": name, "gender": "female", "district": "siming", "phone": phone,
                    "affiliation": address, "term": id_number}),
        ),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Refused, each with the values in the offending fields.
    for body in [
        json!({"name": name, "gender": "female", "district": "siming", "phone": id_number}),
        json!({"name": name, "gender": "female", "district": "siming", "birth_year": address}),
        json!({"name": name, "gender": name, "district": "siming", "phone": phone}),
        json!({"name": name.repeat(20), "gender": "male", "district": "siming", "phone": phone}),
        json!({"name": name, "gender": "male", "district": address, "phone": phone}),
        json!({"name": name, "gender": "male", "district": "siming", "sector": id_number}),
    ] {
        let r = send(Method::POST, "/api/v1/members".into(), Some(body))
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{}", r.status());
    }
    // Updated, well and badly.
    let path = format!("/api/v1/members/{id}");
    let r = send(
        Method::PATCH,
        path.clone(),
        Some(json!({"version": 1, "phone": phone, "affiliation": address, "name": name})),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    for body in [
        json!({"version": 2, "phone": format!("电话{phone}")}),
        json!({"version": 2, "birth_year": id_number}),
        json!({"version": 2, "residence_subdistrict": address}),
        json!({"version": 9, "name": name}),
    ] {
        let r = send(Method::PATCH, path.clone(), Some(body)).await.unwrap();
        assert!(r.status().is_client_error(), "{}", r.status());
    }
    // Read, searched for, looked up by (wrongly), exported.
    let q = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    for path in [
        path.clone(),
        format!("{path}/card"),
        format!("/api/v1/members?q={}", q(name)),
        format!("/api/v1/members?q={}", q(&phone)),
        format!("/api/v1/members?affiliation={}", q(&address)),
        format!("/api/v1/members?q={}&limit=0", q(&id_number)),
        format!("/api/v1/members/{phone}"),
        format!("/api/v1/members/{}", q(name)),
        format!("/api/v1/members/{id_number}"),
        format!("/api/v1/members/{}/card", q(&address)),
    ] {
        send(Method::GET, path, None).await.unwrap();
    }
    let (records, _) = get_csv(&t, &format!("/api/v1/members?q={}", q(name)), &staff).await;
    assert_eq!(records.len(), 2);
    // The gateway failing to reach membership logs the request it could not forward.
    let mut t = t;
    t.stack.stop_service("membership").await;
    let r = t
        .req(
            Method::GET,
            &format!("/api/v1/members?q={}", q(&phone)),
            &staff,
        )
        .header("X-Request-Id", format!("{tag}-down"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    t.stop().await;

    let log = logs();
    // The capture works: our requests were logged, by the gateway and by membership.
    let ours: Vec<&str> = log.lines().filter(|l| l.contains(&tag)).collect();
    assert!(
        ours.iter().any(|l| l.contains("/api/v1/members")) && ours.len() >= 2 * sent,
        "the requests were logged: {} lines",
        ours.len()
    );
    assert!(ours.iter().any(|l| l.contains(&format!("{tag}-down"))));
    for value in planted {
        for spelling in spellings(value) {
            let leaks: Vec<&str> = log.lines().filter(|l| l.contains(&spelling)).collect();
            assert!(
                leaks.is_empty(),
                "{value:?} ({spelling}) logged: {leaks:#?}"
            );
        }
    }
}
