//! A partner's feeds as topics of Herald's hub: only a holder of the partner's key
//! may subscribe, and what is pushed is the partner's own feed.

use serde_json::json;

use crate::common::article;
use crate::common::partners::with_partners;
use crate::websub::{request, subscriber, subscriptions, until};

const TOPIC: &str = "http://localhost:8080/partners/msn-vn/feeds/category/kinh-te/atom.xml";

#[tokio::test]
async fn only_a_partners_key_subscribes_to_its_feeds() {
    let p = with_partners(json!([{"name": "msn-vn", "profile": "msn"}]), |s| {
        s.websub.hub = true;
        s.websub.allow_private_callbacks = true;
        s.push.coalesce_ms = 20;
    })
    .await;
    let app = &p.app;
    let (callback, seen) = subscriber().await;
    let form = |key: &'static str| {
        let mut f = vec![
            ("hub.mode", "subscribe"),
            ("hub.topic", TOPIC),
            ("hub.callback", callback.as_str()),
        ];
        if !key.is_empty() {
            f.push(("key", key));
        }
        f
    };
    for refused in ["", "key-khac"] {
        let r = request(app, &form(refused)).await;
        assert_eq!(r.status(), 401, "key {refused:?}");
    }
    // MSN is served Atom only, so its RSS is no topic at all.
    let rss = TOPIC.replace("atom.xml", "rss.xml");
    let r = request(
        app,
        &[
            ("hub.mode", "subscribe"),
            ("hub.topic", &rss),
            ("hub.callback", &callback),
            ("key", "key-msn-vn"),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(seen.lock().unwrap().verifications.is_empty());

    // The key in Authorization, as the partner's feeds take it.
    let r = app
        .client
        .post(app.url("/websub"))
        .bearer_auth("key-msn-vn")
        .form(&form(""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    until("verification", 5, || {
        !seen.lock().unwrap().verifications.is_empty()
    })
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while subscriptions(app).await.is_empty() {
        assert!(std::time::Instant::now() < deadline, "never active");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    app.put_ok(&article("cho-doi-tac", "kinh-te", 0)).await;
    until("a delivery", 5, || {
        !seen.lock().unwrap().deliveries.is_empty()
    })
    .await;
    let (headers, body) = seen.lock().unwrap().deliveries[0].clone();
    let body = String::from_utf8(body).unwrap();
    assert!(body.contains(":article:cho-doi-tac<"), "{body}");
    assert!(
        body.contains(&format!("href=\"{TOPIC}\" rel=\"self\"")),
        "{body}"
    );
    assert!(headers["link"].to_str().unwrap().contains(TOPIC));
}
