//! Telling the world when something changes: background jobs driven by the change
//! log, one module each (cache purges, hub pings; Herald's own hub delivers through
//! the same driver).
//!
//! Each job is a consumer with a committed cursor, kept in sled: it reads the log in
//! order from its cursor, does its work for what it read (coalesced: many entries
//! for one feed make one request), and only then stores the new cursor. After a
//! crash it repeats at most the last batch, so every change is pushed at least once
//! and none is skipped; the work is idempotent (a second purge or ping is harmless).
//! Each target has a job of its own, so one that is down delays no other, and none
//! touches the serving path.

mod client;
pub mod ping;
pub mod purge;
mod retry;
mod stats;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub use client::{MAX_BODY, Outbound, install_crypto, is_public, judged, read_bounded};
pub use retry::Retry;
pub use stats::{PushStats, TargetStats};

use crate::history::Change;
use crate::store::{Since, Store};

/// Entries read at most per batch.
const BATCH: usize = 1000;

/// One job driven by the change log.
pub trait Job: Send + Sync + 'static {
    /// The name of its cursor (and of its target, in logs and metrics).
    fn name(&self) -> &str;

    /// Does the work for `changes`, retrying as it must; returns once it is done or
    /// given up.
    fn run(&self, changes: Vec<Change>) -> impl Future<Output = ()> + Send;
}

/// Runs `job` over the change log from its cursor, forever. A job run for the first
/// time starts at the log's head: nothing before it existed was owed to it.
pub async fn drive<J: Job>(store: Store, job: Arc<J>, coalesce: Duration) {
    let name = format!("push:{}", job.name());
    let mut cursor = match first_cursor(&store, &name).await {
        Ok(c) => c,
        Err(error) => {
            tracing::error!(job = %name, %error, "cannot read the job's cursor; it does not run");
            return;
        }
    };
    let mut head = store.watch_log();
    loop {
        let read = {
            let store = store.clone();
            tokio::task::spawn_blocking(move || store.changes(cursor, BATCH)).await
        };
        let changes = match read {
            Ok(Ok(Since::Entries { changes, next })) if !changes.is_empty() => {
                job.run(changes).await;
                next
            }
            Ok(Ok(Since::Entries { .. })) => {
                let _ = head.wait_for(|seq| *seq > cursor).await;
                // Let a burst of writes land, so that it is pushed as one.
                tokio::time::sleep(coalesce).await;
                continue;
            }
            Ok(Ok(Since::Gone { oldest })) => {
                tracing::warn!(job = %name, cursor, oldest, "the change log no longer holds entries this job missed; going on from the oldest");
                oldest.saturating_sub(1)
            }
            Ok(Err(error)) => {
                tracing::error!(job = %name, %error, "cannot read the change log");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            Err(error) => {
                tracing::error!(job = %name, %error, "reading the change log failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let store = store.clone();
        let stored = tokio::task::spawn_blocking({
            let name = name.clone();
            move || store.set_cursor(&name, changes)
        })
        .await;
        match stored {
            Ok(Ok(())) => cursor = changes,
            _ => {
                // The work is done but not its record: it will be done again.
                tracing::error!(job = %name, "cannot store the job's cursor; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// The job's stored cursor, or (the first time) the log's head, stored at once.
async fn first_cursor(store: &Store, name: &str) -> Result<u64, crate::store::StoreError> {
    let (store, name) = (store.clone(), name.to_string());
    tokio::task::spawn_blocking(move || match store.cursor(&name)? {
        Some(cursor) => Ok(cursor),
        None => {
            let head = store.log_head();
            store.set_cursor(&name, head)?;
            Ok(head)
        }
    })
    .await
    .map_err(|e| crate::store::StoreError::Backend {
        action: "read a cursor".into(),
        reason: e.to_string(),
    })?
}

/// Starts a job for each purge target (`cdn.purge`) and each external hub
/// (`websub.hubs`); returns handles that stop them.
pub fn start(
    settings: &crate::config::Settings,
    store: &Store,
    site: Arc<crate::feed::Site>,
    stats: Arc<PushStats>,
) -> Vec<tokio::task::AbortHandle> {
    let retry = Retry::from_settings(&settings.push);
    let coalesce = Duration::from_millis(settings.push.coalesce_ms);
    let client = Outbound::trusted(&settings.push);
    let edge = crate::edge::Edge::from_settings(settings);
    let mut handles = Vec::new();
    for entry in &settings.cdn.purge {
        // Validated with the settings; an entry that does not parse is not there.
        let Ok(target) = purge::Target::parse(entry) else {
            continue;
        };
        let job = purge::Purge::new(
            target,
            edge.clone(),
            Arc::clone(&site),
            client.clone(),
            retry,
            Arc::clone(&stats),
        );
        handles.push(tokio::spawn(drive(store.clone(), Arc::new(job), coalesce)).abort_handle());
    }
    for hub in &settings.websub.hubs {
        let Ok(hub) = url::Url::parse(hub) else {
            continue;
        };
        let job = ping::Ping::new(
            hub,
            Arc::clone(&site),
            client.clone(),
            retry,
            Arc::clone(&stats),
        );
        handles.push(tokio::spawn(drive(store.clone(), Arc::new(job), coalesce)).abort_handle());
    }
    handles
}
