//! Operations: health, readiness, and the security headers on every answer.

mod common;

use common::{article, spawn_app};

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    app.put_ok(&article("a", "kinh-te", 0)).await;

    assert_eq!(app.get_json("/healthz", 200).await["status"], "ok");
    let ready = app.get_json("/readyz", 200).await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["articles"], 1);
    assert_eq!(ready["indexed"], 1);
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = spawn_app().await;
    app.put_ok(&article("a", "kinh-te", 0)).await;
    for path in [
        "/api/articles/a",
        "/feeds/rss.xml",
        "/feeds/feed.json",
        "/feeds.opml",
        "/nope",
        "/api/articles/a/related",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
        let csp = r.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
    }
}
