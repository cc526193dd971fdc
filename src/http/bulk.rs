//! `POST /api/articles`: many articles at once, as a JSON array or JSON Lines.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::auth::WriteAccess;
use super::body::{self, BulkBody, Limited};
use super::openapi::{ErrorBody, WriteRefusals};
use super::{ApiError, AppState, blocking};
use crate::article::ArticleInput;
use crate::ingest::{BatchReport, RawItem, line_from_value, parse_lines};

/// Stores the valid items and reports the invalid ones by index and field.
/// 200 when anything was stored or nothing was sent, 422 when every item failed.
#[utoipa::path(post, path = "/api/articles", tag = "articles",
    request_body(content(
        (Vec<ArticleInput> = "application/json"),
        (String = "application/x-ndjson"))),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Valid items stored (durable); invalid ones reported", body = BatchReport),
        (status = 400, description = "Malformed JSON or a bad parameter", body = ErrorBody),
        (status = 413, description = "Body over the configured limit", body = ErrorBody),
        (status = 422, description = "Every item was invalid", body = BatchReport),
        WriteRefusals))]
pub async fn post(
    State(state): State<AppState>,
    _: WriteAccess,
    Limited(body, _): Limited<BulkBody>,
) -> Result<(StatusCode, Json<BatchReport>), ApiError> {
    let limits = &state.settings.limits;
    if body.iter().all(u8::is_ascii_whitespace) {
        // Almost always a script that lost its input; `[]` is the explicit empty batch.
        return Err(ApiError::bad_param(
            "body",
            "empty; send a JSON array or JSON Lines of articles",
        ));
    }
    let text = std::str::from_utf8(&body)
        .map_err(|e| ApiError::bad_param("body", format!("not UTF-8: {e}")))?;
    let items = if text.trim_start().starts_with('[') {
        let values: Vec<serde_json::Value> = body::parse(text.as_bytes(), "batch")?;
        values
            .into_iter()
            .map(|v| RawItem {
                line: None,
                input: line_from_value(v),
            })
            .collect()
    } else {
        parse_lines(text)
    };
    if items.len() > limits.max_bulk_items {
        return Err(ApiError::bad_param(
            "body",
            format!(
                "{} articles, more than limits.max_bulk_items ({})",
                items.len(),
                limits.max_bulk_items
            ),
        ));
    }
    let ingest = state.ingest.clone();
    let report = blocking(move || Ok(ingest.write_batch(items, false, || {})?)).await?;
    tracing::info!(
        created = report.created,
        replaced = report.replaced,
        failed = report.failed.len(),
        "bulk write"
    );
    let stored = report.created + report.replaced;
    let status = if stored == 0 && !report.failed.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)))
}
