//! The feed cache: freshness, invalidation, kept views, files for polled feeds and
//! single flight.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::*;
use crate::article::{Article, ArticleInput, Rules};
use crate::config::{Overrides, Settings};

fn setup() -> (tempfile::TempDir, Arc<FeedCache>, Store, Catalog) {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::load_from(None, &Default::default(), &Overrides::default()).unwrap();
    let store = Store::open(dir.path(), 8).unwrap();
    let catalog = Catalog::new(&settings.categories, vec![]);
    let cache = FeedCache::new(
        Site::from_settings(&settings),
        store.clone(),
        catalog.clone(),
        FeedLimits {
            items: 50,
            max_bytes: 2_000_000,
            content: crate::feed::Content::Full,
            tombstone_days: 7,
        },
        Spool::memory(),
    );
    (dir, Arc::new(cache), store, catalog)
}

fn article(id: &str, category: &str, catalog: &Catalog) -> Article {
    let input: ArticleInput = serde_json::from_value(serde_json::json!({
        "id": id, "url": "https://e.vn/a", "title": "Tiêu đề", "category": category,
        "published": "2024-12-06T09:00:00+07:00"
    }))
    .unwrap();
    let html = crate::article::HtmlPolicy::default();
    let rules = Rules {
        categories: catalog,
        default_language: "vi",
        max_body_bytes: 1000,
        html: &html,
        now: chrono::Utc::now(),
    };
    input.validate(&rules).unwrap()
}

