//! The article API: create, replace, read, list with a cursor, delete, re-index.

use crate::common::{article, spawn_app};
use serde_json::Value;

fn ids(list: &Value) -> Vec<&str> {
    list["articles"]
        .as_array()
        .expect("articles array")
        .iter()
        .map(|a| a["id"].as_str().expect("id"))
        .collect()
}

#[tokio::test]
async fn put_creates_then_replaces() {
    let app = spawn_app().await;
    let a = article("tin-mot", "chinh-tri", 0);

    assert_eq!(app.put_article("tin-mot", &a).await.status().as_u16(), 201);
    assert_eq!(app.put_article("tin-mot", &a).await.status().as_u16(), 200);

    let stored = app.get_json("/api/articles/tin-mot", 200).await;
    assert_eq!(stored["title"], a["title"]);
    assert_eq!(stored["language"], "vi", "language defaults from config");
    assert_eq!(
        stored["updated"], stored["published"],
        "updated defaults to published"
    );
}

#[tokio::test]
async fn body_may_omit_the_id() {
    let app = spawn_app().await;
    let mut a = article("khong-id", "kinh-te", 0);
    a.as_object_mut().unwrap().remove("id");

    assert_eq!(app.put_article("khong-id", &a).await.status().as_u16(), 201);
    assert_eq!(
        app.get_json("/api/articles/khong-id", 200).await["id"],
        "khong-id"
    );
}

#[tokio::test]
async fn text_is_stored_normalised() {
    let app = spawn_app().await;
    let mut a = article("nfc", "xa-hoi", 0);
    a["title"] = Value::from("  Ba\u{0303}o so\u{0302}\u{0301} 3\u{0007} đổ bộ  ");

    app.put_ok(&a).await;

    let stored = app.get_json("/api/articles/nfc", 200).await;
    assert_eq!(stored["title"], "Bão số 3 đổ bộ");
}

#[tokio::test]
async fn unknown_article_is_a_json_404() {
    let app = spawn_app().await;
    let body = app.get_json("/api/articles/khong-co", 404).await;
    assert_eq!(body["error"], "not_found");
}

#[tokio::test]
async fn delete_retracts_the_article_and_answers_410_after() {
    let app = spawn_app().await;
    app.put_ok(&article("xoa", "xa-hoi", 0)).await;

    assert_eq!(app.delete_article("xoa").await, 204);
    assert_eq!(app.delete_article("xoa").await, 404);
    let gone = app.get_json("/api/articles/xoa", 410).await;
    assert_eq!(gone["error"], "retracted");
    assert!(
        gone["when"].is_string() && gone["reason"].is_null(),
        "{gone}"
    );
    let list = app.get_json("/api/articles?category=xa-hoi", 200).await;
    assert!(ids(&list).is_empty());
}

#[tokio::test]
async fn listing_is_newest_first_and_pages_with_a_cursor() {
    let app = spawn_app().await;
    for i in 0..5 {
        app.put_ok(&article(&format!("a{i}"), "kinh-te", i)).await;
    }
    app.put_ok(&article("other", "the-thao", 10)).await;

    let first = app
        .get_json("/api/articles?category=kinh-te&limit=2", 200)
        .await;
    assert_eq!(ids(&first), ["a4", "a3"]);
    let cursor = first["next"].as_str().expect("next cursor").to_string();
    let second = app
        .get_json(
            &format!("/api/articles?category=kinh-te&limit=2&before={cursor}"),
            200,
        )
        .await;
    assert_eq!(ids(&second), ["a2", "a1"]);
    let cursor = second["next"].as_str().unwrap().to_string();
    let last = app
        .get_json(
            &format!("/api/articles?category=kinh-te&limit=2&before={cursor}"),
            200,
        )
        .await;
    assert_eq!(ids(&last), ["a0"]);
    assert!(last["next"].is_null());

    let all = app.get_json("/api/articles", 200).await;
    assert_eq!(ids(&all), ["other", "a4", "a3", "a2", "a1", "a0"]);
}

#[tokio::test]
async fn listing_by_tag_matches_case_and_composition() {
    let app = spawn_app().await;
    app.put_ok(&article("t1", "kinh-te", 1)).await; // tags "dân vận", "Lào Cai"

    let encoded = "/api/articles?tag=L%C3%80O%20CAI"; // "LÀO CAI"
    assert_eq!(ids(&app.get_json(encoded, 200).await), ["t1"]);
    let decomposed = "/api/articles?tag=La%CC%80o%20cai"; // "Lào cai" with a combining grave
    assert_eq!(ids(&app.get_json(decomposed, 200).await), ["t1"]);
}

