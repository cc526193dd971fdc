//! Partner feeds: the key in each way a partner may give it, and refused alike when
//! wrong, missing or for a partner that does not exist; the partner's content,
//! section, tag and image rules; its polls in `/api/partners` and `/metrics`; and
//! its feeds as WebSub topics that only its key may subscribe to.

use serde_json::{Value, json};

use crate::common::partners::{basic, get_as, parsed, with_partners};
use crate::common::{TOKEN, article, get_with, header};

#[tokio::test]
async fn a_partner_key_is_taken_each_way_and_refused_alike_otherwise() {
    let p = with_partners(json!([{"name": "bao-a"}, {"name": "bao-b"}]), |_| {}).await;
    let app = &p.app;
    app.put_ok(&article("mot", "kinh-te", 0)).await;
    let path = "/partners/bao-a/feeds/rss.xml";
    let ok = [
        get_as(app, "bao-a", path).await,
        get_with(
            app,
            path,
            &[("authorization", &basic("bao-a", "key-bao-a"))],
        )
        .await,
        get_with(app, path, &[("authorization", &basic("key-bao-a", ""))]).await,
        app.get(&format!("{path}?key=key-bao-a")).await,
    ];
    for r in ok {
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "cache-control"), "private, max-age=300");
        assert!(header(&r, "surrogate-control").is_empty());
        let body = r.text().await.unwrap();
        assert!(body.contains("<atom:link href=\"http://localhost:8080/partners/bao-a/feeds/rss.xml\" rel=\"self\""), "{body}");
        assert!(
            body.contains("tag:localhost,2024:article:mot"),
            "the public guid"
        );
    }
    let refused = [
        app.get(path).await,
        get_as(app, "bao-b", path).await,
        get_with(app, path, &[("authorization", "Bearer key-bao-a-not")]).await,
        get_with(app, path, &[("authorization", &basic("bao-a", "wrong"))]).await,
        app.get(&format!("{path}?key=wrong")).await,
        // A wrong header is not rescued by a right ?key=.
        get_with(
            app,
            &format!("{path}?key=key-bao-a"),
            &[("authorization", "Bearer nope")],
        )
        .await,
        get_as(app, "bao-a", "/partners/khong-co/feeds/rss.xml").await,
        app.get("/partners/khong-co/feeds/rss.xml?key=key-bao-a")
            .await,
    ];
    let mut bodies = Vec::new();
    for r in refused {
        assert_eq!(r.status(), 401);
        assert!(header(&r, "www-authenticate").contains("Basic"));
        bodies.push(r.text().await.unwrap());
    }
    assert!(
        bodies.iter().all(|b| *b == bodies[0]),
        "an unknown partner answers as a wrong key does: {bodies:?}"
    );
    let error: Value = serde_json::from_str(&bodies[0]).unwrap();
    assert_eq!(error["error"], "unauthorized");
    assert!(!bodies[0].contains("key-bao-a"));
}

