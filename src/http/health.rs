//! Liveness.

use axum::Json;
use serde_json::{Value, json};

/// `GET /healthz`: 200 while the process serves requests.
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}
