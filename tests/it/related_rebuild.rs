//! The related index rebuilt while serving once it has doubled: afterwards it answers
//! exactly as an index built at a start does, where before it answered otherwise.

use crate::common::{TOKEN, TestApp, spawn_app, spawn_app_in};
use serde_json::{Value, json};

/// Article `i` of 80: ten stories of eight, each told with some of its story's own
/// words and many words common to all, chosen by a fixed pseudo-random sequence so
/// that no two articles tie.
pub(crate) fn article(i: u32) -> Value {
    let story = i % 10;
    let mut seed = u64::from(i).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut words: Vec<String> = (0..6 + next(6))
        .map(|_| format!("tin{story:02}{:02}x", next(12)))
        .collect();
    words.extend((0..20 + next(30)).map(|_| format!("chung{:03}x", next(150))));
    json!({
        "id": format!("a{i:02}"),
        "url": format!("https://news.example.vn/a{i:02}.html"),
        "title": format!("Tin {} {}", words[0], words[1]),
        "content_html": format!("<p>{}</p>", words.join(" ")),
        "category": "thoi-su",
        "published": "2024-12-06T08:00:00+07:00",
    })
}

async fn load(app: &TestApp, range: std::ops::Range<u32>) {
    let batch: Vec<Value> = range.map(article).collect();
    app.post_articles(&batch).await;
}

/// What `/readyz` says of related stories.
async fn related_part(app: &TestApp) -> String {
    app.get_json("/readyz", 200).await["parts"]["related"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Every article's related answer: ids and scores.
async fn answers(app: &TestApp, n: u32) -> Vec<Vec<(String, f64)>> {
    let mut out = Vec::new();
    for i in 0..n {
        let body = app
            .get_json(&format!("/api/articles/a{i:02}/related?limit=5"), 200)
            .await;
        let hits = body["related"].as_array().unwrap().iter();
        out.push(
            hits.map(|h| {
                (
                    h["id"].as_str().unwrap().into(),
                    h["score"].as_f64().unwrap(),
                )
            })
            .collect(),
        );
    }
    out
}

async fn restart(app: TestApp) -> TestApp {
    spawn_app_in(
        app.stop().await,
        |_| {},
        herald::auth::Tokens::from_list([TOKEN]),
    )
    .await
}

#[tokio::test]
async fn an_index_that_has_doubled_is_rebuilt_and_then_answers_as_a_start_would() {
    let app = spawn_app().await;
    load(&app, 0..40).await;
    assert_eq!(related_part(&app).await, "ready", "40 is no rebuild");
    let live = answers(&app, 40).await;
    let app = restart(app).await;
    let built = answers(&app, 40).await;
    assert_ne!(
        live, built,
        "articles indexed as they came answer otherwise than a build"
    );

    // The start built 40; 40 more double it, and the request that did so starts a
    // rebuild, during which the index answers on.
    load(&app, 40..80).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let part = related_part(&app).await;
        assert!(part == "rebuilding" || part == "ready", "{part}");
        if part == "ready" {
            break;
        }
        app.get_json("/api/articles/a00/related", 200).await;
        assert!(std::time::Instant::now() < deadline, "never rebuilt");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let rebuilt = answers(&app, 80).await;
    let app = restart(app).await;
    assert_eq!(rebuilt, answers(&app, 80).await);
    assert!(rebuilt.iter().all(|hits| !hits.is_empty()));
}
