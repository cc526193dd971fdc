//! The HTTP API: the only code that knows axum. One file per resource.

mod articles;
mod auth;
mod body;
mod bulk;
mod categories;
mod changes;
mod conditional;
mod delta;
mod edge;
mod error;
mod export;
mod extract;
mod feeds;
mod health;
mod hits;
mod metrics;
mod openapi;
mod partners;
mod related;
mod respond;
mod sitemaps;
mod websub;

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderValue, Response, header};
use axum::routing::get;
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use error::ApiError;

use crate::auth::Tokens;
use crate::config::Settings;
use crate::feed::FeedCache;
use crate::ingest::Ingest;
use crate::partner::Partners;

/// What every handler can reach, behind one `Arc`: axum clones the state for every
/// request, and one reference count is far cheaper than the dozen (contended, on two
/// cores) that cloning each member touched; that was 12% of a 304's CPU time.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    /// The state of a server with `settings`, accepting `tokens` for writes, writing
    /// through `ingest` and serving feeds from `feeds`; fails when the hub's
    /// subscriptions cannot be read.
    pub fn new(
        settings: Settings,
        tokens: Tokens,
        partners: Partners,
        ingest: Ingest,
        feeds: FeedCache,
    ) -> Result<Self, crate::store::StoreError> {
        let partners = Arc::new(partners);
        let push: Arc<crate::push::PushStats> = Arc::default();
        let hub = settings.websub.hub.then(|| {
            let hub = crate::websub::Hub::load(
                Arc::new(feeds.site().clone()),
                ingest.catalog().clone(),
                ingest.store().clone(),
                settings.websub.clone(),
                crate::push::Outbound::for_strangers(
                    &settings.push,
                    settings.websub.allow_private_callbacks,
                ),
                crate::push::Retry::from_settings(&settings.push),
                Arc::clone(&push),
                Arc::clone(&partners),
            );
            hub.map(Arc::new)
        });
        let hub = hub.transpose()?;
        let edge = crate::edge::Edge::from_settings(&settings);
        let cache_control = format!(
            "public, max-age={}, stale-while-revalidate={}, stale-if-error={}",
            settings.feeds.max_age_secs,
            settings.feeds.stale_while_revalidate_secs,
            edge.stale_if_error_secs
        );
        Ok(AppState(Arc::new(Shared {
            waiting: Arc::new(tokio::sync::Semaphore::new(settings.changes.max_waiting)),
            push,
            hub,
            sitemaps: Arc::new(crate::sitemap::Sitemaps::new(
                Arc::new(feeds.site().clone()),
                ingest.store().clone(),
                &settings,
            )),
            metrics: Default::default(),
            feeds: Arc::new(feeds),
            feed_cache_control: HeaderValue::from_str(&cache_control)
                .expect("digits and ASCII make a valid header"),
            private_cache_control: HeaderValue::from_str(&format!(
                "private, max-age={}",
                settings.feeds.max_age_secs
            ))
            .expect("digits and ASCII make a valid header"),
            partners,
            edge_control: edge
                .edge_control
                .as_deref()
                .map(|c| HeaderValue::from_str(c).expect("digits and ASCII make a valid header")),
            edge,
            ingest,
            settings: Arc::new(settings),
            tokens: Arc::new(tokens),
        })))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The members of [`AppState`].
pub struct Shared {
    /// The write path, and through it the store, the catalog and the related index.
    pub ingest: Ingest,
    /// Rendered feeds.
    pub feeds: Arc<FeedCache>,
    /// Request counters and latency histograms.
    pub metrics: Arc<metrics::Metrics>,
    /// The feeds' Cache-Control value, formatted once from the settings.
    pub feed_cache_control: HeaderValue,
    /// Partners' feeds' Cache-Control: for the partner alone, never a shared cache.
    pub private_cache_control: HeaderValue,
    /// The partners, their keys and their polls.
    pub partners: Arc<Partners>,
    /// The edge's own lifetime (Surrogate-Control, CDN-Cache-Control), when purged.
    pub edge_control: Option<HeaderValue>,
    /// Surrogate keys and lifetimes for the cache in front.
    pub edge: crate::edge::Edge,
    /// The settings the server started with.
    pub settings: Arc<Settings>,
    /// The accepted write tokens.
    pub tokens: Arc<Tokens>,
    /// Places for calls that wait for changes (`changes.max_waiting`).
    pub waiting: Arc<tokio::sync::Semaphore>,
    /// What the push jobs did, per target.
    pub push: Arc<crate::push::PushStats>,
    /// Herald's own WebSub hub, when it runs one.
    pub hub: Option<Arc<crate::websub::Hub>>,
    /// The sitemaps.
    pub sitemaps: Arc<crate::sitemap::Sitemaps>,
}

/// The whole service: every route, and the layers around them.
pub fn router(
    state: AppState,
) -> impl tower::Service<
    axum::extract::Request,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future: Send,
> + Clone
+ Send
+ 'static {
    let (routes, spec) = api_routes().split_for_parts();
    let spec = Bytes::from(spec.to_json().expect("the OpenAPI document serialises"));
    let router = routes
        .route(
            "/openapi.json",
            get(
                move || async move { ([(header::CONTENT_TYPE, "application/json")], spec.clone()) },
            ),
        )
        .fallback(|| async { ApiError::not_found("no such route", None) })
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state.metrics),
            metrics::track,
        ));
    // The trace layer's spans and events are at DEBUG (failures are logged where they
    // happen, by ApiError), so it is there only when that level is on: at INFO it
    // logged nothing and cost about a twentieth of a cached feed's CPU time.
    let trace = tracing::enabled!(target: "tower_http::trace::on_response", tracing::Level::DEBUG)
        .then(|| {
            tower::ServiceBuilder::new()
                .map_response(|r: Response<_>| r.map(axum::body::Body::new))
                // The path alone: a query may hold a partner's `?key=`.
                .layer(TraceLayer::new_for_http().make_span_with(
                    |req: &axum::extract::Request| {
                        tracing::debug_span!("request", method = %req.method(), path = req.uri().path())
                    },
                ))
        });
    // The route-independent layers wrap the whole router once, as one concrete
    // stack: `Router::layer` wraps every route in its own boxed copy of each layer,
    // and cloning those boxes on every request was a third of a 304's CPU time.
    tower::ServiceBuilder::new()
        // Outermost, so that no layer or log sees a credential as printable text.
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
            header::COOKIE,
        ]))
        .option_layer(trace)
        // Every answer is JSON, XML or OPML: nothing to sniff, run or frame.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; sandbox"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // Fresh cached feeds are answered here: inside the headers every answer
        // carries, and before the timeout and the router, which a hit never needs.
        .layer_fn({
            let state = state.clone();
            move |inner| hits::FeedHits {
                state: state.clone(),
                inner,
            }
        })
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            std::time::Duration::from_secs(state.settings.server.request_timeout_secs),
        ))
        .service(router.with_state(state))
}

