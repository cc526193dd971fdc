//! Herald's own WebSub hub, against a subscriber written to the specification here:
//! subscription, verification of intent, signed fat pings whose signature the
//! subscriber checks, unsubscription, lease expiry, retries then giving up, 410,
//! only the newest version after an outage, and a private callback refused.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;

use crate::common::{TOKEN, TestApp, article, spawn_app_with};

const TOPIC: &str = "http://localhost:8080/feeds/category/kinh-te/atom.xml";

/// What the subscriber saw, and how it answers.
#[derive(Default)]
pub struct Seen {
    pub verifications: Vec<std::collections::HashMap<String, String>>,
    pub deliveries: Vec<(HeaderMap, Vec<u8>)>,
    /// Deliveries answered with this status until it is 0 (then 200).
    fail_with: u16,
    fail_times: u32,
}

pub type Shared = Arc<Mutex<Seen>>;

async fn verify(
    State(seen): State<Shared>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> (StatusCode, String) {
    let challenge = q.get("hub.challenge").cloned().unwrap_or_default();
    seen.lock().unwrap().verifications.push(q);
    (StatusCode::OK, challenge)
}

async fn deliver(
    State(seen): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let mut seen = seen.lock().unwrap();
    seen.deliveries.push((headers, body.to_vec()));
    if seen.fail_times > 0 {
        seen.fail_times -= 1;
        return StatusCode::from_u16(seen.fail_with).unwrap();
    }
    StatusCode::OK
}

/// A subscriber on loopback; returns its callback URL and what it sees.
pub async fn subscriber() -> (String, Shared) {
    let seen: Shared = Arc::default();
    let app = axum::Router::new()
        .route("/cb", axum::routing::get(verify).post(deliver))
        .with_state(Arc::clone(&seen));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/cb?from=test"), seen)
}

async fn hub(private_ok: bool) -> TestApp {
    spawn_app_with(
        |s| {
            s.websub.hub = true;
            s.websub.allow_private_callbacks = private_ok;
            s.websub.lease_min_secs = 1;
            s.push.coalesce_ms = 20;
            s.push.backoff_initial_ms = 50;
            s.push.backoff_max_ms = 100;
            s.push.give_up_after_secs = 1;
        },
        herald::auth::Tokens::from_list([TOKEN]),
    )
    .await
}

pub async fn request(app: &TestApp, form: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url("/websub"))
        .form(form)
        .send()
        .await
        .unwrap()
}