#[tokio::test]
async fn bad_listing_parameters_are_400_naming_the_parameter() {
    let app = spawn_app().await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=x", "limit"),
        ("limit=", "limit"),
        ("before=zzz", "before"),
    ] {
        let body = app.get_json(&format!("/api/articles?{query}"), 400).await;
        assert_eq!(body["fields"][0]["field"], field, "{query}");
    }
    let body = app.get_json("/api/articles?category=nope", 404).await;
    assert!(
        body["known"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k == "chinh-tri")
    );
}

#[tokio::test]
async fn changing_category_and_tags_moves_every_index_entry() {
    let app = spawn_app().await;
    app.put_ok(&article("di-chuyen", "kinh-te", 0)).await;

    let mut moved = article("di-chuyen", "van-hoa", 0);
    moved["tags"] = serde_json::json!(["di sản"]);
    assert_eq!(
        app.put_article("di-chuyen", &moved).await.status().as_u16(),
        200
    );

    assert!(ids(&app.get_json("/api/articles?category=kinh-te", 200).await).is_empty());
    assert_eq!(
        ids(&app.get_json("/api/articles?category=van-hoa", 200).await),
        ["di-chuyen"]
    );
    assert!(ids(&app.get_json("/api/articles?tag=dân vận", 200).await).is_empty());
    assert_eq!(
        ids(&app.get_json("/api/articles?tag=di sản", 200).await),
        ["di-chuyen"]
    );
    assert_eq!(
        ids(&app.get_json("/api/articles", 200).await),
        ["di-chuyen"]
    );
}

#[tokio::test]
async fn republishing_at_another_time_leaves_one_entry() {
    let app = spawn_app().await;
    app.put_ok(&article("gio", "kinh-te", 0)).await;
    app.put_ok(&article("gio", "kinh-te", 30)).await;

    assert_eq!(
        ids(&app.get_json("/api/articles?category=kinh-te", 200).await),
        ["gio"]
    );
}

#[tokio::test]
async fn categories_can_be_added_at_run_time_and_survive_restart() {
    let app = spawn_app().await;
    let r = app
        .client
        .put(app.url("/api/categories/moi-truong"))
        .bearer_auth(crate::common::TOKEN)
        .json(&serde_json::json!({"title": "Môi trường", "description": "Tin môi trường."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    app.put_ok(&article("rac", "moi-truong", 0)).await;

    let list = app.get_json("/api/categories", 200).await;
    assert!(
        list["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["title"] == "Môi trường")
    );
    let app = crate::common::spawn_app_in(
        app.stop().await,
        |_| {},
        herald::auth::Tokens::from_list([crate::common::TOKEN]),
    )
    .await;
    assert_eq!(
        app.get_json("/api/categories/moi-truong", 200).await["title"],
        "Môi trường"
    );
    assert_eq!(
        app.get_json("/api/articles/rac", 200).await["category"],
        "moi-truong"
    );

    let bad = app
        .client
        .put(app.url("/api/categories/Bad_Slug"))
        .bearer_auth(crate::common::TOKEN)
        .json(&serde_json::json!({"title": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 422);
    let body: Value = bad.json().await.unwrap();
    let fields: Vec<_> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["slug", "title"]);
}

#[tokio::test]
async fn bodies_are_sanitised_and_urls_made_absolute_on_ingest() {
    let app = spawn_app().await;
    let mut a = article("html", "xa-hoi", 0);
    a["url"] = Value::from("https://news.example.vn/xa-hoi/html.html");
    a["content_html"] = Value::from(
        r#"<p onmouseover="steal()">Xem <a href="/kinh-te/khac.html">bài khác</a></p><script>steal()</script><img src="anh.jpg" width="10" height="10"><iframe src="https://www.youtube.com/embed/abc"></iframe><iframe src="https://ads.example/x"></iframe>"#,
    );
    app.put_ok(&a).await;

    let body = app.get_json("/api/articles/html", 200).await["content_html"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        !body.contains("steal") && !body.contains("onmouseover"),
        "{body}"
    );
    assert!(
        body.contains(r#"href="https://news.example.vn/kinh-te/khac.html""#),
        "{body}"
    );
    assert!(
        body.contains(r#"src="https://news.example.vn/xa-hoi/anh.jpg""#),
        "{body}"
    );
    assert!(
        body.contains("https://www.youtube.com/embed/abc") && !body.contains("ads.example"),
        "{body}"
    );
    let feed = app
        .get("/feeds/category/xa-hoi/rss.xml")
        .await
        .text()
        .await
        .unwrap();
    assert!(!feed.contains("steal"));
}
