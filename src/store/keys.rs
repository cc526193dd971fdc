//! Key layout of the one sled tree. Private to the store.
//!
//! ```text
//! meta/schema                       u32 BE: schema version
//! meta/related-counts               related index term counts, saved at shutdown
//! a/{id}                            article JSON
//! x/{scope}\0{time:8}{id}           empty: index of a scope, ordered by published time
//! k/{slug}                          category JSON, for categories set at run time
//! ```
//! Times are UTC microseconds with the sign bit flipped, big-endian, so that byte
//! order is time order and a reverse scan yields the newest first.

use crate::scope::Scope;

/// Each key, or the prefix of each kind of key, in the layout above.
pub const SCHEMA: &[u8] = b"meta/schema";
pub const RELATED_COUNTS: &[u8] = b"meta/related-counts";
pub const ARTICLE_PREFIX: &[u8] = b"a/";
pub const INDEX_PREFIX: &[u8] = b"x/";
pub const CATEGORY_PREFIX: &[u8] = b"k/";

/// The key of article `id`.
pub fn article(id: &str) -> Vec<u8> {
    [ARTICLE_PREFIX, id.as_bytes()].concat()
}

/// The key of run-time section `slug`.
pub fn category(slug: &str) -> Vec<u8> {
    [CATEGORY_PREFIX, slug.as_bytes()].concat()
}

/// A scope as it is spelt in index keys.
pub fn scope_name(scope: &Scope) -> String {
    match scope {
        Scope::All => "all".into(),
        Scope::Category(slug) => format!("c:{slug}"),
        Scope::Tag(tag) => format!("t:{tag}"),
    }
}

/// The prefix shared by every index entry of a scope.
pub fn index_prefix(scope: &Scope) -> Vec<u8> {
    let mut k = INDEX_PREFIX.to_vec();
    k.extend_from_slice(scope_name(scope).as_bytes());
    k.push(0);
    k
}

/// The first key after every index entry of a scope.
pub fn index_end(scope: &Scope) -> Vec<u8> {
    let mut k = index_prefix(scope);
    *k.last_mut().expect("prefix is never empty") = 1;
    k
}

/// The index entry of article `id`, published at `micros`, in `scope`.
pub fn index_entry(scope: &Scope, micros: i64, id: &str) -> Vec<u8> {
    let mut k = index_prefix(scope);
    k.extend_from_slice(&encode_time(micros));
    k.extend_from_slice(id.as_bytes());
    k
}

/// Splits an index key back into (time, id).
pub fn decode_entry(prefix_len: usize, key: &[u8]) -> Option<(i64, String)> {
    let rest = key.get(prefix_len..)?;
    let (time, id) = rest.split_at_checked(8)?;
    let time = i64::from_be_bytes(time.try_into().ok()?) ^ i64::MIN;
    Some((time, String::from_utf8(id.to_vec()).ok()?))
}

fn encode_time(micros: i64) -> [u8; 8] {
    (micros ^ i64::MIN).to_be_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_keys_sort_by_time_including_before_1970() {
        let s = Scope::All;
        let keys: Vec<_> = [-5_000_000i64, -1, 0, 1, 1_700_000_000_000_000]
            .iter()
            .map(|&t| index_entry(&s, t, "x"))
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        let p = index_prefix(&s).len();
        assert_eq!(decode_entry(p, &keys[0]), Some((-5_000_000, "x".into())));
    }
}
