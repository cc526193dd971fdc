//! Feed HTTP behaviour: content types, validators, 304s, compression, errors, OPML.

use crate::common::{article, get_with, header, metric, spawn_app};
use serde_json::Value;

const FEED: &str = "/feeds/category/kinh-te/rss.xml";

/// A client that shows redirects instead of following them.
fn no_redirect_client() -> reqwest::Client {
    crate::common::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn every_feed_has_its_content_type_and_cache_headers() {
    let app = spawn_app().await;
    app.put_ok(&article("a", "kinh-te", 0)).await;
    for (path, ct) in [
        ("/feeds/rss.xml", "application/rss+xml; charset=utf-8"),
        ("/feeds/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/feeds/feed.json", "application/feed+json; charset=utf-8"),
        (
            "/feeds/category/kinh-te/atom.xml",
            "application/atom+xml; charset=utf-8",
        ),
        (
            "/feeds/tag/l%C3%A0o%20cai/feed.json",
            "application/feed+json; charset=utf-8",
        ),
        ("/feeds.opml", "text/x-opml; charset=utf-8"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status().as_u16(), 200, "{path}");
        assert_eq!(header(&r, "content-type"), ct, "{path}");
    }
    let r = app.get(FEED).await;
    assert_eq!(
        header(&r, "cache-control"),
        "public, max-age=300, stale-while-revalidate=600, stale-if-error=86400"
    );
    assert_eq!(header(&r, "vary"), "Accept-Encoding");
    assert_eq!(header(&r, "last-modified"), "Fri, 06 Dec 2024 01:00:00 GMT");
    // What the cache in front purges it by, in each header caches read.
    assert_eq!(header(&r, "xkey"), "category:kinh-te");
    assert_eq!(header(&r, "surrogate-key"), "category:kinh-te");
    assert_eq!(header(&r, "cache-tag"), "category:kinh-te");
    assert_eq!(
        header(&r, "link"),
        "<http://localhost:8080/feeds/category/kinh-te/rss.xml>; rel=\"self\""
    );
    // Nothing purges an edge here, so it gets no lifetime of its own.
    assert_eq!(header(&r, "surrogate-control"), "");
    let etag = header(&r, "etag");
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() > 10,
        "{etag}"
    );
}

#[tokio::test]
async fn matching_etag_gets_304_with_validators_repeated() {
    let app = spawn_app().await;
    app.put_ok(&article("a", "kinh-te", 0)).await;
    let etag = header(&app.get(FEED).await, "etag");

    let r = get_with(&app, FEED, &[("if-none-match", &etag)]).await;

    assert_eq!(r.status().as_u16(), 304);
    assert_eq!(header(&r, "etag"), etag);
    assert_eq!(
        header(&r, "cache-control"),
        "public, max-age=300, stale-while-revalidate=600, stale-if-error=86400"
    );
    assert_eq!(header(&r, "vary"), "Accept-Encoding");
    assert_eq!(header(&r, "last-modified"), "Fri, 06 Dec 2024 01:00:00 GMT");
    assert_eq!(
        header(&r, "xkey"),
        "category:kinh-te",
        "a 304 names its keys too"
    );
    assert!(
        header(&r, "link").contains("rel=\"self\""),
        "and its WebSub links"
    );
    assert!(r.bytes().await.unwrap().is_empty());
    let stale = get_with(&app, FEED, &[("if-none-match", "\"something-else\"")]).await;
    assert_eq!(stale.status().as_u16(), 200);
}

#[tokio::test]
async fn if_modified_since_is_compared_as_a_time() {
    let app = spawn_app().await;
    app.put_ok(&article("a", "kinh-te", 0)).await; // updated 2024-12-06T01:00:00Z
    for (since, status) in [
        ("Fri, 06 Dec 2024 01:00:00 GMT", 304),
        ("Sat, 07 Dec 2024 00:00:00 GMT", 304),
        ("Friday, 06-Dec-24 01:00:00 GMT", 304), // RFC 850, as old readers send
        ("Fri Dec  6 01:00:00 2024", 304),       // asctime
        ("Fri, 06 Dec 2024 00:59:59 GMT", 200),
        ("not a date", 200),
    ] {
        let r = get_with(&app, FEED, &[("if-modified-since", since)]).await;
        assert_eq!(r.status().as_u16(), status, "{since}");
    }
}

