//! Building one page of a feed: its records from the store, each entry's view (kept
//! between renders), the metadata, and the document within the size cap.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use chrono::Utc;

use super::{FeedCache, Rendered, Stamp};
use crate::category::Category;
use crate::feed::{DeletedEntry, FeedMeta, Format, ItemView, render_capped};
use crate::scope::Scope;
use crate::store::{Record, StoreError};

/// Most tombstones one feed carries, newest first.
const MAX_TOMBSTONES: usize = 50;

impl FeedCache {
    /// Reads page `page` of `scope` from the store and renders it in `format`;
    /// `None` when the page should not exist. Blocking.
    pub fn render(
        &self,
        scope: &Scope,
        format: Format,
        page: usize,
        stamp: Stamp,
    ) -> Result<Option<Rendered>, StoreError> {
        self.stats.renders.fetch_add(1, Ordering::Relaxed);
        // Read before the page: a write after it is then in the page, or in a delta
        // from this version, or both, but never in neither.
        let log_head = self.store.log_head();
        let size = self.limits.items;
        let offset = (page - 1).saturating_mul(size);
        let mut records = self.store.page(scope, offset, size + 1)?;
        let has_next = records.len() > size;
        records.truncate(size);
        let deleted = if page == 1 && format == Format::Atom {
            self.deleted_entries(scope)?
        } else {
            Vec::new()
        };
        if records.is_empty() && deleted.is_empty() && (page > 1 || matches!(scope, Scope::Tag(_)))
        {
            return Ok(None);
        }
        let views = records
            .iter()
            .map(|r| self.view(r, stamp.catalog))
            .collect::<Result<Vec<_>, _>>()?;
        let mut meta = self.meta(scope, format, page, &views);
        if has_next {
            meta = meta.with_next(page);
        }
        meta.deleted = deleted;
        let (identity, kept) = render_capped(&meta, &views, self.limits.max_bytes);
        let last_modified = views[..kept]
            .iter()
            .map(|v| v.updated)
            .chain(meta.deleted.iter().map(|d| d.when))
            .max()
            .unwrap_or(self.site.started);
        // Only a first page can answer a delta, so only its ETags name a log position.
        let log_head = (page == 1).then_some(log_head);
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

    /// The metadata of page `page` of `scope`, whose entries are `views`.
    pub(super) fn meta<'s>(
        &'s self,
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
        FeedMeta::new(&self.site, format, scope, label.as_deref(), page)
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
