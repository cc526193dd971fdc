//! Item views kept from one render to the next, so that a write re-renders a feed
//! from the one article it changed instead of decoding all fifty again.
//!
//! An entry is keyed by article id and holds the digest of the stored version it
//! was made from and the catalog version it took its section title from; a lookup
//! with either different misses. Nothing needs invalidating, so no write can race
//! a render into serving a stale view.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::ItemView;

/// Views per generation: two generations of 2,048 hold every hot feed's first page
/// many times over.
const GENERATION: usize = 2_048;

/// Bytes of text per generation, whichever limit comes first: bodies may be up to
/// a megabyte each, and 2,048 of those would not be "a little memory".
const GENERATION_BYTES: usize = 32 << 20;

struct Entry {
    digest: u128,
    catalog: u64,
    view: Arc<ItemView>,
}

/// Recently used views. When the young generation fills, it becomes the old one and
/// the old one is dropped: what a render still uses is carried over on its next
/// lookup, which bounds memory against crawlers walking every page without an LRU's
/// bookkeeping on each lookup.
#[derive(Default)]
pub struct ViewMemo {
    inner: Mutex<Generations>,
}

#[derive(Default)]
struct Generations {
    young: HashMap<String, Entry>,
    /// Text bytes in `young`.
    young_bytes: usize,
    old: HashMap<String, Entry>,
}

impl ViewMemo {
    /// The view of article `id` made from the stored version `digest` under catalog
    /// version `catalog`, if one is kept.
    pub fn get(&self, id: &str, digest: u128, catalog: u64) -> Option<Arc<ItemView>> {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let matches = |e: &Entry| e.digest == digest && e.catalog == catalog;
        if let Some(e) = g.young.get(id) {
            return matches(e).then(|| Arc::clone(&e.view));
        }
        let entry = g.old.remove(id).filter(matches)?;
        let view = Arc::clone(&entry.view);
        let dropped = g.insert(id.to_string(), entry);
        drop(g);
        drop(dropped);
        Some(view)
    }

    /// Keeps `view` as the view of `id` at `digest` and `catalog`.
    pub fn put(&self, id: &str, digest: u128, catalog: u64, view: Arc<ItemView>) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.old.remove(id);
        let entry = Entry {
            digest,
            catalog,
            view,
        };
        let dropped = g.insert(id.to_string(), entry);
        drop(g);
        drop(dropped);
    }

    /// How many views are kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.young.len() + g.old.len()
    }
}

impl Generations {
    /// Inserts into the young generation, turning it old first if it is full;
    /// returns the generation that falls out, to be freed outside the lock.
    fn insert(&mut self, id: String, entry: Entry) -> HashMap<String, Entry> {
        let size = text_bytes(&entry.view);
        let full = self.young.len() >= GENERATION || self.young_bytes + size > GENERATION_BYTES;
        let mut dropped = HashMap::new();
        if full && !self.young.is_empty() {
            dropped = std::mem::replace(&mut self.old, std::mem::take(&mut self.young));
            self.young_bytes = 0;
        }
        self.young_bytes += size;
        if let Some(replaced) = self.young.insert(id, entry) {
            self.young_bytes -= text_bytes(&replaced.view);
        }
        dropped
    }
}

fn text_bytes(view: &ItemView) -> usize {
    view.content_html.len() + view.summary.len() + view.title.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(id: &str) -> Arc<ItemView> {
        Arc::new(ItemView {
            id: id.into(),
            ..crate::feed::view::sample(id, "", "")
        })
    }

    #[test]
    fn a_view_is_found_only_for_its_version_and_catalog() {
        let memo = ViewMemo::default();
        memo.put("a", 1, 7, view("a"));
        assert_eq!(memo.get("a", 1, 7).unwrap().id, "a");
        assert!(memo.get("a", 2, 7).is_none(), "another stored version");
        assert!(memo.get("a", 1, 8).is_none(), "another catalog");
        assert!(memo.get("b", 1, 7).is_none());
        memo.put("a", 2, 7, view("a2"));
        assert_eq!(memo.get("a", 2, 7).unwrap().id, "a2");
        assert!(memo.get("a", 1, 7).is_none(), "the old version is gone");
    }

    #[test]
    fn memory_is_bounded_and_views_in_use_survive() {
        let memo = ViewMemo::default();
        memo.put("hot", 1, 0, view("hot"));
        for i in 0..5 * GENERATION {
            memo.put(&format!("a{i}"), 1, 0, view("x"));
            // A hot feed's render looks its views up every so often.
            if i % (GENERATION / 2) == 0 {
                assert!(memo.get("hot", 1, 0).is_some(), "lost at {i}");
            }
        }
        assert!(memo.len() <= 2 * GENERATION, "{}", memo.len());
        assert!(memo.get("a0", 1, 0).is_none(), "cold views are dropped");
        assert!(memo.get("hot", 1, 0).is_some());
    }

    #[test]
    fn long_bodies_turn_a_generation_over_sooner() {
        let memo = ViewMemo::default();
        let mut long = (*view("x")).clone();
        long.content_html = "ờ".repeat(1 << 20); // 3 MiB of text
        let long = Arc::new(long);
        for i in 0..40 {
            memo.put(&format!("a{i}"), 1, 0, Arc::clone(&long));
        }
        let kept = memo.len();
        assert!(
            kept * (3 << 20) <= 2 * GENERATION_BYTES,
            "{kept} long views kept"
        );
        assert!(memo.get("a39", 1, 0).is_some(), "the newest is kept");
    }
}
