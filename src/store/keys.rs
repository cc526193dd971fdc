//! Key layout of the one sled tree. Private to the store.
//!
//! ```text
//! meta/schema                       u32 BE: schema version
//! meta/related-counts               related index term counts, saved at shutdown
//! meta/article-count                u64 BE: public articles, saved at shutdown
//! a/{id}                            public article JSON
//! x/{scope}\0{time:8}{id}           empty: index of a scope, ordered by published time
//! s/{id}                            scheduled article JSON: not public until its time
//! q/{time:8}{id}                    empty: the schedule, by published time
//! t/{id}                            tombstone JSON of a retracted article
//! y/{scope}\0{time:8}{id}           empty: tombstones of a scope, by retraction time
//! l/{seq:8}                         change log entry JSON, by sequence number
//! c/{name}                          u64 BE: a change-log consumer's cursor
//! w/{id}                            WebSub subscription JSON of Herald's hub
//! v/{id}                            empty: a delivery owed to subscription id
//! k/{slug}                          category JSON, for categories set at run time
//! ```
//! Times are UTC microseconds with the sign bit flipped, big-endian, so that byte
//! order is time order and a reverse scan yields the newest first.

use crate::scope::Scope;

/// Each key, or the prefix of each kind of key, in the layout above.
pub const SCHEMA: &[u8] = b"meta/schema";
pub const RELATED_COUNTS: &[u8] = b"meta/related-counts";
pub const ARTICLE_COUNT: &[u8] = b"meta/article-count";
pub const ARTICLE_PREFIX: &[u8] = b"a/";
pub const INDEX_PREFIX: &[u8] = b"x/";
pub const CATEGORY_PREFIX: &[u8] = b"k/";
pub const SCHEDULED_PREFIX: &[u8] = b"s/";
pub const QUEUE_PREFIX: &[u8] = b"q/";
pub const TOMBSTONE_PREFIX: &[u8] = b"t/";
pub const BURIED_PREFIX: &[u8] = b"y/";
pub const LOG_PREFIX: &[u8] = b"l/";
pub const CURSOR_PREFIX: &[u8] = b"c/";
pub const SUBSCRIPTION_PREFIX: &[u8] = b"w/";
pub const OWED_PREFIX: &[u8] = b"v/";

/// The key of subscription `id`.
pub fn subscription(id: &str) -> Vec<u8> {
    [SUBSCRIPTION_PREFIX, id.as_bytes()].concat()
}

/// The key of the delivery owed to subscription `id`.
pub fn owed(id: &str) -> Vec<u8> {
    [OWED_PREFIX, id.as_bytes()].concat()
}

/// The key of scheduled article `id`.
pub fn scheduled(id: &str) -> Vec<u8> {
    [SCHEDULED_PREFIX, id.as_bytes()].concat()
}

/// The schedule entry of article `id`, due at `micros`.
pub fn queued(micros: i64, id: &str) -> Vec<u8> {
    [QUEUE_PREFIX, &encode_time(micros), id.as_bytes()].concat()
}

/// Splits a schedule key back into (time, id).
pub fn decode_queued(key: &[u8]) -> Option<(i64, String)> {
    decode_entry(QUEUE_PREFIX.len(), key)
}

/// The key of the tombstone of article `id`.
pub fn tombstone(id: &str) -> Vec<u8> {
    [TOMBSTONE_PREFIX, id.as_bytes()].concat()
}

/// The prefix of every tombstone entry of a scope.
pub fn buried_prefix(scope: &Scope) -> Vec<u8> {
    let mut k = BURIED_PREFIX.to_vec();
    k.extend_from_slice(scope_name(scope).as_bytes());
    k.push(0);
    k
}

/// The tombstone entry of article `id`, retracted at `micros`, in `scope`.
pub fn buried(scope: &Scope, micros: i64, id: &str) -> Vec<u8> {
    let mut k = buried_prefix(scope);
    k.extend_from_slice(&encode_time(micros));
    k.extend_from_slice(id.as_bytes());
    k
}

/// The key of change log entry `seq`.
pub fn log(seq: u64) -> Vec<u8> {
    [LOG_PREFIX, &seq.to_be_bytes()[..]].concat()
}

/// The sequence number in a change log key.
pub fn decode_log(key: &[u8]) -> Option<u64> {
    let bytes = key.get(LOG_PREFIX.len()..)?;
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

/// The key of consumer `name`'s cursor.
pub fn cursor(name: &str) -> Vec<u8> {
    [CURSOR_PREFIX, name.as_bytes()].concat()
}

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
