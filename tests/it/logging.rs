//! Logs: JSON when configured, and never a token, a partner's key (in a header or
//! the query) or an Authorization header, even at the most verbose level.

use crate::common::{TOKEN, article, serve_binary_with};

#[test]
fn json_logs_at_trace_level_never_show_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("partners.toml");
    std::fs::write(&config, "[[partners]]\nname = \"bao\"\n").unwrap();
    let partner_key = "partner-key-77aa";
    let mut served = serve_binary_with(&dir.path().join("data"), &[], |c| {
        c.env("RUST_LOG", "trace")
            .env("HERALD_LOG__FORMAT", "json")
            .env("HERALD_CONFIG", &config)
            .env("HERALD_PARTNER_BAO_KEYS", partner_key);
    });
    let base = format!("http://{}", served.addr);
    let client = crate::common::blocking_client();
    let wrong = "wrong-token-9d1e";
    let put = |token: &str, id: &str| {
        client
            .put(format!("{base}/api/articles/{id}"))
            .bearer_auth(token)
            .json(&article(id, "thoi-su", 0))
            .send()
            .unwrap()
            .status()
    };
    assert_eq!(put(TOKEN, "dung"), 201);
    assert_eq!(put(wrong, "sai"), 401);
    let basic = client
        .delete(format!("{base}/api/articles/dung"))
        .basic_auth("editor", Some(wrong))
        .send()
        .unwrap();
    assert_eq!(basic.status(), 401);
    let failed = client
        .put(format!("{base}/api/articles/hong"))
        .bearer_auth(TOKEN)
        .body("{not json")
        .send()
        .unwrap();
    assert_eq!(failed.status(), 400);
    for (key, status) in [(partner_key, 200), ("wrong-partner-key-3c", 401)] {
        let url = format!("{base}/partners/bao/feeds/rss.xml?key={key}");
        assert_eq!(client.get(url).send().unwrap().status(), status);
    }
    served.child.kill().unwrap();
    served.child.wait().unwrap();

    let log = served.log.lock().unwrap().clone();
    assert!(log.len() > 5, "trace level logged almost nothing: {log:?}");
    for line in &log {
        let parsed: Result<serde_json::Value, _> = serde_json::from_str(line);
        assert!(parsed.is_ok(), "not a JSON log line: {line}");
        for secret in [
            TOKEN,
            wrong,
            "Bearer",
            "ZWRpdG9y",
            partner_key,
            "wrong-partner-key",
        ] {
            assert!(!line.contains(secret), "log line shows {secret:?}: {line}");
        }
    }
    // The request log is there: the 401s are visible to operators without the token.
    assert!(log.iter().any(|l| l.contains("401")), "no 401 in the log");
}
