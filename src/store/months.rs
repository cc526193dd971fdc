//! Public articles by month of publication: how many, and when each month last
//! changed, kept in memory for the archive's sitemaps. Made from the site's time
//! index, whose entries carry each article's `updated` (a few bytes per article),
//! so no article is read; then kept in step by every write.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::sync::atomic::Ordering;

use chrono::{DateTime, Datelike, TimeZone, Utc};

use super::{Store, StoreError, keys, sled_err};
use crate::scope::Scope;

/// A month of publication, as (year, month from 1).
pub type Month = (i32, u32);

/// One month's public articles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthSummary {
    pub articles: u64,
    /// When the month's sitemap last changed: the newest `updated` of its articles,
    /// or a later removal.
    pub lastmod: DateTime<Utc>,
}

/// The month `t` falls in.
pub fn month_of(t: DateTime<Utc>) -> Month {
    (t.year(), t.month())
}

/// The first instant of `month`, and of the month after, in microseconds.
pub fn month_bounds((year, month): Month) -> Option<(i64, i64)> {
    let start = Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0).single()?;
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let end = Utc.with_ymd_and_hms(ny, nm, 1, 0, 0, 0).single()?;
    Some((start.timestamp_micros(), end.timestamp_micros()))
}

/// Decodes an `updated` kept in a site index entry (none in stores written before).
pub(super) fn decode_updated(value: &[u8]) -> Option<DateTime<Utc>> {
    let micros = i64::from_be_bytes(value.try_into().ok()?);
    DateTime::from_timestamp_micros(micros)
}

impl Store {
    /// Every month with public articles, oldest first; `None` until they are
    /// summarised (see [`Store::summarise`]).
    pub fn months(&self) -> Option<BTreeMap<Month, MonthSummary>> {
        let months = self.months.read().unwrap_or_else(|e| e.into_inner());
        months.clone()
    }

    /// Counts the public articles and summarises their months, from the site's time
    /// index, holding writes back meanwhile so both are exact. Done once; a server
    /// does it in the background at start.
    pub fn summarise(&self) -> Result<(), StoreError> {
        if self
            .months
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
        {
            return Ok(());
        }
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let prefix = keys::index_prefix(&Scope::All);
        // In parallel, by ranges of time: at 1,000,000 articles one thread took
        // seconds, all of it loading sled's pages.
        let ranges = super::ranges::split(&self.db, &prefix, crate::par::workers())?;
        let parts = std::thread::scope(|s| {
            let handles: Vec<_> = ranges
                .iter()
                .map(|r| s.spawn(|| summarise_range(&self.db, &prefix, r)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a summary thread panicked"))
                .collect::<Result<Vec<_>, _>>()
        })?;
        let mut months: BTreeMap<Month, MonthSummary> = BTreeMap::new();
        let mut n = 0u64;
        for part in parts {
            for (month, s) in part {
                n += s.articles;
                match months.entry(month) {
                    Entry::Vacant(e) => {
                        e.insert(s);
                    }
                    Entry::Occupied(mut e) => merge(e.get_mut(), s),
                }
            }
        }
        for t in self.all_tombstones().flatten() {
            // A retraction changed its month's sitemap when it happened.
            if let Some(published) = t.published
                && let Some(m) = months.get_mut(&month_of(published))
            {
                m.lastmod = m.lastmod.max(t.when);
            }
        }
        self.count.store(n, Ordering::Relaxed);
        self.counted.store(true, Ordering::Release);
        *self.months.write().unwrap_or_else(|e| e.into_inner()) = Some(months);
        Ok(())
    }

    /// Applies a committed write's changes to the summaries, once they exist:
    /// each (month, articles added or removed, time it changed).
    pub(super) fn note_months(&self, changes: &[(Month, i64, DateTime<Utc>)]) {
        let mut months = self.months.write().unwrap_or_else(|e| e.into_inner());
        let Some(months) = months.as_mut() else {
            return;
        };
        // A replace removes, then adds: empty months go only once all is applied.
        for &(month, delta, at) in changes {
            let m = months.entry(month).or_insert(MonthSummary {
                articles: 0,
                lastmod: at,
            });
            m.articles = m.articles.saturating_add_signed(delta);
            m.lastmod = m.lastmod.max(at);
        }
        for &(month, _, _) in changes {
            if months.get(&month).is_some_and(|m| m.articles == 0) {
                months.remove(&month);
            }
        }
    }

    /// Up to `limit` public articles published in `month`, newest first, from the
    /// `offset`th, read but not decoded.
    pub fn month_records(
        &self,
        month: Month,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<super::Record>, StoreError> {
        let Some((start, end)) = month_bounds(month) else {
            return Ok(Vec::new());
        };
        let scope = Scope::All;
        let range = keys::index_entry(&scope, start, "")..keys::index_entry(&scope, end, "");
        self.records(&scope, self.db.range(range).rev(), offset, limit)
    }
}

/// The months of one range of the site's index.
fn summarise_range(
    db: &sled::Db,
    prefix: &[u8],
    range: &super::ranges::KeyRange,
) -> Result<BTreeMap<Month, MonthSummary>, StoreError> {
    let mut months: BTreeMap<Month, MonthSummary> = BTreeMap::new();
    for item in range.iter(db, prefix) {
        let (k, v) = item.map_err(sled_err("summarise the site's index"))?;
        let Some((micros, _)) = keys::decode_entry(prefix.len(), &k) else {
            continue;
        };
        let Some(published) = DateTime::from_timestamp_micros(micros) else {
            continue;
        };
        let updated = decode_updated(&v).unwrap_or(published);
        merge(
            months.entry(month_of(published)).or_insert(MonthSummary {
                articles: 0,
                lastmod: updated,
            }),
            MonthSummary {
                articles: 1,
                lastmod: updated,
            },
        );
    }
    Ok(months)
}

fn merge(into: &mut MonthSummary, more: MonthSummary) {
    into.articles += more.articles;
    into.lastmod = into.lastmod.max(more.lastmod);
}
