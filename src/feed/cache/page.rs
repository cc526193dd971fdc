//! Building one page of a feed: its records from the store, each entry's view (kept
//! between renders), the metadata, and the document within the size cap.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use chrono::Utc;

use super::{FeedCache, Rendered, Stamp};
use crate::category::Category;
use crate::feed::{Audience, DeletedEntry, FeedMeta, FeedRules, Format, ItemView, render_capped};
use crate::scope::Scope;
use crate::store::{Record, StoreError};

/// Most tombstones one feed carries, newest first.
const MAX_TOMBSTONES: usize = 50;
/// Most articles one filtered page reads: a partner whose sections are rare in a
/// large scope gets a shorter page rather than a render that reads the archive.
const MAX_SCAN: usize = 20_000;

impl FeedCache {
    /// Reads page `page` of `scope`'s public feed from the store and renders it in
    /// `format`; `None` when the page should not exist. Blocking.
    pub fn render(
        &self,
        scope: &Scope,
        format: Format,
        page: usize,
        stamp: Stamp,
    ) -> Result<Option<Rendered>, StoreError> {
        let rules = Arc::clone(&self.public);
        self.render_for(&rules, scope, format, page, stamp)
    }

    /// Like [`FeedCache::render`], for the audience of `rules`.
    pub fn render_for(
        &self,
        rules: &FeedRules,
        scope: &Scope,
        format: Format,
        page: usize,
        stamp: Stamp,
    ) -> Result<Option<Rendered>, StoreError> {
        if !rules.formats.contains(&format) {
            return Ok(None);
        }
        self.stats.renders.fetch_add(1, Ordering::Relaxed);
        // Read before the page: a write after it is then in the page, or in a delta
        // from this version, or both, but never in neither.
        let log_head = self.store.log_head();
        let (views, has_next) = self.items(rules, scope, page, stamp.catalog)?;
        let deleted = if page == 1 && format == Format::Atom {
            self.deleted_entries(scope)?
        } else {
            Vec::new()
        };
        if views.is_empty() && deleted.is_empty() && (page > 1 || matches!(scope, Scope::Tag(_))) {
            return Ok(None);
        }
        let mut meta = self.meta(rules, scope, format, page, &views);
        if has_next {
            meta = meta.with_next(page);
        }
        meta.deleted = deleted;
        let (identity, kept) = render_capped(&meta, &views, rules.max_bytes);
        let last_modified = views[..kept]
            .iter()
            .map(|v| v.updated)
            .chain(meta.deleted.iter().map(|d| d.when))
            .max()
            .unwrap_or(self.site.started);
        // Only a public first page can answer a delta, so only its ETags name a log
        // position.
        let log_head = (page == 1 && rules.audience == Audience::Public).then_some(log_head);
        let headers = self.edge_headers(scope, &meta.self_url);
        Ok(Some(
            Rendered::new(
                stamp,
                identity,
                last_modified,
                kept,
                page == 1 && !matches!(scope, Scope::Tag(_)),
                log_head,
            )
            .with_headers(headers),
        ))
    }

    /// The items of page `page` of `scope` as `rules` show them, and whether a next
    /// page has any. Without filters a page is read by offset; with them, the scope
    /// is read newest first until the page is full, at most [`MAX_SCAN`] articles.
    fn items(
        &self,
        rules: &FeedRules,
        scope: &Scope,
        page: usize,
        catalog: u64,
    ) -> Result<(Vec<Arc<ItemView>>, bool), StoreError> {
        let size = rules.items;
        let skip = (page - 1).saturating_mul(size);
        let (offset, mut to_skip) = if rules.takes_all() {
            (skip, 0)
        } else {
            (0, skip)
        };
        let mut views = Vec::with_capacity(size + 1);
        for record in self.store.scope_records(scope, offset).take(MAX_SCAN) {
            let Some(view) = rules.shape(&self.view(&record?, catalog)?) else {
                continue;
            };
            if to_skip > 0 {
                to_skip -= 1;
                continue;
            }
            views.push(view);
            if views.len() > size {
                break;
            }
        }
        let has_next = views.len() > size;
        views.truncate(size);
        Ok((views, has_next))
    }

    /// The surrogate keys of `scope`'s feeds, and their WebSub `Link`s: each hub,
    /// and the document's own URL.
    fn edge_headers(&self, scope: &Scope, self_url: &str) -> Vec<(&'static str, Bytes)> {
        let key = vec![self.edge.scope_key(scope)];
        let mut headers: Vec<(&'static str, Bytes)> = self
            .edge
            .headers
            .iter()
            .map(|h| (h.name(), Bytes::from(h.join(&key))))
            .collect();
        let mut links: Vec<String> = self
            .site
            .hubs
            .iter()
            .map(|hub| format!("<{hub}>; rel=\"hub\""))
            .collect();
        links.push(format!("<{self_url}>; rel=\"self\""));
        headers.push(("link", Bytes::from(links.join(", "))));
        headers
    }

    /// The metadata of page `page` of `scope` for the audience of `rules`, whose
    /// entries are `views`.
    pub(super) fn meta<'s>(
        &'s self,
        rules: &'s FeedRules,
        scope: &Scope,
        format: Format,
        page: usize,
        views: &[Arc<ItemView>],
    ) -> FeedMeta<'s> {
        let label = match scope {
            Scope::Category(slug) => Some(self.section(slug).title),
            // Show the tag as an editor wrote it, not its lowercased key.
            Scope::Tag(key) => views
                .iter()
                .flat_map(|v| &v.tags)
                .find(|t| crate::article::normalize_tag(t) == *key)
                .cloned(),
            Scope::All => None,
        };
        let mut meta = FeedMeta::for_audience(
            &self.site,
            &rules.audience,
            format,
            scope,
            label.as_deref(),
            page,
        );
        meta.smart_format = rules.smart_format.as_ref();
        meta
    }

    /// The RFC 6721 tombstones of `scope` still within their days, newest first.
    pub(super) fn deleted_entries(&self, scope: &Scope) -> Result<Vec<DeletedEntry>, StoreError> {
        let since = Utc::now() - chrono::Duration::days(self.limits.tombstone_days.into());
        let tombstones = self.store.tombstones(scope, since, MAX_TOMBSTONES)?;
        Ok(tombstones
            .iter()
            .map(|t| DeletedEntry::of(&self.site, t))
            .collect())
    }

    /// The view of `record`, made at most once per stored version and catalog.
    pub(super) fn view(&self, record: &Record, catalog: u64) -> Result<Arc<ItemView>, StoreError> {
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
