//! Each profile's rules, on feeds made for a partner with that profile: Google
//! News' 2 MB per feed and 1 MB per item, MSN's Atom with fewer than 30 complete
//! items per page, Flipboard's 30 items of full text with large images, and
//! SmartNews' SmartFormat under 1 MB.

use serde_json::{Value, json};

use crate::common::article;
use crate::common::partners::{get_as, parsed, with_partners};

/// An article whose body is about `bytes` long, with `word` in it.
fn long(id: &str, minute: u32, bytes: usize, word: &str) -> Value {
    let mut a = article(id, "kinh-te", minute);
    let para = format!("<p>Nội dung dài về kinh tế tỉnh nhà {word}.</p>");
    a["content_html"] = para.repeat(bytes / para.len()).into();
    a
}

#[tokio::test]
async fn google_news_gets_at_most_2_mb_per_feed_and_1_mb_per_item() {
    let partners = json!([{"name": "gn", "profile": "google-news"},
        {"name": "gn1", "profile": "google-news", "items": 1}]);
    let p = with_partners(partners, |s| {
        s.feeds.max_bytes = 10_000_000;
    })
    .await;
    let app = &p.app;
    app.put_ok(&long("rat-dai", 0, 1_040_000, "RATDAI")).await;
    for i in 1..=3 {
        app.put_ok(&long(&format!("dai-{i}"), i, 700_000, "VUA"))
            .await;
    }
    let (feed, body) = parsed(app, "gn", "/partners/gn/feeds/rss.xml").await;
    assert!(body.len() <= 2_000_000, "{} bytes", body.len());
    let ids: Vec<_> = feed
        .entries
        .iter()
        .map(|e| e.id.rsplit(':').next().unwrap())
        .collect();
    assert_eq!(ids, ["dai-3", "dai-2"], "the oldest dropped to fit");
    for item in body.split("<item>").skip(1) {
        assert!(item.len() <= 1_000_000, "an item of {} bytes", item.len());
    }
    // Alone, the 1 MB story goes out as its summary.
    let (feed, body) = parsed(app, "gn1", "/partners/gn1/feeds/rss.xml?page=4").await;
    let last = feed
        .entries
        .iter()
        .find(|e| e.id.ends_with(":rat-dai"))
        .unwrap();
    assert!(last.content.is_none(), "no body");
    assert!(!body.contains("RATDAI"));
    let public = app.get("/feeds/rss.xml").await.text().await.unwrap();
    assert!(
        public.contains("RATDAI"),
        "the public feed's own cap is 10 MB"
    );
}

#[tokio::test]
async fn msn_gets_atom_pages_of_fewer_than_30_complete_items() {
    let p = with_partners(json!([{"name": "msn-vn", "profile": "msn"}]), |_| {}).await;
    let app = &p.app;
    let articles: Vec<Value> = (0..35)
        .map(|i| article(&format!("bai-{i}"), "xa-hoi", i))
        .collect();
    let lines: Vec<String> = articles.iter().map(Value::to_string).collect();
    assert_eq!(app.post_bulk(lines.join("\n")).await.status(), 200);
    let mut bare = article("khong-anh", "xa-hoi", 100);
    bare["images"] = json!([]);
    app.put_ok(&bare).await;
    let mut empty = article("khong-bai", "xa-hoi", 101);
    empty["content_html"] = "".into();
    app.put_ok(&empty).await;

    let base = "/partners/msn-vn/feeds/category/xa-hoi";
    for other in ["rss.xml", "feed.json"] {
        assert_eq!(
            get_as(app, "msn-vn", &format!("{base}/{other}"))
                .await
                .status(),
            404
        );
    }
    let (feed, body) = parsed(app, "msn-vn", &format!("{base}/atom.xml")).await;
    assert_eq!(feed.entries.len(), 29);
    assert!(
        feed.entries[0].id.ends_with(":bai-34"),
        "no item without an image or a body"
    );
    for e in &feed.entries {
        assert!(e.title.is_some() && e.updated.is_some() && e.published.is_some());
        assert!(
            e.content
                .as_ref()
                .and_then(|c| c.body.as_ref())
                .is_some_and(|b| !b.is_empty())
        );
        let media: Vec<_> = e.media.iter().flat_map(|m| &m.content).collect();
        assert!(
            media.iter().any(|c| c.url.is_some()),
            "{} has no media:content",
            e.id
        );
    }
    assert!(body.contains(&format!(
        "href=\"http://localhost:8080{base}/atom.xml?page=2\" rel=\"next\""
    )));
    let (page2, body) = parsed(app, "msn-vn", &format!("{base}/atom.xml?page=2")).await;
    assert_eq!(page2.entries.len(), 6);
    assert!(body.contains("rel=\"previous\"") && body.contains("rel=\"first\""));
}

