//! Feed contents, checked with a parser we did not write (feed-rs) and by exact text.

use crate::common::{TOKEN, article, spawn_app};
use feed_rs::model::{Entry, Feed, FeedType};
use serde_json::{Value, json};

async fn fetch(app: &crate::common::TestApp, path: &str) -> (String, Feed) {
    let r = app.get(path).await;
    assert_eq!(r.status().as_u16(), 200, "GET {path}");
    let body = r.text().await.unwrap();
    let feed =
        feed_rs::parser::parse(body.as_bytes()).unwrap_or_else(|e| panic!("{path}: {e}\n{body}"));
    (body, feed)
}

fn entry<'a>(feed: &'a Feed, id_suffix: &str) -> &'a Entry {
    feed.entries
        .iter()
        .find(|e| e.id.ends_with(&format!(":article:{id_suffix}")))
        .unwrap_or_else(|| {
            panic!(
                "no entry {id_suffix} in {:?}",
                feed.entries.iter().map(|e| &e.id).collect::<Vec<_>>()
            )
        })
}

fn rich_article() -> Value {
    let mut a = article("bao-so-3", "thoi-su", 0);
    a["title"] = json!("Bão số 3 đổ bộ Lào Cai");
    a["summary"] = json!("Mưa lớn gây sạt lở ở nhiều xã vùng cao.");
    a["content_html"] = json!("<p>Đoàn công tác đã có mặt tại hiện trường.</p>");
    a["updated"] = json!("2024-12-06T15:30:00+07:00");
    a["authors"] =
        json!([{"name": "Nguyễn Văn A", "email": "a@news.example.vn"}, {"name": "Trần Thị B"}]);
    a["images"] = json!([{"url": "https://news.example.vn/img/bao.jpg", "caption": "Nước lũ dâng cao ở Bát Xát.",
        "credit": "Ảnh: Lê Minh", "width": 1200, "height": 800, "mime": "image/jpeg"}]);
    a
}

