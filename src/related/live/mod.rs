//! The related index as a server holds it: absent (for commands that never answer
//! related queries), building from the store while the server already serves
//! feeds, then ready; rebuilt while it serves once it has doubled.
//!
//! Why rebuild: an article indexed as it arrives chooses its terms with the term
//! frequencies of that moment, and in a young index those say little (a cold import
//! into an empty server measured 0.9784 nP@5 on Vietnamese against 0.9870 after a
//! restart). A build counts every term first. Rebuilding each time the index has
//! doubled since its last build, while it is young (see `REBUILD_UNDER`), keeps every
//! article's terms chosen with at least half the counts of the moment, for about one
//! more build's work in all.
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
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::Duration;

use super::RelatedIndex;
use crate::article::Article;

/// The index, or the state of its build.
pub struct LiveIndex {
    state: RwLock<State>,
    /// Set when the server stops: a build under way gives up.
    cancelled: AtomicBool,
    /// Articles the last finished build indexed itself (not those its finish
    /// indexed one by one): what the next rebuild waits to see doubled.
    built_with: AtomicUsize,
    /// Where the related-lists worker waits; [`LiveIndex::cancel`] wakes it.
    idle: (Mutex<()>, Condvar),
}

/// A rebuild starts once the index holds this many times what its last build indexed...
const REBUILD_GROWTH: usize = 2;
/// ...counting at least this many for the last build, so that tiny indexes, whose
/// builds cost nothing but whose answers hardly matter, are not rebuilt at every write...
const REBUILD_FROM: usize = 32;
/// ...and only while the index holds fewer than this. By then the counts say what a
/// term's share of the news is about as well as they ever will, while a rebuild holds
/// two indexes at once: rebuilding at 80,000 took an import of 100,000 through the API
/// to a peak of 296 to 314 MB, against 239 MB without rebuilds. Every start rebuilds
/// in any case.
const REBUILD_UNDER: usize = 50_000;

/// Whether an index of `len` articles whose last build indexed `built` is rebuilt.
fn rebuild_due(built: usize, len: usize) -> bool {
    len < REBUILD_UNDER && len >= REBUILD_GROWTH * built.max(REBUILD_FROM)
}

enum State {
    Absent,
    Building {
        /// The index that answers meanwhile and that writes keep in step: none
        /// while the first build runs.
        current: Option<Arc<RelatedIndex>>,
        /// Dirty articles, each with the public version stored before its first
        /// write since the build began.
        dirty: HashMap<String, Option<Article>>,
    },
    Ready(Arc<RelatedIndex>),
}

impl LiveIndex {
    /// No index, and none coming.
    pub fn absent() -> Self {
        Self::with(State::Absent, 0)
    }

    /// An index being built.
    pub fn building() -> Self {
        Self::with(
            State::Building {
                current: None,
                dirty: HashMap::new(),
            },
            0,
        )
    }

    /// An index already built.
    pub fn ready(index: RelatedIndex) -> Self {
        let len = index.len();
        Self::with(State::Ready(Arc::new(index)), len)
    }

    fn with(state: State, built_with: usize) -> Self {
        LiveIndex {
            state: RwLock::new(state),
            cancelled: AtomicBool::new(false),
            built_with: AtomicUsize::new(built_with),
            idle: (Mutex::new(()), Condvar::new()),
        }
    }

    /// The index that answers: once the first build is done, also while a rebuild runs.
    pub fn get(&self) -> Option<Arc<RelatedIndex>> {
        match &*self.read() {
            State::Ready(index)
            | State::Building {
                current: Some(index),
                ..
            } => Some(Arc::clone(index)),
            _ => None,
        }
    }

    /// Whether a build (the first or a rebuild) is under way.
    pub fn is_building(&self) -> bool {
        matches!(&*self.read(), State::Building { .. })
    }

    /// Whether the index that answers has grown enough since its last build to be
    /// rebuilt (see the module's doc), and the server is not stopping.
    pub fn has_grown(&self) -> bool {
        let built = self.built_with.load(Ordering::Relaxed);
        !self.is_cancelled()
            && self
                .get()
                .is_some_and(|index| rebuild_due(built, index.len()))
    }

    /// Starts a rebuild if the ready index has grown enough since its last build
    /// (see the module's doc), and returns the index it replaces, whose term counts
    /// the caller takes for the rebuild before it lets go of the writers' order lock
    /// (it is called after a write, under that lock). From here every write marks
    /// its article dirty, so the counts are exactly those of the articles not dirty,
    /// as they were noted, which is what [`LiveIndex::finish`] relies on.
    pub fn begin_rebuild_if_grown(&self) -> Option<Arc<RelatedIndex>> {
        if !self.has_grown() {
            return None;
        }
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        let State::Ready(index) = &*state else {
            return None;
        };
        let index = Arc::clone(index);
        *state = State::Building {
            current: Some(Arc::clone(&index)),
            dirty: HashMap::new(),
        };
        Some(index)
    }

    /// Calls off a build under way (the server is stopping).
    pub fn cancel(&self) {
        let _idle = self.idle.0.lock().unwrap_or_else(|e| e.into_inner());
        self.cancelled.store(true, Ordering::Relaxed);
        self.idle.1.notify_all();
    }

    /// Waits up to `timeout`, or until cancelled: the related-lists worker's rest
    /// when no list waits.
    pub fn wait_for_lists(&self, timeout: Duration) {
        let idle = self.idle.0.lock().unwrap_or_else(|e| e.into_inner());
        if !self.is_cancelled() {
            let _ = self.idle.1.wait_timeout(idle, timeout);
        }
    }

    /// Whether the build was called off.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// Gives up a rebuild that failed: the index it replaced answers on, and writes
    /// stop marking articles dirty. (A first build that failed leaves no index.)
    pub fn abandon(&self) {
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        if let State::Building {
            current: Some(index),
            ..
        } = &*state
        {
            *state = State::Ready(Arc::clone(index));
        }
    }

    /// Whether the build must leave article `id` to the finish.
    pub fn is_dirty(&self, id: &str) -> bool {
        match &*self.read() {
            State::Building { dirty, .. } => dirty.contains_key(id),
            _ => false,
        }
    }

    /// Called before a write to article `id`, whose stored public version `current`
    /// gives (called only while building): marks it dirty.
    pub fn before_write(&self, id: &str, current: impl FnOnce() -> Option<Article>) {
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        if let State::Building { dirty, .. } = &mut *state
            && !dirty.contains_key(id)
        {
            dirty.insert(id.to_string(), current());
        }
    }

    /// Ends the build with `index`: for each dirty article, drops the version the
    /// build may have indexed and indexes what `current` says is public now.
    ///
    /// A rebuild's counts were taken when it began, so they include every dirty
    /// article's noted version, indexed or not, and both lose it here. A first build
    /// counts as it scans, and whether it counted a dirty article is not known;
    /// only the versions it indexed are taken out.
    pub fn finish(&self, index: RelatedIndex, current: impl Fn(&str) -> Option<Article>) {
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        let (dirty, rebuild) = match std::mem::replace(&mut *state, State::Absent) {
            State::Building { dirty, current } => (dirty, current.is_some()),
            other => {
                *state = other;
                return;
            }
        };
        // What the build itself indexed: articles indexed one by one below chose
        // their terms with the counts of their moment, and count as not built.
        self.built_with.store(index.len(), Ordering::Relaxed);
        for (id, noted) in dirty {
            match noted {
                Some(old) if index.contains(&id) => index.remove(&old),
                Some(old) if rebuild => index.forget_counts(&old),
                _ => {}
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
pub(super) mod tests;
