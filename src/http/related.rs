//! `GET /api/articles/{id}/related`: "you may be interested" and "same section".

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::extract::{Path, Query};
use serde::Deserialize;

use super::openapi::ErrorBody;
use super::{ApiError, AppState, blocking, conditional};
use crate::recommend::{Found, Ranking, RelatedAnswer, RelatedQuery, related_for};

const DEFAULT_LIMIT: usize = 5;
const MAX_LIMIT: usize = 20;

/// Query of the related endpoint; parsed by hand so errors name the parameter.
#[derive(Deserialize)]
pub struct RelatedParams {
    limit: Option<String>,
    category: Option<String>,
    exclude: Option<String>,
}

/// Related by content, then the newest in the article's category.
#[utoipa::path(get, path = "/api/articles/{id}/related", tag = "related",
    params(("id" = String, Path, description = "Article id"),
        ("limit" = Option<u32>, Query, description = "1 to 20, default 5"),
        ("category" = Option<String>, Query, description = "Only related stories from this section"),
        ("exclude" = Option<String>, Query, description = "Comma-separated ids the page already shows")),
    responses(
        (status = 200, description = "Related by content, then the newest in the same section", body = RelatedAnswer),
        (status = 304, description = "Not modified since If-None-Match"),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
        (status = 404, description = "No such article", body = ErrorBody),
        (status = 503, description = "The index is still being built (at start); retry after Retry-After", body = ErrorBody)))]
pub async fn related(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<RelatedParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let limit = super::bounded_param("limit", q.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
    let catalog = state.ingest.catalog();
    let category = q.category.filter(|c| !c.is_empty());
    if let Some(c) = &category
        && !catalog.contains(c)
    {
        let reason = format!(
            "unknown category {c:?}; known: {}",
            catalog.slugs().join(", ")
        );
        return Err(ApiError::bad_param("category", reason));
    }
    let exclude: Vec<String> = q
        .exclude
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let query = RelatedQuery {
        limit,
        category,
        exclude,
    };
    let Some(index) = state.ingest.related() else {
        return Err(ApiError::Unavailable {
            error: "related_not_ready",
            message: "the related-stories index is being built from the store; \
                      feeds and the article API already serve"
                .into(),
            retry_after_secs: 5,
        });
    };
    let not_found = |id: &str| ApiError::not_found(format!("no article with id {id:?}"), None);
    // An answer from the article's related list costs a few reads of sled's cache and
    // no ranking, so it is made on this thread: the hop to the blocking pool and back
    // was a fifth of such a call (275 against 224 µs at p50, 100,000 articles). The
    // full query walks the index, so it goes to the blocking pool.
    let ingest = &state.ingest;
    let listed = related_for(
        ingest.store(),
        &index,
        ingest.catalog(),
        &id,
        &query,
        Ranking::ListOnly,
    )?;
    let answer = match listed {
        Found::Answer(answer) => answer,
        Found::NoSuchArticle => return Err(not_found(&id)),
        Found::Unlisted => {
            let ingest = ingest.clone();
            blocking(move || {
                let store = ingest.store();
                match related_for(store, &index, ingest.catalog(), &id, &query, Ranking::Full)? {
                    Found::Answer(answer) => Ok(answer),
                    _ => Err(not_found(&id)),
                }
            })
            .await?
        }
    };
    Ok(respond(&state, &answer, &headers))
}

fn respond(state: &AppState, answer: &RelatedAnswer, req: &HeaderMap) -> Response {
    let body = serde_json::to_vec(answer).expect("an answer always serialises");
    let tag = crate::etag::tag(&body);
    let mut response = if conditional::not_modified(req, &tag, None) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/json")], body).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        super::edge::cache_control(&state.edge, 60),
    );
    headers.insert(
        header::ETAG,
        HeaderValue::from_str(&format!("\"{tag}\"")).expect("hex is a valid header"),
    );
    // The answer changes with the article asked about, any article it lists, and
    // the newest of its section.
    let edge = &state.edge;
    let mut keys: Vec<String> = std::iter::once(&answer.article.id)
        .chain(answer.related.iter().map(|t| &t.id))
        .chain(answer.same_category.iter().map(|t| &t.id))
        .map(|id| edge.article_key(id))
        .collect();
    if let Some(section) = &answer.section {
        keys.push(edge.scope_key(&crate::scope::Scope::Category(section.clone())));
    }
    super::edge::insert(headers, edge, &keys);
    response
}