#[tokio::test]
async fn rss_carries_every_field_readers_need() {
    let app = spawn_app().await;
    app.put_ok(&rich_article()).await;

    let (body, feed) = fetch(&app, "/feeds/category/thoi-su/rss.xml").await;

    assert!(body.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?>"#));
    for ns in [
        r#"xmlns:atom="http://www.w3.org/2005/Atom""#,
        r#"xmlns:content="http://purl.org/rss/1.0/modules/content/""#,
        r#"xmlns:dc="http://purl.org/dc/elements/1.1/""#,
        r#"xmlns:media="http://search.yahoo.com/mrss/""#,
    ] {
        assert!(body.contains(ns), "missing {ns}");
    }
    assert!(
        body.contains(r#"<guid isPermaLink="false">tag:localhost,2024:article:bao-so-3</guid>"#)
    );
    assert!(
        body.contains("<pubDate>Fri, 6 Dec 2024 01:00:00 +0000</pubDate>"),
        "{body}"
    );
    assert!(body.contains("<dc:creator>Nguyễn Văn A</dc:creator>"));
    assert!(!body.contains("<author>"));
    assert!(body.contains(
        r#"<atom:link href="http://localhost:8080/feeds/category/thoi-su/rss.xml" rel="self""#
    ));
    assert!(body.contains("<ttl>5</ttl>") && body.contains("<language>vi</language>"));
    assert!(
        !body.contains("<enclosure"),
        "no enclosure without a byte length"
    );

    assert_eq!(feed.feed_type, FeedType::RSS2);
    assert_eq!(feed.title.as_ref().unwrap().content, "Báo Herald – Thời sự");
    let e = entry(&feed, "bao-so-3");
    assert_eq!(e.title.as_ref().unwrap().content, "Bão số 3 đổ bộ Lào Cai");
    assert_eq!(
        e.links[0].href,
        "https://news.example.vn/thoi-su/bao-so-3.html"
    );
    assert_eq!(
        e.published.unwrap().to_rfc3339(),
        "2024-12-06T01:00:00+00:00"
    );
    assert_eq!(
        e.summary.as_ref().unwrap().content,
        "Mưa lớn gây sạt lở ở nhiều xã vùng cao."
    );
    let content = &e.content.as_ref().unwrap().body.as_ref().unwrap();
    assert!(content.contains("<figure><img src=\"https://news.example.vn/img/bao.jpg\""));
    assert!(content.contains("<figcaption>Nước lũ dâng cao ở Bát Xát.</figcaption>"));
    let terms: Vec<&str> = e.categories.iter().map(|c| c.term.as_str()).collect();
    assert_eq!(terms, ["Thời sự", "dân vận", "Lào Cai"]);
    let names: Vec<&str> = e.authors.iter().filter_map(|p| p.name.as_deref()).collect();
    assert_eq!(names, ["Nguyễn Văn A", "Trần Thị B"]);
    let media = &e.media[0];
    let mc = &media.content[0];
    assert_eq!(
        mc.url.as_ref().unwrap().as_str(),
        "https://news.example.vn/img/bao.jpg"
    );
    assert_eq!((mc.width, mc.height), (Some(1200), Some(800)));
    assert!(body.contains(
        r#"<media:description type="plain">Nước lũ dâng cao ở Bát Xát.</media:description>"#
    ));
    assert!(body.contains("<media:credit>Ảnh: Lê Minh</media:credit>"));
    assert!(body.contains(
        r#"<media:thumbnail height="800" url="https://news.example.vn/img/bao.jpg" width="1200">"#
    ));
}

#[tokio::test]
async fn atom_carries_ids_dates_categories_and_media() {
    let app = spawn_app().await;
    app.put_ok(&rich_article()).await;

    let (body, feed) = fetch(&app, "/feeds/category/thoi-su/atom.xml").await;

    assert!(body.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?>"#));
    assert_eq!(feed.feed_type, FeedType::Atom);
    assert_eq!(feed.id, "tag:localhost,2024:feed:category:thoi-su");
    assert_eq!(
        feed.updated.unwrap().to_rfc3339(),
        "2024-12-06T08:30:00+00:00"
    );
    assert!(feed.links.iter().any(|l| l.rel.as_deref() == Some("self")
        && l.href == "http://localhost:8080/feeds/category/thoi-su/atom.xml"));
    let e = entry(&feed, "bao-so-3");
    assert_eq!(e.id, "tag:localhost,2024:article:bao-so-3");
    assert_eq!(e.title.as_ref().unwrap().content, "Bão số 3 đổ bộ Lào Cai");
    assert_eq!(
        e.published.unwrap().to_rfc3339(),
        "2024-12-06T01:00:00+00:00"
    );
    assert_eq!(e.updated.unwrap().to_rfc3339(), "2024-12-06T08:30:00+00:00");
    assert_eq!(e.categories[0].term, "thoi-su");
    assert_eq!(e.categories[0].label.as_deref(), Some("Thời sự"));
    assert_eq!(e.authors[0].email.as_deref(), Some("a@news.example.vn"));
    assert!(
        e.content
            .as_ref()
            .unwrap()
            .body
            .as_ref()
            .unwrap()
            .contains("<figcaption>Nước lũ dâng cao ở Bát Xát.</figcaption>")
    );
    assert_eq!(
        e.media[0].content[0].url.as_ref().unwrap().as_str(),
        "https://news.example.vn/img/bao.jpg"
    );
    assert!(body.contains(
        r#"<media:description type="plain">Nước lũ dâng cao ở Bát Xát.</media:description>"#
    ));
}

#[tokio::test]
async fn json_feed_has_the_1_1_fields() {
    let app = spawn_app().await;
    app.put_ok(&rich_article()).await;

    let r = app.get("/feeds/category/thoi-su/feed.json").await;
    assert_eq!(
        r.headers()["content-type"],
        "application/feed+json; charset=utf-8"
    );
    let body = r.text().await.unwrap();
    let feed = feed_rs::parser::parse(body.as_bytes()).expect("feed-rs parses JSON Feed");
    assert_eq!(feed.feed_type, FeedType::JSON);
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(
        doc["feed_url"],
        "http://localhost:8080/feeds/category/thoi-su/feed.json"
    );
    assert_eq!(doc["language"], "vi");
    let item = &doc["items"][0];
    assert_eq!(item["id"], "tag:localhost,2024:article:bao-so-3");
    assert_eq!(item["date_published"], "2024-12-06T01:00:00Z");
    assert_eq!(item["date_modified"], "2024-12-06T08:30:00Z");
    assert_eq!(item["image"], "https://news.example.vn/img/bao.jpg");
    assert_eq!(item["authors"][1]["name"], "Trần Thị B");
    assert_eq!(item["tags"], json!(["Thời sự", "dân vận", "Lào Cai"]));
}

#[tokio::test]
async fn hostile_text_stays_well_formed() {
    let app = spawn_app().await;
    let mut a = article("kho", "xa-hoi", 0);
    let title = "A & B <script>alert(1)</script> ]]> 😀 \u{1}\u{8}Ba\u{0303}o";
    a["title"] = json!(title);
    a["summary"] = json!("x ]]> y & <b>z</b>");
    a["content_html"] = json!("<p>]]&gt; and ]]> inside</p>");
    app.put_ok(&a).await;

    for fmt in ["rss.xml", "atom.xml", "feed.json"] {
        let (_, feed) = fetch(&app, &format!("/feeds/category/xa-hoi/{fmt}")).await;
        let e = entry(&feed, "kho");
        // Titles and summaries are plain text: markup is dropped on ingest.
        assert_eq!(
            e.title.as_ref().unwrap().content,
            "A & B alert(1) ]]> 😀 Bão",
            "{fmt}"
        );
        assert_eq!(e.summary.as_ref().unwrap().content, "x ]]> y & z", "{fmt}");
        let body = e
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .unwrap_or_default();
        // The body is sanitised HTML: its text survives, its `>` escaped.
        assert!(body.contains("]]&gt; and ]]&gt; inside"), "{fmt}: {body}");
    }
}

#[tokio::test]
async fn site_feed_holds_every_category_and_an_empty_category_is_valid() {
    let app = spawn_app().await;
    app.put_ok(&article("a", "kinh-te", 0)).await;
    app.put_ok(&article("b", "the-thao", 1)).await;

    let (_, site) = fetch(&app, "/feeds/rss.xml").await;
    assert_eq!(site.entries.len(), 2);
    assert!(site.entries[0].id.ends_with(":b"), "newest first");

    for fmt in ["rss.xml", "atom.xml", "feed.json"] {
        let (_, empty) = fetch(&app, &format!("/feeds/category/giao-duc/{fmt}")).await;
        assert!(empty.entries.is_empty());
    }
}

#[tokio::test]
async fn update_keeps_the_guid_and_delete_removes_the_entry_everywhere() {
    let app = spawn_app().await;
    app.put_ok(&article("sua", "kinh-te", 0)).await;
    let (_, before) = fetch(&app, "/feeds/tag/d%C3%A2n%20v%E1%BA%ADn/atom.xml").await;

    let mut updated = article("sua", "kinh-te", 0);
    updated["title"] = json!("Tiêu đề mới");
    updated["url"] = json!("https://news.example.vn/moved.html");
    updated["updated"] = json!("2024-12-07T10:00:00+07:00");
    app.put_ok(&updated).await;
    let (_, after) = fetch(&app, "/feeds/tag/d%C3%A2n%20v%E1%BA%ADn/atom.xml").await;

    assert_eq!(
        before.entries[0].id, after.entries[0].id,
        "id survives an update and a new URL"
    );
    assert_eq!(
        after.entries[0].title.as_ref().unwrap().content,
        "Tiêu đề mới"
    );
    assert_eq!(
        after.entries[0].updated.unwrap().to_rfc3339(),
        "2024-12-07T03:00:00+00:00"
    );

    assert_eq!(app.delete_article("sua").await, 204);
    for path in ["/feeds/rss.xml", "/feeds/category/kinh-te/atom.xml"] {
        let (_, feed) = fetch(&app, path).await;
        assert!(feed.entries.is_empty(), "{path}");
    }
    assert_eq!(
        app.get("/feeds/tag/d%C3%A2n%20v%E1%BA%ADn/rss.xml")
            .await
            .status()
            .as_u16(),
        404
    );
}

#[tokio::test]
async fn a_thousand_articles_page_through_next_links() {
    let app = spawn_app().await;
    let batch: Vec<Value> = (0..1000)
        .map(|i| article(&format!("p{i:04}"), "phap-luat", i))
        .collect();
    app.post_articles(&batch).await;

    let mut seen = std::collections::HashSet::new();
    let mut path = "/feeds/category/phap-luat/atom.xml".to_string();
    let mut pages = 0;
    loop {
        let (_, feed) = fetch(&app, &path).await;
        pages += 1;
        assert!(feed.entries.len() <= 50);
        seen.extend(feed.entries.iter().map(|e| e.id.clone()));
        match feed.links.iter().find(|l| l.rel.as_deref() == Some("next")) {
            Some(next) => {
                path = next
                    .href
                    .trim_start_matches("http://localhost:8080")
                    .to_string()
            }
            None => break,
        }
    }
    assert_eq!((pages, seen.len()), (20, 1000));
    let (body, _) = fetch(&app, "/feeds/category/phap-luat/rss.xml?page=2").await;
    assert!(
        body.contains(r#"rel="previous""#)
            && body.contains(r#"rel="next""#)
            && body.contains(r#"rel="first""#)
    );
    assert!(body.contains(r#"<atom:link href="http://localhost:8080/feeds/category/phap-luat/rss.xml?page=2" rel="self""#));
    assert_eq!(
        app.get("/feeds/category/phap-luat/rss.xml?page=21")
            .await
            .status()
            .as_u16(),
        404
    );
    let json: Value = app
        .get("/feeds/category/phap-luat/feed.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        json["next_url"],
        "http://localhost:8080/feeds/category/phap-luat/feed.json?page=2"
    );
}

#[tokio::test]
async fn byte_cap_drops_the_oldest_items() {
    let app = crate::common::spawn_app_with(
        |s| s.feeds.max_bytes = 6000,
        herald::auth::Tokens::from_list([TOKEN]),
    )
    .await;
    for i in 0..20 {
        app.put_ok(&article(&format!("c{i:02}"), "y-te", i)).await;
    }
    let (body, feed) = fetch(&app, "/feeds/category/y-te/rss.xml").await;
    assert!(body.len() <= 6000, "{} bytes", body.len());
    assert!(!feed.entries.is_empty() && feed.entries.len() < 20);
    assert!(feed.entries[0].id.ends_with(":c19"), "the newest is kept");
}

#[tokio::test]
async fn configured_icon_and_logo_appear_in_atom_and_json() {
    let app = crate::common::spawn_app_with(
        |s| {
            s.site.icon = "https://news.example.vn/icon.png".into();
            s.site.logo = "https://news.example.vn/logo.png".into();
        },
        herald::auth::Tokens::from_list([TOKEN]),
    )
    .await;
    app.put_ok(&article("a", "kinh-te", 0)).await;

    let (body, feed) = fetch(&app, "/feeds/atom.xml").await;
    assert!(body.contains("<icon>https://news.example.vn/icon.png</icon>"));
    assert!(body.contains("<logo>https://news.example.vn/logo.png</logo>"));
    assert_eq!(feed.logo.unwrap().uri, "https://news.example.vn/logo.png");
    let json: Value = app.get("/feeds/feed.json").await.json().await.unwrap();
    assert_eq!(json["favicon"], "https://news.example.vn/icon.png");
    assert_eq!(json["icon"], "https://news.example.vn/logo.png");

    let (plain, _) = fetch(&spawn_app().await, "/feeds/atom.xml").await;
    assert!(
        !plain.contains("<icon>") && !plain.contains("<logo>"),
        "absent unless configured"
    );
}
