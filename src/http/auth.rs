//! The `WriteAccess` extractor: a handler that takes it only runs for a valid token.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::{ApiError, AppState};

/// Proof that the request carried an accepted bearer token.
pub struct WriteAccess;

impl FromRequestParts<AppState> for WriteAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if !state.tokens.enabled() {
            return Err(ApiError::WritesDisabled);
        }
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            });
        match token {
            Some(t) if state.tokens.accepts(t) => Ok(WriteAccess),
            _ => Err(ApiError::Unauthorized),
        }
    }
}

/// Whether the request carried an accepted bearer token: reads are public, but a
/// newsroom's token shows it more (scheduled articles). A wrong token is still a 401.
pub struct MaybeWriteAccess(pub bool);

impl FromRequestParts<AppState> for MaybeWriteAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if parts.headers.get(AUTHORIZATION).is_none() {
            return Ok(MaybeWriteAccess(false));
        }
        WriteAccess::from_request_parts(parts, state)
            .await
            .map(|_| MaybeWriteAccess(true))
    }
}
