//! One atomic write being assembled: article records, their index entries, the
//! schedule, tombstones and the change log entries that describe it, applied as one
//! sled batch. The log entries ride in the same batch as the change (the
//! transactional outbox), so there is never a change without its entry, nor an
//! entry without its change.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};

use super::months::{Month, month_of};
use super::{Store, StoreError, keys, sled_err};
use crate::article::Article;
use crate::history::{Change, ChangeKind, Tombstone};
use crate::scope::Scope;

/// A batch in the making; [`Write::commit`] applies it. The caller holds the
/// store's writer lock throughout.
pub(super) struct Write<'s> {
    store: &'s Store,
    batch: sled::Batch,
    /// Scopes whose feeds change, for their stamps.
    touched: BTreeSet<Scope>,
    /// Public articles added (positive) or removed.
    count_change: i64,
    changes: Vec<Change>,
    now: DateTime<Utc>,
    empty: bool,
    /// Changes to the in-memory sets of scheduled and tombstoned ids, in order,
    /// applied once the batch is: (scheduled rather than tombstoned, added, id).
    ids: Vec<(bool, bool, String)>,
    /// Changes to the month summaries, applied once the batch is.
    months: Vec<(Month, i64, DateTime<Utc>)>,
}

impl<'s> Write<'s> {
    /// An empty write made at `now`.
    pub(super) fn new(store: &'s Store, now: DateTime<Utc>) -> Self {
        Write {
            store,
            batch: sled::Batch::default(),
            touched: BTreeSet::new(),
            count_change: 0,
            changes: Vec::new(),
            now,
            empty: true,
            ids: Vec::new(),
            months: Vec::new(),
        }
    }

    /// Stores `a` as public, with its index entries (the site's carries its
    /// `updated`, for the archive's sitemaps).
    pub(super) fn index(&mut self, a: &Article) {
        let micros = a.published.timestamp_micros();
        let updated = a.updated.with_timezone(&Utc);
        for scope in Scope::of(a) {
            let value = match scope {
                Scope::All => updated.timestamp_micros().to_be_bytes().to_vec(),
                _ => Vec::new(),
            };
            self.batch
                .insert(keys::index_entry(&scope, micros, &a.id), value);
            self.touched.insert(scope);
        }
        self.months
            .push((month_of(a.published.with_timezone(&Utc)), 1, updated));
        let json = serde_json::to_vec(a).expect("an Article always serialises");
        self.batch.insert(keys::article(&a.id), json);
        self.empty = false;
    }

    /// Removes public article `old`'s index entries (and, unless it is about to be
    /// overwritten, its record); returns the scopes it was in.
    pub(super) fn unindex(&mut self, old: &Article, remove_record: bool) -> BTreeSet<Scope> {
        let micros = old.published.timestamp_micros();
        self.months
            .push((month_of(old.published.with_timezone(&Utc)), -1, self.now));
        let scopes: BTreeSet<Scope> = Scope::of(old).into_iter().collect();
        for scope in &scopes {
            self.batch.remove(keys::index_entry(scope, micros, &old.id));
        }
        if remove_record {
            self.batch.remove(keys::article(&old.id));
        }
        self.touched.extend(scopes.iter().cloned());
        self.empty = false;
        scopes
    }

    /// Counts a public article more or fewer.
    pub(super) fn count(&mut self, change: i64) {
        self.count_change += change;
    }

    /// Stores `a` behind its embargo, in the schedule.
    pub(super) fn schedule(&mut self, a: &Article) {
        let json = serde_json::to_vec(a).expect("an Article always serialises");
        self.batch.insert(keys::scheduled(&a.id), json);
        self.batch
            .insert(keys::queued(a.published.timestamp_micros(), &a.id), &[][..]);
        self.ids.push((true, true, a.id.clone()));
        self.empty = false;
    }

    /// Takes scheduled article `old` out of the schedule.
    pub(super) fn unschedule(&mut self, old: &Article) {
        self.batch.remove(keys::scheduled(&old.id));
        self.batch
            .remove(keys::queued(old.published.timestamp_micros(), &old.id));
        self.ids.push((true, false, old.id.clone()));
        self.empty = false;
    }

