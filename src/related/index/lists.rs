//! Related lists worked out ahead: each article's best [`LEN`] related articles, so
//! that the common query (no section filter, a short limit) reads a list instead of
//! walking some 90,000 postings (0.5 to 0.7 ms at 100,000 articles).
//!
//! A list is what the full query answered when it was made. A write makes its
//! article's list again at once and drops the lists of the articles that list names
//! and of those that may now rank the article high (see [`REACH`]); a background
//! worker makes them again. An article without a list is answered by the full
//! query, so answers never wait for the worker. A list names slots with the
//! generation they had, so one naming a slot vacated since skips it.

use std::collections::VecDeque;

use rustc_hash::{FxHashMap, FxHashSet};

use super::{Hit, Index};
use crate::article::ArticleText;

/// Entries per list: twice the endpoint's default limit, so that a page that
/// excludes a few ids it already shows still reads a list.
pub const LEN: usize = 10;
/// The newest articles a build lists (at most). Each list costs one full query to
/// make, so listing all of a million articles would keep a core busy for an hour;
/// readers mostly read the news of the day. Articles written later are listed too.
const LISTED_AT_BUILD: usize = 100_000;

/// A write drops the list of an article whose score for the written one, estimated
/// from the written one's query, reaches this share of the list's last score. The
/// estimate divides the written article's raw score for it by its own score against
/// itself, as its own query would; the two queries weigh shared words alike but for
/// the feedback each lends itself, hence the margin.
const REACH: f32 = 0.5;

/// One article's list: its entries, best first, and the article's score against
/// itself, which its scores were divided by.
pub(super) struct List {
    entries: Box<[Listed]>,
    self_score: f32,
}

/// One related article in a list.
#[derive(Clone, Copy)]
#[repr(C, packed(2))]
pub(super) struct Listed {
    pub(super) slot: u32,
    pub(super) generation: u16,
    pub(super) score: f32,
}

/// The lists, and the slots waiting for one.
#[derive(Default)]
pub(super) struct Lists {
    ready: FxHashMap<u32, List>,
    waiting: VecDeque<u32>,
    /// Per slot: whether it waits, and a stamp bumped whenever its list is dropped,
    /// so that a list made before the drop is not stored after it.
    state: Vec<(bool, u32)>,
}

/// A list made, to store: slots and scores, best first, and the source's score
/// against itself.
pub struct Made {
    pub(super) hits: Vec<(f32, u32)>,
    self_score: f32,
}

impl Made {
    /// The slots the list names.
    pub fn slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.hits.iter().map(|&(_, slot)| slot)
    }
}

/// A list to make: for the article in `slot`, as of `stamp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    pub(super) slot: u32,
    stamp: u32,
}

impl Lists {
    fn state(&mut self, slot: u32) -> &mut (bool, u32) {
        let i = slot as usize;
        if self.state.len() <= i {
            self.state.resize(i + 1, (false, 0));
        }
        &mut self.state[i]
    }

    /// Drops the list of `slot` (if any) and queues it to be made again.
    pub(super) fn drop_and_queue(&mut self, slot: u32) {
        self.ready.remove(&slot);
        let state = self.state(slot);
        state.1 = state.1.wrapping_add(1);
        if !state.0 {
            state.0 = true;
            self.waiting.push_back(slot);
        }
    }

    /// Drops the list of a vacated slot, for good.
    pub(super) fn forget(&mut self, slot: u32) {
        self.ready.remove(&slot);
        let state = self.state(slot);
        state.1 = state.1.wrapping_add(1);
    }

    /// The entries of the list of `slot`, if it has one.
    pub(super) fn get(&self, slot: u32) -> Option<&[Listed]> {
        self.ready.get(&slot).map(|l| &l.entries[..])
    }

    /// How many slots wait for a list (some of them may have been vacated since).
    pub(super) fn waiting(&self) -> usize {
        self.waiting.len()
    }
}

impl Index {
    /// The next list to make, or `None` when none waits.
    pub fn next_job(&mut self) -> Option<(Job, std::sync::Arc<str>)> {
        while let Some(slot) = self.lists.waiting.pop_front() {
            let state = self.lists.state(slot);
            state.0 = false;
            let stamp = state.1;
            // A list stored after its slot was queued needs no other.
            if let Some(doc) = &self.docs[slot as usize]
                && !self.lists.ready.contains_key(&slot)
            {
                return Some((Job { slot, stamp }, std::sync::Arc::clone(&doc.id)));
            }
        }
        None
    }

    /// The job that makes the list of article `id` now, if it is indexed.
    pub fn job_for(&mut self, id: &str) -> Option<Job> {
        let slot = *self.slots.get(id)?;
        Some(Job {
            slot,
            stamp: self.lists.state(slot).1,
        })
    }

