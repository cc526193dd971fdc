//! `/openapi.json` describes exactly what the router serves: every documented
//! operation answers, with a status it documents, and write operations demand the
//! bearer token they declare.

use crate::common::{TOKEN, article, spawn_app};
use serde_json::Value;

/// A concrete URL for a documented path, using values that exist in the test store.
fn concrete(path: &str) -> String {
    path.replace("{id}", "a")
        .replace("{slug}", "kinh-te")
        .replace("{tag}", "lào cai")
        .replace("{file}", "atom.xml")
}

#[tokio::test]
async fn the_document_matches_the_router() {
    let app = spawn_app().await;
    app.put_ok(&article("a", "kinh-te", 0)).await;
    let spec = app.get_json("/openapi.json", 200).await;
    assert_eq!(spec["openapi"], "3.1.0");
    let paths = spec["paths"].as_object().expect("paths");
    assert!(paths.len() >= 13, "only {} paths documented", paths.len());

    for (path, operations) in paths {
        for (method, operation) in operations.as_object().unwrap() {
            let documented: Vec<&str> = operation["responses"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let url = app.url(&concrete(path));
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let secured = operation.get("security").is_some();
            let mut request = app.client.request(m.clone(), &url);
            if secured {
                request = request.bearer_auth(TOKEN);
            }
            if method == "put" && path.starts_with("/api/articles") {
                request = request.json(&article("a", "kinh-te", 1));
            } else if method == "put" {
                request = request.json(&serde_json::json!({"title": "Kinh tế"}));
            } else if method == "post" {
                request = request.body(article("b", "kinh-te", 2).to_string());
            }
            let status = request.send().await.unwrap().status();
            assert!(
                documented.contains(&status.as_str()),
                "{method} {path}: answered {status}, documents {documented:?}"
            );
            assert!(status.as_u16() != 405, "{method} {path} is not routed");

            if secured {
                let anonymous = app.client.request(m, &url).send().await.unwrap().status();
                assert_eq!(anonymous, 401, "{method} {path} without a token");
                assert!(documented.contains(&"401"), "{method} {path} omits its 401");
            }
        }
    }
    // Undocumented paths are not served.
    let nope: Value = app.get_json("/api/nope", 404).await;
    assert_eq!(nope["error"], "not_found");
}
