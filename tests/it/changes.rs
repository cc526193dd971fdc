//! The change log over HTTP: order, paging, long polling woken by a write, the cap
//! on waiting calls, and 410 for a position the log does not hold.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{TOKEN, article, spawn_app, spawn_app_with};

fn seqs(page: &Value) -> Vec<u64> {
    page["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["seq"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn entries_come_in_order_and_page_with_next() {
    let app = spawn_app().await;
    for i in 0..5 {
        app.put_ok(&article(&format!("a{i}"), "kinh-te", i)).await;
    }
    assert_eq!(app.delete_article("a1").await, 204);
    let all = app.get_json("/api/changes", 200).await;
    assert_eq!(seqs(&all), [1, 2, 3, 4, 5, 6]);
    assert_eq!(all["next"], 6);
    let kinds: Vec<&str> = all["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "publish", "publish", "publish", "publish", "publish", "retract"
        ]
    );
    let first = &all["changes"][0];
    assert_eq!(first["id"], "a0");
    assert_eq!(first["url"], "https://news.example.vn/kinh-te/a0.html");
    assert!(first["at"].as_str().unwrap().ends_with('Z'));

    let page = app.get_json("/api/changes?since=2&limit=2", 200).await;
    assert_eq!(seqs(&page), [3, 4]);
    let rest = app
        .get_json(&format!("/api/changes?since={}", page["next"]), 200)
        .await;
    assert_eq!(seqs(&rest), [5, 6]);
    let none = app.get_json("/api/changes?since=6", 200).await;
    assert_eq!(seqs(&none), Vec::<u64>::new());
    assert_eq!(none["next"], 6);

    let ahead = app.get_json("/api/changes?since=99", 410).await;
    assert_eq!(ahead["oldest"], 1, "{ahead}");
    for bad in [
        "since=-1",
        "since=x",
        "since=9223372036854775808",
        "limit=0",
        "limit=1001",
        "wait=61",
        "wait=0",
    ] {
        let r = app.get_json(&format!("/api/changes?{bad}"), 400).await;
        assert_eq!(r["error"], "invalid_parameter", "{bad}");
    }
}

#[tokio::test]
async fn a_waiting_call_is_woken_by_a_write() {
    let app = spawn_app().await;
    app.put_ok(&article("a0", "kinh-te", 0)).await;
    let url = app.url("/api/changes?since=1&wait=20");
    let client = app.client.clone();
    let started = Instant::now();
    let waiting = tokio::spawn(async move { client.get(url).send().await.unwrap() });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "answered before any change");
    app.put_ok(&article("a1", "kinh-te", 1)).await;
    let answer: Value = waiting.await.unwrap().json().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(seqs(&answer), [2]);
    assert_eq!(answer["changes"][0]["id"], "a1");

    // With nothing new, a wait ends empty when its time is up.
    let started = Instant::now();
    let empty = app.get_json("/api/changes?since=2&wait=1", 200).await;
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(seqs(&empty), Vec::<u64>::new());
}

#[tokio::test]
async fn waiting_calls_beyond_the_cap_get_503_with_retry_after() {
    let app = spawn_app_with(
        |s| s.changes.max_waiting = 1,
        herald::auth::Tokens::from_list([TOKEN]),
    )
    .await;
    let url = app.url("/api/changes?wait=5");
    let client = app.client.clone();
    let first = tokio::spawn(async move { client.get(url).send().await.unwrap().status() });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = app.get("/api/changes?wait=5").await;
    assert_eq!(second.status(), 503);
    assert_eq!(second.headers()["retry-after"], "5");
    // A call that does not wait is always answered.
    app.get_json("/api/changes", 200).await;
    app.put_ok(&article("a0", "kinh-te", 0)).await;
    assert_eq!(first.await.unwrap(), 200);
}
