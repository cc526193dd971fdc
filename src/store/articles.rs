//! Articles and their indexes: lookups, and atomic put and delete, which decide
//! what is public (published, scheduled, retracted) and log what readers see change.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::write::Write;
use super::{Store, StoreError, keys, sled_err};
use crate::article::Article;
use crate::history::ChangeKind;
use crate::scope::Scope;

impl Store {
    /// Looks an article up by id.
    pub fn get(&self, id: &str) -> Result<Option<Article>, StoreError> {
        self.get_as(id)
    }

    /// Looks an article up by id, decoding only the fields `T` has: a teaser skips
    /// the body without allocating it.
    pub fn get_as<T: DeserializeOwned>(&self, id: &str) -> Result<Option<T>, StoreError> {
        let raw = self
            .db
            .get(keys::article(id))
            .map_err(sled_err(format!("load article {id}")))?;
        raw.map(|v| decode(id, &v)).transpose()
    }

    /// The scheduled (not yet public) article `id`, if there is one.
    pub fn get_scheduled(&self, id: &str) -> Result<Option<Article>, StoreError> {
        let raw = self
            .db
            .get(keys::scheduled(id))
            .map_err(sled_err(format!("load scheduled article {id}")))?;
        raw.map(|v| decode(id, &v)).transpose()
    }

    /// Creates or replaces an article as of now; see [`Store::put_many_at`].
    pub fn put(&self, article: &Article) -> Result<Stored, StoreError> {
        let mut stored = self.put_many_at(std::slice::from_ref(article), Utc::now())?;
        Ok(stored.pop().expect("one outcome per article"))
    }

    /// Creates or replaces articles as of now; see [`Store::put_many_at`].
    pub fn put_many(&self, articles: &[Article]) -> Result<Vec<Stored>, StoreError> {
        self.put_many_at(articles, Utc::now())
    }

    /// Creates or replaces articles, in one atomic batch with their index entries and
    /// change log entries. An article published later than `now` is scheduled: kept
    /// out of every feed and listing until its time. A replace identical to what is
    /// stored writes nothing. Returns what each did (an earlier one in `articles`
    /// counts). Not durable until [`Store::flush`].
    ///
    /// One batch instead of one per article: sled writes and syncs each batch on its
    /// own, two system calls that made import cost two disk writes per article.
    pub fn put_many_at(
        &self,
        articles: &[Article],
        now: DateTime<Utc>,
    ) -> Result<Vec<Stored>, StoreError> {
        let _guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        self.ensure_writable()?;
        let mut write = Write::new(self, now);
        let mut pending: HashMap<&str, Version> = HashMap::new();
        let mut outcomes = Vec::with_capacity(articles.len());
        for new in articles {
            let old = match pending.get(new.id.as_str()) {
                Some(earlier) => earlier.clone(),
                None => self.version(&new.id)?,
            };
            let public = new.published.with_timezone(&Utc) <= now;
            outcomes.push(self.replace(&mut write, &old, new, public)?);
            let version = if public {
                Version::Public(new.clone())
            } else {
                Version::Scheduled(new.clone())
            };
            pending.insert(&new.id, version);
        }
        let action = match articles {
            [one] => format!("store article {}", one.id),
            many => format!("store {} articles", many.len()),
        };
        write.commit(&action)?;
        Ok(outcomes)
    }

    /// Adds to `write` what replacing `old` with `new` takes.
    fn replace(
        &self,
        write: &mut Write<'_>,
        old: &Version,
        new: &Article,
        public: bool,
    ) -> Result<Stored, StoreError> {
        let mut stored = Stored {
            was_public: None,
            existed: !matches!(old, Version::None),
            public,
            changed: true,
        };
        match (old, public) {
            (Version::Public(o), true) if o == new => stored.changed = false,
            (Version::Scheduled(o), false) if o == new => stored.changed = false,
            (Version::Public(o), true) => {
                let mut scopes = write.unindex(o, false);
                write.index(new);
                scopes.extend(Scope::of(new));
                write.log(ChangeKind::Update, new, scopes);
                stored.was_public = Some(o.clone());
            }
            (Version::Public(o), false) => {
                // Moved behind an embargo: it leaves every feed until its new time.
                let scopes = write.unindex(o, true);
                write.count(-1);
                write.bury(o, None);
                write.log(ChangeKind::Retract, o, scopes);
                write.schedule(new);
                stored.was_public = Some(o.clone());
            }
            (Version::Scheduled(o), false) => {
                write.unschedule(o);
                write.schedule(new);
            }
            (Version::Scheduled(_) | Version::None, true) => {
                if let Version::Scheduled(o) = old {
                    write.unschedule(o);
                }
                self.publish(write, new)?;
            }
            (Version::None, false) => write.schedule(new),
        }
        Ok(stored)
    }

