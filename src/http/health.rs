//! Liveness and readiness.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;

/// `GET /healthz`: 200 while the process serves requests.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process serves requests", body = Object)))]
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`: 200 once the store is open and the related index is loaded (the
/// server listens only after both, so this fails only if the index is missing).
/// A disk that refuses writes shows as `"writable": false` but keeps the 200: reads
/// still work, and taking the instance out of rotation would stop them too.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready; `writable` says whether the disk takes writes", body = Object),
        (status = 503, description = "Still starting", body = Object)))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let store = state.ingest.store();
    let articles = store.article_count();
    match state.ingest.related() {
        Some(index) => {
            let indexed = index.len();
            let failure = store.write_failure();
            let mut body = json!({"status": "ready", "articles": articles, "indexed": indexed,
                                  "writable": failure.is_none()});
            if let Some(reason) = failure {
                body["write_failure"] = json!(reason);
            }
            (StatusCode::OK, Json(body))
        }
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "starting", "articles": articles})),
        ),
    }
}
