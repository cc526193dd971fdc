//! The tuned way: one single-threaded runtime per core, each accepting from the
//! same socket, as nginx runs one worker per core. A connection and its requests
//! stay on one thread, with no cross-thread wake-ups on the hot path (on the
//! work-stealing runtime those were the largest cost of a 304). Blocking work still
//! goes to each runtime's blocking pool. A worker that has more connections than
//! another hands new ones over (see `Worker::place`). Sockets are wrapped in
//! [`Zerocopy`], which sends file-backed bodies with sendfile(2).

use std::cell::RefCell;
use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use futures_util::future::Either;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tower::util::Oneshot;
use tower::{Service, ServiceExt};

use super::zerocopy::Zerocopy;
use super::{ConnLimits, Router, accept};

/// Serves `router` on `listener` with one runtime per core until `shutdown`
/// completes, then lets open connections finish their requests for up to `grace`.
pub async fn serve(
    listener: TcpListener,
    router: impl Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> std::io::Result<()> {
    let threads = crate::par::cores();
    let listener = listener.into_std()?;
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let (queues, handed): (Vec<_>, Vec<_>) =
        (0..threads).map(|_| mpsc::unbounded_channel()).unzip();
    let balance = Arc::new(Balance {
        queues,
        open: (0..threads).map(|_| AtomicUsize::new(0)).collect(),
    });
    let mut workers = Vec::with_capacity(threads);
    for (i, handed) in handed.into_iter().enumerate() {
        let listener = listener.try_clone()?;
        let (router, permits, balance, mut stopped) = (
            router.clone(),
            permits.clone(),
            balance.clone(),
            stopped.clone(),
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let worker = std::thread::Builder::new()
            .name(format!("herald-http-{i}"))
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener)?;
                    let stop = async move {
                        let _ = stopped.wait_for(|s| *s).await;
                    };
                    let worker = Worker {
                        me: i,
                        balance,
                        router,
                        limits,
                    };
                    worker.run(listener, permits, handed, stop, grace).await;
                    Ok::<(), std::io::Error>(())
                })
            })?;
        workers.push(worker);
    }
    drop(stopped);
    // The workers hold copies; each closes its own at shutdown, and with this one
    // gone the socket stops listening then, so new clients are refused, not queued.
    drop(listener);
    shutdown.await;
    tracing::info!("shutting down: draining requests");
    let _ = stop.send(true);
    tokio::task::spawn_blocking(move || {
        for worker in workers {
            worker
                .join()
                .map_err(|_| std::io::Error::other("an HTTP worker panicked"))??;
        }
        Ok(())
    })
    .await
    .map_err(std::io::Error::other)?
}

/// A connection handed to another worker, with its places under the connection
/// limit and in that worker's count.
type Handed = (std::net::TcpStream, OwnedSemaphorePermit, Open);

/// What the workers share to even out their connections.
struct Balance {
    /// Each worker's queue of connections handed to it by the others.
    queues: Vec<mpsc::UnboundedSender<Handed>>,
    /// Each worker's open connections.
    open: Vec<AtomicUsize>,
}

/// One connection counted in one worker's open connections, for as long as this
/// lives: however a connection ends (served, refused, handed back), dropping its
/// `Open` is the only way its count goes down.
struct Open {
    balance: Arc<Balance>,
    worker: usize,
}

impl Open {
    fn new(balance: &Arc<Balance>, worker: usize) -> Open {
        balance.open[worker].fetch_add(1, Ordering::Relaxed);
        Open {
            balance: Arc::clone(balance),
            worker,
        }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.balance.open[self.worker].fetch_sub(1, Ordering::Relaxed);
    }
}

/// One runtime's share of the work.
struct Worker<S> {
    me: usize,
    balance: Arc<Balance>,
    router: S,
    limits: ConnLimits,
}

impl<S: Router> Worker<S> {
    /// Accepts, or takes connections handed over, and serves them until `shutdown`;
    /// then drains.
    async fn run(
        &self,
        listener: TcpListener,
        permits: Arc<Semaphore>,
        mut handed: mpsc::UnboundedReceiver<Handed>,
        shutdown: impl Future<Output = ()>,
        grace: Duration,
    ) {
        let graceful = GracefulShutdown::new();
        let mut shutdown = pin!(shutdown);
        loop {
            tokio::select! {
                accepted = accept(&listener, &permits) => {
                    if let Some((stream, permit, open)) = self.place(accepted) {
                        self.serve(&graceful, stream, permit, open);
                    }
                }
                Some(handed) = handed.recv() => self.take_over(&graceful, handed),
                _ = &mut shutdown => break,
            }
        }
        drop(listener);
        // Connections handed over just before the stop are served with the rest.
        handed.close();
        while let Ok(late) = handed.try_recv() {
            self.take_over(&graceful, late);
        }
        tokio::select! {
            _ = graceful.shutdown() => {}
            _ = tokio::time::sleep(grace) => tracing::warn!("grace period over; dropping open connections"),
        }
    }

