//! Related stories: what to read next, by content. No I/O: callers feed it articles.
//!
//! Each article becomes a profile of its most distinctive terms (syllables, syllable
//! bigrams and whole tags; title and tags weigh most), scored against the others with
//! BM25 through an inverted index and normalised by the article's score against
//! itself. Closeness in time adds a little. Updates apply at once; a build at start
//! counts every term first, so the chosen terms use the final frequencies.

mod index;
mod live;
mod sketch;
mod stem;
#[cfg(test)]
mod tests;
mod tokenize;

pub use live::LiveIndex;

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::sync::{Mutex, RwLock};

use rustc_hash::FxHashSet;

pub use index::Hit;
use sketch::DocFreq;

use crate::article::{Article, ArticleText};

/// The shared, thread-safe index. Every method blocks: call from blocking threads.
#[derive(Default)]
pub struct RelatedIndex {
    inner: RwLock<index::Index>,
}

/// Builds an index in two passes over the same articles: the first counts terms,
/// the second indexes each article under its terms chosen with the final counts.
/// Both take chunks of articles from any number of threads at once.
#[derive(Default)]
pub struct IndexBuilder {
    df: DocFreq,
    counted: AtomicU32,
    index: Mutex<index::Index>,
}

impl IndexBuilder {
    /// A builder over term counts saved by [`RelatedIndex::saved_counts`] for the
    /// same `articles`, which needs only the second pass; `None` when the bytes were
    /// saved by a version that makes other terms.
    pub fn from_saved(bytes: &[u8], articles: u64) -> Option<IndexBuilder> {
        Some(IndexBuilder {
            df: DocFreq::from_bytes(bytes, index::terms_stamp())?,
            counted: AtomicU32::new(u32::try_from(articles).ok()?),
            index: Mutex::default(),
        })
    }

    /// A builder over the term counts of `index` as they are now, which needs only
    /// the second pass over the articles `index` holds: a rebuild's. (The counts an
    /// index keeps are exact for what it holds, since every write updates them.)
    pub fn from_index(index: &RelatedIndex) -> IndexBuilder {
        let index = index.inner.read().unwrap_or_else(|e| e.into_inner());
        IndexBuilder {
            df: index.df.snapshot(),
            counted: AtomicU32::new(index.len() as u32),
            index: Mutex::default(),
        }
    }

