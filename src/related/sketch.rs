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
/// Saved counts start with the magic and a stamp mixed with the layout, so counts
/// saved by a sketch of another shape are never read back.
const MAGIC: &[u8; 4] = b"HRDF";
const HEADER: usize = 12;

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

    /// A copy of the counts as they are now.
    pub fn snapshot(&self) -> DocFreq {
        DocFreq {
            counts: self
                .counts
                .iter()
                .map(|c| AtomicU32::new(c.load(Relaxed)))
                .collect(),
        }
    }

    /// The counts as bytes, headed by `stamp` (which says what counted them), for
    /// [`DocFreq::from_bytes`].
    pub fn to_bytes(&self, stamp: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER + 4 * COUNTERS);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(stamp ^ layout()).to_le_bytes());
        for c in &self.counts {
            out.extend_from_slice(&c.load(Relaxed).to_le_bytes());
        }
        out
    }

    /// Counts saved by [`DocFreq::to_bytes`] with the same `stamp` and this layout;
    /// `None` for anything else.
    pub fn from_bytes(bytes: &[u8], stamp: u64) -> Option<DocFreq> {
        let (head, body) = bytes.split_at_checked(HEADER)?;
        if head[..4] != *MAGIC
            || head[4..] != (stamp ^ layout()).to_le_bytes()
            || body.len() != 4 * COUNTERS
        {
            return None;
        }
        let counts = body
            .chunks_exact(4)
            .map(|c| AtomicU32::new(u32::from_le_bytes(c.try_into().expect("4 bytes"))))
            .collect();
        Some(DocFreq { counts })
    }

    fn cells(&self, t: Term) -> impl Iterator<Item = usize> + use<> {
        cells(t)
    }
}

fn cells(t: Term) -> impl Iterator<Item = usize> {
    let h = (t as u64 | 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let block = (h >> 46) as usize * BLOCK; // 18 bits: 2^18 blocks of 16
    (0..ROWS).map(move |row| block + ((h >> (4 * row)) as usize & (BLOCK - 1)))
}

/// The sketch's shape and where it puts a few terms: changes whenever the layout does.
fn layout() -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    (ROWS, BLOCK, COUNTERS).hash(&mut h);
    for t in [0, 1, 0x9E37_79B9, u32::MAX] {
        cells(t).for_each(|c| c.hash(&mut h));
    }
    h.finish()
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

    #[test]
    fn saved_counts_read_back_only_with_their_stamp() {
        let df = DocFreq::default();
        df.add(42);
        df.add(42);
        let bytes = df.to_bytes(7);
        assert_eq!(DocFreq::from_bytes(&bytes, 7).unwrap().get(42), 2);
        assert!(DocFreq::from_bytes(&bytes, 8).is_none(), "another stamp");
        assert!(DocFreq::from_bytes(&bytes[..bytes.len() - 4], 7).is_none());
        assert!(DocFreq::from_bytes(b"HRDF", 7).is_none());
    }
}