/// Every documented route, each registered from its handler's OpenAPI annotation.
/// Request bodies are bounded by the extractors in [`body`], each by its own setting.
fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(metrics::metrics))
        .routes(routes!(articles::list, bulk::post))
        .routes(routes!(
            articles::get_one,
            articles::put_one,
            articles::delete_one
        ))
        .routes(routes!(related::related))
        .routes(routes!(changes::changes))
        .routes(routes!(sitemaps::index))
        .routes(routes!(sitemaps::file))
        .routes(routes!(websub::subscribe))
        .routes(routes!(websub::subscriptions))
        .routes(routes!(export::export))
        .routes(routes!(categories::list))
        .routes(routes!(categories::get_one, categories::put_one))
        .routes(routes!(feeds::opml))
        .routes(routes!(feeds::site))
        .routes(routes!(feeds::category))
        .routes(routes!(feeds::tag))
        .routes(routes!(partners::site))
        .routes(routes!(partners::category))
        .routes(routes!(partners::tag))
        .routes(routes!(partners::list))
}

/// An optional whole-number parameter in `1..=max` (`default` when absent), or a 400
/// that names it. Present but empty (`?limit=`) is not a number: it is refused, as
/// the OpenAPI document's `integer` says.
fn bounded_param(
    field: &str,
    value: Option<&str>,
    default: usize,
    max: usize,
) -> Result<usize, ApiError> {
    match value {
        None => Ok(default),
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                ApiError::bad_param(field, format!("must be a whole number from 1 to {max}"))
            }),
    }
}

/// Runs blocking store work off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await?
}
