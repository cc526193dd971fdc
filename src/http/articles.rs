//! `/api/articles` and `/api/articles/{id}`: read, list, create or replace, delete.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::auth::{MaybeWriteAccess, WriteAccess};
use super::body::{self, ArticleBody, Limited, RetractionBody};
use super::extract::{Path, Query};
use super::openapi::{BodyRefusals, ErrorBody, WriteRefusals};
use super::{ApiError, AppState, blocking};
use crate::article::{Article, ArticleInput, FieldError, normalize_tag, plain_text};
use crate::history::MAX_REASON_CHARS;
use crate::ingest::{Found, PutOutcome};
use crate::scope::Scope;
use crate::store::{Cursor, Deleted};

const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;

/// Query of `GET /api/articles`; parsed by hand so errors name the parameter.
#[derive(Deserialize)]
pub struct ListQuery {
    category: Option<String>,
    tag: Option<String>,
    limit: Option<String>,
    before: Option<String>,
    status: Option<String>,
}

/// One page of a listing; `next` is the cursor of the following page (`before`, or
/// for scheduled articles `after`).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ListPage {
    articles: Vec<Article>,
    next: Option<String>,
}

/// `GET /api/articles/{id}`: a public article to anyone; a scheduled one too with a
/// write token (marked `Herald-Status: scheduled`); a retracted one is 410 while its
/// tombstone lasts.
#[utoipa::path(get, path = "/api/articles/{id}", tag = "articles", params(("id" = String, Path, description = "Article id")),
    responses(
        (status = 200, description = "The article as stored", body = Article,
            headers(("Herald-Status" = String, description = "published, or scheduled (write token only)"))),
        (status = 401, description = "A wrong bearer token", body = ErrorBody),
        (status = 404, description = "No such article", body = ErrorBody),
        (status = 410, description = "Retracted: when, and why", body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    MaybeWriteAccess(newsroom): MaybeWriteAccess,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let ingest = state.ingest.clone();
    let lookup = id.clone();
    let found = blocking(move || Ok(ingest.find(&lookup, newsroom)?)).await?;
    let (article, status) = match found {
        Found::Public(a) => (a, "published"),
        Found::Scheduled(a) => (a, "scheduled"),
        Found::Retracted(t) => {
            return Err(ApiError::Retracted {
                when: t.when,
                reason: t.reason,
            });
        }
        Found::Missing => {
            return Err(ApiError::not_found(
                format!("no article with id {id:?}"),
                None,
            ));
        }
    };
    let mut response = ([("herald-status", status)], Json(&article)).into_response();
    let headers = response.headers_mut();
    if status == "scheduled" {
        // The newsroom's view of an embargoed story: no cache may keep it.
        headers.insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("private, no-store"),
        );
    } else {
        headers.insert(
            axum::http::header::CACHE_CONTROL,
            super::edge::cache_control(&state.edge, 60),
        );
        super::edge::insert(headers, &state.edge, &[state.edge.article_key(&article.id)]);
    }
    Ok(response)
}

/// `GET /api/articles?category=&tag=&limit=&before=`: newest first, with a cursor;
/// `status=scheduled` (write token required) lists what waits, soonest first.
#[utoipa::path(get, path = "/api/articles", tag = "articles",
    params(
        ("category" = Option<String>, Query, description = "Only this section"),
        ("tag" = Option<String>, Query, description = "Only this tag"),
        ("limit" = Option<u32>, Query, description = "1 to 100, default 20"),
        ("before" = Option<String>, Query, description = "The `next` cursor of the previous page"),
        ("status" = Option<String>, Query, description = "`published` (the default), or `scheduled` with a write token: soonest first, and `before` is the cursor of the previous page")),
    responses(
        (status = 200, description = "Newest first (scheduled: soonest first)", body = ListPage),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
        (status = 401, description = "status=scheduled without a valid bearer token", body = ErrorBody),
        (status = 404, description = "Unknown category", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    MaybeWriteAccess(newsroom): MaybeWriteAccess,
    Query(q): Query<ListQuery>,
) -> Result<Json<ListPage>, ApiError> {
    let limit = super::bounded_param("limit", q.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
    let cursor = match q.before.as_deref() {
        None | Some("") => None,
        Some(s) => Some(
            s.parse::<Cursor>()
                .map_err(|r| ApiError::bad_param("before", r))?,
        ),
    };
    let scheduled = match q.status.as_deref() {
        None | Some("published") => false,
        Some("scheduled") if newsroom => true,
        Some("scheduled") => return Err(ApiError::Unauthorized),
        Some(_) => {
            return Err(ApiError::bad_param(
                "status",
                "must be published or scheduled",
            ));
        }
    };
    let scope = list_scope(&state, q.category.as_deref(), q.tag.as_deref())?;
    if scheduled && scope != Scope::All {
        return Err(ApiError::bad_param(
            "status",
            "scheduled articles are listed for the whole site only",
        ));
    }
    let store = state.ingest.store().clone();
    // One extra tells whether another page exists.
    let mut articles = blocking(move || {
        Ok(if scheduled {
            store.scheduled(limit + 1, cursor.as_ref())?
        } else {
            store.list(&scope, limit + 1, cursor.as_ref())?
        })
    })
    .await?;
    let next = (articles.len() > limit).then(|| {
        articles.truncate(limit);
        articles.last().map(|a| Cursor::after(a).to_string())
    });
    Ok(Json(ListPage {
        articles,
        next: next.flatten(),
    }))
}

/// The scope a listing's `category` or `tag` names.
fn list_scope(
    state: &AppState,
    category: Option<&str>,
    tag: Option<&str>,
) -> Result<Scope, ApiError> {
    match (category, tag) {
        (Some(_), Some(_)) => Err(ApiError::bad_param("tag", "give category or tag, not both")),
        (Some(c), None) => {
            let catalog = state.ingest.catalog();
            if !catalog.contains(c) {
                return Err(ApiError::not_found(
                    format!("unknown category {c:?}"),
                    Some(catalog.slugs()),
                ));
            }
            Ok(Scope::Category(c.to_string()))
        }
        (None, Some(t)) => Ok(Scope::Tag(normalize_tag(t))),
        (None, None) => Ok(Scope::All),
    }
}

/// `PUT /api/articles/{id}`: 201 when created, 200 when replaced; durable on return.
#[utoipa::path(put, path = "/api/articles/{id}", tag = "articles", params(("id" = String, Path, description = "Article id")),
    request_body = ArticleInput, security(("bearer" = [])),
    responses(
        (status = 200, description = "Replaced; durable", body = Article),
        (status = 201, description = "Created; durable", body = Article),
        BodyRefusals, WriteRefusals))]
