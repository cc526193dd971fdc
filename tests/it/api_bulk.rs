//! Bulk writes store the valid items and report the invalid ones by index and field.

use crate::common::{TOKEN, article, spawn_app};
use serde_json::{Value, json};

async fn post(app: &crate::common::TestApp, body: String) -> (u16, Value) {
    let r = app.post_bulk(body).await;
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn json_array_partly_succeeds() {
    let app = spawn_app().await;
    let mut bad = article("bad", "chinh-tri", 1);
    bad["url"] = json!("nope");
    let body = json!([
        article("good1", "kinh-te", 0),
        bad,
        article("good2", "xa-hoi", 2),
        7
    ]);

    let (status, report) = post(&app, body.to_string()).await;

    assert_eq!(status, 200);
    assert_eq!(report["created"], 2);
    let failed = report["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0]["index"], 1);
    assert_eq!(failed[0]["id"], "bad");
    assert_eq!(failed[0]["fields"][0]["field"], "url");
    assert_eq!(failed[1]["index"], 3);
    app.get_json("/api/articles/good1", 200).await;
    app.get_json("/api/articles/good2", 200).await;
    app.get_json("/api/articles/bad", 404).await;
}

#[tokio::test]
async fn ndjson_reports_line_numbers() {
    let app = spawn_app().await;
    let body = format!(
        "{}\n\n{{not json\n{}\n",
        article("n1", "kinh-te", 0),
        article("n1", "kinh-te", 5)
    );

    let (status, report) = post(&app, body).await;

    assert_eq!(status, 200);
    assert_eq!(report["created"], 1);
    assert_eq!(report["replaced"], 1);
    assert_eq!(report["failed"][0]["line"], 3);
    assert_eq!(report["failed"][0]["index"], 1);
}

#[tokio::test]
async fn all_invalid_is_422_and_malformed_array_is_400() {
    let app = spawn_app().await;
    let (status, report) = post(&app, json!([{"id": "x"}]).to_string()).await;
    assert_eq!(status, 422);
    assert_eq!(report["failed"][0]["index"], 0);

    let (status, body) = post(&app, "[{\"id\": ".to_string()).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "malformed_json");
}

#[tokio::test]
async fn too_many_items_is_rejected_whole() {
    let app = crate::common::spawn_app_with(
        |s| s.limits.max_bulk_items = 2,
        herald::auth::Tokens::from_list([TOKEN]),
    )
    .await;
    let body = json!([
        article("a", "kinh-te", 0),
        article("b", "kinh-te", 1),
        article("c", "kinh-te", 2)
    ]);
    let (status, _) = post(&app, body.to_string()).await;
    assert_eq!(status, 400);
    app.get_json("/api/articles/a", 404).await;
}

#[tokio::test]
async fn an_empty_body_is_a_400_but_an_empty_array_is_fine() {
    let app = spawn_app().await;
    let r = app.post_bulk(" \n".into()).await;
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["fields"][0]["field"], "body");
    let r = app.post_bulk("[]".into()).await;
    assert_eq!(r.status(), 200);
}
