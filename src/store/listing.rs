//! Listings: a scope's articles newest first, by cursor or by page.

use std::str::FromStr;

use serde::de::DeserializeOwned;

use super::articles::decode;
use super::{Store, StoreError, keys, sled_err};
use crate::article::Article;
use crate::scope::Scope;

/// A position in a newest-first listing: everything strictly older comes next.
/// Written as `{published UTC microseconds}~{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub micros: i64,
    pub id: String,
}

impl Cursor {
    /// The cursor just after `article`.
    pub fn after(article: &Article) -> Cursor {
        Cursor {
            micros: article.published.timestamp_micros(),
            id: article.id.clone(),
        }
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}~{}", self.micros, self.id)
    }
}

impl FromStr for Cursor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (micros, id) = s
            .split_once('~')
            .ok_or("expected a cursor from a previous page, like 1733450400000000~some-id")?;
        let micros = micros
            .parse()
            .map_err(|_| "the time part is not a number")?;
        if !crate::article::is_valid_id(id) {
            return Err("the id part is not a valid article id".into());
        }
        Ok(Cursor {
            micros,
            id: id.to_string(),
        })
    }
}

/// A stored article, read but not yet decoded. Two records with the same id and
/// digest hold the same stored version, so a caller may reuse what it made from
/// the first instead of decoding the second.
pub struct Record {
    pub id: String,
    raw: sled::IVec,
}

impl Record {
    /// 128 bits of XXH3 of the stored bytes: a few hundred nanoseconds for a long
    /// article, against tens of microseconds to decode it.
    pub fn digest(&self) -> u128 {
        xxhash_rust::xxh3::xxh3_128(&self.raw)
    }

    /// The article.
    pub fn decode(&self) -> Result<Article, StoreError> {
        self.decode_as()
    }

    /// The article, decoding only the fields `T` has.
    pub fn decode_as<T: DeserializeOwned>(&self) -> Result<T, StoreError> {
        decode(&self.id, &self.raw)
    }
}

impl Store {
    /// Up to `limit` articles of `scope`, newest first, strictly older than `before`.
    pub fn list(
        &self,
        scope: &Scope,
        limit: usize,
        before: Option<&Cursor>,
    ) -> Result<Vec<Article>, StoreError> {
        self.list_as(scope, limit, before)
    }

    /// Like [`Store::list`], decoding only the fields `T` has.
    pub fn list_as<T: DeserializeOwned>(
        &self,
        scope: &Scope,
        limit: usize,
        before: Option<&Cursor>,
    ) -> Result<Vec<T>, StoreError> {
        let end = match before {
            Some(c) => keys::index_entry(scope, c.micros, &c.id),
            None => keys::index_end(scope),
        };
        self.collect(
            scope,
            self.db.range(keys::index_prefix(scope)..end).rev(),
            0,
            limit,
        )
    }

    /// Public article `id`, read but not decoded, if it is in `scope`.
    pub fn record_in(&self, scope: &Scope, id: &str) -> Result<Option<Record>, StoreError> {
        let raw = self
            .db
            .get(keys::article(id))
            .map_err(sled_err(format!("load article {id}")))?;
        let Some(raw) = raw else {
            return Ok(None);
        };
        let record = Record {
            id: id.to_string(),
            raw,
        };
        let article = record.decode()?;
        Ok(Scope::of(&article).contains(scope).then_some(record))
    }

    /// Page `offset..offset+limit` of `scope`, newest first, read but not decoded.
    /// Skips keys, not articles.
    pub fn page(
        &self,
        scope: &Scope,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        let range = keys::index_prefix(scope)..keys::index_end(scope);
        self.records(scope, self.db.range(range).rev(), offset, limit)
    }

    fn collect<T: DeserializeOwned>(
        &self,
        scope: &Scope,
        entries: impl Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<T>, StoreError> {
        let records = self.records(scope, entries, offset, limit)?;
        records.iter().map(Record::decode_as).collect()
    }

    /// `scope`'s records newest first, from the `offset`th, each read when the
    /// iterator reaches it. Skips keys, not articles.
    pub fn scope_records<'s>(
        &'s self,
        scope: &'s Scope,
        offset: usize,
    ) -> impl Iterator<Item = Result<Record, StoreError>> + 's {
        let range = keys::index_prefix(scope)..keys::index_end(scope);
        self.records_of(scope, self.db.range(range).rev().skip(offset))
    }

    /// The records the index `entries` point to, from the `offset`th.
    pub(super) fn records(
        &self,
        scope: &Scope,
        entries: impl Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        self.records_of(scope, entries.skip(offset).take(limit))
            .collect()
    }

    fn records_of<'s>(
        &'s self,
        scope: &'s Scope,
        entries: impl Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>> + 's,
    ) -> impl Iterator<Item = Result<Record, StoreError>> + 's {
        let prefix_len = keys::index_prefix(scope).len();
        entries.map(move |entry| {
            let (key, _) = entry.map_err(sled_err(format!("list {scope}")))?;
            let (_, id) =
                keys::decode_entry(prefix_len, &key).ok_or_else(|| StoreError::Corrupt {
                    what: format!("index of {scope}"),
                    reason: "undecodable key".into(),
                })?;
            let raw = self
                .db
                .get(keys::article(&id))
                .map_err(sled_err(format!("load article {id}")))?;
            match raw {
                Some(raw) => Ok(Record { id, raw }),
                None => Err(StoreError::Corrupt {
                    what: format!("index of {scope}"),
                    reason: format!("entry for missing article {id}"),
                }),
            }
        })
    }
}
