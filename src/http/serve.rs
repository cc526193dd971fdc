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

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

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
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> std::io::Result<()> {
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
async fn accept_loop(
    listener: TcpListener,
    router: Router,
    limits: ConnLimits,
    permits: Arc<Semaphore>,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) {
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
                TowerToHyperService::new(router.clone()),
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
