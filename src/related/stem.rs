//! English stems for English articles: Snowball's English stemmer (Porter2), so that
//! "elections", "elected" and "electing" share a term, as a headline and a follow-up
//! on one story often word it differently.
//!
//! The stemmer allocates whenever a suffix goes, so stems are kept by word hash in a
//! table per thread: a word seen before costs one lookup and allocates nothing.

use std::cell::RefCell;

use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashMap;

/// Words each thread remembers, about 1 MiB; past that it starts afresh.
const REMEMBERED: usize = 1 << 16;

thread_local! {
    static STEMS: RefCell<(Stemmer, FxHashMap<u64, u64>)> =
        RefCell::new((Stemmer::create(Algorithm::English), FxHashMap::default()));
}

/// The hash (by `hash`) of the stem of the lowercased ASCII `word`, whose own hash is
/// `word_hash`.
pub fn stem_hash(word: &str, word_hash: u64, hash: impl Fn(&str) -> u64) -> u64 {
    STEMS.with_borrow_mut(|(stemmer, stems)| {
        if let Some(&h) = stems.get(&word_hash) {
            return h;
        }
        if stems.len() >= REMEMBERED {
            stems.clear();
        }
        let h = hash(&stemmer.stem(word));
        stems.insert(word_hash, h);
        h
    })
}
