//! The command line: import, export, check-config and healthcheck, as a user runs them.

use std::process::Command;

use crate::common::{article, herald, herald_bin, serve_binary};

fn jsonl(ids: &[(&str, &str)]) -> String {
    ids.iter()
        .enumerate()
        .map(|(i, (id, cat))| article(id, cat, i as u32).to_string() + "\n")
        .collect()
}

#[test]
fn export_then_import_gives_an_equal_store() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let mut input = jsonl(&[("mot", "kinh-te"), ("hai", "chinh-tri"), ("ba", "the-thao")]);
    // Decomposed text and a control character: the export carries the normalised form.
    input.push_str(
        &serde_json::json!({"id": "bon", "url": "https://news.example.vn/4", "title": "Ba\u{0303}o\u{0001}",
            "category": "xa-hoi", "published": "2024-01-01T00:00:00Z"})
        .to_string(),
    );
    assert!(herald(&a, &["import", "-"], &input).status.success());

    let first = herald(&a, &["export"], "");
    assert!(first.status.success());
    let exported = String::from_utf8(first.stdout).unwrap();
    assert_eq!(exported.lines().count(), 4);
    assert!(exported.contains("\"title\":\"Bão\""));

    assert!(herald(&b, &["import", "-"], &exported).status.success());
    let second = herald(&b, &["export"], "");
    assert_eq!(String::from_utf8(second.stdout).unwrap(), exported);
}

#[test]
fn import_reports_bad_lines_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let input = jsonl(&[("tot", "kinh-te")]) + "{broken\n" + &jsonl(&[("cung-tot", "kinh-te")]);

    let out = herald(dir.path(), &["import", "-"], &input);

    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2"), "{err}");
    let exported = herald(dir.path(), &["export"], "");
    assert_eq!(
        String::from_utf8(exported.stdout).unwrap().lines().count(),
        2
    );
}

#[test]
fn strict_import_stores_nothing_when_a_line_is_bad() {
    let dir = tempfile::tempdir().unwrap();
    let input = jsonl(&[("tot", "kinh-te")])
        + &serde_json::json!({"id": "x", "category": "nope"}).to_string();

    let out = herald(dir.path(), &["import", "--strict", "-"], &input);

    assert!(!out.status.success());
    let exported = herald(dir.path(), &["export"], "");
    assert_eq!(String::from_utf8(exported.stdout).unwrap(), "");
}

#[test]
fn import_reads_a_file_too() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.jsonl");
    std::fs::write(&file, jsonl(&[("tep", "y-te")])).unwrap();
    let out = herald(
        &dir.path().join("data"),
        &["import", file.to_str().unwrap()],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exported = herald(&dir.path().join("data"), &["export"], "");
    assert!(
        String::from_utf8(exported.stdout)
            .unwrap()
            .contains("\"id\":\"tep\"")
    );
}

#[test]
fn check_config_names_the_bad_key() {
    let dir = tempfile::tempdir().unwrap();
    let ok = herald(dir.path(), &["check-config"], "");
    assert!(ok.status.success());

    let out = Command::new(herald_bin())
        .arg("check-config")
        .env("HERALD_FEEDS__ITEMS", "0")
        .env_remove("HERALD_CONFIG")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("feeds.items"));

    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[site]\nbase_url = \"ftp://x\"\n").unwrap();
    let out = Command::new(herald_bin())
        .args(["check-config", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("site.base_url"));
}

#[test]
fn healthcheck_follows_the_service() {
    let dir = tempfile::tempdir().unwrap();
    let mut served = serve_binary(&dir.path().join("data"), &[]);
    let listen = served.addr.to_string();

    let up = Command::new(herald_bin())
        .args(["healthcheck", "--listen", &listen])
        .output()
        .unwrap();
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );

    served.child.kill().unwrap();
    served.child.wait().unwrap();
    let down = Command::new(herald_bin())
        .args(["healthcheck", "--listen", &listen])
        .output()
        .unwrap();
    assert!(!down.status.success());
}