#[tokio::test]
async fn etag_changes_only_when_the_feed_does() {
    let app = spawn_app().await;
    app.put_ok(&article("a", "kinh-te", 0)).await;
    let first = header(&app.get(FEED).await, "etag");

    app.put_ok(&article("b", "the-thao", 5)).await;
    assert_eq!(
        header(&app.get(FEED).await, "etag"),
        first,
        "another category's write"
    );

    app.put_ok(&article("c", "kinh-te", 9)).await;
    let second = header(&app.get(FEED).await, "etag");
    assert_ne!(second, first, "this category's write");
    let r = get_with(&app, FEED, &[("if-none-match", &first)]).await;
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn unknown_names_get_json_404s() {
    let app = spawn_app().await;
    let r = app.get("/feeds/category/khong-co/rss.xml").await;
    assert_eq!(r.status().as_u16(), 404);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["known"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k == "kinh-te")
    );

    assert_eq!(
        app.get("/feeds/tag/chua-ai-dung/rss.xml")
            .await
            .status()
            .as_u16(),
        404
    );
    assert_eq!(
        app.get("/feeds/category/kinh-te/index.html")
            .await
            .status()
            .as_u16(),
        404
    );
    for bad in ["0", "-1", "abc", "99999999"] {
        let r = app.get(&format!("{FEED}?page={bad}")).await;
        assert_eq!(r.status().as_u16(), 400, "page={bad}");
    }
}

