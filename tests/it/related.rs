//! Related stories: ranking by content in Vietnamese and English, freshness, the API.

use crate::common::{TOKEN, spawn_app};
use serde_json::{Value, json};

fn story(id: &str, category: &str, day: u32, title: &str, body: &str, tags: &[&str]) -> Value {
    json!({
        "id": id,
        "url": format!("https://news.example.vn/{id}.html"),
        "title": title,
        "summary": "",
        "content_html": format!("<p>{body}</p>"),
        "category": category,
        "tags": tags,
        "published": format!("2024-12-{day:02}T08:00:00+07:00"),
        "images": [{"url": format!("https://news.example.vn/{id}.jpg"), "caption": "Ảnh minh hoạ.", "width": 800, "height": 600}]
    })
}

/// Vietnamese fixtures: a storm story told twice (in two sections), and section-mates
/// about other things.
fn vietnamese() -> Vec<Value> {
    vec![
        story(
            "bao-sat-lo",
            "thoi-su",
            3,
            "Bão số 3 gây sạt lở nghiêm trọng tại Bát Xát",
            "Mưa lớn do bão số 3 khiến nhiều tuyến đường ở huyện Bát Xát bị sạt lở, hàng chục hộ dân phải di dời khẩn cấp.",
            &["bão số 3", "Bát Xát"],
        ),
        story(
            "khac-phuc-bao",
            "xa-hoi",
            4,
            "Bát Xát khắc phục hậu quả sạt lở sau bão số 3",
            "Sau bão số 3, huyện Bát Xát huy động lực lượng thông tuyến đường bị sạt lở và hỗ trợ các hộ dân phải di dời.",
            &["bão số 3", "khắc phục hậu quả"],
        ),
        story(
            "hoi-nghi-dan-van",
            "thoi-su",
            5,
            "Hội nghị tổng kết công tác dân vận năm 2024",
            "Ban Dân vận Tỉnh uỷ tổ chức hội nghị tổng kết, biểu dương các mô hình dân vận khéo ở cơ sở.",
            &["dân vận"],
        ),
        story(
            "gia-lua",
            "kinh-te",
            2,
            "Giá lúa tăng mạnh, nông dân phấn khởi",
            "Vụ mùa năm nay giá lúa tăng cao, thương lái thu mua tận ruộng với giá tốt.",
            &["giá lúa"],
        ),
        story(
            "giai-bong-da",
            "the-thao",
            1,
            "Đội bóng tỉnh vô địch giải miền núi phía Bắc",
            "Đội tuyển bóng đá của tỉnh giành chức vô địch sau loạt sút luân lưu kịch tính.",
            &["bóng đá"],
        ),
    ]
}

/// English fixtures, the same shape: one story twice, unrelated section-mates.
fn english() -> Vec<Value> {
    vec![
        story(
            "rates-rise",
            "kinh-te",
            3,
            "Central bank raises interest rates to curb inflation",
            "The central bank raised its benchmark interest rate by half a point as inflation stayed high.",
            &["interest rates"],
        ),
        story(
            "rates-again",
            "thoi-su",
            4,
            "Interest rates climb again as the central bank fights inflation",
            "For the second time this year the central bank lifted interest rates, saying inflation remains stubborn.",
            &["interest rates"],
        ),
        story(
            "port-expands",
            "kinh-te",
            5,
            "Port operator opens a new container terminal",
            "A new container terminal doubles the port's capacity for exporters in the region.",
            &["port"],
        ),
        story(
            "cup-final",
            "the-thao",
            2,
            "Local club lifts the regional football cup",
            "Supporters celebrated as the club won the final on penalties.",
            &["football"],
        ),
    ]
}

