//! Writes: the one path by which articles and sections enter or leave the store,
//! shared by the HTTP API, the `import` command and the scheduler. It validates,
//! stores, keeps the related-stories index in step, and wakes the scheduler when
//! the schedule changes. Blocking; callers on the async runtime use `spawn_blocking`.

mod batch;
mod build;
mod export;
mod lists;
mod lookup;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

pub use batch::{BatchReport, ItemError, Line, RawItem, line_from_value, parse_lines};
pub use build::TermCounts;
pub use lookup::Found;

use crate::article::{self, Article, ArticleInput, FieldError, Rules};
use crate::category::{Catalog, Category, CategoryInput};
use crate::config::Settings;
use crate::related::{LiveIndex, RelatedIndex};
use crate::store::{Deleted, Store, StoreError, Stored};

/// Validates and stores articles and sections, and keeps the related-stories index
/// in step.
#[derive(Clone)]
pub struct Ingest {
    store: Store,
    catalog: Catalog,
    related: Arc<LiveIndex>,
    /// Makes "store, then index" one step, so the index ends in the store's order.
    order: Arc<Mutex<()>>,
    /// Told whenever the schedule changes, so the scheduler's next wake-up is right.
    schedule: Arc<tokio::sync::Notify>,
    language: String,
    max_body_bytes: usize,
    html: article::HtmlPolicy,
    tombstone_days: u32,
}

/// Writes of up to this many articles make each one's related list at once (a full
/// query each) and have the lists it names made again; larger ones have every list
/// made again, newest first, by the worker (see `lists`).
const RELIST_EACH: usize = 16;

/// Whether a put created a new article or replaced one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    Created,
    Replaced,
}

impl PutOutcome {
    fn of(stored: &Stored) -> PutOutcome {
        if stored.existed {
            PutOutcome::Replaced
        } else {
            PutOutcome::Created
        }
    }
}

/// Why a section was not stored.
#[derive(Debug, thiserror::Error)]
pub enum PutCategoryError {
    #[error("invalid category")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Ingest {
    /// An ingest path over `store` using the settings' validation rules, keeping
    /// `related` in step with every write.
    pub fn new(store: Store, catalog: Catalog, related: LiveIndex, settings: &Settings) -> Self {
        Ingest {
            store,
            catalog,
            related: Arc::new(related),
            order: Arc::new(Mutex::new(())),
            schedule: Arc::new(tokio::sync::Notify::new()),
            language: settings.site.language.clone(),
            max_body_bytes: settings.limits.max_body_bytes,
            html: article::HtmlPolicy::new(&settings.html.iframe_hosts),
            tombstone_days: settings.feeds.tombstone_days,
        }
    }

    /// The store written to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The known sections.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The related-stories index, once built.
    pub fn related(&self) -> Option<Arc<RelatedIndex>> {
        self.related.get()
    }

    /// The related-stories index or the state of its build.
    pub fn related_state(&self) -> &LiveIndex {
        &self.related
    }

    /// Notified whenever the schedule changes.
    pub fn schedule_changed(&self) -> Arc<tokio::sync::Notify> {
        Arc::clone(&self.schedule)
    }

    /// How long retracted articles keep their tombstones.
    pub fn tombstone_days(&self) -> u32 {
        self.tombstone_days
    }

    /// Validates `input` as section `slug` with the same rules as configured
    /// sections, then stores it durably and adds it to the catalog. Returns it, and
    /// whether it was new.
    pub fn put_category(
        &self,
        slug: String,
        input: CategoryInput,
    ) -> Result<(Category, bool), PutCategoryError> {
        let category = Category::from_input(slug, input).map_err(PutCategoryError::Invalid)?;
        let created = self.store_category(&category)?;
        self.store.flush()?;
        Ok((category, created))
    }

    /// Stores a valid section and adds it to the catalog; not yet durable.
    fn store_category(&self, category: &Category) -> Result<bool, StoreError> {
        self.store.put_category(category)?;
        Ok(self.catalog.upsert(category.clone()))
    }

    /// Validates one input, as of now.
    pub fn validate(&self, input: ArticleInput) -> Result<Article, Vec<FieldError>> {
        self.validate_with(input, &self.catalog)
    }

