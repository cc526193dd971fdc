//! Scheduled publishing: an article dated later than now is stored and acknowledged
//! but public nowhere until its time, then published by the timer (within a second),
//! as an event; across a restart too; moved or cancelled by a replace or a delete.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{TOKEN, TestApp, article, spawn_app, spawn_app_in};

/// An article in `kinh-te` with a tag of its own, published `secs` from now.
fn embargoed(id: &str, secs: i64) -> Value {
    let mut a = article(id, "kinh-te", 0);
    let at = chrono::Utc::now() + chrono::Duration::seconds(secs);
    a["published"] = at.to_rfc3339().into();
    a["tags"] = serde_json::json!(["Lào Cai", format!("riêng {id}")]);
    a["title"] = format!("Tin giờ G {id}: khai trương cửa khẩu").into();
    a
}

/// Every route an anonymous reader (or aggregator) has, for article `id`.
fn public_routes(id: &str) -> Vec<String> {
    let tag = format!("/feeds/tag/{}", urlencode(&format!("riêng {id}")));
    let mut routes = vec![
        "/api/articles".to_string(),
        "/api/articles?category=kinh-te".into(),
        "/api/articles?tag=L%C3%A0o%20Cai".into(),
        format!("/api/articles/{id}"),
        format!("/api/articles/{id}/related"),
        "/api/articles/ban-dau/related".into(),
        "/feeds.opml".into(),
        "/readyz".into(),
        "/metrics".into(),
    ];
    for scope in [
        "/feeds",
        "/feeds/category/kinh-te",
        "/feeds/tag/l%C3%A0o%20cai",
        &tag,
    ] {
        for file in ["rss.xml", "atom.xml", "feed.json"] {
            routes.push(format!("{scope}/{file}"));
        }
    }
    routes
}

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Asserts that no anonymous route shows article `id` (by its id or its title).
async fn assert_hidden(app: &TestApp, id: &str) {
    for route in public_routes(id) {
        let r = app.get(&route).await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert!(
            !body.contains(id) || status == 404,
            "{route} ({status}) shows {id}: {body:.300}"
        );
        assert!(!body.contains("Tin giờ G"), "{route} shows the title");
        if route == "/readyz" {
            let ready: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(ready["articles"], 1, "{ready}");
        }
        if route == "/metrics" {
            assert!(body.contains("herald_articles 1\n"), "{body}");
        }
    }
}

