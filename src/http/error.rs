//! `ApiError`: every way a request can fail, and the JSON response for each.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::article::FieldError;
use crate::feed::FeedError;
use crate::store::StoreError;

/// A failed request. Each variant documents its status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the body is not JSON.
    #[error("malformed JSON at line {line}, column {column}: {message}")]
    MalformedJson {
        line: usize,
        column: usize,
        message: String,
    },
    /// 400: a path or query parameter is wrong.
    #[error("{field}: {reason}")]
    BadParam { field: String, reason: String },
    /// 422: a document (an article, a section) fails validation; every problem is
    /// listed, each naming its field.
    #[error("invalid {what}")]
    Invalid {
        what: &'static str,
        fields: Vec<FieldError>,
    },
    /// 404: nothing by that name; `known` lists what exists, where that helps.
    #[error("{message}")]
    NotFound {
        message: String,
        known: Option<Vec<String>>,
    },
    /// 410: the article was retracted (while its tombstone lasts).
    #[error("retracted")]
    Retracted {
        when: chrono::DateTime<chrono::Utc>,
        reason: Option<String>,
    },
    /// 410: the change log no longer holds entries after `since`.
    #[error(
        "the change log no longer holds entries after {since}; resynchronise from the feeds, then read from {oldest}"
    )]
    ChangesGone { since: u64, oldest: u64 },
    /// 503 with `Retry-After`: a part of the service is not ready yet, or busy.
    #[error("{message}")]
    Unavailable {
        error: &'static str,
        message: String,
        retry_after_secs: u32,
    },
    /// 429 with `Retry-After`: a cap is reached.
    #[error("{0}")]
    TooManyRequests(String),
    /// 401: no bearer token, or a wrong one.
    #[error("a valid bearer token is required: send Authorization: Bearer <token>")]
    Unauthorized,
    /// 401: a partner feed without a key of that partner (or of a partner that does
    /// not exist: the answer is the same).
    #[error(
        "a partner key is required: send Authorization: Bearer <key>, HTTP Basic with the key as password, or ?key=<key>"
    )]
    PartnerKey,
    /// 403: no token is configured, so writes are disabled.
    #[error(
        "writes are disabled because no API token is configured; set HERALD_API_TOKENS or auth.tokens_file"
    )]
    WritesDisabled,
    /// 413: the body is larger than the configured limit.
    #[error("request body larger than the limit of {limit} bytes ({key})")]
    TooLarge { limit: usize, key: &'static str },
    /// 503 for storage failures (disk full, read-only), 500 for corruption.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// 500: rendering a feed failed (its task panicked or was cancelled).
    #[error("{0}")]
    RenderFailed(String),
    /// 500: a bug; details are logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A 404 for `what`, optionally listing the names that do exist.
    pub fn not_found(message: impl Into<String>, known: Option<Vec<String>>) -> Self {
        ApiError::NotFound {
            message: message.into(),
            known,
        }
    }

    /// A 400 for a bad parameter.
    pub fn bad_param(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ApiError::BadParam {
            field: field.into(),
            reason: reason.into(),
        }
    }

    fn status_and_body(&self) -> (StatusCode, Value) {
        use ApiError::*;
        let msg = self.to_string();
        match self {
            MalformedJson { line, column, .. } => (
                StatusCode::BAD_REQUEST,
                json!({"error": "malformed_json", "message": msg, "line": line, "column": column}),
            ),
            BadParam { field, reason } => (
                StatusCode::BAD_REQUEST,
                json!({"error": "invalid_parameter", "message": msg,
                       "fields": [{"field": field, "reason": reason}]}),
            ),
            Invalid { what, fields } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"error": format!("invalid_{what}"), "fields": fields}),
            ),
            NotFound { known, .. } => {
                let mut body = json!({"error": "not_found", "message": msg});
                if let Some(known) = known {
                    body["known"] = json!(known);
                }
                (StatusCode::NOT_FOUND, body)
            }
            Retracted { when, reason } => (
                StatusCode::GONE,
                json!({"error": "retracted", "when": when, "reason": reason}),
            ),
            ChangesGone { oldest, .. } => (
                StatusCode::GONE,
                json!({"error": "changes_gone", "message": msg, "oldest": oldest}),
            ),
            Unavailable { error, .. } => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"error": error, "message": msg}),
            ),
            TooManyRequests(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                json!({"error": "too_many", "message": msg}),
            ),
            Unauthorized | PartnerKey => (
                StatusCode::UNAUTHORIZED,
                json!({"error": "unauthorized", "message": msg}),
            ),
            WritesDisabled => (
                StatusCode::FORBIDDEN,
                json!({"error": "writes_disabled", "message": msg}),
            ),
            TooLarge { .. } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"error": "payload_too_large", "message": msg}),
            ),
            RenderFailed(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"error": "render_failed",
                       "message": "rendering this feed failed; see the server log"}),
            ),
            Store(StoreError::Corrupt { .. } | StoreError::Backend { .. }) | Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"error": "internal", "message": "internal error; see the server log"}),
            ),
            Store(e) => {
                let message = match e.io_reason() {
                    Some(reason) => format!(
                        "storage is refusing writes ({reason}): the data directory may be full or \
                         read-only. Nothing from this request is acknowledged and nothing acknowledged \
                         is lost; reads that need no change on disk keep working. Fix the disk, \
                         then restart Herald."
                    ),
                    None => "the store cannot complete this request now; see the server log".into(),
                };
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    json!({"error": "storage_unavailable", "message": message}),
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = self.status_and_body();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut response = (status, Json(body)).into_response();
        if matches!(self, ApiError::TooLarge { .. }) {
            // The rest of the body is never read: close the connection, as nginx does,
            // rather than leave a client blocked sending it until the request timeout.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            // Clients back off instead of hammering: a failing disk for a minute, a
            // part still starting or busy for a few seconds.
            let secs = match &self {
                ApiError::Unavailable {
                    retry_after_secs, ..
                } => *retry_after_secs,
                _ => 60,
            };
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        }
        if matches!(self, ApiError::PartnerKey) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"partners\", Basic realm=\"partners\""),
            );
        }
        if matches!(self, ApiError::Unauthorized) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<FeedError> for ApiError {
    fn from(e: FeedError) -> Self {
        match e {
            FeedError::Store(e) => ApiError::Store(e),
            failed @ FeedError::RenderFailed { .. } => ApiError::RenderFailed(failed.to_string()),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        ApiError::Internal(format!("blocking task failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(kind: std::io::ErrorKind) -> (StatusCode, Value) {
        let err = StoreError::io("store article a", std::io::Error::from(kind));
        ApiError::Store(err).status_and_body()
    }

    #[test]
    fn full_and_read_only_disks_answer_503_with_the_reason() {
        for kind in [
            std::io::ErrorKind::StorageFull,
            std::io::ErrorKind::ReadOnlyFilesystem,
        ] {
            let (status, body) = refused(kind);
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            let message = body["message"].as_str().unwrap();
            assert!(message.contains(&kind.to_string()), "{message}");
            assert!(message.contains("full or read-only"), "{message}");
        }
    }
}
