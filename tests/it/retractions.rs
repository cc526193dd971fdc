//! Retractions and corrections: a deleted article leaves every feed at once and an
//! RFC 6721 tombstone in the Atom feeds of every scope it was in (parsed by feed-rs
//! here, and by feedparser and the W3C validator in the interop checks), 410 for its
//! id, and nothing in related answers; a correction is an update, a replace that
//! changes nothing is nothing.

use serde_json::{Value, json};

use crate::common::{TOKEN, TestApp, article, spawn_app, spawn_app_in};

const ENTRY: &str = "tag:localhost,2024:article:sai-su-that";

async fn text(app: &TestApp, path: &str) -> String {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "GET {path}");
    r.text().await.unwrap()
}

async fn retract(app: &TestApp, path: &str, body: Option<Value>) -> u16 {
    let mut req = app.client.delete(app.url(path)).bearer_auth(TOKEN);
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap().status().as_u16()
}

fn changes_of(log: &Value, id: &str) -> Vec<String> {
    log["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == id)
        .map(|c| c["kind"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_retraction_leaves_tombstones_in_every_atom_feed_it_was_in() {
    let app = spawn_app().await;
    app.put_ok(&article("sai-su-that", "xa-hoi", 0)).await;
    app.put_ok(&article("dung", "xa-hoi", 1)).await;
    let reason = "Bài viết sai sự thật, đã gỡ theo yêu cầu của cơ quan chức năng.";
    assert_eq!(
        retract(
            &app,
            "/api/articles/sai-su-that",
            Some(json!({"reason": reason}))
        )
        .await,
        204
    );
    for path in [
        "/feeds/atom.xml",
        "/feeds/category/xa-hoi/atom.xml",
        "/feeds/tag/l%C3%A0o%20cai/atom.xml",
        "/feeds/tag/d%C3%A2n%20v%E1%BA%ADn/atom.xml",
    ] {
        let xml = text(&app, path).await;
        assert!(
            xml.contains(r#"xmlns:at="http://purl.org/atompub/tombstones/1.0""#),
            "{path}"
        );
        assert!(
            xml.contains(&format!(r#"<at:deleted-entry ref="{ENTRY}" when=""#)),
            "{path}: {xml}"
        );
        assert!(
            xml.contains(&format!("<at:comment>{reason}</at:comment>")),
            "{path}"
        );
        let feed = feed_rs::parser::parse(xml.as_bytes()).expect("feed-rs parses it");
        assert!(
            feed.entries.iter().all(|e| e.id != ENTRY),
            "{path}: still an entry"
        );
        assert!(
            feed.entries.iter().any(|e| e.id.ends_with(":dung")),
            "{path}"
        );
    }
    // The other formats simply lose the entry.
    for path in ["/feeds/rss.xml", "/feeds/feed.json"] {
        assert!(!text(&app, path).await.contains("sai-su-that"), "{path}");
    }
    let gone = app.get_json("/api/articles/sai-su-that", 410).await;
    assert_eq!(gone["reason"], reason);
    let related = app.get_json("/api/articles/dung/related", 200).await;
    assert!(!related.to_string().contains("sai-su-that"), "{related}");
    app.get_json("/api/articles/sai-su-that/related", 404).await;

    // Tombstones survive a restart.
    let dir = app.stop().await;
    let app = spawn_app_in(dir, |_| {}, herald::auth::Tokens::from_list([TOKEN])).await;
    assert!(text(&app, "/feeds/atom.xml").await.contains(ENTRY));
    app.get_json("/api/articles/sai-su-that", 410).await;
}

#[tokio::test]
async fn a_reason_may_come_as_a_query_and_a_republished_article_loses_its_tombstone() {
    let app = spawn_app().await;
    app.put_ok(&article("sai-su-that", "xa-hoi", 0)).await;
    assert_eq!(
        retract(
            &app,
            "/api/articles/sai-su-that?reason=Nh%E1%BA%A7m%20l%E1%BA%ABn",
            None
        )
        .await,
        204
    );
    assert!(
        text(&app, "/feeds/atom.xml")
            .await
            .contains("<at:comment>Nhầm lẫn</at:comment>")
    );
    let too_long = json!({"reason": "x".repeat(1001)});
    app.put_ok(&article("khac", "xa-hoi", 0)).await;
    assert_eq!(
        retract(&app, "/api/articles/khac", Some(too_long)).await,
        422
    );
    assert_eq!(
        retract(&app, "/api/articles/khac", Some(json!({"why": "x"}))).await,
        422,
        "an unknown field is refused"
    );

    app.put_ok(&article("sai-su-that", "xa-hoi", 0)).await;
    let xml = text(&app, "/feeds/atom.xml").await;
    assert!(!xml.contains("deleted-entry"), "{xml}");
    assert!(
        !xml.contains("xmlns:at="),
        "no namespace without a tombstone"
    );
    app.get_json("/api/articles/sai-su-that", 200).await;
    let log = app.get_json("/api/changes", 200).await;
    assert_eq!(
        changes_of(&log, "sai-su-that"),
        ["publish", "retract", "publish"]
    );
}

#[tokio::test]
async fn a_correction_is_an_update_and_an_identical_replace_is_nothing() {
    let app = spawn_app().await;
    let mut a = article("sua", "kinh-te", 0);
    app.put_ok(&a).await;
    let etag = |r: &reqwest::Response| r.headers()["etag"].to_str().unwrap().to_string();
    let first = etag(&app.get("/feeds/category/kinh-te/atom.xml").await);

    app.put_ok(&a).await;
    assert_eq!(
        etag(&app.get("/feeds/category/kinh-te/atom.xml").await),
        first
    );
    let log = app.get_json("/api/changes", 200).await;
    assert_eq!(changes_of(&log, "sua"), ["publish"], "{log}");

    a["title"] = "Tin đã đính chính".into();
    a["category"] = "xa-hoi".into();
    app.put_ok(&a).await;
    assert_ne!(etag(&app.get("/feeds/atom.xml").await), first);
    let log = app.get_json("/api/changes", 200).await;
    assert_eq!(changes_of(&log, "sua"), ["publish", "update"]);
    let update = log["changes"].as_array().unwrap().last().unwrap().clone();
    let scopes: Vec<&str> = update["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        scopes.contains(&"category:kinh-te") && scopes.contains(&"category:xa-hoi"),
        "a move names the old section and the new: {scopes:?}"
    );
}
