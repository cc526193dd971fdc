//! Properties over generated input: any article either fails validation with named
//! fields, or renders into RSS, Atom and JSON Feed that feed-rs parses with the key
//! fields intact; and no request body, however malformed, makes the server fail.

use herald::article::{ArticleInput, HtmlPolicy, Rules};
use herald::category::Catalog;
use herald::config::{Overrides, Settings};
use herald::feed::{FeedMeta, Format, ItemView, Site, render};
use herald::scope::Scope;
use proptest::prelude::*;
use serde_json::{Value, json};

/// Text as hostile as it gets: any Unicode scalar, with C0/C1 controls, markup,
/// combining marks and Vietnamese weighted in, sometimes very long.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        any::<char>().prop_map(String::from),
        prop::sample::select(vec![
            "\u{0}",
            "\u{8}",
            "\u{b}",
            "\u{1b}",
            "\u{7f}",
            "\u{85}",
            "\u{fffe}",
            "\u{feff}",
            "<",
            "&amp;",
            "]]>",
            "<script>x</script>",
            "<b>",
            "a\u{300}",
            "Lào Cai",
            "bão",
            " ",
            "\n",
            "\r\n",
            "\t",
        ])
        .prop_map(String::from),
    ];
    prop_oneof![
        30 => prop::collection::vec(piece, 1..40).prop_map(|v| v.concat()),
        1 => (any::<char>(), 10_000usize..200_000).prop_map(|(c, n)| c.to_string().repeat(n)),
    ]
}

/// Dates: mostly valid RFC 3339 across a wide span and odd offsets, some nonsense.
fn date() -> impl Strategy<Value = Value> {
    prop_oneof![
        20 => (-62_000_000_000i64..250_000_000_000, -86_340i32..86_340).prop_map(|(secs, off)| {
            let offset = chrono::FixedOffset::east_opt(off / 60 * 60).unwrap();
            chrono::DateTime::from_timestamp(secs, 0)
                .map(|t| json!(t.with_timezone(&offset).to_rfc3339()))
                .unwrap_or(json!("x"))
        }),
        1 => text().prop_map(Value::from),
        1 => any::<i64>().prop_map(Value::from),
        1 => Just(Value::Null),
    ]
}

fn id() -> impl Strategy<Value = Value> {
    prop_oneof![
        12 => "[a-z0-9][a-z0-9._-]{0,60}".prop_map(Value::from),
        1 => text().prop_map(Value::from),
    ]
}

fn url() -> impl Strategy<Value = Value> {
    prop_oneof![
        12 => text().prop_map(|p| json!(format!("https://news.example.vn/{}", p.chars().take(200).collect::<String>()))),
        1 => text().prop_map(Value::from),
    ]
}