pub async fn put_one(
    State(state): State<AppState>,
    _: WriteAccess,
    Path(id): Path<String>,
    body::Json(mut input, _): body::Json<ArticleInput, ArticleBody>,
) -> Result<(StatusCode, Json<Article>), ApiError> {
    let mismatch = input.id.as_ref().is_some_and(|body_id| *body_id != id);
    input.id = Some(id.clone());
    let mut article = state.ingest.validate(input);
    if mismatch {
        let err = FieldError::new("id", format!("does not match the id in the path, {id:?}"));
        article = Err(article
            .err()
            .unwrap_or_default()
            .into_iter()
            .chain([err])
            .collect());
    }
    let article = article.map_err(|fields| ApiError::Invalid {
        what: "article",
        fields,
    })?;
    let ingest = state.ingest.clone();
    let stored = article.clone();
    let outcome = blocking(move || Ok(ingest.put_durable(&stored)?)).await?;
    tracing::info!(article_id = %article.id, ?outcome, "article stored");
    let status = match outcome {
        PutOutcome::Created => StatusCode::CREATED,
        PutOutcome::Replaced => StatusCode::OK,
    };
    Ok((status, Json(article)))
}

/// Query of `DELETE /api/articles/{id}`.
#[derive(Deserialize)]
pub struct DeleteQuery {
    reason: Option<String>,
}

/// The optional body of `DELETE /api/articles/{id}`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Retraction {
    /// Why the article is retracted; shown in the Atom tombstone and the 410.
    reason: Option<String>,
}

/// `DELETE /api/articles/{id}`: 204, or 404 when unknown; durable on return. A
/// public article is retracted: it leaves every feed at once and leaves a tombstone
/// with the reason (from the body `{"reason": "…"}` or `?reason=`). A scheduled one
/// is cancelled.
#[utoipa::path(delete, path = "/api/articles/{id}", tag = "articles",
    params(("id" = String, Path, description = "Article id"),
        ("reason" = Option<String>, Query, description = "Why it is retracted (or give it in the body)")),
    request_body(content = Option<Retraction>, description = "Optional: the reason"),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Retracted (or, if scheduled, cancelled); durable"),
        (status = 404, description = "No such article", body = ErrorBody),
        BodyRefusals, WriteRefusals))]
pub async fn delete_one(
    State(state): State<AppState>,
    _: WriteAccess,
    Path(id): Path<String>,
    Query(q): Query<DeleteQuery>,
    Limited(body, _): Limited<RetractionBody>,
) -> Result<StatusCode, ApiError> {
    let from_body = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        body::parse::<Retraction>(&body, "retraction")?.reason
    };
    let reason = match from_body.or(q.reason) {
        None => None,
        Some(raw) => {
            let reason = plain_text(&raw);
            if reason.chars().count() > MAX_REASON_CHARS {
                return Err(ApiError::Invalid {
                    what: "retraction",
                    fields: vec![FieldError::new(
                        "reason",
                        format!("longer than {MAX_REASON_CHARS} characters"),
                    )],
                });
            }
            (!reason.is_empty()).then_some(reason)
        }
    };
    let ingest = state.ingest.clone();
    let target = id.clone();
    match blocking(move || Ok(ingest.delete_durable(&target, reason)?)).await? {
        Deleted::Unknown => Err(ApiError::not_found(
            format!("no article with id {id:?}"),
            None,
        )),
        Deleted::Retracted(_) => {
            tracing::info!(article_id = %id, "article retracted");
            Ok(StatusCode::NO_CONTENT)
        }
        Deleted::Cancelled(_) => {
            tracing::info!(article_id = %id, "scheduled article cancelled");
            Ok(StatusCode::NO_CONTENT)
        }
    }
}