#[tokio::test]
async fn partner_feeds_are_cached_with_validators_and_change_with_writes() {
    let p = with_partners(json!([{"name": "bao-a"}]), |_| {}).await;
    let app = &p.app;
    app.put_ok(&article("mot", "kinh-te", 0)).await;
    let path = "/partners/bao-a/feeds/category/kinh-te/atom.xml";
    let first = get_as(app, "bao-a", path).await;
    let etag = header(&first, "etag");
    assert!(!etag.is_empty());
    let auth = "Bearer key-bao-a";
    let again = get_with(
        app,
        path,
        &[("authorization", auth), ("if-none-match", &etag)],
    )
    .await;
    assert_eq!(again.status(), 304);
    app.put_ok(&article("hai", "kinh-te", 5)).await;
    let after = get_with(
        app,
        path,
        &[("authorization", auth), ("if-none-match", &etag)],
    )
    .await;
    assert_eq!(after.status(), 200, "a write makes the partner's feed new");
    assert!(after.text().await.unwrap().contains("article:hai"));
    // A tag in another spelling redirects, keeping the key given in the query.
    let r = app
        .client
        .get(app.url("/partners/bao-a/feeds/tag/L%C3%A0o%20Cai/rss.xml?key=key-bao-a"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "followed the redirect with its key");
    assert!(
        r.url()
            .as_str()
            .contains("/tag/l%C3%A0o%20cai/rss.xml?key=key-bao-a")
    );
    // The unknown section is a 404 only for whoever holds a key.
    let r = get_as(
        app,
        "bao-a",
        "/partners/bao-a/feeds/category/khong-co/rss.xml",
    )
    .await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        app.get("/partners/bao-a/feeds/category/khong-co/rss.xml")
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn a_partner_gets_only_its_sections_tags_and_content() {
    let partner = json!([{"name": "tom-tat", "content": "summary", "items": 2,
        "sections": ["kinh-te", "xa-hoi"], "exclude_sections": ["xa-hoi"],
        "exclude_tags": ["Bí Mật"]}]);
    let p = with_partners(partner, |_| {}).await;
    let app = &p.app;
    for (i, (id, section)) in [
        ("k1", "kinh-te"),
        ("k2", "kinh-te"),
        ("k3", "kinh-te"),
        ("x1", "xa-hoi"),
        ("t1", "the-thao"),
    ]
    .into_iter()
    .enumerate()
    {
        app.put_ok(&article(id, section, i as u32)).await;
    }
    let mut secret = article("k4", "kinh-te", 10);
    secret["tags"] = json!(["bí mật"]);
    app.put_ok(&secret).await;

    let (feed, body) = parsed(app, "tom-tat", "/partners/tom-tat/feeds/rss.xml").await;
    let ids: Vec<_> = feed
        .entries
        .iter()
        .map(|e| e.id.rsplit(':').next().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        ["k3", "k2"],
        "kinh-te only, the secret tag left out, 2 per page"
    );
    assert!(!body.contains("content:encoded"), "summaries only: {body}");
    assert!(body.contains("Bản tin tóm tắt."));
    assert!(body.contains("/partners/tom-tat/feeds/rss.xml?page=2\" rel=\"next\""));
    let (page2, _) = parsed(app, "tom-tat", "/partners/tom-tat/feeds/rss.xml?page=2").await;
    assert_eq!(page2.entries.len(), 1);
    assert!(page2.entries[0].id.ends_with(":k1"));
    let r = get_as(app, "tom-tat", "/partners/tom-tat/feeds/rss.xml?page=3").await;
    assert_eq!(r.status(), 404);

    // The public feeds are as they were: every section, full text.
    let public = app.get("/feeds/rss.xml").await.text().await.unwrap();
    assert!(public.contains("article:x1") && public.contains("article:k4"));
    assert!(public.contains("content:encoded"));
}

#[tokio::test]
async fn images_below_a_partners_width_carry_no_media_or_leave_the_item() {
    let partners = json!([
        {"name": "rong", "min_image_width": 1000},
        {"name": "bat-buoc", "min_image_width": 1000, "require_image": true}
    ]);
    let p = with_partners(partners, |_| {}).await;
    let app = &p.app;
    app.put_ok(&article("lon", "kinh-te", 0)).await; // 1200 px wide
    let mut small = article("nho", "kinh-te", 1);
    small["images"][0]["width"] = 800.into();
    app.put_ok(&small).await;
    let mut none = article("khong-anh", "kinh-te", 2);
    none["images"] = json!([]);
    app.put_ok(&none).await;

    let (feed, _) = parsed(app, "rong", "/partners/rong/feeds/atom.xml").await;
    let media = |id: &str| {
        let e = feed.entries.iter().find(|e| e.id.ends_with(id)).unwrap();
        e.media.iter().flat_map(|m| &m.content).count()
    };
    assert_eq!(
        (media(":lon"), media(":nho"), media(":khong-anh")),
        (1, 0, 0)
    );
    let (feed, _) = parsed(app, "bat-buoc", "/partners/bat-buoc/feeds/atom.xml").await;
    let ids: Vec<_> = feed.entries.iter().map(|e| e.id.clone()).collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert!(ids[0].ends_with(":lon"));
}

#[tokio::test]
async fn the_newsroom_sees_each_partners_polls() {
    let p = with_partners(json!([{"name": "bao-a"}, {"name": "im-lang"}]), |_| {}).await;
    let app = &p.app;
    app.put_ok(&article("mot", "kinh-te", 0)).await;
    let path = "/partners/bao-a/feeds/rss.xml";
    let r = get_as(app, "bao-a", path).await;
    let etag = header(&r, "etag");
    let size = r.bytes().await.unwrap().len() as u64;
    let auth = "Bearer key-bao-a";
    let r = get_with(
        app,
        path,
        &[("authorization", auth), ("if-none-match", &etag)],
    )
    .await;
    assert_eq!(r.status(), 304);
    assert_eq!(app.get(path).await.status(), 401, "not a poll");

    assert_eq!(app.get("/api/partners").await.status(), 401);
    let r = get_with(
        app,
        "/api/partners",
        &[("authorization", &format!("Bearer {TOKEN}"))],
    )
    .await;
    let list: Value = r.json().await.unwrap();
    let a = &list["partners"][0];
    assert_eq!(
        (
            a["name"].as_str(),
            a["polls"].as_u64(),
            a["not_modified"].as_u64()
        ),
        (Some("bao-a"), Some(2), Some(1))
    );
    assert_eq!(a["bytes"].as_u64(), Some(size));
    assert!(a["last_poll"].as_str().is_some());
    assert_eq!(
        a["feed"],
        "http://localhost:8080/partners/bao-a/feeds/rss.xml"
    );
    let quiet = &list["partners"][1];
    assert_eq!(
        (quiet["polls"].as_u64(), quiet["last_poll"].is_null()),
        (Some(0), true)
    );

    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("herald_partner_polls_total{partner=\"bao-a\"} 2"),
        "{metrics}"
    );
    assert!(metrics.contains("herald_partner_not_modified_total{partner=\"bao-a\"} 1"));
    assert!(metrics.contains(&format!(
        "herald_partner_bytes_total{{partner=\"bao-a\"}} {size}"
    )));
    assert!(metrics.contains("herald_partner_last_poll_timestamp_seconds{partner=\"im-lang\"} 0"));
    assert!(!metrics.contains("key-bao-a"));
}