fn article_json() -> impl Strategy<Value = Value> {
    (
        (id(), url(), text(), text(), text()),
        (
            prop_oneof![
                12 => prop::sample::select(vec!["thoi-su", "kinh-te", "xa-hoi"]),
                1 => prop::sample::select(vec!["nope", "", "Kinh-Te"]),
            ],
            prop::collection::vec(text(), 0..5),
            prop::collection::vec(text(), 0..3),
            date(),
            prop::option::of(date()),
            prop::collection::vec((url(), prop::option::of(text())), 0..3),
        ),
    )
        .prop_map(
            |(
                (id, url, title, summary, body),
                (category, tags, authors, published, updated, images),
            )| {
                let mut a = json!({
                    "id": id, "url": url, "title": title, "summary": summary,
                    "content_html": body, "category": category, "tags": tags,
                    "authors": authors.into_iter().map(|n| json!({"name": n})).collect::<Vec<_>>(),
                    "published": published,
                    "images": images.into_iter()
                        .map(|(url, caption)| json!({"url": url, "caption": caption}))
                        .collect::<Vec<_>>(),
                });
                if let Some(u) = updated {
                    a["updated"] = u;
                }
                a
            },
        )
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

struct World {
    settings: Settings,
    catalog: Catalog,
    html: HtmlPolicy,
    site: Site,
}

impl World {
    fn new() -> World {
        let settings = Settings::load_from(None, &Default::default(), &Overrides::default())
            .expect("default settings");
        let catalog = Catalog::new(&settings.categories, vec![]);
        let html = HtmlPolicy::new(&settings.html.iframe_hosts);
        let site = Site::from_settings(&settings);
        World {
            settings,
            catalog,
            html,
            site,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn any_article_is_rejected_by_field_or_renders_into_parsable_feeds(doc in article_json()) {
        let world = World::new();
        let rules = Rules {
            categories: &world.catalog,
            default_language: &world.settings.site.language,
            max_body_bytes: world.settings.limits.max_body_bytes,
            html: &world.html,
            now: chrono::Utc::now(),
        };
        let input: ArticleInput = match serde_json::from_value(doc) {
            Ok(input) => input,
            // Wrong JSON types are the parser's to report; the API names their field.
            Err(_) => return Ok(()),
        };
        let article = match input.validate(&rules) {
            Err(errors) => {
                prop_assert!(!errors.0.is_empty());
                for e in &errors.0 {
                    prop_assert!(!e.field.is_empty() && !e.reason.is_empty(), "{e:?}");
                }
                return Ok(());
            }
            Ok(article) => article,
        };
        let section = world.catalog.get(&article.category).expect("validated category");
        let item = std::sync::Arc::new(ItemView::new(&world.site, &article, section));
        for format in [Format::Rss, Format::Atom, Format::Json] {
            let meta = FeedMeta::new(&world.site, format, &Scope::All, None, 1);
            let bytes = render(&meta, std::slice::from_ref(&item));
            let feed = feed_rs::parser::parse(bytes.as_slice());
            prop_assert!(feed.is_ok(), "{format:?} did not parse: {:?}\n{}", feed.err(), String::from_utf8_lossy(&bytes));
            let feed = feed.unwrap();
            prop_assert_eq!(feed.entries.len(), 1);
            let entry = &feed.entries[0];
            let title = entry.title.as_ref().map(|t| squash(&t.content)).unwrap_or_default();
            prop_assert_eq!(title, squash(&article.title), "{:?}", format);
            prop_assert_eq!(entry.links.first().map(|l| l.href.as_str()), Some(article.url.as_str()));
            prop_assert_eq!(&entry.id, &world.site.entry_id(&article.id));
            if format != Format::Json {
                prop_assert_eq!(entry.published.map(|t| t.timestamp()), Some(article.published.timestamp()));
            }
        }
    }
}

/// Arbitrary bytes at every write endpoint: any answer but a 5xx (a panic would be
/// caught and turned into a 500, so this also proves there is none).
#[test]
fn arbitrary_bodies_never_fail_the_server() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let app = runtime.block_on(crate::common::spawn_app());
    // A new connection per request: a pooled one may have been closed by the server
    // (after a 413, or idle past the header-read timeout) just as it is reused.
    let fresh = crate::common::client_builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let bodies = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..2048),
        article_json().prop_map(|v| v.to_string().into_bytes()),
        prop::collection::vec(article_json(), 0..4).prop_map(|v| json!(v).to_string().into_bytes()),
        prop::collection::vec(article_json(), 0..4).prop_map(|v| {
            v.iter()
                .map(|a| a.to_string() + "\n")
                .collect::<String>()
                .into_bytes()
        }),
    ];
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 200,
        ..ProptestConfig::default()
    });
    runner
        .run(&(bodies, 0..3usize), |(body, target)| {
            let (method, path) = [
                (reqwest::Method::PUT, "/api/articles/x"),
                (reqwest::Method::POST, "/api/articles"),
                (reqwest::Method::PUT, "/api/categories/moi"),
            ][target]
                .clone();
            let len = body.len();
            let sent = runtime.block_on(async {
                fresh
                    .request(method, app.url(path))
                    .bearer_auth(crate::common::TOKEN)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
            });
            match sent {
                Ok(r) => prop_assert!(r.status().as_u16() < 500, "{path}: {}", r.status()),
                Err(e) => {
                    // A body over a limit is answered 413 and the connection closed
                    // without reading the rest (as nginx does), which the client may
                    // see as a broken connection. Anything smaller must be answered.
                    prop_assert!(len > 64 * 1024, "{path}: {len}-byte body: {e}");
                    let alive = runtime.block_on(async {
                        crate::common::client()
                            .get(app.url("/healthz"))
                            .send()
                            .await
                    });
                    prop_assert!(alive.is_ok_and(|r| r.status() == 200));
                }
            }
            Ok(())
        })
        .unwrap();
    // Still serving reads afterwards (on a new connection: the server may close one
    // after an error answer that it did not read the body of).
    let feed = runtime.block_on(async {
        crate::common::client()
            .get(app.url("/feeds/atom.xml"))
            .send()
            .await
            .unwrap()
    });
    assert_eq!(feed.status(), 200);
}
