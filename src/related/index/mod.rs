//! The in-memory index: postings of each article's most distinctive terms, and BM25.

mod feedback;
mod lists;
mod profile;
mod query;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_lists;
#[cfg(test)]
mod tests_live;

use std::cell::RefCell;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::sketch::DocFreq;
use super::tokenize::Term;
use crate::article::ArticleText;
use feedback::FeedbackList;
use profile::dup_hash;
pub use profile::{Prepared, prepare, prepare_live, profile, terms_stamp, with_profile};

/// One article under one term. Postings are most of the index's memory (50 million
/// at 1,000,000 articles), so they are packed into 6 bytes: weighted term
/// frequencies are sums of whole field weights, so a u16 holds them exactly (and
/// saturates where BM25 no longer cares).
#[derive(Clone, Copy)]
#[repr(C, packed(2))]
struct Posting {
    doc: u32,
    tf: u16,
}

struct Doc {
    id: Arc<str>,
    /// Published, in seconds since the epoch.
    time: i64,
    /// Hash of title and body: equal means an exact duplicate.
    dup: u64,
    category: u16,
}

/// One related article and its score in (0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: String,
    pub score: f32,
}

thread_local! {
    /// Score accumulator reused across queries on a thread: dense by slot, reset via
    /// the list of slots touched, so a query allocates nothing proportional to the index.
    static SCRATCH: RefCell<(Vec<f32>, Vec<u32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// The index proper; [`super::RelatedIndex`] puts it behind a lock.
#[derive(Default)]
pub struct Index {
    docs: Vec<Option<Doc>>,
    /// Weighted length per slot, dense so scoring reads it without touching `docs`.
    lens: Vec<f32>,
    /// Forward list per slot, for the feedback pass.
    forward: Vec<FeedbackList>,
    slots: FxHashMap<Arc<str>, u32>,
    free: Vec<u32>,
    postings: FxHashMap<Term, Vec<Posting>>,
    pub(super) df: DocFreq,
    live: u32,
    total_len: f64,
    categories: Vec<String>,
    /// Per slot, bumped each time it is vacated, so that lists naming it can tell.
    generations: Vec<u16>,
    lists: lists::Lists,
}

impl Index {
    /// Adds or replaces an article; `old` is the version it replaces, if any.
    pub fn upsert(&mut self, a: &ArticleText<'_>, old: Option<&ArticleText<'_>>) {
        if let Some(old) = old {
            self.remove(old);
        }
        let p = profile(a);
        for t in p.terms() {
            self.df.add(t);
        }
        let prepared = prepare_live(&self.df, self.live + 1, &p);
        self.insert(a, prepared);
    }

    /// Removes an article (as it was stored) from the index.
    pub fn remove(&mut self, old: &ArticleText<'_>) {
        let Some(slot) = self.slots.remove(old.id.as_ref()) else {
            return;
        };
        // Postings exist only for terms chosen at insert, all among the profile's.
        for t in profile(old).terms() {
            self.df.remove(t);
            if let Some(list) = self.postings.get_mut(&t) {
                list.retain(|p| p.doc != slot);
                if list.is_empty() {
                    self.postings.remove(&t);
                }
            }
        }
        self.vacate(slot);
    }

    /// Takes `old`'s terms out of the counts, leaving the postings as they are.
    pub fn forget_counts(&mut self, old: &ArticleText<'_>) {
        for t in profile(old).terms() {
            self.df.remove(t);
        }
    }

    fn vacate(&mut self, slot: u32) {
        self.lists.forget(slot);
        let generation = &mut self.generations[slot as usize];
        *generation = generation.wrapping_add(1);
        if self.docs[slot as usize].take().is_some() {
            self.live -= 1;
            self.total_len -= self.lens[slot as usize] as f64;
            self.lens[slot as usize] = 0.0;
        }
        self.free.push(slot);
    }

    /// Whether article `id` is indexed.
    pub fn contains(&self, id: &str) -> bool {
        self.slots.contains_key(id)
    }

    /// The number of indexed articles.
    pub fn len(&self) -> usize {
        self.live as usize
    }

    /// Makes room for `n` articles in all, so that a build grows its per-article
    /// vectors once instead of doubling them (the doubling's last copy was a peak).
    pub fn reserve(&mut self, n: usize) {
        let more = n.saturating_sub(self.docs.len());
        if more > 0 && self.docs.capacity() < n {
            self.docs.reserve_exact(more);
            self.lens.reserve_exact(more);
            self.forward.reserve_exact(more);
            self.generations.reserve_exact(more);
            self.slots.reserve(n.saturating_sub(self.slots.len()));
        }
    }

    /// Inserts an article with its chosen terms.
    pub fn insert(&mut self, a: &ArticleText<'_>, p: Prepared) {
        if let Some(stale) = self.slots.remove(a.id.as_ref()) {
            // Replaced without its old version: find its postings the slow way.
            for list in self.postings.values_mut() {
                list.retain(|x| x.doc != stale);
            }
            self.vacate(stale);
        }
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.docs.push(None);
                self.lens.push(0.0);
                self.forward.push(FeedbackList::default());
                self.generations.push(0);
                (self.docs.len() - 1) as u32
            }
        };
        for &(t, tf) in &p.terms {
            self.postings.entry(t).or_default().push(Posting {
                doc: slot,
                tf: tf as u16, // `as` saturates
            });
        }
        let id: Arc<str> = Arc::from(a.id.as_ref());
        self.docs[slot as usize] = Some(Doc {
            id: Arc::clone(&id),
            time: a.published.timestamp(),
            dup: dup_hash(a),
            category: self.category_code(&a.category),
        });
        self.lens[slot as usize] = p.len;
        self.forward[slot as usize] = p.feedback;
        self.slots.insert(id, slot);
        self.lists.drop_and_queue(slot);
        self.live += 1;
        self.total_len += p.len as f64;
    }

    fn category_code(&mut self, slug: &str) -> u16 {
        match self.categories.iter().position(|c| c == slug) {
            Some(i) => i as u16,
            None => {
                self.categories.push(slug.to_string());
                (self.categories.len() - 1) as u16
            }
        }
    }
}
