//! Building one page of a feed: its records from the store, each entry's view (kept
//! between renders), the metadata, and the document within the size cap.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::{FeedCache, Rendered, Stamp};
use crate::category::Category;
use crate::feed::{FeedMeta, Format, ItemView, render_capped};
use crate::scope::Scope;
use crate::store::{Record, StoreError};

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
        let offset = (page - 1).saturating_mul(self.page_size);
        let mut records = self.store.page(scope, offset, self.page_size + 1)?;
        let has_next = records.len() > self.page_size;
        records.truncate(self.page_size);
        if records.is_empty() && (page > 1 || matches!(scope, Scope::Tag(_))) {
            return Ok(None);
        }
        let views = records
            .iter()
            .map(|r| self.view(r, stamp.catalog))
            .collect::<Result<Vec<_>, _>>()?;
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
        let mut meta = FeedMeta::new(&self.site, format, scope, label.as_deref(), page);
        if has_next {
            meta = meta.with_next(page);
        }
        let (identity, kept) = render_capped(&meta, &views, self.max_bytes);
        let last_modified = views[..kept]
            .iter()
            .map(|v| v.updated)
            .max()
            .unwrap_or(self.site.started);
        let polled = page == 1 && !matches!(scope, Scope::Tag(_));
        Ok(Some(Rendered::new(
            stamp,
            identity,
            last_modified,
            kept,
            polled,
        )))
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
