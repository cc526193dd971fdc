//! Sitemaps: the Google News sitemap (its 48-hour window and its 1,000 limit at
//! their edges, embargoes and retractions, corrections keeping the publication
//! date) and the archive's monthly sitemaps under one index whose lastmod moves
//! only with its month. (ultimate-sitemap-parser reads them in the interop checks.)

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::common::{TOKEN, TestApp, article, get_with, header, spawn_app};

fn at(id: &str, category: &str, published: chrono::DateTime<Utc>) -> Value {
    let mut a = article(id, category, 0);
    a["published"] = published.to_rfc3339().into();
    a
}

async fn text(app: &TestApp, path: &str, status: u16) -> String {
    let r = app.get(path).await;
    assert_eq!(r.status().as_u16(), status, "GET {path}");
    r.text().await.unwrap()
}

fn count(xml: &str, needle: &str) -> usize {
    xml.matches(needle).count()
}

#[tokio::test]
async fn the_news_sitemap_lists_the_last_48_hours_newest_first() {
    let app = spawn_app().await;
    let now = Utc::now();
    app.put_ok(&at(
        "vua-trong",
        "kinh-te",
        now - Duration::hours(47) - Duration::minutes(59),
    ))
    .await;
    app.put_ok(&at(
        "vua-ngoai",
        "kinh-te",
        now - Duration::hours(48) - Duration::minutes(1),
    ))
    .await;
    let mut english = at("tieng-anh", "the-thao", now - Duration::hours(1));
    english["language"] = "en-GB".into();
    app.put_ok(&english).await;
    app.put_ok(&at("sap-toi", "kinh-te", now + Duration::seconds(2)))
        .await;
    let empty_before = text(&app, "/sitemaps/news.xml", 200).await;
    assert!(
        !empty_before.contains("sap-toi"),
        "an embargoed story is not listed"
    );

    let xml = text(&app, "/sitemaps/news.xml", 200).await;
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(xml.contains(r#"xmlns:news="http://www.google.com/schemas/sitemap-news/0.9""#));
    assert_eq!(count(&xml, "<url>"), 2, "{xml}");
    assert!(
        xml.contains("vua-trong") && !xml.contains("vua-ngoai"),
        "the window's edges"
    );
    assert!(
        xml.find("tieng-anh").unwrap() < xml.find("vua-trong").unwrap(),
        "newest first"
    );
    assert!(xml.contains("<news:name>Báo Herald</news:name><news:language>en</news:language>"));
    assert!(xml.contains("<news:language>vi</news:language>"));

    // A correction keeps the original publication date.
    let published = (now - Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    english["title"] = "Corrected headline".into();
    english["updated"] = Utc::now().to_rfc3339().into();
    app.put_ok(&english).await;
    let xml = text(&app, "/sitemaps/news.xml", 200).await;
    assert!(xml.contains("<news:title>Corrected headline</news:title>"));
    assert!(
        xml.contains(&format!(
            "<news:publication_date>{published}</news:publication_date>"
        )),
        "{xml}"
    );

    // The embargo lifts: listed; a retraction: gone at once.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert!(
        text(&app, "/sitemaps/news.xml", 200)
            .await
            .contains("sap-toi")
    );
    assert_eq!(app.delete_article("tieng-anh").await, 204);
    assert!(
        !text(&app, "/sitemaps/news.xml", 200)
            .await
            .contains("tieng-anh")
    );

    // Validators and the cache's keys, as for feeds.
    let r = app.get("/sitemaps/news.xml").await;
    assert_eq!(header(&r, "content-type"), "application/xml; charset=utf-8");
    assert_eq!(header(&r, "xkey"), "site");
    let etag = header(&r, "etag");
    let again = get_with(&app, "/sitemaps/news.xml", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status(), 304);
    text(&app, "/sitemaps/news-1.xml", 404).await;
}

#[tokio::test]
async fn past_1000_stories_the_news_sitemap_becomes_an_index_of_parts() {
    let app = spawn_app().await;
    let now = Utc::now();
    let batch = |from: usize, to: usize| -> String {
        (from..to)
            .map(|i| {
                at(
                    &format!("n{i:04}"),
                    "xa-hoi",
                    now - Duration::seconds(i as i64 + 10),
                )
                .to_string()
                    + "\n"
            })
            .collect()
    };
    let post = |body: String| {
        app.client
            .post(app.url("/api/articles"))
            .bearer_auth(TOKEN)
            .body(body)
            .send()
    };
    assert_eq!(post(batch(0, 1000)).await.unwrap().status(), 200);
    let xml = text(&app, "/sitemaps/news.xml", 200).await;
    assert!(xml.contains("<urlset"), "exactly 1,000: one file");
    assert_eq!(count(&xml, "<url>"), 1000);
    assert_eq!(post(batch(1000, 1001)).await.unwrap().status(), 200);
    let index = text(&app, "/sitemaps/news.xml", 200).await;
    assert!(index.contains("<sitemapindex"), "{index:.300}");
    assert!(index.contains("/sitemaps/news-1.xml") && index.contains("/sitemaps/news-2.xml"));
    assert!(!index.contains("news-3.xml"));
    let first = text(&app, "/sitemaps/news-1.xml", 200).await;
    assert_eq!(count(&first, "<url>"), 1000);
    assert!(first.contains("n0000"), "the newest first");
    let second = text(&app, "/sitemaps/news-2.xml", 200).await;
    assert_eq!(count(&second, "<url>"), 1);
    assert!(second.contains("n1000"));
    text(&app, "/sitemaps/news-3.xml", 404).await;
}

#[tokio::test]
async fn the_archive_has_one_sitemap_per_month_whose_lastmod_moves_with_it() {
    let app = spawn_app().await;
    let mut a = article("thang-muoi", "kinh-te", 0);
    a["published"] = json!("2024-10-15T08:00:00+07:00");
    a["updated"] = json!("2024-10-20T08:00:00+07:00");
    app.put_ok(&a).await;
    app.put_ok(&article("thang-muoi-hai", "kinh-te", 0)).await; // 2024-12-06
    let index = text(&app, "/sitemap.xml", 200).await;
    assert!(index.contains("<sitemapindex"));
    assert!(index.contains("<loc>http://localhost:8080/sitemaps/2024-10.xml</loc><lastmod>2024-10-20T01:00:00Z</lastmod>"), "{index}");
    assert!(index.contains("/sitemaps/2024-12.xml"));

    let october = text(&app, "/sitemaps/2024-10.xml", 200).await;
    assert!(october.contains(r#"xmlns:image="http://www.google.com/schemas/sitemap-image/1.1""#));
    assert!(october.contains("<loc>https://news.example.vn/kinh-te/thang-muoi.html</loc><lastmod>2024-10-20T01:00:00Z</lastmod>"));
    assert!(october.contains(
        "<image:image><image:loc>https://news.example.vn/img/1.jpg</image:loc></image:image>"
    ));
    assert!(!october.contains("thang-muoi-hai"));

    // A change to December leaves October's lastmod where it was.
    let mut dec = article("thang-muoi-hai", "kinh-te", 0);
    dec["title"] = "Tin tháng mười hai, đã sửa".into();
    app.put_ok(&dec).await;
    let after = text(&app, "/sitemap.xml", 200).await;
    assert!(after.contains("2024-10.xml</loc><lastmod>2024-10-20T01:00:00Z</lastmod>"));
    assert_ne!(after, index, "December's lastmod moved");
    // A retraction empties a month: it leaves the index.
    assert_eq!(app.delete_article("thang-muoi").await, 204);
    assert!(
        !text(&app, "/sitemap.xml", 200)
            .await
            .contains("2024-10.xml")
    );
    text(&app, "/sitemaps/2024-10.xml", 404).await;
    for bad in ["2024-13.xml", "2024-12-1.xml", "2024-12-2.xml", "tin.xml"] {
        text(&app, &format!("/sitemaps/{bad}"), 404).await;
    }
}
