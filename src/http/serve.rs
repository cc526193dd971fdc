//! The accept loop: HTTP/1.1 with a header-read timeout (slowloris), a cap on open
//! connections, and graceful shutdown. axum's own `serve` sets neither limit.
//!
//! Connections are served by one single-threaded runtime per core, each accepting
//! from the same socket, as nginx runs one worker per core: a connection and its
//! requests stay on one thread, with no cross-thread wake-ups on the hot path (on
//! the work-stealing runtime those were the largest cost of a 304). Blocking work
//! still goes to each runtime's blocking pool.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
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
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
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
    let mut workers = Vec::with_capacity(threads);
    for i in 0..threads {
        let listener = listener.try_clone()?;
        let (router, permits, mut stopped) = (router.clone(), permits.clone(), stopped.clone());
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
                    accept_loop(listener, router, limits, permits, stop, grace).await;
                    Ok::<(), std::io::Error>(())
                })
            })?;
        workers.push(worker);
    }
    drop(stopped);
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

/// One runtime's share of the work: accept, serve, and drain on `shutdown`.
async fn accept_loop<S>(
    listener: TcpListener,
    router: S,
    limits: ConnLimits,
    permits: Arc<Semaphore>,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    let graceful = GracefulShutdown::new();
    let mut shutdown = pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => permit.expect("the semaphore is never closed"),
            _ = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .serve_connection(
                TokioIo::new(stream),
                Connection(RefCell::new(router.clone())),
            );
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(grace) => tracing::warn!("grace period over; dropping open connections"),
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
