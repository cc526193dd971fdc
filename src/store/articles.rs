//! Articles and their indexes: atomic put and delete, lookups and listings.

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::Ordering;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{Store, StoreError, keys, sled_err};
use crate::article::{Article, ArticleText};
use crate::scope::Scope;

/// A position in a newest-first listing: everything strictly older comes next.
/// Written as `{published UTC microseconds}~{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub micros: i64,
    pub id: String,
}

impl Cursor {
    /// The cursor just after `article`.
    pub fn after(article: &Article) -> Cursor {
        Cursor {
            micros: article.published.timestamp_micros(),
            id: article.id.clone(),
        }
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}~{}", self.micros, self.id)
    }
}

impl FromStr for Cursor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (micros, id) = s
            .split_once('~')
            .ok_or("expected a cursor from a previous page, like 1733450400000000~some-id")?;
        let micros = micros
            .parse()
            .map_err(|_| "the time part is not a number")?;
        if !crate::article::is_valid_id(id) {
            return Err("the id part is not a valid article id".into());
        }
        Ok(Cursor {
            micros,
            id: id.to_string(),
        })
    }
}

/// A stored article, read but not yet decoded. Two records with the same id and
/// digest hold the same stored version, so a caller may reuse what it made from
/// the first instead of decoding the second.
pub struct Record {
    pub id: String,
    raw: sled::IVec,
}

impl Record {
    /// 128 bits of XXH3 of the stored bytes: a few hundred nanoseconds for a long
    /// article, against tens of microseconds to decode it.
    pub fn digest(&self) -> u128 {
        xxhash_rust::xxh3::xxh3_128(&self.raw)
    }

    /// The article.
    pub fn decode(&self) -> Result<Article, StoreError> {
        self.decode_as()
    }

