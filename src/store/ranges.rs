//! Splitting the keys under a prefix into ranges that threads scan at once.

use std::ops::Bound;

use super::{StoreError, sled_err};

/// A contiguous range of keys: from `start` (included) to `end` (excluded, or the
/// end of the prefix).
pub(super) struct KeyRange {
    start: Vec<u8>,
    end: Option<Vec<u8>>,
}

impl KeyRange {
    /// The records in this range, in key order.
    pub(super) fn iter<'a>(
        &self,
        db: &'a sled::Db,
        prefix: &'a [u8],
    ) -> impl Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>> + 'a {
        let end = match &self.end {
            Some(end) => Bound::Excluded(end.clone()),
            None => Bound::Unbounded,
        };
        db.range::<Vec<u8>, _>((Bound::Included(self.start.clone()), end))
            .take_while(move |item| item.as_ref().map_or(true, |(k, _)| k.starts_with(prefix)))
    }
}

/// Up to `n` ranges that together hold every key under `prefix`, split at points
/// evenly spaced between its first and last keys, read as big-endian numbers past
/// their common start. Numbered and random ids split about evenly; skewed ids only
/// make some ranges longer.
pub(super) fn split(db: &sled::Db, prefix: &[u8], n: usize) -> Result<Vec<KeyRange>, StoreError> {
    let whole = || KeyRange {
        start: prefix.to_vec(),
        end: None,
    };
    let mut keys = db.scan_prefix(prefix).keys();
    let (Some(first), Some(last)) = (keys.next(), keys.next_back()) else {
        return Ok(vec![whole()]);
    };
    let (first, last) = (
        first.map_err(sled_err("split keys"))?,
        last.map_err(sled_err("split keys"))?,
    );
    let common = first
        .iter()
        .zip(last.iter())
        .take_while(|(a, b)| a == b)
        .count();
    let window = |k: &[u8]| {
        let mut w = [0u8; 8];
        let tail = k.get(common..).unwrap_or_default();
        let len = tail.len().min(8);
        w[..len].copy_from_slice(&tail[..len]);
        u64::from_be_bytes(w)
    };
    let (lo, hi) = (window(&first), window(&last));
    let steps = n.max(1) as u64;
    if hi <= lo || hi - lo < steps {
        return Ok(vec![whole()]);
    }
    let points: Vec<Vec<u8>> = (1..steps)
        .map(|i| {
            let p = lo + ((hi - lo) as u128 * i as u128 / steps as u128) as u64;
            [&first[..common], &p.to_be_bytes()[..]].concat()
        })
        .collect();
    let mut starts = vec![prefix.to_vec()];
    starts.extend(points.iter().cloned());
    let ends = points.into_iter().map(Some).chain([None]);
    Ok(starts
        .into_iter()
        .zip(ends)
        .map(|(start, end)| KeyRange { start, end })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_with(keys: &[String]) -> (tempfile::TempDir, sled::Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::open(dir.path()).unwrap();
        db.insert(b"0-before", &b""[..]).unwrap();
        db.insert(b"z-after", &b""[..]).unwrap();
        for k in keys {
            db.insert(k.as_bytes(), &b""[..]).unwrap();
        }
        (dir, db)
    }

    fn scanned(db: &sled::Db, n: usize) -> (usize, Vec<String>) {
        let ranges = split(db, b"a/", n).unwrap();
        let mut all = Vec::new();
        for r in &ranges {
            for item in r.iter(db, b"a/") {
                all.push(String::from_utf8(item.unwrap().0.to_vec()).unwrap());
            }
        }
        (ranges.len(), all)
    }

    #[test]
    fn ranges_cover_every_key_once_in_order() {
        for keys in [
            (0..1000)
                .map(|i| format!("a/syn-{i:07}"))
                .collect::<Vec<_>>(),
            (0..500)
                .map(|i| format!("a/{:x}", i * 7919 % 4096))
                .collect(),
            vec!["a/x".to_string()],
            vec!["a/".to_string(), "a/b".to_string(), "a/bb".to_string()],
            vec![],
        ] {
            let (dir, db) = db_with(&keys);
            let mut want = keys.clone();
            want.sort();
            want.dedup();
            for n in [1, 2, 8] {
                let (_, got) = scanned(&db, n);
                assert_eq!(got, want, "{n} ranges");
            }
            drop(dir);
        }
    }

    #[test]
    fn numbered_ids_split_evenly() {
        let keys: Vec<String> = (0..1000).map(|i| format!("a/syn-{i:07}")).collect();
        let (_dir, db) = db_with(&keys);
        let ranges = split(&db, b"a/", 4).unwrap();
        assert_eq!(ranges.len(), 4);
        for r in &ranges {
            let n = r.iter(&db, b"a/").count();
            assert!((150..=350).contains(&n), "a range of {n} keys");
        }
    }
}
