//! `GET /api/changes`: the change log, in order, with long polling.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::extract::Query;
use super::openapi::ErrorBody;
use super::{ApiError, AppState, blocking};
use crate::history::Change;
use crate::store::Since;

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;
const MAX_WAIT_SECS: usize = 60;

/// Query of `GET /api/changes`; parsed by hand so errors name the parameter.
#[derive(Deserialize)]
pub struct ChangesQuery {
    since: Option<String>,
    limit: Option<String>,
    wait: Option<String>,
}

/// Entries after `since`, and the `since` of the next call.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ChangesPage {
    changes: Vec<Change>,
    next: u64,
}

/// `GET /api/changes?since=SEQ&limit=N&wait=S`: the entries after `since`, oldest
/// first. With `wait`, a call that finds none waits up to that many seconds for one.
/// Public, like feeds: it says only what feeds already show.
#[utoipa::path(get, path = "/api/changes", tag = "changes",
    params(
        ("since" = Option<u64>, Query, description = "The `next` of the previous call; 0 (the default) for the start"),
        ("limit" = Option<u32>, Query, description = "1 to 1000, default 100"),
        ("wait" = Option<u32>, Query, description = "Seconds to wait for a change when there is none yet, 1 to 60")),
    responses(
        (status = 200, description = "Entries after `since`, in order", body = ChangesPage),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
        (status = 410, description = "Entries after `since` are no longer kept (or the log started afresh): resynchronise from the feeds, then read from `oldest`", body = ErrorBody),
        (status = 503, description = "Too many calls wait already; retry after Retry-After", body = ErrorBody)))]
pub async fn changes(
    State(state): State<AppState>,
    Query(q): Query<ChangesQuery>,
) -> Result<Json<ChangesPage>, ApiError> {
    let since = match q.since.as_deref() {
        None => 0,
        // The OpenAPI document's int64: a larger number is no position of this log.
        Some(s) => s
            .parse::<u64>()
            .ok()
            .filter(|n| i64::try_from(*n).is_ok())
            .ok_or_else(|| {
                ApiError::bad_param(
                    "since",
                    format!("must be a whole number from 0 to {}", i64::MAX),
                )
            })?,
    };
    let limit = super::bounded_param("limit", q.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
    let wait = match q.wait.as_deref() {
        None => 0,
        Some(_) => super::bounded_param("wait", q.wait.as_deref(), 1, MAX_WAIT_SECS)?,
    };
    let page = read(&state, since, limit).await?;
    if !page.changes.is_empty() || wait == 0 {
        return Ok(Json(page));
    }
    let Ok(_permit) = state.waiting.clone().try_acquire_owned() else {
        return Err(ApiError::Unavailable {
            error: "too_many_waiting",
            message: format!(
                "{} calls already wait for changes (changes.max_waiting); call again without wait, or later",
                state.settings.changes.max_waiting
            ),
            retry_after_secs: 5,
        });
    };
    let mut head = state.ingest.store().watch_log();
    let _ = tokio::time::timeout(
        Duration::from_secs(wait as u64),
        head.wait_for(|seq| *seq > since),
    )
    .await;
    Ok(Json(read(&state, since, limit).await?))
}

async fn read(state: &AppState, since: u64, limit: usize) -> Result<ChangesPage, ApiError> {
    let store = state.ingest.store().clone();
    match blocking(move || Ok(store.changes(since, limit)?)).await? {
        Since::Entries { changes, next } => Ok(ChangesPage { changes, next }),
        Since::Gone { oldest } => Err(ApiError::ChangesGone { since, oldest }),
    }
}
