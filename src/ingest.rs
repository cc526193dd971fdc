//! Writes: the one path by which articles enter or leave the store, shared by the
//! HTTP API and the `import` command. Blocking; callers on the async runtime use
//! `spawn_blocking`.

use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::article::{self, Article, ArticleInput, FieldError, ParseError, Rules};
use crate::category::{Catalog, Category, CategoryInput};
use crate::config::Settings;
use crate::related::RelatedIndex;
use crate::store::{Store, StoreError};

/// Validates and stores articles and sections, and keeps the related-stories index
/// in step.
#[derive(Clone)]
pub struct Ingest {
    store: Store,
    catalog: Catalog,
    /// Absent for one-shot commands (import) that never answer related queries.
    related: Option<Arc<RelatedIndex>>,
    /// Makes "store, then index" one step, so the index ends in the store's order.
    order: Arc<Mutex<()>>,
    language: String,
    max_body_bytes: usize,
    html: article::HtmlPolicy,
}

/// Whether a put created a new article or replaced one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    Created,
    Replaced,
}

/// One item of a batch that was not stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemError {
    /// Position in the batch, from 0.
    pub index: usize,
    /// Line number (from 1) for JSON Lines input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub fields: Vec<FieldError>,
}

/// What a batch write did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct BatchReport {
    pub created: usize,
    pub replaced: usize,
    pub failed: Vec<ItemError>,
}

/// One batch item as read from the input, before validation.
pub struct RawItem {
    pub line: Option<usize>,
    pub input: Result<ArticleInput, FieldError>,
}