    /// Validates one input, as of now, against the sections of `catalog`.
    fn validate_with(
        &self,
        input: ArticleInput,
        catalog: &Catalog,
    ) -> Result<Article, Vec<FieldError>> {
        let rules = Rules {
            categories: catalog,
            default_language: &self.language,
            max_body_bytes: self.max_body_bytes,
            html: &self.html,
            now: Utc::now(),
        };
        input.validate(&rules).map_err(|e| e.0)
    }

    /// Stores articles in one atomic batch and updates the index; not yet durable.
    fn put_many(&self, articles: &[Article]) -> Result<Vec<PutOutcome>, StoreError> {
        let _order = self.order.lock().unwrap_or_else(|e| e.into_inner());
        if self.related.is_building() {
            for a in articles {
                self.related
                    .before_write(&a.id, || self.store.get(&a.id).ok().flatten());
            }
        }
        let stored = self.store.put_many_at(articles, Utc::now())?;
        let index = self.related.get();
        let each = articles.len() <= RELIST_EACH;
        let mut scheduled = false;
        for (a, s) in articles.iter().zip(&stored) {
            scheduled |= s.changed && !s.public;
            match (&index, s.changed, s.public) {
                (Some(index), true, true) if each => index.upsert(a, s.was_public.as_ref()),
                (Some(index), true, true) => index.upsert_unlisted(a, s.was_public.as_ref()),
                (Some(index), true, false) => {
                    if let Some(old) = &s.was_public {
                        index.remove(old);
                    }
                }
                _ => {}
            }
        }
        if let Some(index) = index.filter(|_| !each) {
            index.relist_all();
        }
        if scheduled {
            self.schedule.notify_one();
        }
        Ok(stored.iter().map(PutOutcome::of).collect())
    }

    /// Stores one valid article durably. The flush happens outside the ordering
    /// lock, so concurrent writers share one disk sync.
    pub fn put_durable(&self, article: &Article) -> Result<PutOutcome, StoreError> {
        let mut outcomes = self.put_many(std::slice::from_ref(article))?;
        self.rebuild_related_if_grown();
        self.store.flush()?;
        Ok(outcomes.pop().expect("one outcome per article"))
    }

    /// Deletes one article durably: a public one is retracted (with `reason` on its
    /// tombstone), a scheduled one cancelled.
    pub fn delete_durable(&self, id: &str, reason: Option<String>) -> Result<Deleted, StoreError> {
        let deleted = {
            let _order = self.order.lock().unwrap_or_else(|e| e.into_inner());
            if self.related.is_building() {
                self.related
                    .before_write(id, || self.store.get(id).ok().flatten());
            }
            let deleted = self.store.delete_at(id, reason, Utc::now())?;
            match &deleted {
                Deleted::Retracted(old) => {
                    if let Some(index) = self.related.get() {
                        index.remove(old);
                    }
                }
                Deleted::Cancelled(_) => self.schedule.notify_one(),
                Deleted::Unknown => {}
            }
            deleted
        };
        if deleted != Deleted::Unknown {
            self.store.flush()?;
        }
        Ok(deleted)
    }

    /// Publishes, durably, the scheduled articles due by `now`; returns how many.
    pub fn publish_due(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let published = {
            let _order = self.order.lock().unwrap_or_else(|e| e.into_inner());
            if self.related.is_building() {
                // Which ids are due is known only inside the store's write; marking
                // every scheduled one due is cheap and errs on the safe side.
                for a in self.store.scheduled(usize::MAX, None)? {
                    if a.published.with_timezone(&Utc) <= now {
                        self.related.before_write(&a.id, || None);
                    }
                }
            }
            let published = self.store.publish_due(now)?;
            if let Some(index) = self.related.get() {
                let each = published.len() <= RELIST_EACH;
                for a in &published {
                    match each {
                        true => index.upsert(a, None),
                        false => index.upsert_unlisted(a, None),
                    }
                }
                if !each {
                    index.relist_all();
                }
            }
            published
        };
        if !published.is_empty() {
            self.rebuild_related_if_grown();
            self.store.flush()?;
        }
        Ok(published.len())
    }

    /// Saves the related index's term counts and the article count for the next
    /// start (see `Store::save_counts`). Under the ordering lock, so the counts
    /// match the store: no write sits between the two.
    pub fn save_for_next_start(&self) -> Result<(), StoreError> {
        let _order = self.order.lock().unwrap_or_else(|e| e.into_inner());
        let terms = self.related.get().map(|index| index.saved_counts());
        self.store.save_counts(terms.as_deref())
    }
}