    fn decode_as<T: DeserializeOwned>(&self) -> Result<T, StoreError> {
        decode(&self.id, &self.raw)
    }
}

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

    /// Up to `limit` articles of `scope`, newest first, strictly older than `before`.
    pub fn list(
        &self,
        scope: &Scope,
        limit: usize,
        before: Option<&Cursor>,
    ) -> Result<Vec<Article>, StoreError> {
        self.list_as(scope, limit, before)
    }

    /// Like [`Store::list`], decoding only the fields `T` has.
    pub fn list_as<T: DeserializeOwned>(
        &self,
        scope: &Scope,
        limit: usize,
        before: Option<&Cursor>,
    ) -> Result<Vec<T>, StoreError> {
        let end = match before {
            Some(c) => keys::index_entry(scope, c.micros, &c.id),
            None => keys::index_end(scope),
        };
        self.collect(
            scope,
            self.db.range(keys::index_prefix(scope)..end).rev(),
            0,
            limit,
        )
    }

    /// Page `offset..offset+limit` of `scope`, newest first, read but not decoded.
    /// Skips keys, not articles.
    pub fn page(
        &self,
        scope: &Scope,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        let range = keys::index_prefix(scope)..keys::index_end(scope);
        self.records(scope, self.db.range(range).rev(), offset, limit)
    }

    fn collect<T: DeserializeOwned>(
        &self,
        scope: &Scope,
        entries: impl Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<T>, StoreError> {
        let records = self.records(scope, entries, offset, limit)?;
        records.iter().map(Record::decode_as).collect()
    }

    /// The records the index `entries` point to, from the `offset`th.
    fn records(
        &self,
        scope: &Scope,
        entries: impl Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        let prefix_len = keys::index_prefix(scope).len();
        let mut out = Vec::with_capacity(limit.min(1024));
        for entry in entries.skip(offset).take(limit) {
            let (key, _) = entry.map_err(sled_err(format!("list {scope}")))?;
            let (_, id) =
                keys::decode_entry(prefix_len, &key).ok_or_else(|| StoreError::Corrupt {
                    what: format!("index of {scope}"),
                    reason: "undecodable key".into(),
                })?;
            let raw = self
                .db
                .get(keys::article(&id))
                .map_err(sled_err(format!("load article {id}")))?;
            match raw {
                Some(raw) => out.push(Record { id, raw }),
                None => {
                    return Err(StoreError::Corrupt {
                        what: format!("index of {scope}"),
                        reason: format!("entry for missing article {id}"),
                    });
                }
            }
        }
        Ok(out)
    }

    /// Every article, in id order; for export and index rebuilds.
    pub fn articles(&self) -> impl Iterator<Item = Result<Article, StoreError>> + '_ {
        self.db.scan_prefix(keys::ARTICLE_PREFIX).map(|item| {
            let (k, v) = item.map_err(sled_err("scan articles"))?;
            decode(&record_id(&k), &v)
        })
    }

    /// Hands every article to `f`, in chunks and in no particular order, from
    /// `workers` threads that share one scan. Reading and decoding run on the workers
    /// too: read in one thread, they were a third of an index build, and it ran on
    /// little more than one core of two. Stops at the first error.
    pub fn scan_parallel<F>(&self, workers: usize, f: F) -> Result<(), StoreError>
    where
        F: Fn(&[ArticleText<'_>]) + Sync,
    {
        /// Small enough that workers stay busy to the end, large enough that the
        /// shared scan's lock is rarely contended.
        const CHUNK: usize = 64;
        let scan = Mutex::new(self.db.scan_prefix(keys::ARTICLE_PREFIX));
        let failed: Mutex<Option<StoreError>> = Mutex::new(None);
        let fail = |e: StoreError| {
            failed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert(e);
        };
        let work = || {
            loop {
                let raw: Result<Vec<_>, _> = {
                    let mut scan = scan.lock().unwrap_or_else(|e| e.into_inner());
                    scan.by_ref().take(CHUNK).collect()
                };
                let raw = match raw {
                    Ok(raw) if !raw.is_empty() => raw,
                    Ok(_) => return,
                    Err(e) => return fail(sled_err("scan articles")(e)),
                };
                if failed.lock().unwrap_or_else(|e| e.into_inner()).is_some() {
                    return;
                }
                let chunk: Result<Vec<ArticleText>, _> =
                    raw.iter().map(|(k, v)| decode(&record_id(k), v)).collect();
                match chunk {
                    Ok(chunk) => f(&chunk),
                    Err(e) => return fail(e),
                }
            }
        };
        std::thread::scope(|s| {
            for _ in 0..workers.max(1) {
                std::thread::Builder::new()
                    .name("herald-scan".into())
                    .spawn_scoped(s, work)
                    .map_err(|e| StoreError::io("start a scan thread", e))?;
            }
            Ok::<_, StoreError>(())
        })?;
        match failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// The article id in an article record's key.
fn record_id(key: &[u8]) -> String {
    String::from_utf8_lossy(&key[keys::ARTICLE_PREFIX.len()..]).into_owned()
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::store::fixtures::{sample, store};

    #[test]
    fn a_parallel_scan_hands_over_every_article_once() {
        let (_dir, store) = store();
        let articles: Vec<Article> = (0..500)
            .map(|i| {
                let mut a = sample(&format!("a{i:03}"), "xa-hoi");
                // Quotes are escaped in the stored JSON, so this body cannot be borrowed.
                a.content_html = format!("<p class=\"x\">Lũ ở Lào Cai, bài {i}</p>");
                a
            })
            .collect();
        store.put_many(&articles).unwrap();
        let seen = Mutex::new(Vec::new());
        store
            .scan_parallel(3, |chunk| {
                let mut seen = seen.lock().unwrap();
                for a in chunk {
                    seen.push((a.id.to_string(), a.content_html.to_string()));
                }
            })
            .unwrap();
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        let want: Vec<_> = articles
            .iter()
            .map(|a| (a.id.clone(), a.content_html.clone()))
            .collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn a_parallel_scan_names_a_corrupt_article() {
        let (_dir, store) = store();
        store.put(&sample("good", "xa-hoi")).unwrap();
        store
            .db
            .insert(keys::article("bad"), &b"{not json"[..])
            .unwrap();
        let err = store.scan_parallel(2, |_| {}).unwrap_err();
        assert!(
            matches!(&err, StoreError::Corrupt { what, .. } if what == "article bad"),
            "{err}"
        );
    }
}
