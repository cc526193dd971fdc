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

#[tokio::test]
async fn metrics_count_requests_cache_work_and_articles() {
    let app = spawn_app().await;
    app.put_ok(&article("a", "kinh-te", 0)).await;
    for _ in 0..3 {
        app.get("/feeds/category/kinh-te/rss.xml").await;
    }
    app.get("/api/articles/khong-co").await;

    let r = app.get("/metrics").await;
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = r.text().await.unwrap();
    let value = |prefix: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
    };
    assert_eq!(
        value(
            r#"herald_http_requests_total{method="GET",route="/feeds/category/{slug}/{file}",status="200"}"#
        ),
        3.0
    );
    assert_eq!(
        value(
            r#"herald_http_requests_total{method="GET",route="/api/articles/{id}",status="404"}"#
        ),
        1.0
    );
    assert_eq!(
        value(
            r#"herald_http_requests_total{method="PUT",route="/api/articles/{id}",status="201"}"#
        ),
        1.0
    );
    assert!(text.contains(
        r#"herald_http_request_duration_seconds_bucket{route="/feeds/category/{slug}/{file}""#
    ));
    assert_eq!(value("herald_feed_renders_total"), 1.0);
    assert_eq!(value("herald_feed_cache_hits_total"), 2.0);
    assert_eq!(value("herald_articles"), 1.0);
    assert!(value("herald_store_bytes") > 0.0);
}