    /// Whether an article with a list in `slot`, whose raw score from a source
    /// published at `time` is `raw`, may now have that source in its list.
    pub(super) fn may_now_list(&self, slot: u32, raw: f32, time: i64) -> bool {
        let (Some(list), Some(doc)) = (self.lists.ready.get(&slot), &self.docs[slot as usize])
        else {
            return false;
        };
        let last = match list.entries.last() {
            Some(e) if list.entries.len() == LEN => e.score,
            _ => super::query::MIN_SCORE,
        };
        let estimate = raw / list.self_score * super::query::closeness(doc.time, time);
        raw > 0.0 && estimate >= REACH * last
    }

    /// Makes the list of `source` as [`Index::rank`] does, for the job to store; given
    /// `reach` (for a write), also gathers there the articles with a list it may now
    /// belong in.
    pub fn make_list(&self, source: &ArticleText<'_>, reach: Option<&mut Vec<u32>>) -> Made {
        let none = FxHashSet::default();
        let (hits, self_score) = self.rank_reaching(source, LEN, None, &none, reach);
        Made { hits, self_score }
    }

    /// Stores the list `made` that `job` made, unless the list was dropped since the
    /// job was taken; returns whether it was stored.
    pub fn store_list(&mut self, job: Job, made: &Made) -> bool {
        let hits = &made.hits;
        if self.lists.state(job.slot).1 != job.stamp || self.docs[job.slot as usize].is_none() {
            return false;
        }
        let list = hits
            .iter()
            .take(LEN)
            .map(|&(score, slot)| Listed {
                slot,
                generation: self.generations[slot as usize],
                score,
            })
            .collect();
        let list = List {
            entries: list,
            self_score: made.self_score,
        };
        self.lists.ready.insert(job.slot, list);
        true
    }

    /// The slots the list of article `id` names now, if it has one.
    pub fn listed_slots(&self, id: &str) -> Vec<u32> {
        let slot = self.slots.get(id);
        slot.and_then(|&s| self.lists.get(s))
            .map(|l| l.iter().map(|e| e.slot).collect())
            .unwrap_or_default()
    }

    /// Drops the lists of `slots` and queues them to be made again.
    pub fn relist(&mut self, slots: impl IntoIterator<Item = u32>) {
        for slot in slots {
            if self.docs.get(slot as usize).is_some_and(Option::is_some) {
                self.lists.drop_and_queue(slot);
            }
        }
    }

    /// Drops every list and queues the newest [`LISTED_AT_BUILD`] articles (by
    /// published time) to be listed, newest first.
    pub fn relist_newest(&mut self) {
        let mut slots: Vec<(i64, u32)> = self
            .docs
            .iter()
            .enumerate()
            .filter_map(|(slot, d)| d.as_ref().map(|d| (d.time, slot as u32)))
            .collect();
        slots.sort_unstable_by(|a, b| b.cmp(a));
        slots.truncate(LISTED_AT_BUILD);
        let lists = &mut self.lists;
        lists.ready.clear();
        lists.waiting.clear();
        // Every stamp moves on, so that no list made before this is stored after it.
        for state in &mut lists.state {
            *state = (false, state.1.wrapping_add(1));
        }
        for (_, slot) in slots {
            lists.drop_and_queue(slot);
        }
    }

    /// The first `limit` of the list of article `id` that are still indexed, leaving
    /// out those in `exclude` and their exact copies; `None` when the article has no
    /// list, when `limit` is longer than lists are, or when what is left is shorter
    /// than `limit` but the list was full (so more might follow): then the full
    /// query answers.
    pub fn listed(&self, id: &str, limit: usize, exclude: &FxHashSet<&str>) -> Option<Vec<Hit>> {
        if limit > LEN {
            return None;
        }
        let list = self.lists.get(*self.slots.get(id)?)?;
        let excluded = self.excluded_copies(exclude);
        let hits: Vec<Hit> = list
            .iter()
            .filter(|e| self.generations[e.slot as usize] == e.generation)
            .filter_map(|e| self.docs[e.slot as usize].as_ref().map(|d| (e, d)))
            .filter(|(_, d)| !exclude.contains(&*d.id) && !excluded.contains(&d.dup))
            .take(limit)
            .map(|(e, d)| Hit {
                id: d.id.to_string(),
                score: e.score,
            })
            .collect();
        (hits.len() == limit || list.len() < LEN).then_some(hits)
    }

    /// The duplicate hashes of the indexed articles among `exclude`.
    pub(super) fn excluded_copies(&self, exclude: &FxHashSet<&str>) -> FxHashSet<u64> {
        exclude
            .iter()
            .filter_map(|id| self.slots.get(*id))
            .filter_map(|&slot| self.docs[slot as usize].as_ref().map(|d| d.dup))
            .collect()
    }

    /// How many lists wait to be made.
    pub fn lists_waiting(&self) -> usize {
        self.lists.waiting()
    }
}
