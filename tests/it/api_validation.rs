//! Every ingest validation rule answers 422 naming the field, and stores nothing.

use crate::common::{article, spawn_app};
use serde_json::{Value, json};

/// PUTs `body` and returns the fields named in the 422 answer.
async fn rejected_fields(app: &crate::common::TestApp, id: &str, body: &Value) -> Vec<String> {
    let r = app.put_article(id, body).await;
    assert_eq!(r.status().as_u16(), 422, "expected 422 for {body}");
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["error"], "invalid_article");
    let fields: Vec<String> = answer["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert!(
                !f["reason"].as_str().unwrap().is_empty(),
                "each field has a reason"
            );
            f["field"].as_str().unwrap().to_string()
        })
        .collect();
    app.get_json(&format!("/api/articles/{id}"), 404).await;
    fields
}

fn with(id: &str, key: &str, value: Value) -> Value {
    let mut a = article(id, "chinh-tri", 0);
    a[key] = value;
    a
}

#[tokio::test]
async fn each_rule_names_its_field() {
    let app = spawn_app().await;
    let long_title = "a".repeat(1001);
    let cases = [
        (with("x1", "url", json!("/relative/path.html")), "url"),
        (with("x2", "url", json!("ftp://news.example.vn/a")), "url"),
        (with("x3", "title", json!("   ")), "title"),
        (with("x4", "title", json!(long_title)), "title"),
        (with("x5", "category", json!("khong-ton-tai")), "category"),
        (
            with("x6", "published", json!("2024-12-06 09:00")),
            "published",
        ),
        (
            with("x7", "published", json!("2024-12-06T09:00:00")),
            "published",
        ),
        (
            with("x8", "updated", json!("2024-12-05T09:00:00+07:00")),
            "updated",
        ),
        (with("x9", "language", json!("not a language")), "language"),
        (
            with("x10", "images", json!([{"url": "images/1.jpg"}])),
            "images[0].url",
        ),
        (
            with("x11", "authors", json!([{"name": "", "email": "nope"}])),
            "authors[0].name",
        ),
        (with("x12", "tags", json!(["ok", ""])), "tags[1]"),
        (with("x13", "title", json!(42)), "title"),
        (with("x14", "surprise", json!(1)), "surprise"),
    ];
    for (body, field) in cases {
        let id = body["id"].as_str().unwrap().to_string();
        let fields = rejected_fields(&app, &id, &body).await;
        assert!(
            fields.iter().any(|f| f == field),
            "{id}: expected {field:?} in {fields:?}"
        );
    }
}

#[tokio::test]
async fn unknown_category_lists_the_known_ones() {
    let app = spawn_app().await;
    let r = app
        .put_article("c", &with("c", "category", json!("sport")))
        .await;
    let body: Value = r.json().await.unwrap();
    let reason = body["fields"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("chinh-tri") && reason.contains("the-thao"),
        "{reason}"
    );
}

#[tokio::test]
async fn every_problem_is_reported_at_once() {
    let app = spawn_app().await;
    let body = json!({"id": "many", "url": "nope", "category": "nope", "published": "yesterday"});
    let mut fields = rejected_fields(&app, "many", &body).await;
    fields.sort();
    assert_eq!(fields, ["category", "published", "title", "url"]);
}

#[tokio::test]
async fn bad_ids_are_rejected() {
    let app = spawn_app().await;
    let long = "a".repeat(129);
    for id in ["has space", "dấu", long.as_str()] {
        let body = with(id, "id", json!(id));
        let r = app
            .client
            .put(app.url(&format!("/api/articles/{}", urlencode(id))))
            .bearer_auth(crate::common::TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 422, "{id}");
        let answer: Value = r.json().await.unwrap();
        assert_eq!(answer["fields"][0]["field"], "id");
    }
}

#[tokio::test]
async fn body_id_must_match_the_path() {
    let app = spawn_app().await;
    let fields = rejected_fields(&app, "path-id", &article("body-id", "chinh-tri", 0)).await;
    assert_eq!(fields, ["id"]);
    app.get_json("/api/articles/body-id", 404).await;
}

#[tokio::test]
async fn body_over_the_limit_is_rejected() {
    let app = crate::common::spawn_app_with(
        |s| s.limits.max_body_bytes = 1000,
        herald::auth::Tokens::from_list([crate::common::TOKEN]),
    )
    .await;
    let body = with(
        "big",
        "content_html",
        json!(format!("<p>{}</p>", "x".repeat(1000))),
    );
    assert_eq!(rejected_fields(&app, "big", &body).await, ["content_html"]);
}

#[tokio::test]
async fn request_over_the_limit_is_413_json() {
    let app = crate::common::spawn_app_with(
        |s| s.limits.max_article_request_bytes = 2000,
        herald::auth::Tokens::from_list([crate::common::TOKEN]),
    )
    .await;
    let body = with("huge", "content_html", json!("x".repeat(5000)));
    let r = app.put_article("huge", &body).await;
    assert_eq!(r.status().as_u16(), 413);
    // The unread rest of the body ends the connection, so no client waits on it.
    assert_eq!(r.headers()["connection"], "close");
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["error"], "payload_too_large");
}

#[tokio::test]
async fn malformed_json_is_400_with_line_and_column() {
    let app = spawn_app().await;
    let r = app
        .client
        .put(app.url("/api/articles/broken"))
        .bearer_auth(crate::common::TOKEN)
        .body("{\n  \"id\": \"broken\",\n  \"title\": oops\n}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["error"], "malformed_json");
    assert_eq!(answer["line"], 3);
    assert_eq!(answer["column"], 12);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn malformed_queries_and_paths_get_json_errors() {
    let app = crate::common::spawn_app().await;
    for path in [
        "/api/articles?limit=1&limit=2",
        "/feeds/rss.xml?page=1&page=2",
        "/api/articles/x/related?limit=1&limit=1",
        "/api/articles/%FF",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 400, "{path}");
        let body: serde_json::Value = r.json().await.expect("a JSON body");
        assert_eq!(body["error"], "invalid_parameter", "{path}");
    }
}

#[tokio::test]
async fn urls_are_stored_in_their_standard_ascii_form() {
    let app = crate::common::spawn_app().await;
    let mut a = crate::common::article("u", "kinh-te", 0);
    a["url"] = "https://News.Example.vn/tin-tức mới".into();
    a["images"][0]["url"] = "https://ảnh.example.vn/1.jpg".into();
    app.put_ok(&a).await;
    let stored = app.get_json("/api/articles/u", 200).await;
    assert_eq!(
        stored["url"],
        "https://news.example.vn/tin-t%E1%BB%A9c%20m%E1%BB%9Bi"
    );
    assert_eq!(
        stored["images"][0]["url"],
        "https://xn--nh-k5s.example.vn/1.jpg"
    );
}
