//! The accept loop: HTTP/1.1 with a header-read timeout (slowloris), a cap on open
//! connections, and graceful shutdown. axum's own `serve` sets neither limit.
//!
//! Connections are served by one single-threaded runtime per core, each accepting
//! from the same socket, as nginx runs one worker per core: a connection and its
//! requests stay on one thread, with no cross-thread wake-ups on the hot path (on
//! the work-stealing runtime those were the largest cost of a 304). Blocking work
//! still goes to each runtime's blocking pool. A worker that has more connections
//! than another hands new ones over (see `Worker::keep`).

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use std::cell::RefCell;
use std::convert::Infallible;
use std::task::{Context, Poll, Waker};

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

/// Connection limits.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// Time a client has to send a request's headers.
    pub header_read_timeout: Duration,
    /// Open connections at most; further clients wait in the listen backlog.
    pub max_connections: usize,
}

/// Serves `router` on `listener` with one runtime per core until `shutdown`
/// completes, then lets open connections finish their requests for up to `grace`.
pub async fn serve<S>(
    listener: TcpListener,
    router: S,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> std::io::Result<()>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
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

/// A connection, with its place under the connection limit.
type Accepted = (std::net::TcpStream, OwnedSemaphorePermit);

/// What the workers share to even out their connections.
struct Balance {
    /// Each worker's queue of connections handed to it by the others.
    queues: Vec<mpsc::UnboundedSender<Accepted>>,
    /// Each worker's open connections.
    open: Vec<AtomicUsize>,
}

/// One runtime's share of the work.
struct Worker<S> {
    me: usize,
    balance: Arc<Balance>,
    router: S,
    limits: ConnLimits,
}

impl<S> Worker<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    /// Accepts, or takes connections handed over, and serves them until `shutdown`;
    /// then drains.
    async fn run(
        &self,
        listener: TcpListener,
        permits: Arc<Semaphore>,
        mut handed: mpsc::UnboundedReceiver<Accepted>,
        shutdown: impl Future<Output = ()>,
        grace: Duration,
    ) {
        let graceful = GracefulShutdown::new();
        let mut shutdown = pin!(shutdown);
        loop {
            tokio::select! {
                accepted = accept(&listener, &permits) => {
                    if let Some((stream, permit)) = self.keep(accepted) {
                        self.serve(&graceful, stream, permit);
                    }
                }
                Some((stream, permit)) = handed.recv() => self.take_over(&graceful, stream, permit),
                _ = &mut shutdown => break,
            }
        }
        drop(listener);
        // Connections handed over just before the stop are served with the rest.
        handed.close();
        while let Ok((stream, permit)) = handed.try_recv() {
            self.take_over(&graceful, stream, permit);
        }
        tokio::select! {
            _ = graceful.shutdown() => {}
            _ = tokio::time::sleep(grace) => tracing::warn!("grace period over; dropping open connections"),
        }
    }

    /// Serves a connection another worker handed over (and counted as this one's).
    fn take_over(
        &self,
        graceful: &GracefulShutdown,
        stream: std::net::TcpStream,
        permit: OwnedSemaphorePermit,
    ) {
        match TcpStream::from_std(stream) {
            Ok(stream) => self.serve(graceful, stream, permit),
            Err(e) => {
                tracing::warn!(error = %e, "could not take over a connection");
                self.balance.open[self.me].fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    /// Serves one connection, counted in this worker's open connections, until it
    /// closes.
    fn serve(&self, graceful: &GracefulShutdown, stream: TcpStream, permit: OwnedSemaphorePermit) {
        let _ = stream.set_nodelay(true);
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.header_read_timeout)
            .serve_connection(
                TokioIo::new(crate::zerocopy::Zerocopy::new(stream)),
                Connection(RefCell::new(self.router.clone())),
            );
        let conn = graceful.watch(conn);
        let (balance, me) = (Arc::clone(&self.balance), self.me);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            balance.open[me].fetch_sub(1, Ordering::Relaxed);
            drop(permit);
        });
    }

    /// Keeps a connection this worker accepted, or hands it to the worker with the
    /// fewest open when this one has two more. Whichever worker wakes first takes a
    /// connection from the shared socket, and without this wrk's 32 connections
    /// split 27/8, 7/28, even 32/0: one core served them all while the other
    /// waited. Handing every connection out through one acceptor instead evened
    /// them too, but cost a new connection 6 us more CPU.
    fn keep(
        &self,
        (stream, permit): (TcpStream, OwnedSemaphorePermit),
    ) -> Option<(TcpStream, OwnedSemaphorePermit)> {
        let open = &self.balance.open;
        let Some(least) = hand_to(open, self.me) else {
            open[self.me].fetch_add(1, Ordering::Relaxed);
            return Some((stream, permit));
        };
        // Out of this runtime's reactor, into the other's.
        let stream = match stream.into_std() {
            Ok(stream) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "could not hand over a connection");
                return None;
            }
        };
        open[least].fetch_add(1, Ordering::Relaxed);
        let mpsc::error::SendError((stream, permit)) =
            match self.balance.queues[least].send((stream, permit)) {
                Ok(()) => return None,
                Err(unsent) => unsent,
            };
        // That worker has stopped (it failed at start, or the server is stopping):
        // serve the connection here rather than drop it.
        open[least].fetch_sub(1, Ordering::Relaxed);
        open[self.me].fetch_add(1, Ordering::Relaxed);
        match TcpStream::from_std(stream) {
            Ok(stream) => Some((stream, permit)),
            Err(e) => {
                tracing::warn!(error = %e, "could not take back a connection");
                open[self.me].fetch_sub(1, Ordering::Relaxed);
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

/// The next connection, once the connection limit lets one in.
async fn accept(
    listener: &TcpListener,
    permits: &Arc<Semaphore>,
) -> (TcpStream, OwnedSemaphorePermit) {
    let permit = Arc::clone(permits)
        .acquire_owned()
        .await
        .expect("the semaphore is never closed");
    loop {
        match listener.accept().await {
            Ok((stream, _)) => return (stream, permit),
            Err(e) => {
                // Out of file descriptors and the like: wait rather than spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
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
