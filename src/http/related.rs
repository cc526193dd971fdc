//! `GET /api/articles/{id}/related`: "you may be interested" and "same section".

use axum::extract::State;

use super::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::openapi::ErrorBody;
use super::{ApiError, AppState, blocking};
use crate::category::Catalog;
use crate::scope::Scope;

const DEFAULT_LIMIT: usize = 5;
const MAX_LIMIT: usize = 20;

/// Query of the related endpoint; parsed by hand so errors name the parameter.
#[derive(Deserialize)]
pub struct RelatedQuery {
    limit: Option<String>,
    category: Option<String>,
    exclude: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Answer {
    article: Source,
    related: Vec<Teaser>,
    same_category: Vec<Teaser>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Source {
    id: String,
    url: String,
    title: String,
}

/// One story to show: enough for a teaser without another call.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Teaser {
    id: String,
    url: String,
    title: String,
    summary: String,
    category: CategoryRef,
    published: String,
    image: Option<ImageRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f32>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CategoryRef {
    slug: String,
    title: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ImageRef {
    url: String,
    width: Option<u32>,
    height: Option<u32>,
    caption: Option<String>,
}

/// The stored fields a teaser needs; decoding into it skips the body.
#[derive(Deserialize)]
struct Stored {
    id: String,
    url: String,
    title: String,
    #[serde(default)]
    summary: String,
    category: String,
    published: chrono::DateTime<chrono::FixedOffset>,
    #[serde(default)]
    images: Vec<crate::article::Image>,
}

impl Teaser {
    fn new(a: Stored, catalog: &Catalog, score: Option<f32>) -> Teaser {
        let title = catalog
            .get(&a.category)
            .map_or_else(|| a.category.clone(), |c| c.title);
        Teaser {
            published: a
                .published
                .with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            image: a.images.into_iter().next().map(|i| ImageRef {
                url: i.url,
                width: i.width,
                height: i.height,
                caption: i.caption,
            }),
            category: CategoryRef {
                slug: a.category,
                title,
            },
            id: a.id,
            url: a.url,
            title: a.title,
            summary: a.summary,
            // Three decimals are plenty to rank by and keep responses stable.
            score: score.map(|s| (s * 1000.0).round() / 1000.0),
        }
    }
}

/// Related by content, then the newest in the article's category.
#[utoipa::path(get, path = "/api/articles/{id}/related", tag = "related",
    params(("id" = String, Path, description = "Article id"),
        ("limit" = Option<u32>, Query, description = "1 to 20, default 5"),
        ("category" = Option<String>, Query, description = "Only related stories from this section"),
        ("exclude" = Option<String>, Query, description = "Comma-separated ids the page already shows")),
    responses(
        (status = 200, description = "Related by content, then the newest in the same section", body = Answer),
        (status = 304, description = "Not modified since If-None-Match"),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
        (status = 404, description = "No such article", body = ErrorBody)))]
pub async fn related(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<RelatedQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let limit = super::bounded_param("limit", q.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
    let catalog = state.ingest.catalog.clone();
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
    let ingest = state.ingest.clone();
    let answer = blocking(move || {
        let store = &ingest.store;
        let article = store
            .get(&id)?
            .ok_or_else(|| ApiError::not_found(format!("no article with id {id:?}"), None))?;
        let hits = match &ingest.related {
            Some(index) => index.related(&article, limit, category.as_deref(), &exclude),
            None => Vec::new(),
        };
        let mut related = Vec::with_capacity(hits.len());
        for hit in hits {
            if let Some(a) = store.get_as::<Stored>(&hit.id)? {
                related.push(Teaser::new(a, &catalog, Some(hit.score)));
            }
        }
        let skip = |a: &Stored| {
            a.id == article.id || exclude.contains(&a.id) || related.iter().any(|r| r.id == a.id)
        };
        let wanted = limit + 1 + exclude.len() + related.len();
        let same_category: Vec<Teaser> = store
            .list_as::<Stored>(&Scope::Category(article.category.clone()), wanted, None)?
            .into_iter()
            .filter(|a| !skip(a))
            .take(limit)
            .map(|a| Teaser::new(a, &catalog, None))
            .collect();
        Ok(Answer {
            article: Source {
                id: article.id,
                url: article.url,
                title: article.title,
            },
            related,
            same_category,
        })
    })
    .await?;
    Ok(respond(&answer, &headers))
}

fn respond(answer: &Answer, req: &HeaderMap) -> Response {
    let body = serde_json::to_vec(answer).expect("an answer always serialises");
    let digest = Sha256::digest(&body);
    let etag = format!(
        "\"{}\"",
        digest[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let matches = req
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag)
        });
    let headers = [
        (
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=60"),
        ),
        (
            header::ETAG,
            HeaderValue::from_str(&etag).expect("hex is a valid header"),
        ),
    ];
    if matches {
        (StatusCode::NOT_MODIFIED, headers).into_response()
    } else {
        let json = [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )];
        (headers, json, body).into_response()
    }
}
