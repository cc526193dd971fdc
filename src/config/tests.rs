//! Tests of loading settings: layers, environment forms and errors.

use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn embedded_defaults_are_valid() {
    let s = Settings::load_from(None, &env(&[]), &Overrides::default()).unwrap();
    assert_eq!(s.feeds.items, 50);
    assert_eq!(s.site.language, "vi");
    assert!(s.categories.iter().any(|c| c.slug == "chinh-tri"));
}

#[test]
fn environment_overrides_nested_keys() {
    let e = env(&[("HERALD_FEEDS__ITEMS", "30"), ("HERALD_API_TOKENS", "x")]);
    let s = Settings::load_from(None, &e, &Overrides::default()).unwrap();
    assert_eq!(s.feeds.items, 30);
}

#[test]
fn lists_come_from_the_environment_comma_separated() {
    let e = env(&[
        (
            "HERALD_CDN__PURGE",
            "varnish=http://varnish:6081,webhook=https://cdn.example/p",
        ),
        ("HERALD_WEBSUB__HUBS", "https://pubsubhubbub.appspot.com/"),
        ("HERALD_CDN__KEY_HEADERS", "xkey"),
    ]);
    let s = Settings::load_from(None, &e, &Overrides::default()).unwrap();
    assert_eq!(
        s.cdn.purge,
        [
            "varnish=http://varnish:6081",
            "webhook=https://cdn.example/p"
        ]
    );
    assert_eq!(s.websub.hubs, ["https://pubsubhubbub.appspot.com/"]);
    assert_eq!(s.cdn.key_headers, ["xkey"]);
    let bad = env(&[("HERALD_CDN__PURGE", "squid=http://x")]);
    let err = Settings::load_from(None, &bad, &Overrides::default()).unwrap_err();
    assert!(err.to_string().contains("cdn.purge[0]"), "{err}");
}

#[test]
fn invalid_value_names_the_key() {
    let e = env(&[("HERALD_SITE__BASE_URL", "not a url")]);
    let err = Settings::load_from(None, &e, &Overrides::default()).unwrap_err();
    assert!(err.to_string().contains("site.base_url"), "{err}");
}

#[test]
fn wrong_type_names_the_key() {
    let e = env(&[("HERALD_FEEDS__ITEMS", "many")]);
    let err = Settings::load_from(None, &e, &Overrides::default()).unwrap_err();
    assert!(err.to_string().contains("feeds.items"), "{err}");
}

#[test]
fn file_categories_replace_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(
        &path,
        "[[categories]]\nslug = \"one\"\ntitle = \"One\"\ndescription = \"d\"\n",
    )
    .unwrap();
    let s = Settings::load_from(Some(&path), &env(&[]), &Overrides::default()).unwrap();
    assert_eq!(s.categories.len(), 1);
    assert_eq!(s.categories[0].slug, "one");
}

#[test]
fn overrides_win() {
    let o = Overrides {
        listen: Some("127.0.0.1:0".into()),
        data_dir: Some("/tmp/x".into()),
    };
    let s = Settings::load_from(None, &env(&[]), &o).unwrap();
    assert_eq!(s.server.listen, "127.0.0.1:0");
    assert_eq!(s.store.data_dir, PathBuf::from("/tmp/x"));
}
