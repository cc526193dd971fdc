//! Single flight: one request renders a stale page while the others wait for that
//! render together.

use std::future::Future;
use std::sync::{Arc, RwLock};

use super::{FeedError, Rendered, Stamp};

/// One (scope, format, page): its current document, and the means for one request
/// to render it while the others wait.
#[derive(Default)]
pub(super) struct Slot {
    current: RwLock<Option<Arc<Rendered>>>,
    /// Held by the one request that renders; the others wait on `done`.
    render: tokio::sync::Mutex<()>,
    done: tokio::sync::Notify,
}

impl Slot {
    /// The current document, if it was rendered at `stamp`.
    pub(super) fn fresh(&self, stamp: Stamp) -> Option<Arc<Rendered>> {
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        current.as_ref().filter(|r| r.stamp() == stamp).cloned()
    }

    /// The current document, fresh or not.
    pub(super) fn last(&self) -> Option<Arc<Rendered>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The document at the stamp `now` gives: the current one when fresh, else the
    /// one `render` makes, unless another request is rendering already, in which
    /// case this one waits for that render and looks again. `render` runs at most
    /// once.
    pub(super) async fn get_or_render<R, F>(
        &self,
        now: impl Fn() -> Stamp,
        render: R,
    ) -> Result<Option<Arc<Rendered>>, FeedError>
    where
        R: FnOnce(Stamp) -> F,
        F: Future<Output = Result<Option<Arc<Rendered>>, FeedError>>,
    {
        let mut render = Some(render);
        loop {
            // Listen before looking, so a render that ends in between still wakes us.
            let done = self.done.notified();
            let mut done = std::pin::pin!(done);
            done.as_mut().enable();
            let stamp = now();
            if let Some(hit) = self.fresh(stamp) {
                return Ok(Some(hit)); // another request rendered it while we waited
            }
            if let Ok(rendering) = self.render.try_lock() {
                let _leader = Leader {
                    rendering: Some(rendering),
                    done: &self.done,
                };
                let render = render.take().expect("a request renders at most once");
                let rendered = render(stamp).await?;
                if let Some(r) = &rendered {
                    let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
                    *current = Some(Arc::clone(r));
                }
                return Ok(rendered);
            }
            // Someone else is rendering: wait for it with everyone else, all woken at
            // once. (Queueing on the lock instead handed it on one waiter at a time,
            // each waiting for its runtime to reach it: seconds, with 1,000 readers.)
            done.await;
        }
    }
}

/// The rendering request's hold on its slot. Dropping it, when the render ends or
/// when the request is dropped part way (a client that hangs up), unlocks the slot
/// and then wakes the waiters, which find it rendered or free to render. Without
/// the second case they waited for a wake-up that never came.
struct Leader<'a> {
    rendering: Option<tokio::sync::MutexGuard<'a, ()>>,
    done: &'a tokio::sync::Notify,
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        drop(self.rendering.take());
        self.done.notify_waiters();
    }
}
