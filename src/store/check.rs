//! Consistency of the indexes with the records, and of the change log with the
//! articles: `herald check` and `herald reindex`.
//!
//! Every write changes an article and its index entries in one atomic batch, so a
//! crash cannot leave them apart; these exist to prove that after the fact, and to
//! repair a store that something outside Herald damaged.

use std::collections::{HashMap, HashSet};

use super::articles::decode;
use super::{Store, StoreError, keys, sled_err};
use crate::article::Article;
use crate::history::{Change, ChangeKind};
use crate::scope::Scope;

/// What a consistency check found. Keys are shown as readable strings.
#[derive(Debug, Default)]
pub struct CheckReport {
    /// Public articles.
    pub articles: u64,
    /// Scheduled articles.
    pub scheduled: u64,
    /// Entries of the time indexes, the schedule and the tombstone indexes.
    pub index_entries: u64,
    /// Change log entries.
    pub log_entries: u64,
    /// Records (articles, tombstones) whose stored JSON does not decode.
    pub undecodable: Vec<String>,
    /// Index entries a record needs but the store lacks.
    pub missing: Vec<Vec<u8>>,
    /// Index entries that no stored record accounts for.
    pub orphaned: Vec<Vec<u8>>,
    /// Disagreements between the change log and the articles, which `reindex`
    /// cannot mend: the log is the history, and the articles are the present.
    pub history: Vec<String>,
}

impl CheckReport {
    /// True when nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.undecodable.is_empty()
            && self.missing.is_empty()
            && self.orphaned.is_empty()
            && self.history.is_empty()
    }

    /// One line per problem, for the command line.
    pub fn problems(&self) -> Vec<String> {
        let show = |k: &[u8]| String::from_utf8_lossy(k).escape_debug().to_string();
        let undecodable = self
            .undecodable
            .iter()
            .map(|what| format!("{what}: JSON does not decode"));
        let missing = self
            .missing
            .iter()
            .map(|k| format!("missing index entry {}", show(k)));
        let orphaned = self
            .orphaned
            .iter()
            .map(|k| format!("orphaned index entry {}", show(k)));
        undecodable
            .chain(missing)
            .chain(orphaned)
            .chain(self.history.iter().cloned())
            .collect()
    }
}

impl Store {
    /// Compares every index entry (time indexes, schedule, tombstones) with the
    /// entries the stored records call for, and the change log with the articles.
    /// Reads the whole store; meant for the offline `herald check`.
    pub fn check(&self) -> Result<CheckReport, StoreError> {
        let mut report = CheckReport::default();
        let mut expected = HashSet::new();
        let mut public = HashSet::new();
        for item in self.db.scan_prefix(keys::ARTICLE_PREFIX) {
            let (k, v) = item.map_err(sled_err("scan articles"))?;
            report.articles += 1;
            let id = String::from_utf8_lossy(&k[keys::ARTICLE_PREFIX.len()..]).into_owned();
            match decode::<Article>(&id, &v) {
                Ok(article) => {
                    let micros = article.published.timestamp_micros();
                    for scope in Scope::of(&article) {
                        expected.insert(keys::index_entry(&scope, micros, &article.id));
                    }
                }
                Err(_) => report.undecodable.push(format!("article {id}")),
            }
            public.insert(id);
        }
        let mut scheduled = HashSet::new();
        for item in self.db.scan_prefix(keys::SCHEDULED_PREFIX) {
            let (k, v) = item.map_err(sled_err("scan scheduled articles"))?;
            report.scheduled += 1;
            let id = String::from_utf8_lossy(&k[keys::SCHEDULED_PREFIX.len()..]).into_owned();
            match decode::<Article>(&id, &v) {
                Ok(a) => {
                    expected.insert(keys::queued(a.published.timestamp_micros(), &id));
                }
                Err(_) => report.undecodable.push(format!("scheduled article {id}")),
            }
            if public.contains(&id) {
                report
                    .history
                    .push(format!("article {id} is both public and scheduled"));
            }
            scheduled.insert(id);
        }
        for t in self.all_tombstones() {
            match t {
                Ok(t) => {
                    let micros = t.when.timestamp_micros();
                    for scope in t.scopes.iter().filter_map(|k| Scope::from_key(k)) {
                        expected.insert(keys::buried(&scope, micros, &t.id));
                    }
                }
                Err(e) => report.undecodable.push(e.to_string()),
            }
        }
        for prefix in [keys::INDEX_PREFIX, keys::QUEUE_PREFIX, keys::BURIED_PREFIX] {
            for key in self.db.scan_prefix(prefix).keys() {
                let key = key.map_err(sled_err("scan indexes"))?;
                report.index_entries += 1;
                if !expected.remove(key.as_ref()) {
                    report.orphaned.push(key.to_vec());
                }
            }
        }
        report.missing = expected.into_iter().collect();
        report.missing.sort();
        self.check_log(&mut report, &public, &scheduled)?;
        Ok(report)
    }

