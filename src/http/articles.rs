//! `/api/articles` and `/api/articles/{id}`: read, list, create or replace, delete.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::auth::WriteAccess;
use super::body::{self, ArticleBody};
use super::extract::{Path, Query};
use super::openapi::{BodyRefusals, ErrorBody, WriteRefusals};
use super::{ApiError, AppState, blocking};
use crate::article::{Article, ArticleInput, FieldError, normalize_tag};
use crate::ingest::PutOutcome;
use crate::scope::Scope;
use crate::store::Cursor;

const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;

/// Query of `GET /api/articles`; parsed by hand so errors name the parameter.
#[derive(Deserialize)]
pub struct ListQuery {
    category: Option<String>,
    tag: Option<String>,
    limit: Option<String>,
    before: Option<String>,
}

/// One page of a listing; `next` is the `before` cursor of the following page.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ListPage {
    articles: Vec<Article>,
    next: Option<String>,
}

/// `GET /api/articles/{id}`.
#[utoipa::path(get, path = "/api/articles/{id}", tag = "articles", params(("id" = String, Path, description = "Article id")),
    responses(
        (status = 200, description = "The article as stored", body = Article),
        (status = 404, description = "No such article", body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Article>, ApiError> {
    let store = state.ingest.store().clone();
    let lookup = id.clone();
    let found = blocking(move || Ok(store.get(&lookup)?)).await?;
    found
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no article with id {id:?}"), None))
}

/// `GET /api/articles?category=&tag=&limit=&before=`: newest first, with a cursor.
#[utoipa::path(get, path = "/api/articles", tag = "articles",
    params(
        ("category" = Option<String>, Query, description = "Only this section"),
        ("tag" = Option<String>, Query, description = "Only this tag"),
        ("limit" = Option<u32>, Query, description = "1 to 100, default 20"),
        ("before" = Option<String>, Query, description = "The `next` cursor of the previous page")),
    responses(
        (status = 200, description = "Newest first", body = ListPage),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
        (status = 404, description = "Unknown category", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<ListPage>, ApiError> {
    let limit = super::bounded_param("limit", q.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
    let before = match q.before.as_deref() {
        None | Some("") => None,
        Some(s) => Some(
            s.parse::<Cursor>()
                .map_err(|r| ApiError::bad_param("before", r))?,
        ),
    };
    let scope = match (q.category.as_deref(), q.tag.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_param("tag", "give category or tag, not both"));
        }
        (Some(c), None) => {
            let catalog = state.ingest.catalog();
            if !catalog.contains(c) {
                return Err(ApiError::not_found(
                    format!("unknown category {c:?}"),
                    Some(catalog.slugs()),
                ));
            }
            Scope::Category(c.to_string())
        }
        (None, Some(t)) => Scope::Tag(normalize_tag(t)),
        (None, None) => Scope::All,
    };
    let store = state.ingest.store().clone();
    // One extra tells whether another page exists.
    let mut articles =
        blocking(move || Ok(store.list(&scope, limit + 1, before.as_ref())?)).await?;
    let next = (articles.len() > limit).then(|| {
        articles.truncate(limit);
        articles.last().map(|a| Cursor::after(a).to_string())
    });
    Ok(Json(ListPage {
        articles,
        next: next.flatten(),
    }))
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

/// `DELETE /api/articles/{id}`: 204, or 404 when unknown; durable on return.
#[utoipa::path(delete, path = "/api/articles/{id}", tag = "articles", params(("id" = String, Path, description = "Article id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted; durable"),
        (status = 404, description = "No such article", body = ErrorBody),
        WriteRefusals))]
pub async fn delete_one(
    State(state): State<AppState>,
    _: WriteAccess,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let ingest = state.ingest.clone();
    let target = id.clone();
    if blocking(move || Ok(ingest.delete_durable(&target)?)).await? {
        tracing::info!(article_id = %id, "article deleted");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(
            format!("no article with id {id:?}"),
            None,
        ))
    }
}