impl Ingest {
    /// An ingest path over `store` using the settings' validation rules, keeping
    /// `related` (if any) in step with every write.
    pub fn new(
        store: Store,
        catalog: Catalog,
        related: Option<Arc<RelatedIndex>>,
        settings: &Settings,
    ) -> Self {
        Ingest {
            store,
            catalog,
            related,
            order: Arc::new(Mutex::new(())),
            language: settings.site.language.clone(),
            max_body_bytes: settings.limits.max_body_bytes,
            html: article::HtmlPolicy::new(&settings.html.iframe_hosts),
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

    /// The related-stories index, when this ingest path keeps one.
    pub fn related(&self) -> Option<&Arc<RelatedIndex>> {
        self.related.as_ref()
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
        self.store.put_category(&category)?;
        self.store.flush()?;
        let created = self.catalog.upsert(category.clone());
        Ok((category, created))
    }

    /// Validates one input.
    pub fn validate(&self, input: ArticleInput) -> Result<Article, Vec<FieldError>> {
        let rules = Rules {
            categories: &self.catalog,
            default_language: &self.language,
            max_body_bytes: self.max_body_bytes,
            html: &self.html,
        };
        input.validate(&rules).map_err(|e| e.0)
    }

    /// Stores an article and updates the index; not yet durable.
    fn put(&self, article: &Article) -> Result<PutOutcome, StoreError> {
        let mut outcomes = self.put_many(std::slice::from_ref(article))?;
        Ok(outcomes.pop().expect("one outcome per article"))
    }

    /// Stores articles in one atomic batch and updates the index; not yet durable.
    fn put_many(&self, articles: &[Article]) -> Result<Vec<PutOutcome>, StoreError> {
        let _order = self.order.lock().unwrap_or_else(|e| e.into_inner());
        let replaced = self.store.put_many(articles)?;
        Ok(articles
            .iter()
            .zip(replaced)
            .map(|(article, old)| {
                if let Some(index) = &self.related {
                    index.upsert(article, old.as_ref());
                }
                match old {
                    Some(_) => PutOutcome::Replaced,
                    None => PutOutcome::Created,
                }
            })
            .collect())
    }

    /// Stores one valid article durably. The flush happens outside the ordering
    /// lock, so concurrent writers share one disk sync.
    pub fn put_durable(&self, article: &Article) -> Result<PutOutcome, StoreError> {
        let outcome = self.put(article)?;
        self.store.flush()?;
        Ok(outcome)
    }

    /// Saves the related index's term counts for the next start (see
    /// `Store::save_related_counts`). Under the ordering lock, so the counts match
    /// the store: no write sits between the two.
    pub fn save_related_counts(&self) -> Result<(), StoreError> {
        let Some(index) = &self.related else {
            return Ok(());
        };
        let _order = self.order.lock().unwrap_or_else(|e| e.into_inner());
        self.store.save_related_counts(&index.saved_counts())
    }

    /// Deletes one article durably; false when unknown.
    pub fn delete_durable(&self, id: &str) -> Result<bool, StoreError> {
        let old = {
            let _order = self.order.lock().unwrap_or_else(|e| e.into_inner());
            let old = self.store.delete(id)?;
            if let (Some(index), Some(old)) = (&self.related, &old) {
                index.remove(old);
            }
            old
        };
        if old.is_some() {
            self.store.flush()?;
        }
        Ok(old.is_some())
    }

    /// Validates every item, then stores the valid ones (or, when `strict`, nothing
    /// if any is invalid) and flushes once. `progress` is called after each item.
    pub fn write_batch(
        &self,
        items: Vec<RawItem>,
        strict: bool,
        mut progress: impl FnMut(),
    ) -> Result<BatchReport, StoreError> {
        let mut report = BatchReport::default();
        let mut valid = Vec::with_capacity(items.len());
        let checked = crate::par::map(items, |item| {
            let checked = item.input.map_err(|e| (None, vec![e])).and_then(|input| {
                let id = input.id.clone();
                self.validate(input).map_err(|f| (id, f))
            });
            (item.line, checked)
        });
        for (index, (line, checked)) in checked.into_iter().enumerate() {
            match checked {
                Ok(article) => valid.push(article),
                Err((id, fields)) => report.failed.push(ItemError {
                    index,
                    line,
                    id,
                    fields,
                }),
            }
        }
        if strict && !report.failed.is_empty() {
            return Ok(report);
        }
        // Bounded sled batches: large enough to make the per-batch write rare,
        // small enough that readers never wait long on the order lock.
        for chunk in valid.chunks(256) {
            for outcome in self.put_many(chunk)? {
                match outcome {
                    PutOutcome::Created => report.created += 1,
                    PutOutcome::Replaced => report.replaced += 1,
                }
                progress();
            }
        }
        if !valid.is_empty() {
            self.store.flush()?;
        }
        Ok(report)
    }

    /// Calls `emit` with every article, one JSON line each, while holding writes back,
    /// so the lines are one consistent state of the store: the one exporter, for
    /// `herald export` and `GET /api/export`. Blocking; `emit` returning false stops
    /// early (the reader went away). Returns how many lines were emitted.
    pub fn export(&self, mut emit: impl FnMut(Vec<u8>) -> bool) -> Result<usize, StoreError> {
        let _order = self.order.lock().unwrap_or_else(|e| e.into_inner());
        let mut n = 0;
        for article in self.store.articles() {
            let mut line = serde_json::to_vec(&article?).expect("an Article always serialises");
            line.push(b'\n');
            if !emit(line) {
                break;
            }
            n += 1;
        }
        Ok(n)
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

/// Splits JSON Lines into items, numbering lines from 1 and skipping blank ones.
pub fn parse_lines(text: &str) -> Vec<RawItem> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    crate::par::map(lines, |(i, l)| RawItem {
        line: Some(i + 1),
        input: article::parse_input(l.as_bytes()).map_err(parse_error_field),
    })
}

/// A parse error as a field error, for batch reports.
pub fn parse_error_field(err: ParseError) -> FieldError {
    match err {
        ParseError::Syntax { .. } => FieldError::new("", err.to_string()),
        ParseError::Field(f) => f,
    }
}
