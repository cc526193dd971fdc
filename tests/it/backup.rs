//! Complete backups: an export carries everything a restore needs (run-time
//! sections, scheduled articles, tombstones within their days), and importing it
//! into an empty data directory then exporting again gives the same lines, by
//! `herald export` and by `GET /api/export` alike.

use serde_json::json;

use crate::common::{TOKEN, article, herald, spawn_app};

fn lines(out: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(out)
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn an_export_imported_into_an_empty_store_exports_the_same_lines() {
    let app = spawn_app().await;
    let r = app
        .client
        .put(app.url("/api/categories/moi-truong"))
        .bearer_auth(TOKEN)
        .json(&json!({"title": "Môi trường", "description": "Tin môi trường."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    app.put_ok(&article("rung", "moi-truong", 0)).await;
    let mut later = article("sap-ra", "moi-truong", 0);
    later["published"] = (chrono::Utc::now() + chrono::Duration::days(2))
        .to_rfc3339()
        .into();
    app.put_ok(&later).await;
    app.put_ok(&article("go-bo", "xa-hoi", 1)).await;
    let gone = app
        .client
        .delete(app.url("/api/articles/go-bo"))
        .bearer_auth(TOKEN)
        .json(&json!({"reason": "Thông tin chưa được kiểm chứng."}))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 204);

    let online = app
        .client
        .get(app.url("/api/export"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let online = lines(&online);
    assert_eq!(online.len(), 4, "{online:#?}");
    assert!(
        online[0].starts_with(r#"{"category":{"slug":"moi-truong""#),
        "{}",
        online[0]
    );
    assert!(
        online.iter().any(|l| l.contains("\"id\":\"sap-ra\"")),
        "the scheduled one"
    );
    assert!(
        online[3].starts_with(r#"{"tombstone":{"id":"go-bo""#) && online[3].contains("kiểm chứng"),
        "{}",
        online[3]
    );

    let dir = app.stop().await;
    let data = dir.path().join("data");
    let offline = herald(&data, &["export"], "");
    assert!(offline.status.success());
    assert_eq!(
        lines(&offline.stdout),
        online,
        "herald export = GET /api/export"
    );

    let fresh = tempfile::tempdir().unwrap();
    let restored = fresh.path().join("data");
    let import = herald(&restored, &["import", "-"], &(online.join("\n") + "\n"));
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    let again = herald(&restored, &["export"], "");
    assert_eq!(lines(&again.stdout), online);
    let check = herald(&restored, &["check"], "");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}