    /// Serves a connection another worker handed over (and counted as this one's).
    fn take_over(&self, graceful: &GracefulShutdown, (stream, permit, open): Handed) {
        match TcpStream::from_std(stream) {
            Ok(stream) => self.serve(graceful, stream, permit, open),
            Err(e) => tracing::warn!(error = %e, "could not take over a connection"),
        }
    }

    /// Serves one connection until it closes, holding its places meanwhile.
    fn serve(
        &self,
        graceful: &GracefulShutdown,
        stream: TcpStream,
        permit: OwnedSemaphorePermit,
        open: Open,
    ) {
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.header_read_timeout)
            .serve_connection(
                TokioIo::new(Zerocopy::new(stream)),
                Connection(RefCell::new(self.router.clone())),
            );
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop((permit, open));
        });
    }

    /// Keeps a connection this worker accepted, or hands it to the worker with the
    /// fewest open when this one has two more. Whichever worker wakes first takes a
    /// connection from the shared socket, and without this wrk's 32 connections
    /// split 27/8, 7/28, even 32/0: one core served them all while the other
    /// waited. Handing every connection out through one acceptor instead evened
    /// them too, but cost a new connection 6 us more CPU.
    fn place(
        &self,
        (stream, permit): (TcpStream, OwnedSemaphorePermit),
    ) -> Option<(TcpStream, OwnedSemaphorePermit, Open)> {
        let Some(least) = hand_to(&self.balance.open, self.me) else {
            return Some((stream, permit, Open::new(&self.balance, self.me)));
        };
        // Out of this runtime's reactor, into the other's.
        let stream = match stream.into_std() {
            Ok(stream) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "could not hand over a connection");
                return None;
            }
        };
        let open = Open::new(&self.balance, least);
        let mpsc::error::SendError((stream, permit, open)) =
            match self.balance.queues[least].send((stream, permit, open)) {
                Ok(()) => return None,
                Err(unsent) => unsent,
            };
        // That worker has stopped (it failed at start, or the server is stopping):
        // serve the connection here rather than drop it.
        drop(open);
        match TcpStream::from_std(stream) {
            Ok(stream) => Some((stream, permit, Open::new(&self.balance, self.me))),
            Err(e) => {
                tracing::warn!(error = %e, "could not take back a connection");
                None
            }
        }
    }
}

/// The worker that should take a connection `me` accepted: `None` to keep it, or the
/// one with the fewest open connections when `me` has two more than it.
fn hand_to(open: &[AtomicUsize], me: usize) -> Option<usize> {
    let mine = open[me].load(Ordering::Relaxed);
    let (least, fewest) = open
        .iter()
        .map(|n| n.load(Ordering::Relaxed))
        .enumerate()
        .min_by_key(|&(_, n)| n)?;
    (mine > fewest + 1).then_some(least)
}

/// One connection's copy of the service. hyper calls a service through `&self`, and
/// hyper-util's adapter answers that by cloning the whole tower stack for every
/// request: reference counts on lines both cores write, and a drop for each. A
/// connection's requests come one at a time, so it keeps one copy and lends it out.
struct Connection<S>(RefCell<S>);

impl<S> hyper::service::Service<hyper::Request<Incoming>> for Connection<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<S::Future, Oneshot<S, Request>>;

    fn call(&self, req: hyper::Request<Incoming>) -> Self::Future {
        let req = req.map(Body::new);
        let mut service = self.0.borrow_mut();
        // Herald's stack is always ready. Were a layer ever not, the request would
        // wait for readiness on a copy, as hyper-util's adapter does.
        match service.poll_ready(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(Ok(())) => Either::Left(service.call(req)),
            Poll::Pending => Either::Right(service.clone().oneshot(req)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One worker accepting every connection still ends up with half of them.
    #[test]
    fn connections_accepted_by_one_worker_are_shared_out() {
        let open: Vec<AtomicUsize> = (0..2).map(|_| AtomicUsize::new(0)).collect();
        for _ in 0..32 {
            let to = hand_to(&open, 0).unwrap_or(0);
            open[to].fetch_add(1, Ordering::Relaxed);
        }
        let counts: Vec<usize> = open.iter().map(|n| n.load(Ordering::Relaxed)).collect();
        assert!(counts[0].abs_diff(counts[1]) <= 2, "{counts:?}");
        assert_eq!(counts.iter().sum::<usize>(), 32);
    }

    #[test]
    fn a_worker_keeps_connections_while_it_is_not_ahead() {
        let open: Vec<AtomicUsize> = [5, 4, 6].into_iter().map(AtomicUsize::new).collect();
        assert_eq!(hand_to(&open, 0), None);
        assert_eq!(hand_to(&open, 2), Some(1));
    }
}
