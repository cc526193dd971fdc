//! Time to re-render a 50-item feed after a write invalidates it, per format, with and without
//! the compressed forms. Usage: `cargo bench --bench render -- ARTICLES.jsonl`
//! (bench/synth.py makes such a file; bench/run.sh passes one).

use std::time::{Duration, Instant};

use herald::article::ArticleInput;
use herald::category::Catalog;
use herald::config::{Overrides, Settings};
use herald::feed::{Encoding, FeedCache, FeedLimits, Format, Site, Stamp};
use herald::ingest::Ingest;
use herald::related::LiveIndex;
use herald::scope::Scope;
use herald::store::Store;
use herald::transport::zerocopy::Spool;

/// Renders are timed directly, not through the cache's freshness check.
const STAMP: Stamp = Stamp {
    scope: 0,
    catalog: 0,
};

/// The server's allocator, so the figures are the server's.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .expect("usage: cargo bench --bench render -- ARTICLES.jsonl");
    let dir = tempfile::tempdir().expect("temp dir");
    let settings =
        Settings::load_from(None, &Default::default(), &Overrides::default()).expect("settings");
    let store = Store::open(dir.path(), 64).expect("store");
    let catalog = Catalog::new(&settings.categories, vec![]);
    let ingest = Ingest::new(
        store.clone(),
        catalog.clone(),
        LiveIndex::absent(),
        &settings,
    );
    let text = std::fs::read_to_string(&path).expect("articles file");
    let mut per_category = std::collections::HashMap::new();
    let mut spare = Vec::new();
    for line in text.lines().take(2000) {
        let input: ArticleInput = serde_json::from_str(line).expect("article JSON");
        if let Ok(a) = ingest.validate(input) {
            *per_category.entry(a.category.clone()).or_insert(0) += 1;
            store.put(&a).expect("put");
            spare.push(a);
        }
    }
    let (category, stored) = per_category
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .expect("some articles");
    let new_cache = || {
        FeedCache::new(
            Site::from_settings(&settings),
            store.clone(),
            catalog.clone(),
            FeedLimits {
                items: 50,
                ..FeedLimits::from_settings(&settings)
            },
            Spool::memory(),
        )
    };
    let cache = new_cache();
    let scope = Scope::Category(category.clone());
    // Each timed render follows a write of a new, newest article to the category,
    // as on a live site: the feed changes by one item and the other 49 are as
    // they were.
    let mut written = 0;
    // As the server keeps them: unnamed files beside the store.
    let spool = Spool::in_dir(dir.path());
    let mut write = || {
        written += 1;
        let mut a = spare[written % spare.len()].clone();
        a.id = format!("bench-new-{written}");
        a.category = category.clone();
        a.published = chrono::Utc::now().into();
        a.updated = a.published;
        store.put(&a).expect("put");
    };
    println!(
        "render of a 50-item feed ({stored} articles in the category), 200 renders each, each after a write of a new article to it:"
    );
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    for format in [Format::Rss, Format::Atom, Format::Json] {
        // Servable: the document readers get right after an invalidation.
        // Compressed: the gzip and br forms, made just after, off the request path.
        // Cold: a render with no item views kept, as the first one after a start.
        let mut servable = Vec::with_capacity(200);
        let mut compressed = Vec::with_capacity(200);
        let mut cold = Vec::with_capacity(200);
        for _ in 0..200 {
            write();
            let t = Instant::now();
            let r = cache
                .render(&scope, format, 1, STAMP)
                .expect("render")
                .expect("page");
            servable.push(t.elapsed());
            r.compress(&spool);
            compressed.push(t.elapsed());
            std::hint::black_box(r);
            let fresh = new_cache();
            let t = Instant::now();
            std::hint::black_box(fresh.render(&scope, format, 1, STAMP).expect("render"));
            cold.push(t.elapsed());
        }
        for v in [&mut servable, &mut compressed, &mut cold] {
            v.sort();
        }
        let r = cache.render(&scope, format, 1, STAMP).unwrap().unwrap();
        r.compress(&spool);
        let size = |e| r.get(e).map_or(0, |rep| rep.bytes.len());
        println!(
            "  {:<9} servable p50 {:>7.3} ms p99 {:>7.3} ms; with gzip and br p50 {:>7.3} ms p99 {:>7.3} ms  ({} items, {} bytes, gzip {}, br {})",
            format.file(),
            ms(servable[100]),
            ms(servable[198]),
            ms(compressed[100]),
            ms(compressed[198]),
            r.items,
            size(Encoding::Identity),
            size(Encoding::Gzip),
            size(Encoding::Br)
        );
        println!(
            "  {:<9} cold p50 {:>7.3} ms p99 {:>7.3} ms",
            format.file(),
            ms(cold[100]),
            ms(cold[198])
        );
    }
}
