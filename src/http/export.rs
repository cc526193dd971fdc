//! `GET /api/export`: an online, consistent backup as JSON Lines.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tokio_stream::wrappers::ReceiverStream;

use super::AppState;
use super::auth::WriteAccess;
use super::openapi::ErrorBody;

/// Streams every article, as `herald export` would, while the server keeps serving
/// reads; writes wait until the export is done so the backup is one consistent state.
/// Restore with `herald import`. Needs a write token: it hands out the whole store.
#[utoipa::path(get, path = "/api/export", tag = "operations", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every article as JSON Lines, one consistent state", body = String, content_type = "application/x-ndjson"),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 403, description = "No token is configured", body = ErrorBody)))]
pub async fn export(State(state): State<AppState>, _: WriteAccess) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(64);
    let ingest = state.ingest.clone();
    tokio::task::spawn_blocking(move || {
        let sent = ingest.export(|line| tx.blocking_send(Ok(line)).is_ok());
        match sent {
            Ok(n) => tracing::info!(articles = n, "export finished"),
            Err(e) => {
                tracing::error!(error = %e, "export failed");
                // The client sees a truncated body rather than a clean end.
                let _ = tx.blocking_send(Err(std::io::Error::other("export failed")));
            }
        }
    });
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-ndjson"),
        )],
        Body::from_stream(ReceiverStream::new(rx)),
    )
        .into_response()
}
