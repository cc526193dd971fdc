//! The worker that makes related lists (see `related::index::lists`): one thread, at
//! the lowest CPU priority, so that it uses only what requests leave idle.

use std::time::Duration;

use super::Ingest;

/// How long the worker sleeps when no list waits, unless woken.
const IDLE: Duration = Duration::from_millis(500);

impl Ingest {
    /// Starts the worker; it runs until the related index is cancelled (the server
    /// stops). Join the handle after cancelling, so the store is let go.
    pub fn start_list_worker(&self) -> std::io::Result<std::thread::JoinHandle<()>> {
        let ingest = self.clone();
        std::thread::Builder::new()
            .name("related-lists".into())
            .spawn(move || {
                lowest_priority();
                let live = &ingest.related;
                while !live.is_cancelled() {
                    let listed = live.get().is_some_and(|index| {
                        index.list_next(|id| ingest.store.get(id).ok().flatten())
                    });
                    if !listed {
                        live.wait_for_lists(IDLE);
                    }
                }
            })
    }
}

/// Gives the calling thread the lowest priority (nice 19): on Linux a thread has a
/// nice value of its own, and the "process" of `setpriority` is the calling thread.
fn lowest_priority() {
    #[cfg(target_os = "linux")]
    if let Err(error) = rustix::process::setpriority_process(None, 19) {
        tracing::debug!(%error, "the related-lists worker keeps its priority");
    }
}
