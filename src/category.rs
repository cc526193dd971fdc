//! Categories (newspaper sections): declared in config, extendable at run time.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use crate::article::{FieldError, plain_text};

/// One section of the publication, addressed by its slug.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub slug: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
}

/// A section as `PUT /api/categories/{slug}` takes it: the slug comes from the path.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    pub title: Option<String>,
    pub description: Option<String>,
}

impl Category {
    /// The section `input` describes under `slug`, its text made plain, or every
    /// problem with it.
    pub fn from_input(slug: String, input: CategoryInput) -> Result<Category, Vec<FieldError>> {
        let category = Category {
            slug,
            title: plain_text(&input.title.unwrap_or_default()),
            description: plain_text(&input.description.unwrap_or_default()),
        };
        match category.problems() {
            problems if problems.is_empty() => Ok(category),
            problems => Err(problems),
        }
    }

    /// Every problem with the slug and title, each naming its field: the one rule
    /// for sections from config and from the API.
    pub fn problems(&self) -> Vec<FieldError> {
        let mut problems = Vec::new();
        if !is_slug(&self.slug) {
            problems.push(FieldError::new(
                "slug",
                format!(
                    "must be 1-64 characters of a-z, 0-9 and '-', got {:?}",
                    self.slug
                ),
            ));
        }
        if self.title.trim().is_empty() {
            problems.push(FieldError::new("title", "required: must not be empty"));
        }
        problems
    }
}

/// True for slugs of lowercase ASCII letters, digits and hyphens.
pub fn is_slug(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The known categories, shared between requests; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    inner: Arc<RwLock<BTreeMap<String, Category>>>,
    version: Arc<AtomicU64>,
}

impl Catalog {
    /// Builds a catalog from config entries, then entries stored at run time (which win).
    pub fn new(configured: &[Category], stored: Vec<Category>) -> Self {
        let mut map: BTreeMap<String, Category> = configured
            .iter()
            .map(|c| (c.slug.clone(), c.clone()))
            .collect();
        map.extend(stored.into_iter().map(|c| (c.slug.clone(), c)));
        Catalog {
            inner: Arc::new(RwLock::new(map)),
            version: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Looks a category up by slug.
    pub fn get(&self, slug: &str) -> Option<Category> {
        self.read().get(slug).cloned()
    }

    /// True when the slug names a known category.
    pub fn contains(&self, slug: &str) -> bool {
        self.read().contains_key(slug)
    }

    /// All categories, ordered by slug.
    pub fn all(&self) -> Vec<Category> {
        self.read().values().cloned().collect()
    }

    /// All slugs, ordered; used in error messages that list the known ones.
    pub fn slugs(&self) -> Vec<String> {
        self.read().keys().cloned().collect()
    }

    /// Adds or replaces a category; returns true when it was new.
    pub fn upsert(&self, category: Category) -> bool {
        let mut map = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let created = map.insert(category.slug.clone(), category).is_none();
        self.version.fetch_add(1, Ordering::Release);
        created
    }

    /// Grows with every change, so caches of rendered titles know when to refresh.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Category>> {
        // A panic elsewhere while holding the lock cannot leave the map half-written
        // (every write is a single insert), so a poisoned lock is still safe to read.
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }
}
