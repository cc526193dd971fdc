//! Wiring: open the store, build the state, bind the listener, serve until shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::auth::Tokens;
use crate::category::Catalog;
use crate::config::Settings;
use crate::feed::{FeedCache, FeedLimits, Site};
use crate::http::{AppState, router};
use crate::ingest::Ingest;
use crate::partner::Partners;
use crate::related::LiveIndex;
use crate::schedule;
use crate::store::{Store, StoreError};
use crate::transport::{self, ConnLimits};

/// Why Herald could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("server: unable to listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Partner(#[from] crate::partner::PartnerError),
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}

/// Opens the store in the configured directory and loads the category catalog, with
/// `related` as the related index (absent for commands that never answer related
/// queries). Blocking: sled replays its log on open.
pub fn open_ingest_with(settings: &Settings, related: LiveIndex) -> Result<Ingest, StoreError> {
    let started = std::time::Instant::now();
    let store = Store::open(&settings.store.data_dir, settings.store.cache_mb)?;
    tracing::info!(
        articles = store.is_counted().then(|| store.article_count()),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "store open"
    );
    let catalog = Catalog::new(&settings.categories, store.categories()?);
    Ok(Ingest::new(store, catalog, related, settings))
}

/// Like [`open_ingest_with`], for a command: no related index, and the articles
/// counted before it goes on.
pub fn open_ingest(settings: &Settings) -> Result<Ingest, StoreError> {
    let ingest = open_ingest_with(settings, LiveIndex::absent())?;
    ingest.store().count_articles()?;
    Ok(ingest)
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Opens the store and binds the listener (port 0 picks a free port). The
    /// related index is built once the server runs, while it already serves.
    pub async fn build(settings: Settings, tokens: Tokens) -> Result<Self, StartError> {
        let opened = settings.clone();
        let ingest =
            tokio::task::spawn_blocking(move || open_ingest_with(&opened, LiveIndex::building()))
                .await
                .map_err(std::io::Error::other)??;
        Self::with_ingest(settings, tokens, ingest).await
    }

    /// Like [`Application::build`], over an already-open store.
    pub async fn with_ingest(
        settings: Settings,
        tokens: Tokens,
        ingest: Ingest,
    ) -> Result<Self, StartError> {
        let partners = Partners::load(&settings, |var| std::env::var(var).ok())?;
        let addr = settings.server.listen.clone();
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        if !tokens.enabled() {
            tracing::warn!("no API token configured: writes are disabled (set HERALD_API_TOKENS)");
        }
        let feeds = FeedCache::new(
            Site::from_settings(&settings),
            ingest.store().clone(),
            ingest.catalog().clone(),
            FeedLimits::from_settings(&settings),
            transport::spool(settings.server.io, &settings.store.data_dir),
        )
        .with_edge(crate::edge::Edge::from_settings(&settings));
        let state = AppState::new(settings, tokens, partners, ingest, feeds)?;
        Ok(Application { listener, state })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish (up to
    /// `server.shutdown_grace_secs`) and flushes the store.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        let server = &self.state.settings.server;
        let grace = Duration::from_secs(server.shutdown_grace_secs);
        let limits = ConnLimits {
            header_read_timeout: Duration::from_secs(server.header_read_timeout_secs),
            max_connections: server.max_connections,
        };
        let (io, ingest) = (server.io, self.state.ingest.clone());
        let background = background(&self.state);
        let lists = ingest.start_list_worker();
        transport::serve(
            io,
            self.listener,
            router(self.state),
            limits,
            shutdown,
            grace,
        )
        .await?;
        for handle in background {
            handle.abort();
        }
        ingest.related_state().cancel();
        tokio::task::spawn_blocking(move || {
            // The worker holds the store; it ends within one list once cancelled.
            match lists.map(std::thread::JoinHandle::join) {
                Ok(Ok(())) => {}
                Ok(Err(_)) => tracing::error!("the related-lists worker panicked"),
                Err(error) => {
                    tracing::warn!(%error, "no thread for related lists; queries walk the index")
                }
            }
            if let Err(error) = ingest.save_for_next_start() {
                tracing::warn!(%error, "related term counts not saved; the next start counts them");
            }
            ingest.store().flush()
        })
        .await
        .map_err(std::io::Error::other)??;
        tracing::info!("store flushed; bye");
        Ok(())
    }
}

/// Starts the work a server does besides answering: building the related index
/// (if it is to be built) and the timer. Returns a handle that stops the timer.
fn background(state: &AppState) -> Vec<tokio::task::AbortHandle> {
    let ingest = state.ingest.clone();
    if ingest.related_state().is_building() {
        let building = ingest.clone();
        tokio::task::spawn_blocking(move || {
            if let Err(error) = building.build_related() {
                tracing::error!(%error, "the related index could not be built; related answers 503");
            }
        });
    }
    let retention = schedule::Retention {
        tombstone_days: state.settings.feeds.tombstone_days,
        log_days: state.settings.changes.retain_days,
    };
    let mut handles = crate::push::start(
        &state.settings,
        ingest.store(),
        std::sync::Arc::new(state.feeds.site().clone()),
        std::sync::Arc::clone(&state.push),
    );
    if let Some(hub) = &state.hub {
        let coalesce = std::time::Duration::from_millis(state.settings.push.coalesce_ms);
        let job = std::sync::Arc::new(crate::websub::deliver::Distribute {
            hub: std::sync::Arc::clone(hub),
        });
        handles.push(
            tokio::spawn(crate::push::drive(ingest.store().clone(), job, coalesce)).abort_handle(),
        );
        let deliveries = crate::websub::deliver::run(
            std::sync::Arc::clone(hub),
            std::sync::Arc::clone(&state.feeds),
        );
        handles.push(tokio::spawn(deliveries).abort_handle());
    }
    handles.push(tokio::spawn(schedule::run(ingest, retention)).abort_handle());
    handles
}

/// Completes on SIGTERM or ctrl-c.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
