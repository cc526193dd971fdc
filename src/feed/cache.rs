//! Rendered feeds, kept with their compressed forms until a write touches their scope.
//!
//! Each (scope, format, page) has a slot. A request compares the slot's stamp with the
//! store's in-memory stamp for the scope (and the catalog's version, since section
//! titles appear in feeds): equal means serve the cached bytes, with no sled read and
//! no rendering. Otherwise one request renders while concurrent ones wait for it.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::memo::ViewMemo;
use super::{FeedMeta, Format, ItemView, Site, render_capped};
use crate::category::{Catalog, Category};
use crate::scope::Scope;
use crate::store::{Record, Store, StoreError};
use crate::zerocopy::Spool;

/// Above this many slots the cache starts over, bounding memory against crawlers
/// walking every tag and page.
const MAX_SLOTS: usize = 20_000;

/// One rendered feed document, its compressed forms once made, and its validators.
#[derive(Debug)]
pub struct Rendered {
    stamp: (u64, u64),
    pub identity: Bytes,
    /// Filled in by [`Rendered::compress`] after the document is published: readers
    /// get a new feed as soon as it is rendered (about 1 ms for 50 items), and
    /// identity bytes for the few milliseconds compression takes.
    pub gzip: OnceLock<Bytes>,
    pub br: OnceLock<Bytes>,
    /// The strong validator of the identity bytes, without quotes.
    pub etag: String,
    /// Quoted ETags of the identity, gzip and br bytes: a strong validator names one
    /// representation, so each encoding has its own. Formatted once, and shared (not
    /// copied) by every response that sends them.
    pub etags: [Bytes; 3],
    /// The newest `updated` among the items.
    pub last_modified: DateTime<Utc>,
    /// `last_modified` as an HTTP date, shared like `etags`.
    pub last_modified_http: Bytes,
    pub items: usize,
    /// Whether the compressed forms go in files for sendfile(2): only for
    /// the first pages of the site and section feeds, the ones readers poll. Their
    /// number is bounded by the catalog, so crawlers walking tags and pages cannot
    /// use up the files and leave the polled feeds without.
    shared: bool,
}

#[derive(Default)]
struct Slot {
    current: RwLock<Option<Arc<Rendered>>>,
    /// Held by the one request that renders; the others wait on `done`.
    render: tokio::sync::Mutex<()>,
    done: tokio::sync::Notify,
}

type Key = (Scope, Format, usize);

/// Counters for operations.
#[derive(Debug, Default)]
pub struct CacheStats {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub renders: AtomicU64,
}

/// The feed cache; shared by every request.
pub struct FeedCache {
    site: Site,
    store: Store,
    catalog: Catalog,
    page_size: usize,
    max_bytes: usize,
    slots: Mutex<HashMap<Key, Arc<Slot>>>,
    views: ViewMemo,
    /// Where polled feeds' compressed forms get their files.
    spool: Spool,
    pub stats: CacheStats,
}

impl FeedCache {
    /// A cache over `store`, with pages of `page_size` items and at most `max_bytes`.
    pub fn new(
        site: Site,
        store: Store,
        catalog: Catalog,
        page_size: usize,
        max_bytes: usize,
    ) -> Self {
        FeedCache {
            site,
            store,
            catalog,
            page_size,
            max_bytes,
            slots: Mutex::new(HashMap::new()),
            views: ViewMemo::default(),
            spool: Spool::default(),
            stats: CacheStats::default(),
        }
    }

    /// The same cache, keeping polled feeds' compressed forms in files of `spool`
    /// (by default, memory files).
    pub fn with_spool(mut self, spool: Spool) -> Self {
        self.spool = spool;
        self
    }

    /// The site settings feeds are rendered with.
    pub fn site(&self) -> &Site {
        &self.site
    }