async fn load(app: &crate::common::TestApp, articles: &[Value]) {
    app.post_articles(articles).await;
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn same_story_outranks_same_section_in_vietnamese() {
    let app = spawn_app().await;
    load(&app, &vietnamese()).await;

    let body = app.get_json("/api/articles/bao-sat-lo/related", 200).await;

    assert_eq!(body["article"]["id"], "bao-sat-lo");
    let related = ids(&body["related"]);
    assert_eq!(related.first(), Some(&"khac-phuc-bao"), "{related:?}");
    let pos = |id| related.iter().position(|r| *r == id);
    assert!(
        pos("hoi-nghi-dan-van").is_none_or(|p| p > 0),
        "a section-mate about something else ranks below"
    );
    let first = &body["related"][0];
    assert_eq!(
        first["category"],
        json!({"slug": "xa-hoi", "title": "Xã hội"})
    );
    assert_eq!(first["published"], "2024-12-04T01:00:00Z");
    assert_eq!(
        first["image"]["url"],
        "https://news.example.vn/khac-phuc-bao.jpg"
    );
    assert!(first["score"].as_f64().unwrap() > 0.0 && first["score"].as_f64().unwrap() <= 1.0);
    // "Same section": newest in thoi-su, without the article itself or what is related.
    let same = ids(&body["same_category"]);
    assert!(same.contains(&"hoi-nghi-dan-van") || related.contains(&"hoi-nghi-dan-van"));
    assert!(!same.contains(&"bao-sat-lo") && same.iter().all(|s| !related.contains(s)));
}

#[tokio::test]
async fn same_story_outranks_same_section_in_english() {
    let app = spawn_app().await;
    load(&app, &english()).await;

    let body = app.get_json("/api/articles/rates-rise/related", 200).await;

    let related = ids(&body["related"]);
    assert_eq!(related.first(), Some(&"rates-again"), "{related:?}");
    assert!(
        related
            .iter()
            .position(|r| *r == "port-expands")
            .is_none_or(|p| p > 0)
    );
}

#[tokio::test]
async fn updates_and_deletes_show_in_the_next_call() {
    let app = spawn_app().await;
    load(&app, &vietnamese()).await;
    assert_eq!(
        ids(&app.get_json("/api/articles/bao-sat-lo/related", 200).await["related"])[0],
        "khac-phuc-bao"
    );

    // Rewritten about something else: no longer related.
    let mut changed = story(
        "khac-phuc-bao",
        "xa-hoi",
        4,
        "Lễ hội hoa tam giác mạch khai mạc",
        "Du khách đổ về cao nguyên ngắm hoa tam giác mạch nở rộ.",
        &["lễ hội"],
    );
    changed["id"] = json!("khac-phuc-bao");
    app.put_ok(&changed).await;
    let after = app.get_json("/api/articles/bao-sat-lo/related", 200).await;
    // Its storm words are gone. Feedback from the source's best remaining matches may
    // still reach it through a word it shares with one of them ("cao" with gia-lua),
    // but only weakly.
    let weak = after["related"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["id"] == "khac-phuc-bao")
        .all(|r| r["score"].as_f64().unwrap() < 0.2);
    assert!(
        weak && ids(&after["related"])[0] != "khac-phuc-bao",
        "{after}"
    );

    // A new article on the storm appears at once; deleted, it is gone at once.
    app.put_ok(&story(
        "bao-moi",
        "thoi-su",
        5,
        "Bát Xát tiếp tục di dời dân khỏi vùng sạt lở do bão số 3",
        "Huyện Bát Xát di dời thêm hộ dân khỏi khu vực nguy cơ sạt lở sau bão số 3.",
        &["bão số 3"],
    ))
    .await;
    assert_eq!(
        ids(&app.get_json("/api/articles/bao-sat-lo/related", 200).await["related"])[0],
        "bao-moi"
    );
    assert_eq!(app.delete_article("bao-moi").await, 204);
    let gone = app.get_json("/api/articles/bao-sat-lo/related", 200).await;
    assert!(!ids(&gone["related"]).contains(&"bao-moi"));
    assert!(!ids(&gone["same_category"]).contains(&"bao-moi"));
}

#[tokio::test]
async fn index_is_rebuilt_from_the_store_at_start() {
    let app = spawn_app().await;
    load(&app, &vietnamese()).await;
    let app = crate::common::spawn_app_in(
        app.stop().await,
        |_| {},
        herald::auth::Tokens::from_list([TOKEN]),
    )
    .await;
    assert_eq!(
        ids(&app.get_json("/api/articles/bao-sat-lo/related", 200).await["related"])[0],
        "khac-phuc-bao"
    );
}

#[tokio::test]
async fn exact_duplicates_are_left_out() {
    let app = spawn_app().await;
    let mut articles = vietnamese();
    let mut copy = articles[0].clone();
    copy["id"] = json!("bao-sat-lo-ban-sao");
    articles.push(copy);
    load(&app, &articles).await;

    let related = app.get_json("/api/articles/bao-sat-lo/related", 200).await;
    assert!(!ids(&related["related"]).contains(&"bao-sat-lo-ban-sao"));
    assert_eq!(ids(&related["related"])[0], "khac-phuc-bao");
}

#[tokio::test]
async fn filters_limits_and_errors() {
    let app = spawn_app().await;
    load(&app, &vietnamese()).await;

    let only = app
        .get_json("/api/articles/bao-sat-lo/related?category=xa-hoi", 200)
        .await;
    // The one storm story in that section, and nothing from the others.
    assert_eq!(ids(&only["related"]), ["khac-phuc-bao"]);
    let excluded = app
        .get_json(
            "/api/articles/bao-sat-lo/related?exclude=khac-phuc-bao,gia-lua",
            200,
        )
        .await;
    assert!(!ids(&excluded["related"]).contains(&"khac-phuc-bao"));
    assert!(!ids(&excluded["same_category"]).contains(&"khac-phuc-bao"));
    let one = app
        .get_json("/api/articles/bao-sat-lo/related?limit=1", 200)
        .await;
    assert_eq!(ids(&one["related"]), ["khac-phuc-bao"]);
    assert_eq!(ids(&one["same_category"]).len(), 1);

    let too_many = app
        .get_json("/api/articles/bao-sat-lo/related?limit=21", 400)
        .await;
    assert_eq!(too_many["fields"][0]["field"], "limit");
    assert!(
        too_many["fields"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("20")
    );
    let empty = app
        .get_json("/api/articles/bao-sat-lo/related?limit=", 400)
        .await;
    assert_eq!(empty["fields"][0]["field"], "limit");
    app.get_json("/api/articles/bao-sat-lo/related?category=nope", 400)
        .await;
    assert_eq!(
        app.get_json("/api/articles/khong-co/related", 404).await["error"],
        "not_found"
    );
}

#[tokio::test]
async fn headers_suit_browser_widgets_and_caches() {
    let app = spawn_app().await;
    load(&app, &vietnamese()).await;

    let r = app.get("/api/articles/bao-sat-lo/related").await;
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=60, stale-if-error=86400"
    );
    let keys = r.headers()["xkey"].to_str().unwrap().to_string();
    for key in [
        "article:bao-sat-lo",
        "article:khac-phuc-bao",
        "category:thoi-su",
    ] {
        assert!(keys.split(' ').any(|k| k == key), "{key} not in {keys}");
    }
    assert_eq!(r.headers()["content-type"], "application/json");
    let etag = r.headers()["etag"].to_str().unwrap().to_string();

    let again = app
        .client
        .get(app.url("/api/articles/bao-sat-lo/related"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
}

#[tokio::test]
async fn counts_saved_at_shutdown_build_the_same_index_as_counting() {
    use herald::category::Catalog;
    use herald::ingest::{Ingest, TermCounts};
    use herald::related::{Hit, LiveIndex, RelatedIndex};
    use herald::store::Store;

    let app = spawn_app().await;
    load(&app, &vietnamese()).await;
    // Deleted after counting, so the saved counts have counted down too.
    assert_eq!(app.delete_article("khac-phuc-bao").await, 204);
    let dir = app.stop().await;
    let data = dir.path().join("data");

    let related_of_all = |store: &Store, index: &RelatedIndex| -> Vec<(String, Vec<Hit>)> {
        store
            .articles()
            .map(|a| {
                let a = a.unwrap();
                (a.id.clone(), index.related(&a, 5, None, &[]))
            })
            .collect()
    };
    let settings = crate::common::test_settings(dir.path());
    let build = || {
        let store = crate::common::open_store(&data);
        let catalog = Catalog::new(&settings.categories, store.categories().unwrap());
        let ingest = Ingest::new(store.clone(), catalog, LiveIndex::building(), &settings);
        let counts = ingest.build_related().unwrap();
        (store, ingest.related().expect("built"), counts)
    };
    let (store, index, counts) = build();
    assert_eq!(counts, TermCounts::Saved, "a graceful stop saves them");
    let with_saved = related_of_all(&store, &index);
    drop((store, index));

    let (store, index, counts) = build();
    assert_eq!(counts, TermCounts::Counted, "the last open took them");
    assert_eq!(with_saved, related_of_all(&store, &index));
    assert!(
        with_saved
            .iter()
            .filter(|(_, hits)| !hits.is_empty())
            .count()
            > 3
    );
}
