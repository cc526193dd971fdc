//! Rendered feeds, kept with their compressed forms until a write touches their scope.
//!
//! Each (scope, format, page) has a slot. A request compares the slot's [`Stamp`]
//! with the store's in-memory stamp for the scope (and the catalog's version, since
//! section titles appear in feeds): equal means serve the cached bytes, with no sled
//! read and no rendering. Otherwise one request renders while concurrent ones wait
//! for it. By job:
//! - [`flight`]: the slots, where one request renders and the others wait;
//! - [`page`]: building one page from the store;
//! - [`encoded`]: the rendered document and its encodings, each with its ETag;
//! - [`delta`]: what changed in a first page since an earlier version (RFC 3229).

mod delta;
mod encoded;
mod flight;
mod page;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub use encoded::{Encoding, Rendered, Representation, gzip, log_position};

use super::memo::ViewMemo;
use super::{Audience, Content, FeedRules, Format, Site};
use crate::category::Catalog;
use crate::edge::Edge;
use crate::scope::Scope;
use crate::store::{Store, StoreError};
use crate::transport::zerocopy::Spool;
use flight::Slot;

/// Above this many slots the cache starts over, bounding memory against crawlers
/// walking every tag and page.
const MAX_SLOTS: usize = 20_000;

/// What a cached page was rendered from: its scope's change stamp and the catalog's
/// version. A page is fresh while both are unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub scope: u64,
    pub catalog: u64,
}

/// Why a feed could not be served.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The render task panicked or was cancelled: a bug, not bad data.
    #[error("feed: rendering {what} failed: {reason}")]
    RenderFailed { what: String, reason: String },
}

type Key = (Audience, Scope, Format, usize);

/// Counters for operations.
#[derive(Debug, Default)]
pub struct CacheStats {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub renders: AtomicU64,
}

/// How much a feed page holds.
#[derive(Debug, Clone, Copy)]
pub struct FeedLimits {
    /// Items per page.
    pub items: usize,
    /// Bytes per document at most; the oldest items are dropped to fit.
    pub max_bytes: usize,
    /// Full text or summaries.
    pub content: Content,
    /// Days a retraction's tombstone stays in the Atom feeds.
    pub tombstone_days: u32,
}

impl FeedLimits {
    /// The limits `feeds.*` sets.
    pub fn from_settings(settings: &crate::config::Settings) -> FeedLimits {
        FeedLimits {
            items: settings.feeds.items,
            max_bytes: settings.feeds.max_bytes,
            content: settings.feeds.content,
            tombstone_days: settings.feeds.tombstone_days,
        }
    }
}

/// The feed cache; shared by every request.
pub struct FeedCache {
    site: Site,
    store: Store,
    catalog: Catalog,
    limits: FeedLimits,
    slots: Mutex<HashMap<Key, Arc<Slot>>>,
    views: ViewMemo,
    /// Where polled feeds' compressed forms are kept.
    spool: Spool,
    /// The surrogate keys documents carry for the cache in front.
    edge: Edge,
    /// How the public feeds are made.
    public: Arc<FeedRules>,
    /// Hits, misses and renders, for `/metrics`.
    pub stats: CacheStats,
}

impl FeedCache {
    /// A cache over `store`, with pages within `limits`, keeping the compressed
    /// forms of polled feeds in `spool`.
    pub fn new(
        site: Site,
        store: Store,
        catalog: Catalog,
        limits: FeedLimits,
        spool: Spool,
    ) -> Self {
        FeedCache {
            site,
            store,
            catalog,
            limits,
            slots: Mutex::new(HashMap::new()),
            views: ViewMemo::default(),
            spool,
            edge: Edge::none(),
            public: Arc::new(FeedRules {
                items: limits.items,
                max_bytes: limits.max_bytes,
                content: limits.content,
                ..FeedRules::public_defaults()
            }),
            stats: CacheStats::default(),
        }
    }

    /// How the public feeds are made.
    pub fn public(&self) -> Arc<FeedRules> {
        Arc::clone(&self.public)
    }