    /// Page `page` (from 1) of `scope` in `format`; `None` when that page has no items
    /// and should not exist (a page past the end, or a tag no article has).
    pub async fn get(
        self: &Arc<Self>,
        scope: &Scope,
        format: Format,
        page: usize,
    ) -> Result<Option<Arc<Rendered>>, StoreError> {
        if let Some(hit) = self.peek(scope, format, page) {
            return Ok(Some(hit));
        }
        let slot = self.slot((scope.clone(), format, page));
        self.stats.misses.fetch_add(1, Ordering::Relaxed);
        loop {
            // Listen before looking, so a render that ends in between still wakes us.
            let done = slot.done.notified();
            let mut done = std::pin::pin!(done);
            done.as_mut().enable();
            let stamp = self.stamp(scope);
            if let Some(hit) = fresh(&slot, stamp) {
                return Ok(Some(hit)); // another request rendered it while we waited
            }
            if let Ok(rendering) = slot.render.try_lock() {
                let _leader = Leader {
                    rendering: Some(rendering),
                    done: &slot.done,
                };
                return self.render_into(&slot, scope, format, page, stamp).await;
            }
            // Someone else is rendering: wait for it with everyone else, all woken at
            // once. (Queueing on the lock instead handed it on one waiter at a time,
            // each waiting for its runtime to reach it: seconds, with 1,000 readers.)
            done.await;
        }
    }

    /// The cached page if it is fresh, or `None`: never waits and never renders.
    pub fn peek(&self, scope: &Scope, format: Format, page: usize) -> Option<Arc<Rendered>> {
        let stamp = self.stamp(scope);
        let slot = {
            let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(slots.get(&(scope.clone(), format, page))?)
        };
        let hit = fresh(&slot, stamp)?;
        self.stats.hits.fetch_add(1, Ordering::Relaxed);
        Some(hit)
    }

    /// Renders off the async workers and publishes the result in `slot`.
    async fn render_into(
        self: &Arc<Self>,
        slot: &Slot,
        scope: &Scope,
        format: Format,
        page: usize,
        stamp: (u64, u64),
    ) -> Result<Option<Arc<Rendered>>, StoreError> {
        let this = Arc::clone(self);
        let owned = scope.clone();
        let rendered =
            tokio::task::spawn_blocking(move || this.render(&owned, format, page, stamp))
                .await
                .map_err(|e| StoreError::Corrupt {
                    what: "feed render".into(),
                    reason: e.to_string(),
                })??;
        let rendered = rendered.map(Arc::new);
        match &rendered {
            Some(r) => {
                *slot.current.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(r));
                let (r, spool) = (Arc::clone(r), self.spool.clone());
                tokio::task::spawn_blocking(move || r.compress(&spool));
            }
            // Nothing to cache; drop the slot so probing for unknown tags or pages
            // leaves no trace in memory.
            None => {
                self.slots
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&(scope.clone(), format, page));
            }
        }
        Ok(rendered)
    }

    fn stamp(&self, scope: &Scope) -> (u64, u64) {
        (self.store.stamp(scope), self.catalog.version())
    }

    fn slot(&self, key: Key) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if slots.len() >= MAX_SLOTS && !slots.contains_key(&key) {
            slots.clear();
        }
        Arc::clone(slots.entry(key).or_default())
    }

    /// Reads the page from the store and renders it. Blocking.
    pub fn render(
        &self,
        scope: &Scope,
        format: Format,
        page: usize,
        stamp: (u64, u64),
    ) -> Result<Option<Rendered>, StoreError> {
        self.stats.renders.fetch_add(1, Ordering::Relaxed);
        let offset = (page - 1).saturating_mul(self.page_size);
        let mut records = self.store.page(scope, offset, self.page_size + 1)?;
        let has_next = records.len() > self.page_size;
        records.truncate(self.page_size);
        if records.is_empty() && (page > 1 || matches!(scope, Scope::Tag(_))) {
            return Ok(None);
        }
        let views = records
            .iter()
            .map(|r| self.view(r, stamp.1))
            .collect::<Result<Vec<_>, _>>()?;
        let scope_title = match scope {
            Scope::Category(slug) => Some(self.section(slug).title),
            // Show the tag as an editor wrote it, not its lowercased key.
            Scope::Tag(key) => views
                .iter()
                .flat_map(|v| &v.tags)
                .find(|t| crate::article::normalize_tag(t) == *key)
                .cloned(),
            Scope::All => None,
        };
        let mut meta = FeedMeta::new(&self.site, format, scope, scope_title.as_deref(), page);
        if has_next {
            meta = meta.with_next(page);
        }
        let (identity, kept) = render_capped(&meta, &views, self.max_bytes);
        let last_modified = views[..kept]
            .iter()
            .map(|v| v.updated)
            .max()
            .unwrap_or(self.site.started);
        let tag = etag(&identity);
        Ok(Some(Rendered {
            stamp,
            etags: [
                format!("\"{tag}\"").into(),
                format!("\"{tag}-gzip\"").into(),
                format!("\"{tag}-br\"").into(),
            ],
            last_modified_http: httpdate::fmt_http_date(last_modified.into()).into(),
            etag: tag,
            gzip: OnceLock::new(),
            br: OnceLock::new(),
            identity: identity.into(),
            last_modified,
            items: kept,
            shared: page == 1 && !matches!(scope, Scope::Tag(_)),
        }))
    }

    /// The view of `record`, made at most once per stored version and catalog.
    fn view(&self, record: &Record, catalog: u64) -> Result<Arc<ItemView>, StoreError> {
        let digest = record.digest();
        if let Some(view) = self.views.get(&record.id, digest, catalog) {
            return Ok(view);
        }
        let article = record.decode()?;
        let section = self.section(&article.category);
        let view = Arc::new(ItemView::new(&self.site, &article, section));
        self.views
            .put(&record.id, digest, catalog, Arc::clone(&view));
        Ok(view)
    }

    fn section(&self, slug: &str) -> Category {
        self.catalog.get(slug).unwrap_or_else(|| Category {
            slug: slug.to_string(),
            title: slug.to_string(),
            description: String::new(),
        })
    }
}

