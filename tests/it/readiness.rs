//! Restarts without an outage: feeds and the article API answer while the related
//! index is still being built; related stories answer 503 with Retry-After until
//! then, and `/readyz` says which part is ready.

use axum::body::Body;
use axum::http::Request;
use herald::auth::Tokens;
use herald::category::Catalog;
use herald::feed::{FeedCache, FeedLimits, Site};
use herald::http::{AppState, router};
use herald::ingest::Ingest;
use herald::related::LiveIndex;
use herald::transport::zerocopy::Spool;
use tower::ServiceExt;

use crate::common::{article, test_settings};

#[tokio::test]
async fn while_the_index_builds_feeds_answer_and_related_says_503() {
    let dir = tempfile::tempdir().unwrap();
    let settings = test_settings(dir.path());
    let store = herald::store::Store::open(&settings.store.data_dir, 8).unwrap();
    let catalog = Catalog::new(&settings.categories, vec![]);
    // A server whose index build has not finished (it never starts here).
    let ingest = Ingest::new(
        store.clone(),
        catalog.clone(),
        LiveIndex::building(),
        &settings,
    );
    let doc: herald::article::ArticleInput =
        serde_json::from_value(article("som", "kinh-te", 0)).unwrap();
    ingest.put_durable(&ingest.validate(doc).unwrap()).unwrap();
    let feeds = FeedCache::new(
        Site::from_settings(&settings),
        store,
        catalog,
        FeedLimits::from_settings(&settings),
        Spool::memory(),
    );
    let state = AppState::new(
        settings,
        Tokens::default(),
        Default::default(),
        ingest.clone(),
        feeds,
    )
    .unwrap();
    let get = |path: &str| {
        let app = router(state.clone());
        let req = Request::get(path).body(Body::empty()).unwrap();
        async move { app.oneshot(req).await.unwrap() }
    };

    assert_eq!(get("/feeds/rss.xml").await.status(), 200);
    assert_eq!(get("/api/articles/som").await.status(), 200);
    let related = get("/api/articles/som/related").await;
    assert_eq!(related.status(), 503);
    assert_eq!(related.headers()["retry-after"], "5");
    let ready = get("/readyz").await;
    assert_eq!(ready.status(), 200, "feeds are ready");
    let body: serde_json::Value = serde_json::from_slice(
        &axum::body::to_bytes(ready.into_body(), 1 << 20)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(body["parts"]["feeds"], "ready");
    assert_eq!(body["parts"]["related"], "building");
    assert_eq!(get("/readyz?require=related").await.status(), 503);

    // Written during the build, and found once it ends.
    ingest.build_related().unwrap();
    assert_eq!(get("/readyz?require=related").await.status(), 200);
    assert_eq!(get("/api/articles/som/related").await.status(), 200);
}
