//! Feed deltas (RFC 3229 with `A-IM: feed`): the entries of a first page added or
//! changed since a version the client names by its ETag, and (in Atom) the
//! retractions since, read from the change log.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{FeedCache, Rendered};
use crate::feed::{DeletedEntry, Format, ItemView, render};
use crate::history::ChangeKind;
use crate::scope::Scope;
use crate::store::{Since, StoreError};

/// Log entries one delta reads at most: further back, the whole page is cheaper.
const MAX_SCAN: usize = 10_000;

impl FeedCache {
    /// The delta of `current` (page 1 of `scope` in `format`) from the version that
    /// named log position `since`, or `None` when the whole page should go instead:
    /// the position is unknown, too old for the log, or the delta would not be
    /// smaller than the page. Blocking.
    pub fn delta(
        &self,
        scope: &Scope,
        format: Format,
        since: u64,
        current: &Rendered,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(head) = current.log_head() else {
            return Ok(None);
        };
        if since >= head {
            return Ok(None);
        }
        let changes = match self.store.changes(since, MAX_SCAN)? {
            Since::Entries { changes, next } if next >= head => changes,
            _ => return Ok(None),
        };
        let key = scope.key();
        // The last change of each article up to `head` is what counts.
        let mut last: BTreeMap<String, ChangeKind> = BTreeMap::new();
        for c in changes
            .into_iter()
            .filter(|c| c.seq <= head && c.scopes.contains(&key))
        {
            last.insert(c.id, c.kind);
        }
        let mut views: Vec<Arc<ItemView>> = Vec::new();
        let mut deleted = Vec::new();
        for (id, kind) in last {
            match kind {
                ChangeKind::Publish | ChangeKind::Update => {
                    if let Some(record) = self.store.record_in(scope, &id)?
                        && let Some(view) = self
                            .public
                            .shape(&self.view(&record, current.stamp().catalog)?)
                    {
                        views.push(view);
                    }
                }
                ChangeKind::Retract => {
                    if format == Format::Atom
                        && let Some(t) = self.store.tombstone(&id)?
                    {
                        deleted.push(DeletedEntry::of(&self.site, &t));
                    }
                }
            }
        }
        if views.len() + deleted.len() >= current.items.max(1) {
            return Ok(None);
        }
        views.sort_by(|a, b| b.published.cmp(&a.published).then(a.id.cmp(&b.id)));
        deleted.sort_by_key(|d| std::cmp::Reverse(d.when));
        let mut meta = self.meta(&self.public, scope, format, 1, &views);
        meta.deleted = deleted;
        meta.updated = current.last_modified;
        Ok(Some(render(&meta, &views)))
    }
}