    /// Adds to `write` that `a` becomes public: indexed, counted, its tombstone (if
    /// it had been retracted) removed, and a `publish` logged.
    pub(super) fn publish(&self, write: &mut Write<'_>, a: &Article) -> Result<(), StoreError> {
        if self.is_buried(&a.id)
            && let Some(tombstone) = self.tombstone(&a.id)?
        {
            write.unbury(&tombstone);
        }
        write.index(a);
        write.count(1);
        write.log(ChangeKind::Publish, a, Scope::of(a).into_iter().collect());
        Ok(())
    }

    /// Deletes article `id` as of `now`. A public article is retracted: it leaves
    /// every feed, leaves a tombstone with `reason`, and a `retract` is logged. A
    /// scheduled one is cancelled, which no reader ever learns of.
    pub fn delete_at(
        &self,
        id: &str,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Deleted, StoreError> {
        let _guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        self.ensure_writable()?;
        let mut write = Write::new(self, now);
        let deleted = match self.version(id)? {
            Version::None => return Ok(Deleted::Unknown),
            Version::Public(old) => {
                let scopes = write.unindex(&old, true);
                write.count(-1);
                write.bury(&old, reason);
                write.log(ChangeKind::Retract, &old, scopes);
                Deleted::Retracted(old)
            }
            Version::Scheduled(old) => {
                write.unschedule(&old);
                Deleted::Cancelled(old)
            }
        };
        write.commit(&format!("delete article {id}"))?;
        Ok(deleted)
    }

    /// Whether article `id` is in the schedule (from memory).
    fn is_scheduled(&self, id: &str) -> bool {
        let ids = self.few_ids.read().unwrap_or_else(|e| e.into_inner());
        ids.scheduled.contains(id)
    }

    /// Whether article `id` has a tombstone (from memory).
    fn is_buried(&self, id: &str) -> bool {
        let ids = self.few_ids.read().unwrap_or_else(|e| e.into_inner());
        ids.buried.contains(id)
    }

    /// Deletes article `id` as of now, without a reason; see [`Store::delete_at`].
    pub fn delete(&self, id: &str) -> Result<Deleted, StoreError> {
        self.delete_at(id, None, Utc::now())
    }

    /// The stored version of `id`: public, scheduled or none.
    fn version(&self, id: &str) -> Result<Version, StoreError> {
        if let Some(a) = self.get(id)? {
            return Ok(Version::Public(a));
        }
        if !self.is_scheduled(id) {
            return Ok(Version::None);
        }
        Ok(match self.get_scheduled(id)? {
            Some(a) => Version::Scheduled(a),
            None => Version::None,
        })
    }
}

/// What is stored under one id.
#[derive(Clone)]
enum Version {
    None,
    Public(Article),
    Scheduled(Article),
}

/// What storing one article did.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// The public version it replaced (which the related index drops), if any.
    pub was_public: Option<Article>,
    /// Whether a version (public or scheduled) existed before.
    pub existed: bool,
    /// Whether the new version is public now; otherwise it waits for its time.
    pub public: bool,
    /// False when it was identical to the stored version: nothing was written.
    pub changed: bool,
}

/// What a delete did.
#[derive(Debug, Clone, PartialEq)]
pub enum Deleted {
    /// There was no such article.
    Unknown,
    /// The public article, now retracted.
    Retracted(Article),
    /// The scheduled article, now cancelled.
    Cancelled(Article),
}

/// Decodes a stored article as `T`, which may borrow from `bytes`.
pub(super) fn decode<'a, T: Deserialize<'a>>(id: &str, bytes: &'a [u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        what: format!("article {id}"),
        reason: e.to_string(),
    })
}
