//! Related lists: made in the background after a batch, they answer as the full
//! query does (which answers limits past a list's length), and a write is seen at
//! once, both in its own answer and in those of the articles that now rank it high.

use crate::common::{TestApp, spawn_app};
use crate::related_rebuild::article;

/// Waits until no article waits for its related list.
async fn wait_for_lists(app: &TestApp) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let ready = app.get_json("/readyz", 200).await;
        if ready["related_lists_waiting"] == 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "lists never made: {ready}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The ids and scores article `id` is related to, with `query` appended.
async fn related(app: &TestApp, id: &str, query: &str) -> Vec<(String, f64)> {
    let body = app
        .get_json(&format!("/api/articles/{id}/related?{query}"), 200)
        .await;
    let hits = body["related"].as_array().unwrap().iter();
    hits.map(|h| {
        (
            h["id"].as_str().unwrap().into(),
            h["score"].as_f64().unwrap(),
        )
    })
    .collect()
}

/// For each of `n` articles: the default answer (from its list, where it has one)
/// is the first five of the full query's answer to a limit of 20 (longer than any
/// list), also with an id excluded.
async fn assert_lists_answer_as_the_full_query(app: &TestApp, n: u32) {
    for i in 0..n {
        let id = format!("a{i:02}");
        let full = related(app, &id, "limit=20").await;
        assert!(full.len() > 5, "{id}: too few related to tell: {full:?}");
        assert_eq!(related(app, &id, "").await, full[..5], "{id}");
        let first = &full[0].0;
        let rest: Vec<_> = full[1..6].to_vec();
        assert_eq!(
            related(app, &id, &format!("exclude={first}")).await,
            rest,
            "{id}"
        );
    }
}

#[tokio::test]
async fn lists_made_after_a_batch_answer_as_the_full_query_and_see_each_write_at_once() {
    let app = spawn_app().await;
    let batch: Vec<_> = (0..60).map(article).collect();
    app.post_articles(&batch).await;
    wait_for_lists(&app).await;
    assert_lists_answer_as_the_full_query(&app, 60).await;

    // A new article of story 0: its own answer and those of the articles that now
    // rank it among their first five include it at once, before the worker has made
    // their lists again. (Scores move a little with every write, as the counts do,
    // so lists made before it need not repeat the full query's scores.)
    app.put_ok(&article(60)).await;
    let own = related(&app, "a60", "limit=20").await;
    assert_eq!(related(&app, "a60", "").await, own[..5]);
    let mut found_by = 0;
    for i in 0..60 {
        let id = format!("a{i:02}");
        let full = related(&app, &id, "limit=20").await;
        if full[..5].iter().any(|(h, _)| h == "a60") {
            let listed = related(&app, &id, "").await;
            assert!(
                listed.iter().any(|(h, _)| h == "a60"),
                "{id}: {listed:?}, {full:?}"
            );
            found_by += 1;
        }
    }
    assert!(
        found_by >= 3,
        "only {found_by} articles rank a60 among their five"
    );
    wait_for_lists(&app).await;
}