    /// The log numbers its entries without gaps, up to the head this process
    /// knows, and the last entry of each article agrees with whether it is public.
    fn check_log(
        &self,
        report: &mut CheckReport,
        public: &HashSet<String>,
        scheduled: &HashSet<String>,
    ) -> Result<(), StoreError> {
        let mut last: HashMap<String, ChangeKind> = HashMap::new();
        let mut previous: Option<u64> = None;
        for item in self.db.scan_prefix(keys::LOG_PREFIX) {
            let (k, v) = item.map_err(sled_err("read the change log"))?;
            report.log_entries += 1;
            let Ok(change) = serde_json::from_slice::<Change>(&v) else {
                report
                    .undecodable
                    .push(format!("change log entry {:?}", keys::decode_log(&k)));
                continue;
            };
            if previous.is_some_and(|p| change.seq != p + 1)
                || Some(change.seq) != keys::decode_log(&k)
            {
                report
                    .history
                    .push(format!("change log entry {} out of sequence", change.seq));
            }
            previous = Some(change.seq);
            last.insert(change.id, change.kind);
        }
        if previous.unwrap_or(0) != self.log_head() {
            report.history.push(format!(
                "the change log ends at {:?}, the store counts {}",
                previous,
                self.log_head()
            ));
        }
        for (id, kind) in last {
            let is_public = public.contains(&id);
            let agrees = match kind {
                ChangeKind::Publish | ChangeKind::Update => is_public,
                ChangeKind::Retract => !is_public,
            };
            if !agrees {
                report.history.push(format!(
                    "article {id}: the log's last entry is {kind:?}, but it is {}",
                    if is_public {
                        "public"
                    } else if scheduled.contains(&id) {
                        "scheduled"
                    } else {
                        "absent"
                    }
                ));
            }
        }
        Ok(())
    }

    /// Rebuilds the indexes from the articles: adds what is missing and removes what
    /// is orphaned, in one atomic batch, then flushes. Returns the check it repaired.
    /// Undecodable articles are reported, never deleted: that is for a person to decide.
    pub fn reindex(&self) -> Result<CheckReport, StoreError> {
        let _guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let report = self.check()?;
        let mut batch = sled::Batch::default();
        for key in &report.missing {
            batch.insert(key.as_slice(), &[][..]);
        }
        for key in &report.orphaned {
            batch.remove(key.as_slice());
        }
        self.db
            .apply_batch(batch)
            .map_err(sled_err("rewrite indexes"))?;
        self.flush()?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::{sample, store};

    #[test]
    fn a_store_written_through_put_and_delete_is_clean() {
        let (_dir, store) = store();
        for i in 0..5 {
            store.put(&sample(&format!("a{i}"), "kinh-te")).unwrap();
        }
        store.put(&sample("a1", "xa-hoi")).unwrap();
        store.delete("a2").unwrap();
        let report = store.check().unwrap();
        assert!(report.is_clean(), "{:?}", report.problems());
        assert_eq!(report.articles, 4);
        // site, category and one tag per article, and the retracted one's tombstone
        // in each of its three
        assert_eq!(report.index_entries, 4 * 3 + 3);
        assert_eq!(report.log_entries, 7);
    }

    #[test]
    fn one_batch_may_replace_an_article_it_also_creates() {
        let (_dir, store) = store();
        let first = sample("a0", "kinh-te");
        let second = sample("a0", "xa-hoi");
        let replaced = store
            .put_many(&[first.clone(), second, sample("a1", "kinh-te")])
            .unwrap();
        let replaced: Vec<_> = replaced.into_iter().map(|s| s.was_public).collect();
        assert_eq!(replaced, vec![None, Some(first), None]);
        assert_eq!(store.article_count(), 2);
        let report = store.check().unwrap();
        assert!(report.is_clean(), "{:?}", report.problems());
        let in_economy = store
            .list(&Scope::Category("kinh-te".into()), 10, None)
            .unwrap();
        assert_eq!(
            in_economy.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
            ["a1"]
        );
        assert_eq!(store.get("a0").unwrap().unwrap().category, "xa-hoi");
    }

    #[test]
    fn check_finds_damage_and_reindex_repairs_it() {
        let (_dir, store) = store();
        let a = sample("a0", "kinh-te");
        store.put(&a).unwrap();
        let micros = a.published.timestamp_micros();
        let lost = keys::index_entry(&Scope::Category("kinh-te".into()), micros, "a0");
        let stray = keys::index_entry(&Scope::All, micros, "ghost");
        store.db.remove(&lost).unwrap();
        store.db.insert(&stray, &[][..]).unwrap();
        store
            .db
            .insert(keys::article("broken"), &b"{not json"[..])
            .unwrap();

        let report = store.check().unwrap();
        assert_eq!(report.missing, vec![lost.clone()]);
        assert_eq!(report.orphaned, vec![stray.clone()]);
        assert_eq!(report.undecodable, vec!["article broken".to_string()]);
        assert_eq!(report.problems().len(), 3);

        let repaired = store.reindex().unwrap();
        assert_eq!(repaired.missing.len() + repaired.orphaned.len(), 2);
        let after = store.check().unwrap();
        assert!(after.missing.is_empty() && after.orphaned.is_empty());
        assert_eq!(
            after.undecodable,
            vec!["article broken".to_string()],
            "never deleted"
        );
        assert_eq!(
            store
                .list(&Scope::Category("kinh-te".into()), 10, None)
                .unwrap()
                .len(),
            1
        );
    }
}