#[tokio::test]
async fn a_tag_in_any_case_or_composition_reaches_its_canonical_feed() {
    let app = spawn_app().await;
    app.put_ok(&article("a", "kinh-te", 0)).await; // tags "dân vận", "Lào Cai"

    let no_redirect = no_redirect_client();
    let r = no_redirect
        .get(app.url("/feeds/tag/L%C3%80O%20CAI/rss.xml?page=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 301);
    assert_eq!(header(&r, "location"), "../l%C3%A0o%20cai/rss.xml?page=1");
    let bad_page = no_redirect
        .get(app.url("/feeds/tag/L%C3%80O%20CAI/rss.xml?page=0"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        bad_page.status().as_u16(),
        400,
        "a redirect must not hide a bad page"
    );

    let decomposed = app.get("/feeds/tag/La%CC%80o%20cai/rss.xml").await;
    assert_eq!(decomposed.url().path(), "/feeds/tag/l%C3%A0o%20cai/rss.xml");
    let body = decomposed.text().await.unwrap();
    assert!(
        body.contains("<title>Báo Herald – Lào Cai</title>"),
        "{body}"
    );
}

#[tokio::test]
async fn opml_lists_every_category_feed() {
    let app = spawn_app().await;
    let body = app.get("/feeds.opml").await.text().await.unwrap();
    assert!(body.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?>"#));
    assert!(body.contains(r#"<opml version="2.0">"#));
    let categories: Value = app.get_json("/api/categories", 200).await;
    for c in categories["categories"].as_array().unwrap() {
        let slug = c["slug"].as_str().unwrap();
        let url = format!(r#"xmlUrl="http://localhost:8080/feeds/category/{slug}/rss.xml""#);
        assert!(body.contains(&url), "{slug}");
        assert!(body.contains(&format!(r#"text="{}""#, c["title"].as_str().unwrap())));
    }
}

/// Many readers miss the cache at once after a write: one renders, the rest wait for
/// that render together, and every one of them sees the new article.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_misses_share_one_render_and_all_see_the_write() {
    let app = spawn_app().await;
    app.put_ok(&article("cu", "kinh-te", 0)).await;
    assert_eq!(
        app.get("/feeds/category/kinh-te/rss.xml").await.status(),
        200
    );
    let renders = |text: &str| metric(text, "herald_feed_renders_total");
    let before = renders(&app.get("/metrics").await.text().await.unwrap());

    app.put_ok(&article("moi", "kinh-te", 5)).await;
    let mut readers = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let (client, url) = (
            app.client.clone(),
            app.url("/feeds/category/kinh-te/rss.xml"),
        );
        readers.spawn(async move { client.get(url).send().await.unwrap().text().await.unwrap() });
    }
    while let Some(body) = readers.join_next().await {
        assert!(
            body.unwrap().contains(":article:moi<"),
            "a reader missed the write"
        );
    }
    let after = renders(&app.get("/metrics").await.text().await.unwrap());
    assert_eq!(after - before, 1, "one render for 200 concurrent misses");
}

/// Fresh cached feeds are answered before routing (`http::hits`); any other query
/// string takes the router to the same cached document. Both answers must match,
/// header for header and byte for byte, in every encoding and for revalidation.
#[tokio::test]
async fn cached_hits_answer_exactly_as_the_router_does() {
    let app = spawn_app().await;
    for i in 0..3 {
        app.put_ok(&article(&format!("a{i}"), "kinh-te", i)).await;
    }
    let hits = |text: &str| metric(text, "herald_feed_cache_hits_total");
    let paths = [
        "/feeds/rss.xml",
        "/feeds/category/kinh-te/atom.xml",
        "/feeds/tag/l%C3%A0o%20cai/feed.json",
        "/feeds/category/kinh-te/rss.xml?page=1",
    ];
    for path in paths {
        // Render, then wait for the compressed forms so both requests see one state.
        app.get(path).await;
        let started = std::time::Instant::now();
        while header(
            &get_with(&app, path, &[("accept-encoding", "br")]).await,
            "content-encoding",
        ) != "br"
        {
            assert!(started.elapsed().as_secs() < 10, "never compressed");
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let etag = header(&app.get(path).await, "etag");
        let routed_path = if path.contains('?') {
            format!("{path}&via=router")
        } else {
            format!("{path}?via=router")
        };
        for headers in [
            vec![],
            vec![("accept-encoding", "gzip")],
            vec![("accept-encoding", "gzip, br")],
            vec![("if-none-match", etag.as_str())],
        ] {
            let before = hits(&app.get("/metrics").await.text().await.unwrap());
            let fast = get_with(&app, path, &headers).await;
            let routed = get_with(&app, &routed_path, &headers).await;
            let after = hits(&app.get("/metrics").await.text().await.unwrap());
            assert_eq!(
                after - before,
                2,
                "{path} {headers:?}: both were cache hits"
            );
            assert_eq!(fast.status(), routed.status(), "{path} {headers:?}");
            let strip = |r: &reqwest::Response| {
                let mut h = r.headers().clone();
                h.remove("date");
                h
            };
            assert_eq!(strip(&fast), strip(&routed), "{path} {headers:?}");
            assert!(fast.headers().contains_key("content-security-policy"));
            assert_eq!(
                fast.bytes().await.unwrap(),
                routed.bytes().await.unwrap(),
                "{path} {headers:?}"
            );
        }
    }
    // What the router must still decide: a redirect to the tag's normal form, a bad
    // page, and a page past the end.
    let no_redirect = no_redirect_client();
    let upper = no_redirect
        .get(app.url("/feeds/tag/L%C3%80O%20CAI/feed.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(upper.status().as_u16(), 301);
    assert_eq!(
        app.get("/feeds/rss.xml?page=0").await.status().as_u16(),
        400
    );
    // `+1` is " 1" to the router's query decoding: refused, cached or not.
    assert_eq!(
        app.get("/feeds/rss.xml?page=+1").await.status().as_u16(),
        400
    );
    assert_eq!(
        app.get("/feeds/rss.xml?page=2").await.status().as_u16(),
        404
    );
}
