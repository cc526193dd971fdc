//! Purges driven by the change log, seen by a webhook target: a burst of writes
//! makes one purge, and a purge owed when Herald is killed with -9 is made after it
//! restarts (the job's cursor only moves once the work is done).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::Value;

use crate::common::{TOKEN, article, serve_binary_with, spawn_app_with};

/// What the webhook received, and whether it is up.
#[derive(Default)]
struct Hook {
    bodies: Vec<Value>,
    /// Answer 503 while true.
    down: bool,
}

type Shared = Arc<Mutex<Hook>>;

async fn receive(State(hook): State<Shared>, body: axum::Json<Value>) -> StatusCode {
    let mut hook = hook.lock().unwrap();
    hook.bodies.push(body.0);
    if hook.down {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::NO_CONTENT
    }
}

/// A webhook purge target on loopback; its `cdn.purge` entry and what it sees.
async fn webhook() -> (String, Shared) {
    let hook: Shared = Arc::default();
    let app = axum::Router::new()
        .route("/purge", axum::routing::post(receive))
        .with_state(Arc::clone(&hook));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("webhook=http://{addr}/purge"), hook)
}

fn keys(body: &Value) -> Vec<String> {
    body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect()
}

async fn until(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {secs} s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_burst_of_writes_makes_one_purge() {
    let (target, hook) = webhook().await;
    let app = spawn_app_with(
        |s| {
            s.cdn.purge = vec![target];
            s.push.coalesce_ms = 400;
        },
        herald::auth::Tokens::from_list([TOKEN]),
    )
    .await;
    let writes = (0..10).map(|i| {
        let app = &app;
        async move {
            app.put_ok(&article(&format!("loat-{i}"), "kinh-te", i))
                .await
        }
    });
    futures_util::future::join_all(writes).await;
    until("a purge", 5, || !hook.lock().unwrap().bodies.is_empty()).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let bodies = hook.lock().unwrap().bodies.clone();
    assert_eq!(bodies.len(), 1, "ten writes, one purge: {bodies:?}");
    let keys = keys(&bodies[0]);
    for key in [
        "site",
        "category:kinh-te",
        "article:loat-0",
        "article:loat-9",
    ] {
        assert!(keys.contains(&key.to_string()), "{key} in {keys:?}");
    }
    let mut sorted = keys.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), keys.len(), "each key once");
    let urls = bodies[0]["urls"].to_string();
    assert!(urls.contains("/feeds/category/kinh-te/rss.xml"), "{urls}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purge_owed_at_kill_9_is_made_after_the_restart() {
    let (target, hook) = webhook().await;
    hook.lock().unwrap().down = true;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let start = || {
        serve_binary_with(&data, &[], |c| {
            c.env("HERALD_CDN__PURGE", &target)
                .env("HERALD_PUSH__COALESCE_MS", "20")
                .env("HERALD_PUSH__BACKOFF_INITIAL_MS", "50")
                .env("HERALD_PUSH__BACKOFF_MAX_MS", "100");
        })
    };
    let mut served = start();
    let client = crate::common::client();
    let r = client
        .put(format!("http://{}/api/articles/truoc-khi-sap", served.addr))
        .bearer_auth(TOKEN)
        .json(&article("truoc-khi-sap", "xa-hoi", 0))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "acknowledged");
    until("a refused purge", 5, || {
        hook.lock().unwrap().bodies.len() >= 2
    })
    .await;
    served.child.kill().unwrap(); // SIGKILL
    served.child.wait().unwrap();

    let before = hook.lock().unwrap().bodies.len();
    hook.lock().unwrap().down = false;
    let mut served = start();
    until("the owed purge after the restart", 10, || {
        let hook = hook.lock().unwrap();
        hook.bodies[before..]
            .iter()
            .any(|b| keys(b).contains(&"article:truoc-khi-sap".to_string()))
    })
    .await;
    served.child.kill().unwrap();
    served.child.wait().unwrap();
}
