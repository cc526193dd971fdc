//! Writes need a bearer token; reads are public.

use crate::common::{TOKEN, article, spawn_app, spawn_app_with};
use herald::auth::Tokens;
use serde_json::Value;

#[tokio::test]
async fn write_without_token_is_401_with_challenge() {
    let app = spawn_app().await;
    let r = app
        .client
        .put(app.url("/api/articles/a"))
        .json(&article("a", "chinh-tri", 0))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");
    app.get_json("/api/articles/a", 404).await;
}

#[tokio::test]
async fn write_with_wrong_token_is_401() {
    let app = spawn_app().await;
    for header in ["Bearer wrong", "Basic dGVzdDp0ZXN0", TOKEN, "Bearer"] {
        let r = app
            .client
            .delete(app.url("/api/articles/a"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401, "{header}");
    }
}

#[tokio::test]
async fn write_with_right_token_succeeds_and_reads_need_none() {
    let app = spawn_app().await;
    let r = app
        .client
        .put(app.url("/api/articles/a"))
        .header("authorization", format!("bearer {TOKEN}"))
        .json(&article("a", "chinh-tri", 0))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    app.get_json("/api/articles/a", 200).await;
    app.get_json("/api/articles", 200).await;
    app.get_json("/api/categories", 200).await;
}

#[tokio::test]
async fn any_configured_token_is_accepted() {
    let app = spawn_app_with(|_| {}, Tokens::from_list(["first", "second"])).await;
    let r = app
        .client
        .put(app.url("/api/articles/a"))
        .bearer_auth("second")
        .json(&article("a", "chinh-tri", 0))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
}

#[tokio::test]
async fn writes_are_403_when_no_token_is_configured() {
    let app = spawn_app_with(|_| {}, Tokens::default()).await;
    for req in [
        app.client
            .put(app.url("/api/articles/a"))
            .json(&article("a", "chinh-tri", 0)),
        app.client.post(app.url("/api/articles")).body("[]"),
        app.client.delete(app.url("/api/articles/a")),
        app.client.put(app.url("/api/categories/x")).body("{}"),
    ] {
        let r = req.bearer_auth("anything").send().await.unwrap();
        assert_eq!(r.status().as_u16(), 403);
        let body: Value = r.json().await.unwrap();
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("HERALD_API_TOKENS")
        );
    }
}