    /// The same cache, its documents carrying `edge`'s surrogate keys.
    pub fn with_edge(mut self, edge: Edge) -> Self {
        self.edge = edge;
        self
    }

    /// The site settings feeds are rendered with.
    pub fn site(&self) -> &Site {
        &self.site
    }

    /// Page `page` (from 1) of `scope`'s public feed in `format`; `None` when that
    /// page has no items and should not exist (a page past the end, or a tag no
    /// article has).
    pub async fn get(
        self: &Arc<Self>,
        scope: &Scope,
        format: Format,
        page: usize,
    ) -> Result<Option<Arc<Rendered>>, FeedError> {
        let rules = Arc::clone(&self.public);
        self.get_for(&rules, scope, format, page).await
    }

    /// Like [`FeedCache::get`], for the audience of `rules`.
    pub async fn get_for(
        self: &Arc<Self>,
        rules: &Arc<FeedRules>,
        scope: &Scope,
        format: Format,
        page: usize,
    ) -> Result<Option<Arc<Rendered>>, FeedError> {
        if let Some(hit) = self.peek_for(&rules.audience, scope, format, page) {
            return Ok(Some(hit));
        }
        let key = (rules.audience.clone(), scope.clone(), format, page);
        let slot = self.slot(key.clone());
        self.stats.misses.fetch_add(1, Ordering::Relaxed);
        let rendered = match slot
            .get_or_render(
                || self.stamp(scope),
                |stamp| self.render_off_thread(Arc::clone(rules), key.clone(), stamp),
            )
            .await
        {
            // The disk refuses writes, and sled fails some reads then too (those
            // that would tidy its pages): the last render is better than nothing.
            Err(FeedError::Store(e)) if e.io_reason().is_some() && slot.last().is_some() => {
                tracing::warn!(error = %e, feed = %scope, "the store failed; serving the last render");
                return Ok(slot.last());
            }
            other => other?,
        };
        match &rendered {
            Some(r) => {
                let (r, spool) = (Arc::clone(r), self.spool.clone());
                tokio::task::spawn_blocking(move || r.compress(&spool));
            }
            // Nothing to cache; drop the slot so probing for unknown tags or pages
            // leaves no trace in memory.
            None => {
                let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
                slots.remove(&key);
            }
        }
        Ok(rendered)
    }

    /// The cached public page if it is fresh, or `None`: never waits and never
    /// renders.
    pub fn peek(&self, scope: &Scope, format: Format, page: usize) -> Option<Arc<Rendered>> {
        self.peek_for(&Audience::Public, scope, format, page)
    }

    fn peek_for(
        &self,
        audience: &Audience,
        scope: &Scope,
        format: Format,
        page: usize,
    ) -> Option<Arc<Rendered>> {
        let stamp = self.stamp(scope);
        let slot = {
            let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(slots.get(&(audience.clone(), scope.clone(), format, page))?)
        };
        let hit = slot.fresh(stamp)?;
        self.stats.hits.fetch_add(1, Ordering::Relaxed);
        Some(hit)
    }

    /// Renders on a blocking thread, so the async workers never wait on sled.
    async fn render_off_thread(
        self: &Arc<Self>,
        rules: Arc<FeedRules>,
        (_, scope, format, page): Key,
        stamp: Stamp,
    ) -> Result<Option<Arc<Rendered>>, FeedError> {
        let this = Arc::clone(self);
        let what = format!("page {page} of {scope} in {format:?}");
        let rendered = tokio::task::spawn_blocking(move || {
            this.render_for(&rules, &scope, format, page, stamp)
        })
        .await
        .map_err(|e| {
            let reason = e.to_string();
            tracing::error!(feed = %what, %reason, "feed render failed");
            FeedError::RenderFailed { what, reason }
        })??;
        Ok(rendered.map(Arc::new))
    }

    fn stamp(&self, scope: &Scope) -> Stamp {
        Stamp {
            scope: self.store.stamp(scope),
            catalog: self.catalog.version(),
        }
    }

    fn slot(&self, key: Key) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if slots.len() >= MAX_SLOTS && !slots.contains_key(&key) {
            slots.clear();
        }
        Arc::clone(slots.entry(key).or_default())
    }
}
