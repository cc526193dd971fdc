//! The timer: publishes scheduled articles at their time, and ends tombstones and
//! change log entries when their time is over.
//!
//! A timer, not a polling loop (as mini-redis purges expired keys): the next due
//! time comes from the store's ordered indexes (the schedule by time, tombstones by
//! time, the log in order); the task sleeps until then, or until the write path says
//! the schedule changed. At start it runs at once, so what fell due while Herald was
//! stopped is published then, each with its event.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::ingest::Ingest;
use crate::store::StoreError;

/// How long the timer waits after a failure (a disk refusing writes) before it
/// tries again.
const RETRY: Duration = Duration::from_secs(5);

/// How long tombstones and change log entries are kept.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub tombstone_days: u32,
    pub log_days: u32,
}

/// Runs the timer until the task is dropped.
pub async fn run(ingest: Ingest, retention: Retention) {
    let changed = ingest.schedule_changed();
    loop {
        let ingest = ingest.clone();
        let next = tokio::task::spawn_blocking(move || due_work(&ingest, retention)).await;
        let wait = match next {
            Ok(Ok(Some(at))) => (at - Utc::now()).to_std().unwrap_or(Duration::ZERO),
            Ok(Ok(None)) => Duration::from_secs(24 * 3600),
            Ok(Err(error)) => {
                tracing::error!(%error, "scheduled work failed; trying again shortly");
                RETRY
            }
            Err(error) => {
                tracing::error!(%error, "scheduled work panicked; trying again shortly");
                RETRY
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = changed.notified() => {}
        }
    }
}

/// Does what is due now; returns when something next falls due. Blocking.
fn due_work(ingest: &Ingest, retention: Retention) -> Result<Option<DateTime<Utc>>, StoreError> {
    let now = Utc::now();
    let published = ingest.publish_due(now)?;
    if published > 0 {
        tracing::info!(articles = published, "scheduled articles published");
    }
    let store = ingest.store();
    let tombstone_span = chrono::Duration::days(retention.tombstone_days.into());
    let log_span = chrono::Duration::days(retention.log_days.into());
    let (buried, forgotten) = store.expire(now - tombstone_span, now - log_span)?;
    if buried + forgotten > 0 {
        store.flush()?;
        tracing::info!(
            tombstones = buried,
            log_entries = forgotten,
            "expired history removed"
        );
    }
    let (oldest_tombstone, oldest_change) = store.oldest_history()?;
    let due = [
        store.next_scheduled()?,
        oldest_tombstone.map(|t| t + tombstone_span),
        oldest_change.map(|c| c + log_span),
    ];
    Ok(due.into_iter().flatten().min())
}