impl Rendered {
    /// Makes the gzip form, then the br form (about 2 and 4 ms for 175 KB). Blocking.
    /// Polled feeds keep them in files of `spool`: nearly every reader asks for one
    /// of them, and sending them with sendfile(2) spares copying each into the socket.
    pub fn compress(&self, spool: &Spool) {
        let keep = |bytes: Vec<u8>| {
            if self.shared {
                spool.keep(bytes)
            } else {
                Bytes::from(bytes)
            }
        };
        self.gzip.get_or_init(|| keep(gzip(&self.identity)));
        self.br.get_or_init(|| keep(brotli(&self.identity)));
    }
}

/// The rendering request's hold on its slot. Dropping it, when the render ends or
/// when the request is dropped part way (a client that hangs up), unlocks the slot
/// and then wakes the waiters, which find it rendered or free to render. Without
/// the second case they waited for a wake-up that never came.
struct Leader<'a> {
    rendering: Option<tokio::sync::MutexGuard<'a, ()>>,
    done: &'a tokio::sync::Notify,
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        drop(self.rendering.take());
        self.done.notify_waiters();
    }
}

fn fresh(slot: &Slot, stamp: (u64, u64)) -> Option<Arc<Rendered>> {
    let current = slot.current.read().unwrap_or_else(|e| e.into_inner());
    current.as_ref().filter(|r| r.stamp == stamp).cloned()
}

/// 96 bits of XXH3-128 of the document. A validator needs no cryptographic hash:
/// the publisher writes the content, and SHA-256 was a tenth of a re-render.
fn etag(bytes: &[u8]) -> String {
    let digest = xxhash_rust::xxh3::xxh3_128(bytes).to_be_bytes();
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("writing to a Vec cannot fail");
    enc.finish().expect("writing to a Vec cannot fail")
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = ::brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        enc.write_all(bytes).expect("writing to a Vec cannot fail");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::{Article, ArticleInput, Rules};
    use crate::config::{Overrides, Settings};

    fn setup() -> (tempfile::TempDir, Arc<FeedCache>, Store, Catalog) {
        let dir = tempfile::tempdir().unwrap();
        let settings =
            Settings::load_from(None, &Default::default(), &Overrides::default()).unwrap();
        let store = Store::open(dir.path(), 8).unwrap();
        let catalog = Catalog::new(&settings.categories, vec![]);
        let cache = FeedCache::new(
            Site::from_settings(&settings),
            store.clone(),
            catalog.clone(),
            50,
            2_000_000,
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
        let text = |r: &Rendered| String::from_utf8(r.identity.to_vec()).unwrap();
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
                .render(&scope, Format::Rss, page, (0, 0))
                .unwrap()
                .unwrap();
            r.compress(&Spool::default());
            let gzip = r.gzip.get().unwrap();
            assert!(
                gzip.len() > 16 * 1024,
                "{} bytes: too short a test",
                gzip.len()
            );
            crate::zerocopy::is_file_backed(gzip)
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
                tokio::spawn(
                    async move { cache.get(&scope, Format::Rss, 1).await.unwrap().unwrap() },
                )
            })
            .collect();
        let mut etags = std::collections::HashSet::new();
        for t in tasks {
            etags.insert(t.await.unwrap().etag.clone());
        }
        assert_eq!(etags.len(), 1);
        assert_eq!(cache.stats.renders.load(Ordering::Relaxed), 1);
    }
}
