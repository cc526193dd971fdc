//! The related index as a server holds it: absent (for commands that never answer
//! related queries), building from the store while the server already serves
//! feeds, then ready.
//!
//! A build scans the store while writes go on, and a scan sees some of them and not
//! others. So, while building, every write first marks its article dirty, noting the
//! public version stored before it (read under the writers' order lock, before the
//! write). The build skips dirty articles; one it read before the mark read exactly
//! that noted version, since any write to it would have marked it first. At the
//! finish, under the same lock, each dirty article's noted version is removed if the
//! build indexed it, and its current version is indexed. The caller serialises
//! writes and [`LiveIndex::finish`] with one lock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use super::RelatedIndex;
use crate::article::Article;

/// The index, or the state of its build.
pub struct LiveIndex {
    state: RwLock<State>,
    /// Set when the server stops: a build under way gives up.
    cancelled: AtomicBool,
}

enum State {
    Absent,
    /// Dirty articles, each with the public version stored before its first write
    /// since the build began.
    Building(HashMap<String, Option<Article>>),
    Ready(Arc<RelatedIndex>),
}

impl LiveIndex {
    /// No index, and none coming.
    pub fn absent() -> Self {
        LiveIndex {
            state: RwLock::new(State::Absent),
            cancelled: AtomicBool::new(false),
        }
    }

    /// An index being built.
    pub fn building() -> Self {
        LiveIndex {
            state: RwLock::new(State::Building(HashMap::new())),
            cancelled: AtomicBool::new(false),
        }
    }

    /// An index already built.
    pub fn ready(index: RelatedIndex) -> Self {
        LiveIndex {
            state: RwLock::new(State::Ready(Arc::new(index))),
            cancelled: AtomicBool::new(false),
        }
    }

    /// The index, once ready.
    pub fn get(&self) -> Option<Arc<RelatedIndex>> {
        match &*self.read() {
            State::Ready(index) => Some(Arc::clone(index)),
            _ => None,
        }
    }

    /// Whether a build is under way.
    pub fn is_building(&self) -> bool {
        matches!(&*self.read(), State::Building(_))
    }

    /// Calls off a build under way (the server is stopping).
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// Whether the build was called off.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// Whether the build must leave article `id` to the finish.
    pub fn is_dirty(&self, id: &str) -> bool {
        match &*self.read() {
            State::Building(dirty) => dirty.contains_key(id),
            _ => false,
        }
    }

    /// Called before a write to article `id`, whose stored public version `current`
    /// gives (called only while building): marks it dirty.
    pub fn before_write(&self, id: &str, current: impl FnOnce() -> Option<Article>) {
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        if let State::Building(dirty) = &mut *state
            && !dirty.contains_key(id)
        {
            dirty.insert(id.to_string(), current());
        }
    }

    /// Ends the build with `index`: for each dirty article, drops the version the
    /// build may have indexed and indexes what `current` says is public now.
    pub fn finish(&self, index: RelatedIndex, current: impl Fn(&str) -> Option<Article>) {
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        let dirty = match std::mem::replace(&mut *state, State::Absent) {
            State::Building(dirty) => dirty,
            other => {
                *state = other;
                return;
            }
        };
        for (id, noted) in dirty {
            if let Some(old) = noted.filter(|_| index.contains(&id)) {
                index.remove(&old);
            }
            if let Some(now) = current(&id) {
                index.upsert(&now, None);
            }
        }
        *state = State::Ready(Arc::new(index));
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::ArticleText;
    use crate::related::IndexBuilder;

    fn article(id: &str, title: &str) -> Article {
        let at = chrono::DateTime::parse_from_rfc3339("2024-12-06T09:00:00+07:00").unwrap();
        Article {
            id: id.into(),
            url: format!("https://e.vn/{id}"),
            title: title.into(),
            summary: String::new(),
            content_html: String::new(),
            category: "thoi-su".into(),
            tags: vec![],
            authors: vec![],
            published: at,
            updated: at,
            images: vec![],
            language: "vi".into(),
        }
    }

    /// A build that read an article before it was rewritten, one that skipped a
    /// rewritten one, and one created during the build all end with the current
    /// versions only.
    #[test]
    fn writes_during_a_build_end_up_in_the_index_as_they_are_now() {
        let live = LiveIndex::building();
        let old_storm = article("storm", "Bão số 3 gây sạt lở ở Bát Xát");
        let bridge = article("bridge", "Cầu mới qua sông Hồng sắp khánh thành");
        let builder = IndexBuilder::default();
        let texts: Vec<ArticleText> = [&old_storm, &bridge].into_iter().map(Into::into).collect();
        builder.count(&texts);
        // The build reads both before any write...
        builder.add(&texts, |id| live.is_dirty(id));
        // ...then "storm" is rewritten (to be about something else) and "new" made.
        live.before_write("storm", || Some(old_storm.clone()));
        live.before_write("new", || None);
        let new_storm = article("storm", "Khánh thành cầu mới qua sông Hồng");
        let fresh = article("new", "Bão số 3 gây sạt lở ở Bát Xát, tin mới");
        let current = |id: &str| match id {
            "storm" => Some(new_storm.clone()),
            "new" => Some(fresh.clone()),
            _ => None,
        };
        live.finish(builder.finish(), current);
        let index = live.get().expect("ready");
        assert_eq!(index.len(), 3);
        // The rewritten article is found by its new words, not its old ones.
        let hits = index.related(&bridge, 5, None, &[]);
        assert_eq!(
            hits.first().map(|h| h.id.as_str()),
            Some("storm"),
            "{hits:?}"
        );
        let hits = index.related(&fresh, 5, None, &[]);
        assert!(
            !hits.iter().any(|h| h.id == "storm"),
            "old words kept: {hits:?}"
        );
        assert!(!live.is_building());
    }
}