pub async fn until(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {secs} s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn subscriptions(app: &TestApp) -> Vec<Value> {
    let r = app
        .client
        .get(app.url("/api/websub/subscriptions"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    v["subscriptions"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_verified_subscriber_gets_signed_fat_pings_until_it_unsubscribes() {
    let app = hub(true).await;
    let (callback, seen) = subscriber().await;
    let secret = "bí mật-2024";
    let r = request(
        &app,
        &[
            ("hub.mode", "subscribe"),
            ("hub.topic", TOPIC),
            ("hub.callback", &callback),
            ("hub.secret", secret),
            ("hub.lease_seconds", "3600"),
        ],
    )
    .await;
    assert_eq!(r.status(), 202);
    until("verification", 5, || {
        !seen.lock().unwrap().verifications.is_empty()
    })
    .await;
    {
        let v = &seen.lock().unwrap().verifications[0];
        assert_eq!(v["hub.mode"], "subscribe");
        assert_eq!(v["hub.topic"], TOPIC);
        assert_eq!(v["hub.lease_seconds"], "3600");
        assert_eq!(v["from"], "test", "the callback's own query is kept");
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while subscriptions(&app).await.is_empty() {
        assert!(Instant::now() < deadline, "never active");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let listed = subscriptions(&app).await;
    assert_eq!(listed[0]["callback_host"], "127.0.0.1");
    assert_eq!(listed[0]["signed"], true);
    assert!(
        !listed[0].to_string().contains(secret),
        "no secret in the listing"
    );

    let started = Instant::now();
    app.put_ok(&article("day-moi", "kinh-te", 0)).await;
    until("a delivery", 2, || {
        !seen.lock().unwrap().deliveries.is_empty()
    })
    .await;
    assert!(started.elapsed() < Duration::from_secs(2));
    let (headers, body) = seen.lock().unwrap().deliveries[0].clone();
    assert!(String::from_utf8_lossy(&body).contains(":article:day-moi<"));
    assert_eq!(
        headers["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let link = headers["link"].to_str().unwrap();
    assert!(
        link.contains(r#"rel="hub""#) && link.contains(&format!("<{TOPIC}>; rel=\"self\"")),
        "{link}"
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(&body);
    let sig = headers["x-hub-signature"].to_str().unwrap();
    let hex = sig.strip_prefix("sha256=").expect("sha256=");
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    mac.verify_slice(&bytes).expect("the signature checks out");
    // Another section's change is not this topic's.
    app.put_ok(&article("the-thao-1", "the-thao", 1)).await;

    let r = request(
        &app,
        &[
            ("hub.mode", "unsubscribe"),
            ("hub.topic", TOPIC),
            ("hub.callback", &callback),
        ],
    )
    .await;
    assert_eq!(r.status(), 202);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !subscriptions(&app).await.is_empty() {
        assert!(Instant::now() < deadline, "never unsubscribed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = seen.lock().unwrap().deliveries.len();
    app.put_ok(&article("sau-khi-huy", "kinh-te", 2)).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        seen.lock().unwrap().deliveries.len(),
        before,
        "delivered after unsubscribing"
    );
    assert_eq!(before, 1, "one delivery for the one change to the topic");
}

#[tokio::test]
async fn leases_end_and_failing_callbacks_are_retried_then_given_up() {
    let app = hub(true).await;
    let (short, seen_short) = subscriber().await;
    assert_eq!(
        request(
            &app,
            &[
                ("hub.mode", "subscribe"),
                ("hub.topic", TOPIC),
                ("hub.callback", &short),
                ("hub.lease_seconds", "1")
            ]
        )
        .await
        .status(),
        202
    );
    until("verification", 5, || {
        !seen_short.lock().unwrap().verifications.is_empty()
    })
    .await;
    assert_eq!(
        seen_short.lock().unwrap().verifications[0]["hub.lease_seconds"],
        "1"
    );
    let (failing, seen_failing) = subscriber().await;
    seen_failing.lock().unwrap().fail_with = 500;
    seen_failing.lock().unwrap().fail_times = 1000;
    assert_eq!(
        request(
            &app,
            &[
                ("hub.mode", "subscribe"),
                ("hub.topic", TOPIC),
                ("hub.callback", &failing)
            ]
        )
        .await
        .status(),
        202
    );
    until("verification", 5, || {
        !seen_failing.lock().unwrap().verifications.is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let hosts = subscriptions(&app).await;
    assert_eq!(hosts.len(), 1, "the 1-second lease is over: {hosts:?}");
    assert!(
        hosts[0]["expires"].as_str().unwrap() > "2026",
        "a 10-day default lease"
    );

    app.put_ok(&article("loi", "kinh-te", 0)).await;
    until("retries", 5, || {
        seen_failing.lock().unwrap().deliveries.len() >= 3
    })
    .await;
    assert!(
        seen_short.lock().unwrap().deliveries.is_empty(),
        "an expired lease got a delivery"
    );
    let gave_up = || async {
        let text = app.get("/metrics").await.text().await.unwrap();
        text.lines().any(|l| {
            l.starts_with("herald_push_total{job=\"deliver\"")
                && l.contains("given_up")
                && !l.ends_with(" 0")
        })
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while !gave_up().await {
        assert!(Instant::now() < deadline, "never gave up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let tries = seen_failing.lock().unwrap().deliveries.len();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        seen_failing.lock().unwrap().deliveries.len(),
        tries,
        "retried after giving up"
    );
    let listed = subscriptions(&app).await;
    assert_eq!(listed[0]["last_delivery"]["status"], 500, "{listed:?}");
}

#[tokio::test]
async fn after_an_outage_only_the_newest_version_goes_out_and_410_ends_it() {
    let app = hub(true).await;
    let (callback, seen) = subscriber().await;
    assert_eq!(
        request(
            &app,
            &[
                ("hub.mode", "subscribe"),
                ("hub.topic", TOPIC),
                ("hub.callback", &callback)
            ]
        )
        .await
        .status(),
        202
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while subscriptions(&app).await.is_empty() {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    seen.lock().unwrap().fail_with = 503;
    seen.lock().unwrap().fail_times = 1;
    app.put_ok(&article("mot", "kinh-te", 0)).await;
    until("the failed try", 3, || {
        seen.lock().unwrap().deliveries.len() == 1
    })
    .await;
    app.put_ok(&article("hai", "kinh-te", 1)).await;
    app.put_ok(&article("ba", "kinh-te", 2)).await;
    until("the retry", 3, || {
        seen.lock().unwrap().deliveries.len() >= 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let deliveries = seen.lock().unwrap().deliveries.clone();
    let last = String::from_utf8_lossy(&deliveries.last().unwrap().1).to_string();
    assert!(
        last.contains(":article:ba<") && last.contains(":article:mot<"),
        "the newest version"
    );
    assert!(
        deliveries.len() <= 3,
        "{} deliveries for three changes in an outage",
        deliveries.len()
    );

    seen.lock().unwrap().fail_with = 410;
    seen.lock().unwrap().fail_times = 1;
    app.put_ok(&article("bon", "kinh-te", 3)).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while !subscriptions(&app).await.is_empty() {
        assert!(Instant::now() < deadline, "410 did not end it");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn bad_requests_and_private_callbacks_are_refused() {
    let app = hub(false).await;
    let cases = [
        (
            "hub.callback",
            vec![
                ("hub.mode", "subscribe"),
                ("hub.topic", TOPIC),
                ("hub.callback", "http://127.0.0.1:9/cb"),
            ],
        ),
        (
            "hub.callback",
            vec![
                ("hub.mode", "subscribe"),
                ("hub.topic", TOPIC),
                ("hub.callback", "http://localhost:9/cb"),
            ],
        ),
        (
            "hub.callback",
            vec![
                ("hub.mode", "subscribe"),
                ("hub.topic", TOPIC),
                ("hub.callback", "http://[::1]:9/cb"),
            ],
        ),
        (
            "hub.callback",
            vec![
                ("hub.mode", "subscribe"),
                ("hub.topic", TOPIC),
                ("hub.callback", "ftp://example.com/cb"),
            ],
        ),
        (
            "hub.topic",
            vec![
                ("hub.mode", "subscribe"),
                ("hub.topic", "https://elsewhere.example/rss.xml"),
                ("hub.callback", "https://example.com/cb"),
            ],
        ),
        (
            "hub.mode",
            vec![
                ("hub.mode", "publish"),
                ("hub.topic", TOPIC),
                ("hub.callback", "https://example.com/cb"),
            ],
        ),
        (
            "hub.callback",
            vec![("hub.mode", "subscribe"), ("hub.topic", TOPIC)],
        ),
    ];
    for (field, form) in cases {
        let r = request(&app, &form).await;
        assert_eq!(r.status(), 400, "{form:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["fields"][0]["field"], field, "{body}");
    }
    let long = "x".repeat(200);
    let r = request(
        &app,
        &[
            ("hub.mode", "subscribe"),
            ("hub.topic", TOPIC),
            ("hub.callback", "https://example.com/cb"),
            ("hub.secret", &long),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(subscriptions(&app).await.is_empty());
}
