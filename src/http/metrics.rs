//! `/metrics` in the Prometheus text format, and the middleware that feeds it.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};

use super::AppState;

/// Request metrics, one registry per app (tests run several apps in one process).
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
}

impl Default for Metrics {
    fn default() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "herald_http_requests_total",
                "HTTP requests by route, method and status",
            ),
            &["route", "method", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "herald_http_request_duration_seconds",
                "HTTP request latency by route",
            )
            .buckets(vec![
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
            ]),
            &["route"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(requests.clone()))
            .expect("registered once");
        registry
            .register(Box::new(latency.clone()))
            .expect("registered once");
        Metrics {
            registry,
            requests,
            latency,
        }
    }
}

/// Middleware: counts and times every request by its route pattern, so the label
/// set stays bounded whatever paths clients send.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    // Cheap clones (a shared string and an inline enum), not copies of the text.
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let method = req.method().clone();
    let started = Instant::now();
    let response = next.run(req).await;
    let route = matched.as_ref().map_or("unmatched", MatchedPath::as_str);
    metrics.record(route, &method, response.status(), started);
    response
}

impl Metrics {
    /// Counts one request to `route` (its pattern, not its path) and its latency.
    pub fn record(&self, route: &str, method: &Method, status: StatusCode, started: Instant) {
        self.latency
            .with_label_values(&[route])
            .observe(started.elapsed().as_secs_f64());
        self.requests
            .with_label_values(&[route, method.as_str(), status.as_str()])
            .inc();
    }
}

/// `GET /metrics`.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut out = Vec::new();
    TextEncoder::new()
        .encode(&state.metrics.registry.gather(), &mut out)
        .expect("encoding to a Vec cannot fail");
    let stats = &state.feeds.stats;
    let load = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
    let store = state.ingest.store().clone();
    let disk = tokio::task::spawn_blocking(move || store.size_on_disk())
        .await
        .unwrap_or(0);
    let extra = [
        (
            "herald_feed_cache_hits_total",
            "counter",
            "Feed requests served from the cache",
            load(&stats.hits),
        ),
        (
            "herald_feed_cache_misses_total",
            "counter",
            "Feed requests that found the cache stale",
            load(&stats.misses),
        ),
        (
            "herald_feed_renders_total",
            "counter",
            "Feed documents rendered",
            load(&stats.renders),
        ),
        (
            "herald_sendfile_bytes_total",
            "counter",
            "Response bytes sent from files with sendfile(2), without copying",
            crate::transport::zerocopy::sent_bytes(),
        ),
        (
            "herald_sendfile_files",
            "gauge",
            "Files holding compressed feeds for sendfile(2)",
            crate::transport::zerocopy::files(),
        ),
        (
            "herald_articles",
            "gauge",
            "Public articles in the store",
            state.ingest.store().article_count(),
        ),
        (
            "herald_store_writable",
            "gauge",
            "1 while the disk accepts writes, 0 once it has refused one (restart after fixing it)",
            u64::from(state.ingest.store().write_failure().is_none()),
        ),
        (
            "herald_store_bytes",
            "gauge",
            "Size of the store on disk",
            disk,
        ),
    ];
    // While the articles are being counted after a start, their gauge is absent
    // rather than wrong.
    let counted = state.ingest.store().is_counted();
    for (name, kind, help, value) in extra {
        if name == "herald_articles" && !counted {
            continue;
        }
        out.extend_from_slice(
            format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n").as_bytes(),
        );
    }
    push_metrics(&state.push, &mut out);
    partner_metrics(&state.partners, &mut out);
    if let Some(hub) = &state.hub {
        out.extend_from_slice(
            format!(
                "# HELP herald_websub_subscriptions Subscriptions to Herald's hub\n# TYPE herald_websub_subscriptions gauge\nherald_websub_subscriptions {}\n",
                hub.len()
            )
            .as_bytes(),
        );
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        Body::from(out),
    )
        .into_response()
}

/// Outcomes of pushes (purges, pings, deliveries), per job and target.
fn push_metrics(stats: &crate::push::PushStats, out: &mut Vec<u8>) {
    let all = stats.all();
    out.extend_from_slice(
        b"# HELP herald_push_total Outbound pushes by job, target and result (ok, failed, given_up)\n# TYPE herald_push_total counter\n",
    );
    for ((job, target), t) in all {
        for (result, n) in [("ok", t.ok), ("failed", t.failed), ("given_up", t.given_up)] {
            out.extend_from_slice(
                format!("herald_push_total{{job=\"{job}\",target=\"{target}\",result=\"{result}\"}} {n}\n")
                    .as_bytes(),
            );
        }
    }
}

/// Each partner's polls, 304s, bytes and last poll: which one stopped polling.
fn partner_metrics(partners: &crate::partner::Partners, out: &mut Vec<u8>) {
    let polls: Vec<_> = partners
        .all()
        .map(|p| (&p.name, p.stats.snapshot()))
        .collect();
    if polls.is_empty() {
        return;
    }
    type Value = fn(&crate::partner::Polls) -> i64;
    let families: [(&str, &str, &str, Value); 4] = [
        (
            "herald_partner_polls_total",
            "counter",
            "Feed requests answered with a partner's key",
            |p| p.polls as i64,
        ),
        (
            "herald_partner_not_modified_total",
            "counter",
            "Of those, the 304s",
            |p| p.not_modified as i64,
        ),
        (
            "herald_partner_bytes_total",
            "counter",
            "Feed body bytes sent to a partner",
            |p| p.bytes as i64,
        ),
        (
            "herald_partner_last_poll_timestamp_seconds",
            "gauge",
            "When a partner last polled (0: not since the start)",
            |p| p.last.map_or(0, |t| t.timestamp()),
        ),
    ];
    for (name, kind, help, value) in families {
        out.extend_from_slice(format!("# HELP {name} {help}\n# TYPE {name} {kind}\n").as_bytes());
        for (partner, p) in &polls {
            out.extend_from_slice(
                format!("{name}{{partner=\"{partner}\"}} {}\n", value(p)).as_bytes(),
            );
        }
    }
}