#[tokio::test]
async fn unchanged_feed_is_served_without_rendering() {
    let (_dir, cache, store, catalog) = setup();
    store.put(&article("a", "kinh-te", &catalog)).unwrap();
    let scope = Scope::Category("kinh-te".into());

    let first = cache.get(&scope, Format::Rss, 1).await.unwrap().unwrap();
    let second = cache.get(&scope, Format::Rss, 1).await.unwrap().unwrap();

    assert!(Arc::ptr_eq(&first, &second));
    assert_eq!(cache.stats.renders.load(Ordering::Relaxed), 1);
    assert_eq!(cache.stats.hits.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn only_writes_to_the_scope_invalidate_it() {
    let (_dir, cache, store, catalog) = setup();
    store.put(&article("a", "kinh-te", &catalog)).unwrap();
    let scope = Scope::Category("kinh-te".into());
    cache.get(&scope, Format::Atom, 1).await.unwrap();

    store.put(&article("b", "the-thao", &catalog)).unwrap();
    cache.get(&scope, Format::Atom, 1).await.unwrap();
    assert_eq!(cache.stats.renders.load(Ordering::Relaxed), 1);

    store.put(&article("c", "kinh-te", &catalog)).unwrap();
    let fresh = cache.get(&scope, Format::Atom, 1).await.unwrap().unwrap();
    assert_eq!(cache.stats.renders.load(Ordering::Relaxed), 2);
    assert_eq!(fresh.items, 2);
}

/// Views are reused across renders, yet an edit to an article and a new section
/// title both show in the next render.
#[tokio::test]
async fn kept_views_follow_edits_and_section_titles() {
    let (_dir, cache, store, catalog) = setup();
    let scope = Scope::Category("kinh-te".into());
    store.put(&article("a", "kinh-te", &catalog)).unwrap();
    store.put(&article("b", "kinh-te", &catalog)).unwrap();
    let text = |r: &Rendered| {
        String::from_utf8(r.get(Encoding::Identity).unwrap().bytes.to_vec()).unwrap()
    };
    let first = cache.get(&scope, Format::Atom, 1).await.unwrap().unwrap();
    assert_eq!(text(&first).matches("<title>Tiêu đề</title>").count(), 2);

    let mut edited = article("a", "kinh-te", &catalog);
    edited.title = "Tiêu đề đã sửa".into();
    store.put(&edited).unwrap();
    let second = cache.get(&scope, Format::Atom, 1).await.unwrap().unwrap();
    assert!(text(&second).contains("<title>Tiêu đề đã sửa</title>"));
    assert_eq!(text(&second).matches("<title>Tiêu đề</title>").count(), 1);

    let mut section = catalog.get("kinh-te").unwrap();
    section.title = "Kinh tế – Tài chính".into();
    catalog.upsert(section);
    let third = cache.get(&scope, Format::Atom, 1).await.unwrap().unwrap();
    assert_eq!(
        text(&third)
            .matches(r#"label="Kinh tế – Tài chính""#)
            .count(),
        2,
        "{}",
        text(&third)
    );
}

/// The compressed forms of the polled feeds (site and section, first page) go in
/// files; those of tags and later pages, which crawlers walk, do not.
#[cfg(target_os = "linux")]
#[test]
fn only_polled_feeds_keep_compressed_forms_in_files() {
    let (_dir, cache, store, catalog) = setup();
    for i in 0..60u64 {
        let mut a = article(&format!("a{i}"), "kinh-te", &catalog);
        a.tags = vec!["Lào Cai".into()];
        // Text that compresses poorly, so each form is well over 16 KiB.
        a.summary = (0..800u64)
            .map(|j| {
                format!(
                    "{:x} ",
                    (i * 1000 + j).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40
                )
            })
            .collect();
        store.put(&a).unwrap();
    }
    let shared = |scope: Scope, page: usize| {
        let r = cache
            .render(
                &scope,
                Format::Rss,
                page,
                Stamp {
                    scope: 0,
                    catalog: 0,
                },
            )
            .unwrap()
            .unwrap();
        r.compress(&Spool::memory_files());
        let gzip = &r.get(Encoding::Gzip).unwrap().bytes;
        assert!(
            gzip.len() > 16 * 1024,
            "{} bytes: too short a test",
            gzip.len()
        );
        crate::transport::zerocopy::is_file_backed(gzip)
    };
    assert!(shared(Scope::Category("kinh-te".into()), 1));
    assert!(shared(Scope::All, 1));
    assert!(!shared(Scope::Category("kinh-te".into()), 2));
    assert!(!shared(Scope::Tag("lào cai".into()), 1));
}

/// A request that renders and is then dropped (its client hung up) still wakes
/// the requests waiting for that render.
#[test]
fn waiters_outlive_a_cancelled_render() {
    // One blocking thread, held busy, so the first render stays in flight.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(1)
        .build()
        .unwrap();
    runtime.block_on(async {
        let (_dir, cache, store, catalog) = setup();
        store.put(&article("a", "kinh-te", &catalog)).unwrap();
        let scope = Scope::Category("kinh-te".into());
        let (release, held) = std::sync::mpsc::channel::<()>();
        let busy = tokio::task::spawn_blocking(move || held.recv());
        let first = tokio::spawn({
            let (cache, scope) = (Arc::clone(&cache), scope.clone());
            async move { cache.get(&scope, Format::Rss, 1).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let waiter = tokio::spawn({
            let (cache, scope) = (Arc::clone(&cache), scope.clone());
            async move { cache.get(&scope, Format::Rss, 1).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        first.abort();
        let _ = first.await;
        release.send(()).unwrap();
        busy.await.unwrap().unwrap();
        let served = tokio::time::timeout(std::time::Duration::from_secs(10), waiter)
            .await
            .expect("the waiter was never woken")
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(served.items, 1);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_for_a_stale_feed_render_it_once() {
    let (_dir, cache, store, catalog) = setup();
    for i in 0..40 {
        store
            .put(&article(&format!("a{i}"), "kinh-te", &catalog))
            .unwrap();
    }
    let scope = Scope::Category("kinh-te".into());
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (cache, scope) = (Arc::clone(&cache), scope.clone());
            tokio::spawn(async move { cache.get(&scope, Format::Rss, 1).await.unwrap().unwrap() })
        })
        .collect();
    let mut etags = std::collections::HashSet::new();
    for t in tasks {
        etags.insert(t.await.unwrap().tag().to_string());
    }
    assert_eq!(etags.len(), 1);
    assert_eq!(cache.stats.renders.load(Ordering::Relaxed), 1);
}