    /// Leaves a tombstone for `old`, retracted now, in every scope it was in.
    pub(super) fn bury(&mut self, old: &Article, reason: Option<String>) {
        let tombstone = Tombstone {
            id: old.id.clone(),
            url: old.url.clone(),
            published: Some(old.published.with_timezone(&Utc)),
            when: self.now,
            reason,
            scopes: Scope::of(old).iter().map(Scope::key).collect(),
        };
        self.rebury(&tombstone);
    }

    /// Stores `tombstone` and its entries in the scopes it names.
    pub(super) fn rebury(&mut self, tombstone: &Tombstone) {
        let micros = tombstone.when.timestamp_micros();
        for scope in tombstone.scopes.iter().filter_map(|k| Scope::from_key(k)) {
            self.batch
                .insert(keys::buried(&scope, micros, &tombstone.id), &[][..]);
            self.touched.insert(scope);
        }
        let json = serde_json::to_vec(tombstone).expect("a Tombstone always serialises");
        self.batch.insert(keys::tombstone(&tombstone.id), json);
        self.ids.push((false, true, tombstone.id.clone()));
        self.empty = false;
    }

    /// Removes `tombstone` (its article is back, or its time is over).
    pub(super) fn unbury(&mut self, tombstone: &Tombstone) {
        let micros = tombstone.when.timestamp_micros();
        for scope in tombstone.scopes.iter().filter_map(|k| Scope::from_key(k)) {
            self.batch
                .remove(keys::buried(&scope, micros, &tombstone.id));
            self.touched.insert(scope);
        }
        self.batch.remove(keys::tombstone(&tombstone.id));
        self.ids.push((false, false, tombstone.id.clone()));
        self.empty = false;
    }

    /// Logs that `a` changed as `kind` in `scopes`.
    pub(super) fn log(&mut self, kind: ChangeKind, a: &Article, scopes: BTreeSet<Scope>) {
        self.changes.push(Change {
            seq: 0, // numbered at commit, in order
            at: self.now,
            kind,
            id: a.id.clone(),
            url: a.url.clone(),
            scopes: scopes.iter().map(Scope::key).collect(),
        });
    }

    /// Removes change log entry `seq` (retention).
    pub(super) fn forget(&mut self, seq: u64) {
        self.batch.remove(keys::log(seq));
        self.empty = false;
    }

    /// Applies everything at once, numbering the log entries after the last one;
    /// then moves the touched scopes' stamps and wakes the log's readers. Returns the
    /// entries logged. A write with nothing in it applies nothing.
    pub(super) fn commit(mut self, action: &str) -> Result<Vec<Change>, StoreError> {
        if self.empty && self.changes.is_empty() {
            return Ok(Vec::new());
        }
        let store = self.store;
        let head = store.log_head.load(Ordering::Acquire);
        for (i, change) in self.changes.iter_mut().enumerate() {
            change.seq = head + 1 + i as u64;
            let json = serde_json::to_vec(change).expect("a Change always serialises");
            self.batch.insert(keys::log(change.seq), json);
        }
        let count = store
            .article_count()
            .saturating_add_signed(self.count_change);
        let dropped_counts = store.drop_saved_counts(&mut self.batch);
        let applied = store.db.apply_batch(self.batch).map_err(sled_err(action));
        if applied.is_err() {
            store.batch_failed(dropped_counts);
        }
        store.note_failure(applied)?;
        store.count.store(count, Ordering::Relaxed);
        store.note_months(&self.months);
        if !self.ids.is_empty() {
            let mut ids = store.few_ids.write().unwrap_or_else(|e| e.into_inner());
            for (scheduled, added, id) in self.ids {
                let set = if scheduled {
                    &mut ids.scheduled
                } else {
                    &mut ids.buried
                };
                if added {
                    set.insert(id);
                } else {
                    set.remove(&id);
                }
            }
        }
        let stamp = store.seq.fetch_add(1, Ordering::Relaxed) + 1;
        {
            let mut stamps = store.stamps.write().unwrap_or_else(|e| e.into_inner());
            for scope in self.touched {
                stamps.insert(scope, stamp);
            }
        }
        if let Some(last) = self.changes.last() {
            store.log_head.store(last.seq, Ordering::Release);
            store.log_watch.send_replace(last.seq);
        }
        Ok(self.changes)
    }
}
