//! Time to re-render a 50-item feed after invalidation, per format, with and without
//! the compressed forms. Usage: `cargo bench --bench render -- ARTICLES.jsonl`
//! (bench/synth.py makes such a file; bench/run.sh passes one).

use std::time::{Duration, Instant};

use herald::article::ArticleInput;
use herald::category::Catalog;
use herald::config::{Overrides, Settings};
use herald::feed::{FeedCache, Format, Site};
use herald::ingest::Ingest;
use herald::scope::Scope;
use herald::store::Store;

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
    let ingest = Ingest::new(store.clone(), catalog.clone(), &settings);
    let text = std::fs::read_to_string(&path).expect("articles file");
    let mut per_category = std::collections::HashMap::new();
    for line in text.lines().take(2000) {
        let input: ArticleInput = serde_json::from_str(line).expect("article JSON");
        if let Ok(a) = ingest.validate(input) {
            *per_category.entry(a.category.clone()).or_insert(0) += 1;
            store.put(&a).expect("put");
        }
    }
    let (category, stored) = per_category
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .expect("some articles");
    let cache = FeedCache::new(
        Site::from_settings(&settings),
        store,
        catalog,
        50,
        settings.feeds.max_bytes,
    );
    let scope = Scope::Category(category);
    println!("render of a 50-item feed ({stored} articles in the category), 200 renders each:");
    for format in [Format::Rss, Format::Atom, Format::Json] {
        // Servable: the document readers get right after an invalidation.
        // Compressed: the gzip and br forms, made just after, off the request path.
        let mut servable = Vec::with_capacity(200);
        let mut compressed = Vec::with_capacity(200);
        for _ in 0..200 {
            let t = Instant::now();
            let r = cache
                .render(&scope, format, 1, (0, 0))
                .expect("render")
                .expect("page");
            servable.push(t.elapsed());
            r.compress();
            compressed.push(t.elapsed());
            std::hint::black_box(r);
        }
        servable.sort();
        compressed.sort();
        let r = cache.render(&scope, format, 1, (0, 0)).unwrap().unwrap();
        r.compress();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "  {:<9} servable p50 {:>7.3} ms p99 {:>7.3} ms; with gzip and br p50 {:>7.3} ms p99 {:>7.3} ms  ({} items, {} bytes, gzip {}, br {})",
            format.file(),
            ms(servable[100]),
            ms(servable[198]),
            ms(compressed[100]),
            ms(compressed[198]),
            r.items,
            r.identity.len(),
            r.gzip.get().map_or(0, |b| b.len()),
            r.br.get().map_or(0, |b| b.len())
        );
    }
}
