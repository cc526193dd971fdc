//! Liveness and readiness.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;

/// `GET /healthz`: 200 while the process serves requests.
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`: 200 once the store is open and the related index is loaded (the
/// server listens only after both, so this fails only if the index is missing).
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let articles = state.ingest.store.article_count();
    match &state.ingest.related {
        Some(index) => {
            let indexed = index.len();
            (
                StatusCode::OK,
                Json(json!({"status": "ready", "articles": articles, "indexed": indexed})),
            )
        }
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "starting", "articles": articles})),
        ),
    }
}
