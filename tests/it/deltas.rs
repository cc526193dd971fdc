//! RFC 3229 feed deltas: a client that sends `A-IM: feed` with the ETag of an earlier
//! first page gets 226 with what changed since; any other request gets the feed as
//! always. (Python feedparser, a client that does this on its own, is the interop
//! check.)

use crate::common::{TestApp, article, get_with, header, spawn_app};

const ATOM: &str = "/feeds/category/kinh-te/atom.xml";

async fn etag_of(app: &TestApp, path: &str) -> String {
    header(&app.get(path).await, "etag")
}

fn ids(xml: &[u8]) -> Vec<String> {
    let feed = feed_rs::parser::parse(xml).expect("a parsable feed");
    feed.entries
        .into_iter()
        .map(|e| e.id.rsplit(':').next().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_delta_holds_what_changed_since_the_version_named() {
    let app = spawn_app().await;
    for i in 0..5 {
        app.put_ok(&article(&format!("a{i}"), "kinh-te", i)).await;
    }
    let old = etag_of(&app, ATOM).await;
    assert!(
        old.contains('.'),
        "a first page's ETag names a log position: {old}"
    );
    app.put_ok(&article("moi", "kinh-te", 10)).await;
    let mut edited = article("a1", "kinh-te", 1);
    edited["title"] = "Tin a1 đã sửa".into();
    app.put_ok(&edited).await;
    assert_eq!(app.delete_article("a3").await, 204);
    app.put_ok(&article("khac", "the-thao", 11)).await;

    let delta = get_with(&app, ATOM, &[("a-im", "feed"), ("if-none-match", &old)]).await;
    assert_eq!(delta.status().as_u16(), 226);
    assert_eq!(header(&delta, "im"), "feed");
    assert_eq!(header(&delta, "cache-control"), "no-store");
    let current = etag_of(&app, ATOM).await;
    assert_eq!(
        header(&delta, "etag"),
        current,
        "the ETag of the whole current page"
    );
    let body = delta.bytes().await.unwrap();
    let mut got = ids(&body);
    got.sort();
    assert_eq!(
        got,
        ["a1", "moi"],
        "added and changed only, of this section only"
    );
    let xml = String::from_utf8(body.to_vec()).unwrap();
    assert!(xml.contains(r#"<at:deleted-entry ref="tag:localhost,2024:article:a3""#));

    // The current version: 304, as always.
    let same = get_with(&app, ATOM, &[("a-im", "feed"), ("if-none-match", &current)]).await;
    assert_eq!(same.status(), 304);
    // RSS and JSON Feed deltas carry the entries only.
    let rss_old = {
        // A version of the RSS feed from before the next write.
        etag_of(&app, "/feeds/category/kinh-te/rss.xml").await
    };
    app.put_ok(&article("sau-cung", "kinh-te", 12)).await;
    let rss = get_with(
        &app,
        "/feeds/category/kinh-te/rss.xml",
        &[("a-im", "feed"), ("if-none-match", &rss_old)],
    )
    .await;
    assert_eq!(rss.status().as_u16(), 226);
    assert_eq!(ids(&rss.bytes().await.unwrap()), ["sau-cung"]);
}

#[tokio::test]
async fn without_a_im_or_with_an_unknown_version_the_whole_feed_comes() {
    let app = spawn_app().await;
    for i in 0..5 {
        app.put_ok(&article(&format!("a{i}"), "kinh-te", i)).await;
    }
    let old = etag_of(&app, ATOM).await;
    app.put_ok(&article("moi", "kinh-te", 10)).await;

    let plain = get_with(&app, ATOM, &[("if-none-match", &old)]).await;
    assert_eq!(plain.status(), 200, "no A-IM: the whole feed");
    assert_eq!(ids(&plain.bytes().await.unwrap()).len(), 6);
    for unknown in ["\"abc\"", "\"abc.999999\"", "*x"] {
        let r = get_with(&app, ATOM, &[("a-im", "feed"), ("if-none-match", unknown)]).await;
        assert_eq!(r.status(), 200, "{unknown}");
    }
    let other_im = get_with(&app, ATOM, &[("a-im", "gzip"), ("if-none-match", &old)]).await;
    assert_eq!(other_im.status(), 200);
    let whole = get_with(
        &app,
        "/feeds/category/kinh-te/atom.xml?page=2",
        &[("a-im", "feed"), ("if-none-match", &old)],
    )
    .await;
    assert_ne!(
        whole.status().as_u16(),
        226,
        "later pages never answer deltas"
    );
}

#[tokio::test]
async fn a_delta_as_large_as_the_page_is_not_worth_one() {
    let app = crate::common::spawn_app_with(
        |s| s.feeds.items = 5,
        herald::auth::Tokens::from_list([crate::common::TOKEN]),
    )
    .await;
    for i in 0..3 {
        app.put_ok(&article(&format!("a{i}"), "kinh-te", i)).await;
    }
    let old = etag_of(&app, ATOM).await;
    for i in 10..14 {
        app.put_ok(&article(&format!("b{i}"), "kinh-te", i)).await;
    }
    let small = get_with(&app, ATOM, &[("a-im", "feed"), ("if-none-match", &old)]).await;
    assert_eq!(small.status().as_u16(), 226, "4 changed of a page of 5");
    app.put_ok(&article("b14", "kinh-te", 14)).await;
    let whole = get_with(&app, ATOM, &[("a-im", "feed"), ("if-none-match", &old)]).await;
    assert_eq!(whole.status(), 200, "5 changed of a page of 5");
    assert_eq!(ids(&whole.bytes().await.unwrap()).len(), 5);
}
