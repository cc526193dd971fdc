//! How requests reach the router and bytes reach sockets: the accept loop, HTTP/1.1
//! connections with a header-read timeout (slowloris) and a cap on open connections,
//! and graceful shutdown. axum's own `serve` sets neither limit.
//!
//! Two ways, chosen by `server.io`:
//! - `tuned` (the default): one single-threaded runtime per core, as nginx runs one
//!   worker per core ([`tuned`]), and the compressed forms of polled feeds sent with
//!   sendfile(2) from unnamed files ([`zerocopy`]). Both measured wins against nginx
//!   serving the same bytes; the figures and the runs behind them are in
//!   `bench/RESULTS.md`.
//! - `plain`: hyper-util's ordinary connection loop on the ambient (multi-threaded)
//!   runtime, with every body in ordinary memory ([`plain`]). It exists so that the
//!   tuned path is never the only one: an operator who meets a kernel or filesystem
//!   quirk has a switch, and CI runs the integration tests under both.

mod plain;
mod tuned;
pub mod zerocopy;

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::response::Response;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::Service;

pub use crate::config::IoMode;

/// Connection limits.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// Time a client has to send a request's headers.
    pub header_read_timeout: Duration,
    /// Open connections at most; further clients wait in the listen backlog.
    pub max_connections: usize,
}

/// What both ways serve: the whole service, as `http::router` builds it.
pub trait Router:
    Service<Request, Response = Response, Error = Infallible, Future: Send> + Clone + Send + 'static
{
}

impl<S> Router for S where
    S: Service<Request, Response = Response, Error = Infallible, Future: Send>
        + Clone
        + Send
        + 'static
{
}

/// Serves `router` on `listener` the `io` way until `shutdown` completes, then lets
/// open connections finish their requests for up to `grace`.
pub async fn serve(
    io: IoMode,
    listener: TcpListener,
    router: impl Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> std::io::Result<()> {
    match io {
        IoMode::Tuned => tuned::serve(listener, router, limits, shutdown, grace).await,
        IoMode::Plain => plain::serve(listener, router, limits, shutdown, grace).await,
    }
}

/// Where bodies that are sent many times are kept under `io`: in files for
/// sendfile(2) in `dir` when tuned, in ordinary memory when plain.
pub fn spool(io: IoMode, dir: &std::path::Path) -> zerocopy::Spool {
    match io {
        IoMode::Tuned => zerocopy::Spool::in_dir(dir),
        IoMode::Plain => zerocopy::Spool::memory(),
    }
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
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                return (stream, permit);
            }
            Err(e) => {
                // Out of file descriptors and the like: wait rather than spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}
