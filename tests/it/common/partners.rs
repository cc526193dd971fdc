//! Partner helpers: a server with partners whose keys are in files, and requests
//! with a partner's key.

use base64::Engine;
use herald::config::{PartnerSettings, Settings};
use serde_json::Value;
use tempfile::TempDir;

use super::{TOKEN, TestApp, get_with, spawn_app_with};

/// A server with `partners` (each `{"name": …, …}`; its key is `key-{name}`).
pub struct Partnered {
    pub app: TestApp,
    _keys: TempDir,
}

pub async fn with_partners(partners: Value, adjust: impl FnOnce(&mut Settings)) -> Partnered {
    let keys = tempfile::tempdir().unwrap();
    let mut list = Vec::new();
    for mut p in partners.as_array().unwrap().clone() {
        let name = p["name"].as_str().unwrap().to_string();
        let file = keys.path().join(&name);
        std::fs::write(&file, format!("# {name}\nkey-{name}\n")).unwrap();
        p["keys_file"] = file.to_str().unwrap().into();
        list.push(serde_json::from_value::<PartnerSettings>(p).unwrap());
    }
    let app = spawn_app_with(
        |s| {
            s.partners = list;
            adjust(s);
        },
        herald::auth::Tokens::from_list([TOKEN]),
    )
    .await;
    Partnered { app, _keys: keys }
}

/// GET `path` with partner `name`'s key as a bearer token.
pub async fn get_as(app: &TestApp, name: &str, path: &str) -> reqwest::Response {
    let auth = format!("Bearer key-{name}");
    get_with(app, path, &[("authorization", &auth)]).await
}

/// The feed at `path`, fetched with `name`'s key and parsed by feed-rs.
pub async fn parsed(app: &TestApp, name: &str, path: &str) -> (feed_rs::model::Feed, String) {
    let r = get_as(app, name, path).await;
    assert_eq!(r.status(), 200, "GET {path}");
    let body = r.text().await.unwrap();
    let feed =
        feed_rs::parser::parse(body.as_bytes()).unwrap_or_else(|e| panic!("{path}: {e}\n{body}"));
    (feed, body)
}

pub fn basic(user: &str, password: &str) -> String {
    let raw = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}
