//! Operations: health, readiness, and the security headers on every answer.

use crate::common::{article, spawn_app};

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

#[tokio::test]
async fn online_export_is_a_backup_that_import_restores() {
    let app = spawn_app().await;
    for (i, id) in ["mot", "hai", "ba"].iter().enumerate() {
        app.put_ok(&article(id, "kinh-te", i as u32)).await;
    }
    assert_eq!(app.get("/api/export").await.status().as_u16(), 401);

    let r = app
        .client
        .get(app.url("/api/export"))
        .bearer_auth(crate::common::TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    let backup = r.text().await.unwrap();
    let lines: Vec<serde_json::Value> = backup
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    for line in &lines {
        let id = line["id"].as_str().unwrap();
        assert_eq!(
            &app.get_json(&format!("/api/articles/{id}"), 200).await,
            line
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.jsonl");
    std::fs::write(&file, &backup).unwrap();
    let data = dir.path().join("restored");
    let run = |args: &[&str]| {
        std::process::Command::new(crate::common::herald_bin())
            .args(args)
            .arg("--data-dir")
            .arg(&data)
            .env_remove("HERALD_CONFIG")
            .output()
            .unwrap()
    };
    assert!(run(&["import", file.to_str().unwrap()]).status.success());
    assert_eq!(String::from_utf8(run(&["export"]).stdout).unwrap(), backup);
}
