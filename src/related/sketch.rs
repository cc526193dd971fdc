//! Document frequencies in fixed memory: a count-min sketch that also counts down.
//!
//! An exact table would hold every term ever seen, millions of rare bigrams at
//! newsroom scale; the sketch is 16 MiB whatever the size, and only ever
//! overestimates a frequency, which barely moves the idf of the rare terms that matter.

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use super::tokenize::Term;

const ROWS: usize = 3;
/// Counters, in blocks of one cache line: a term's three counters share a block, so
/// a lookup costs one cache miss, not three.
const COUNTERS: usize = 1 << 22;
const BLOCK: usize = 16;

/// Approximate counts of how many documents contain each term.
/// Atomic counters let a build count from several threads at once.
pub struct DocFreq {
    counts: Vec<AtomicU32>,
}

impl Default for DocFreq {
    fn default() -> Self {
        DocFreq {
            counts: (0..COUNTERS).map(|_| AtomicU32::new(0)).collect(),
        }
    }
}

impl DocFreq {
    /// Counts one more document containing `t`.
    pub fn add(&self, t: Term) {
        for i in self.cells(t) {
            self.counts[i].fetch_add(1, Relaxed);
        }
    }

    /// Counts one fewer document containing `t`.
    pub fn remove(&self, t: Term) {
        for i in self.cells(t) {
            let _ = self.counts[i].fetch_update(Relaxed, Relaxed, |v| v.checked_sub(1));
        }
    }

    /// How many documents contain `t` (never less than the truth).
    pub fn get(&self, t: Term) -> u32 {
        self.cells(t)
            .map(|i| self.counts[i].load(Relaxed))
            .min()
            .unwrap_or(0)
    }

    fn cells(&self, t: Term) -> impl Iterator<Item = usize> + use<> {
        let h = (t as u64 | 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let block = (h >> 46) as usize * BLOCK; // 18 bits: 2^18 blocks of 16
        (0..ROWS).map(move |row| block + ((h >> (4 * row)) as usize & (BLOCK - 1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_up_and_down() {
        let df = DocFreq::default();
        for _ in 0..3 {
            df.add(42);
        }
        df.add(7);
        assert_eq!(df.get(42), 3);
        df.remove(42);
        assert_eq!(df.get(42), 2);
        assert_eq!(df.get(7), 1);
        assert_eq!(df.get(1234), 0);
    }
}
