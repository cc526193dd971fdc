//! Articles and their indexes: lookups, and atomic put and delete.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::Ordering;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{Store, StoreError, keys, sled_err};
use crate::article::Article;
use crate::scope::Scope;

impl Store {
    /// Looks an article up by id.
    pub fn get(&self, id: &str) -> Result<Option<Article>, StoreError> {
        self.get_as(id)
    }

    /// Looks an article up by id, decoding only the fields `T` has: a teaser skips
    /// the body without allocating it.
    pub fn get_as<T: DeserializeOwned>(&self, id: &str) -> Result<Option<T>, StoreError> {
        let raw = self
            .db
            .get(keys::article(id))
            .map_err(sled_err(format!("load article {id}")))?;
        raw.map(|v| decode(id, &v)).transpose()
    }

    /// Creates or replaces an article and every index entry, in one atomic batch;
    /// returns the version it replaced. Not durable until [`Store::flush`].
    pub fn put(&self, article: &Article) -> Result<Option<Article>, StoreError> {
        let mut old = self.put_many(std::slice::from_ref(article))?;
        Ok(old.pop().flatten())
    }

    /// Like [`Store::put`] for many articles, in one atomic batch; returns, for each,
    /// the version it replaced (an earlier one in `articles` counts). One batch
    /// instead of one per article: sled writes and syncs each batch on its own, two
    /// system calls that made import cost two disk writes per article.
    pub fn put_many(&self, articles: &[Article]) -> Result<Vec<Option<Article>>, StoreError> {
        let _guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        self.ensure_writable()?;
        let mut batch = sled::Batch::default();
        let mut touched = BTreeSet::new();
        let mut pending: HashMap<&str, &Article> = HashMap::new();
        let mut replaced = Vec::with_capacity(articles.len());
        let mut count_change = 0;
        for article in articles {
            let old = match pending.get(article.id.as_str()) {
                Some(earlier) => Some((*earlier).clone()),
                None => self.get(&article.id)?,
            };
            if let Some(old) = &old {
                touched.extend(unindex(&mut batch, old));
            } else {
                count_change += 1;
            }
            let micros = article.published.timestamp_micros();
            for scope in Scope::of(article) {
                batch.insert(keys::index_entry(&scope, micros, &article.id), &[][..]);
                touched.insert(scope);
            }
            let json = serde_json::to_vec(article).expect("an Article always serialises");
            batch.insert(keys::article(&article.id), json);
            pending.insert(&article.id, article);
            replaced.push(old);
        }
        let action = match articles {
            [one] => format!("store article {}", one.id),
            many => format!("store {} articles", many.len()),
        };
        self.commit(batch, touched, count_change, &action)?;
        Ok(replaced)
    }

    /// Deletes an article and its index entries; returns it, or `None` when unknown.
    pub fn delete(&self, id: &str) -> Result<Option<Article>, StoreError> {
        let _guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        self.ensure_writable()?;
        let Some(old) = self.get(id)? else {
            return Ok(None);
        };
        let mut batch = sled::Batch::default();
        let touched = unindex(&mut batch, &old);
        batch.remove(keys::article(id));
        self.commit(batch, touched, -1, &format!("delete article {id}"))?;
        Ok(Some(old))
    }

    /// Applies the batch and stamps the touched scopes; the caller holds the writer lock.
    fn commit(
        &self,
        mut batch: sled::Batch,
        touched: BTreeSet<Scope>,
        count_change: i64,
        action: &str,
    ) -> Result<(), StoreError> {
        let count = self.article_count().saturating_add_signed(count_change);
        let dropped_counts = self.drop_saved_counts(&mut batch);
        let applied = self.db.apply_batch(batch).map_err(sled_err(action));
        if applied.is_err() {
            self.batch_failed(dropped_counts);
        }
        self.note_failure(applied)?;
        self.count.store(count, Ordering::Relaxed);
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let mut stamps = self.stamps.write().unwrap_or_else(|e| e.into_inner());
        for scope in touched {
            stamps.insert(scope, seq);
        }
        Ok(())
    }
}

/// Removes the index entries of `old` from the batch; returns the scopes touched.
fn unindex(batch: &mut sled::Batch, old: &Article) -> BTreeSet<Scope> {
    let micros = old.published.timestamp_micros();
    let scopes: BTreeSet<Scope> = Scope::of(old).into_iter().collect();
    for scope in &scopes {
        batch.remove(keys::index_entry(scope, micros, &old.id));
    }
    scopes
}

/// Decodes a stored article as `T`, which may borrow from `bytes`.
pub(super) fn decode<'a, T: Deserialize<'a>>(id: &str, bytes: &'a [u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        what: format!("article {id}"),
        reason: e.to_string(),
    })
}
