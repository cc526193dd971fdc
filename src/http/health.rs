//! Liveness and readiness.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;
use super::extract::Query;

/// `GET /healthz`: 200 while the process serves requests.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process serves requests", body = Object)))]
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// `?require=` of `/readyz`.
#[derive(serde::Deserialize)]
pub struct ReadyQuery {
    require: Option<String>,
}

/// `GET /readyz`: 200 while the server serves feeds, sitemaps and the article API,
/// which it does as soon as the store is open; `parts` says what each part is doing
/// (`related` is `building` for a while after a start, and `rebuilding`, still
/// answering, while the index that has doubled is rebuilt), so an orchestrator can
/// route on it. `?require=related` answers 503 until related stories are ready too.
/// A disk that refuses writes shows as `"writable": false` but keeps the 200: reads
/// still work, and taking the instance out of rotation would stop them too.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    params(("require" = Option<String>, Query, description = "`related`: ready only once related stories are")),
    responses(
        (status = 200, description = "Ready; `parts` per part, `writable` whether the disk takes writes", body = Object),
        (status = 503, description = "A required part is not ready yet", body = Object)))]
pub async fn readyz(
    State(state): State<AppState>,
    Query(q): Query<ReadyQuery>,
) -> (StatusCode, Json<Value>) {
    let store = state.ingest.store();
    let related = state.ingest.related();
    let failure = store.write_failure();
    let mut body = json!({
        "status": "ready",
        // Unknown for a moment after a start that follows a crash, while counted.
        "articles": store.is_counted().then(|| store.article_count()),
        "parts": {
            "feeds": "ready",
            "articles": "ready",
            "related": match (related.is_some(), state.ingest.related_state().is_building()) {
                (true, false) => "ready",
                (true, true) => "rebuilding",
                (false, true) => "building",
                (false, false) => "off",
            },
        },
        "writable": failure.is_none(),
    });
    if let Some(index) = &related {
        body["indexed"] = json!(index.len());
        // Articles whose related list is still to be made; until it is, their
        // related stories come from the full query, which is slower.
        body["related_lists_waiting"] = json!(index.lists_waiting());
    }
    if let Some(reason) = failure {
        body["write_failure"] = json!(reason);
    }
    let required = q.require.as_deref() == Some("related");
    if required && related.is_none() {
        body["status"] = json!("starting");
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body));
    }
    (StatusCode::OK, Json(body))
}