/// Waits until the site's RSS feed lists `id`; returns how long after `due` it did.
async fn published_after(app: &TestApp, id: &str, due: Instant) -> Duration {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let feed = app.get("/feeds/rss.xml").await.text().await.unwrap();
        if feed.contains(&format!(":article:{id}<")) {
            return due.elapsed();
        }
        assert!(Instant::now() < deadline, "{id} never published");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn put(app: &TestApp, doc: &Value) -> u16 {
    let id = doc["id"].as_str().unwrap();
    app.put_article(id, doc).await.status().as_u16()
}

async fn changes(app: &TestApp) -> Vec<Value> {
    let log = app.get_json("/api/changes", 200).await;
    log["changes"].as_array().unwrap().clone()
}

#[tokio::test]
async fn nothing_scheduled_shows_anywhere_until_its_time_then_it_is_published() {
    let app = spawn_app().await;
    app.put_ok(&article("ban-dau", "kinh-te", 0)).await;
    let before = app.get("/feeds/atom.xml").await.text().await.unwrap();
    let secs = 3;
    assert_eq!(put(&app, &embargoed("gio-g", secs)).await, 201);
    let due = Instant::now() + Duration::from_secs(secs as u64);

    assert_hidden(&app, "gio-g").await;
    // Nothing a feed shows moved: not even its dates.
    assert_eq!(
        app.get("/feeds/atom.xml").await.text().await.unwrap(),
        before
    );
    // The newsroom sees it, and its queue.
    let r = app
        .client
        .get(app.url("/api/articles/gio-g"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["herald-status"], "scheduled");
    let queue: Value = app
        .client
        .get(app.url("/api/articles?status=scheduled"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(queue["articles"][0]["id"], "gio-g");
    assert_eq!(
        app.get("/api/articles?status=scheduled").await.status(),
        401,
        "the queue is the newsroom's"
    );
    assert!(changes(&app).await.iter().all(|c| c["id"] != "gio-g"));

    let late = published_after(&app, "gio-g", due).await;
    assert!(
        late < Duration::from_millis(1500),
        "published {late:?} late"
    );
    for route in [
        "/feeds/category/kinh-te/atom.xml",
        &format!("/feeds/tag/{}/feed.json", urlencode("riêng gio-g")),
        "/api/articles/gio-g",
    ] {
        let r = app.get(route).await;
        assert_eq!(r.status(), 200, "{route}");
        assert!(r.text().await.unwrap().contains("gio-g"), "{route}");
    }
    let log = changes(&app).await;
    let publish = log.iter().find(|c| c["id"] == "gio-g").expect("logged");
    assert_eq!(publish["kind"], "publish");
    let scopes: Vec<&str> = publish["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(
        scopes,
        ["site", "category:kinh-te", "tag:lào cai", "tag:riêng gio-g"]
    );
}

#[tokio::test]
async fn an_article_due_while_herald_was_stopped_is_published_at_start() {
    let app = spawn_app().await;
    assert_eq!(put(&app, &embargoed("dem", 1)).await, 201);
    let dir = app.stop().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let app = spawn_app_in(dir, |_| {}, herald::auth::Tokens::from_list([TOKEN])).await;
    let late = published_after(&app, "dem", Instant::now()).await;
    assert!(late < Duration::from_secs(1), "{late:?} after the start");
    assert!(
        changes(&app)
            .await
            .iter()
            .any(|c| c["id"] == "dem" && c["kind"] == "publish")
    );
}

#[tokio::test]
async fn a_replace_moves_the_time_and_a_delete_cancels() {
    let app = spawn_app().await;
    assert_eq!(put(&app, &embargoed("doi", 3600)).await, 201);
    // Brought forward to two seconds from now: published then, not in an hour.
    assert_eq!(put(&app, &embargoed("doi", 2)).await, 200);
    let due = Instant::now() + Duration::from_secs(2);
    assert!(published_after(&app, "doi", due).await < Duration::from_millis(1500));

    assert_eq!(put(&app, &embargoed("huy", 2)).await, 201);
    assert_eq!(app.delete_article("huy").await, 204, "cancelled");
    assert_eq!(app.delete_article("huy").await, 404);
    // A time already past publishes at once.
    assert_eq!(put(&app, &embargoed("ngay", 3600)).await, 201);
    assert_eq!(put(&app, &embargoed("ngay", -60)).await, 200);
    assert!(published_after(&app, "ngay", Instant::now()).await < Duration::from_millis(500));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let feed = app.get("/feeds/rss.xml").await.text().await.unwrap();
    assert!(
        !feed.contains(":article:huy<"),
        "a cancelled article was published"
    );
    let log = changes(&app).await;
    assert!(
        log.iter().all(|c| c["id"] != "huy"),
        "a cancellation is no event"
    );
}

#[tokio::test]
async fn no_date_a_feed_shows_is_later_than_now() {
    let app = spawn_app().await;
    let mut ahead = article("truoc", "kinh-te", 0);
    let now = chrono::Utc::now();
    ahead["published"] = (now - chrono::Duration::hours(1)).to_rfc3339().into();
    ahead["updated"] = (now + chrono::Duration::minutes(30)).to_rfc3339().into();
    let r = app.put_article("truoc", &ahead).await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["fields"][0]["field"], "updated", "{body}");
    // A CMS clock a little ahead is taken as now.
    ahead["updated"] = (now + chrono::Duration::seconds(60)).to_rfc3339().into();
    app.put_ok(&ahead).await;
    let rss = app.get("/feeds/rss.xml").await;
    let last_modified =
        httpdate::parse_http_date(rss.headers()["last-modified"].to_str().unwrap()).unwrap();
    assert!(last_modified <= std::time::SystemTime::now());
    let feed = feed_rs::parser::parse(&rss.bytes().await.unwrap()[..]).unwrap();
    assert!(feed.updated.unwrap() <= chrono::Utc::now());
}