    /// First pass: count the chunk's terms.
    pub fn count(&self, chunk: &[ArticleText<'_>]) {
        for a in chunk {
            index::with_profile(a, |p| p.terms().for_each(|t| self.df.add(t)));
        }
        self.counted.fetch_add(chunk.len() as u32, Relaxed);
    }

    /// Second pass: index the chunk, but for the articles `skip` names (ones
    /// written while the build runs, which the finish indexes as they are then).
    pub fn add(&self, chunk: &[ArticleText<'_>], skip: impl Fn(&str) -> bool) {
        let n = self.counted.load(Relaxed);
        let prepared: Vec<_> = chunk
            .iter()
            .filter(|a| !skip(&a.id))
            .map(|a| {
                (
                    a,
                    index::with_profile(a, |p| index::prepare(&self.df, n, p, 2)),
                )
            })
            .collect();
        let mut index = self.index.lock().unwrap_or_else(|e| e.into_inner());
        index.reserve(n as usize);
        for (a, p) in prepared {
            index.insert(a, p);
        }
    }

    /// The finished index, its lists all waiting to be made (see [`RelatedIndex::list_next`]).
    pub fn finish(self) -> RelatedIndex {
        let mut index = self.index.into_inner().unwrap_or_else(|e| e.into_inner());
        index.df = self.df;
        index.relist_newest();
        RelatedIndex {
            inner: RwLock::new(index),
        }
    }
}

impl RelatedIndex {
    /// Adds or replaces `article`; `old` is the stored version it replaces. Makes its
    /// related list at once, and drops, for the worker to make again, the lists of
    /// the articles it names (before and after) and of those it may now belong in
    /// (see `index::lists`).
    pub fn upsert(&self, article: &Article, old: Option<&Article>) {
        let text = ArticleText::from(article);
        let (job, before) = {
            let mut index = self.write();
            let before = index.listed_slots(&text.id);
            index.upsert(&text, old.map(ArticleText::from).as_ref());
            (index.job_for(&text.id), before)
        };
        let Some(job) = job else { return };
        let mut reach = Vec::new();
        let made = self.read().make_list(&text, Some(&mut reach));
        let mut index = self.write();
        index.store_list(job, &made);
        index.relist(before.into_iter().chain(made.slots()).chain(reach));
    }

    /// Like [`RelatedIndex::upsert`], but leaves the lists to [`RelatedIndex::relist_all`],
    /// which a batch calls once at its end: a list costs a full query to make.
    pub fn upsert_unlisted(&self, article: &Article, old: Option<&Article>) {
        self.write()
            .upsert(&article.into(), old.map(ArticleText::from).as_ref());
    }

    /// Drops every list, to be made again newest first.
    pub fn relist_all(&self) {
        self.write().relist_newest();
    }

    /// Makes the next list that waits, reading its article with `fetch`; returns
    /// false when none waits. For the one worker that makes lists.
    pub fn list_next(&self, fetch: impl FnOnce(&str) -> Option<Article>) -> bool {
        let Some((job, id)) = self.write().next_job() else {
            return false;
        };
        if let Some(article) = fetch(&id) {
            let text = ArticleText::from(&article);
            let made = self.read().make_list(&text, None);
            self.write().store_list(job, &made);
        }
        true
    }

    /// How many related lists wait to be made.
    pub fn lists_waiting(&self) -> usize {
        self.read().lists_waiting()
    }

    /// Removes a deleted article (as it was stored).
    pub fn remove(&self, old: &Article) {
        self.write().remove(&old.into());
    }

    /// Takes the terms of `old` out of the counts only: for an article the counts
    /// include but the postings do not (see `LiveIndex::finish`).
    pub fn forget_counts(&self, old: &Article) {
        self.write().forget_counts(&old.into());
    }

    /// Up to `limit` articles related to `source`, best first, optionally only in
    /// `category` and never those in `exclude` (nor `source` itself).
    pub fn related(
        &self,
        source: &Article,
        limit: usize,
        category: Option<&str>,
        exclude: &[String],
    ) -> Vec<Hit> {
        let exclude: FxHashSet<&str> = exclude.iter().map(String::as_str).collect();
        self.read()
            .related(&source.into(), limit, category, &exclude)
    }

    /// What [`RelatedIndex::related`] answers for article `id` when its related list
    /// answers (see `index::lists`), which needs no more than the id; `None` when the
    /// full query must, which needs the article.
    pub fn listed(
        &self,
        id: &str,
        limit: usize,
        category: Option<&str>,
        exclude: &[String],
    ) -> Option<Vec<Hit>> {
        if category.is_some() {
            return None;
        }
        let exclude: FxHashSet<&str> = exclude.iter().map(String::as_str).collect();
        self.read().listed(id, limit, &exclude)
    }

    /// The term counts, to save at shutdown and hand to [`IndexBuilder::from_saved`] at
    /// the next start, which then skips counting.
    pub fn saved_counts(&self) -> Vec<u8> {
        let index = self.inner.read().unwrap_or_else(|e| e.into_inner());
        index.df.to_bytes(index::terms_stamp())
    }

    /// Whether article `id` is indexed.
    pub fn contains(&self, id: &str) -> bool {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(id)
    }

    /// The number of indexed articles.
    pub fn len(&self) -> usize {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, index::Index> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, index::Index> {
        // Index updates are single calls that leave it consistent, so a panic in one
        // cannot leave a half-update behind: a poisoned lock is safe to reuse.
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}