#[tokio::test]
async fn flipboard_gets_30_full_items_and_images_400_px_on_the_short_side() {
    let p = with_partners(json!([{"name": "flip", "profile": "flipboard"}]), |s| {
        s.feeds.items = 10;
        s.feeds.content = herald::feed::Content::Summary;
    })
    .await;
    let app = &p.app;
    let mut lines = Vec::new();
    for i in 0..32 {
        let mut a = article(&format!("bai-{i}"), "van-hoa", i);
        let (w, h) = [(1200, 800), (600, 300), (400, 900)][i as usize % 3];
        a["images"][0]["width"] = w.into();
        a["images"][0]["height"] = h.into();
        lines.push(a.to_string());
    }
    assert_eq!(app.post_bulk(lines.join("\n")).await.status(), 200);
    let (feed, body) = parsed(app, "flip", "/partners/flip/feeds/rss.xml").await;
    assert_eq!(
        feed.entries.len(),
        30,
        "at least 30 where the store has them"
    );
    assert_eq!(body.matches("<content:encoded>").count(), 30, "full text");
    for e in &feed.entries {
        let i: usize = e.id.rsplit('-').next().unwrap().parse().unwrap();
        let media = e.media.iter().flat_map(|m| &m.content).count();
        assert_eq!(
            media,
            usize::from(i % 3 != 1),
            "{}: only images 400 px or more on the short side",
            e.id
        );
    }
    let public = app.get("/feeds/rss.xml").await.text().await.unwrap();
    assert_eq!(public.matches("<item>").count(), 10);
    assert!(
        !public.contains("<content:encoded>"),
        "the public feeds are summaries here"
    );
}

#[tokio::test]
async fn smartnews_gets_smartformat_rss_under_1_mb() {
    let partner =
        json!([{"name": "sn", "profile": "smartnews", "description": "Báo tỉnh: tin mới nhất"}]);
    let p = with_partners(partner, |s| {
        s.site.logo = "https://news.example.vn/logo.png".into();
        s.feeds.max_bytes = 10_000_000;
    })
    .await;
    let app = &p.app;
    for i in 0..3 {
        app.put_ok(&long(&format!("dai-{i}"), i, 600_000, "X"))
            .await;
    }
    assert_eq!(
        get_as(app, "sn", "/partners/sn/feeds/atom.xml")
            .await
            .status(),
        404
    );
    let (feed, body) = parsed(app, "sn", "/partners/sn/feeds/rss.xml").await;
    assert!(body.len() < 1_000_000, "{} bytes", body.len());
    assert_eq!(feed.entries.len(), 1);
    assert!(body.contains(r#"xmlns:snf="http://www.smartnews.be/snf""#));
    assert!(
        body.contains("<snf:logo><url>https://news.example.vn/logo.png</url></snf:logo>"),
        "{}",
        &body[..2000]
    );
    let description = feed.description.unwrap().content;
    assert_eq!(description, "Báo tỉnh: tin mới nhất");
    assert!(description.chars().count() <= 30);
    // Feeds of other profiles carry no SmartFormat.
    let public = app.get("/feeds/rss.xml").await.text().await.unwrap();
    assert!(!public.contains("snf"));
}
