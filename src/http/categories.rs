//! `/api/categories`: list, read and set sections.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;

use super::extract::Path;
use axum::http::StatusCode;
use serde::Deserialize;

use super::auth::WriteAccess;
use super::openapi::ErrorBody;
use super::{ApiError, AppState, blocking};
use crate::article::{FieldError, plain_text};
use crate::category::{Category, is_slug};

/// The body of `PUT /api/categories/{slug}`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    title: Option<String>,
    description: Option<String>,
}

/// `GET /api/categories`.
#[utoipa::path(get, path = "/api/categories", tag = "categories",
    responses((status = 200, description = "Every section", body = CategoryList)))]
pub async fn list(State(state): State<AppState>) -> Json<CategoryList> {
    Json(CategoryList {
        categories: state.ingest.catalog.all(),
    })
}

/// The body of `GET /api/categories`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CategoryList {
    categories: Vec<Category>,
}

/// `GET /api/categories/{slug}`.
#[utoipa::path(get, path = "/api/categories/{slug}", tag = "categories",
    params(("slug" = String, Path, description = "Section slug")),
    responses(
        (status = 200, description = "The section", body = Category),
        (status = 404, description = "Unknown section", body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<Category>, ApiError> {
    let catalog = &state.ingest.catalog;
    catalog.get(&slug).map(Json).ok_or_else(|| {
        ApiError::not_found(format!("unknown category {slug:?}"), Some(catalog.slugs()))
    })
}

/// `PUT /api/categories/{slug}`: 201 when new, 200 when replaced.
#[utoipa::path(put, path = "/api/categories/{slug}", tag = "categories",
    params(("slug" = String, Path, description = "Section slug: a-z, 0-9 and '-'")),
    request_body = CategoryInput, security(("bearer" = [])),
    responses(
        (status = 200, description = "Replaced", body = Category),
        (status = 201, description = "Created", body = Category),
        (status = 400, description = "Malformed JSON or a bad parameter", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 403, description = "Writes are disabled: no token is configured", body = ErrorBody),
        (status = 413, description = "Body over the configured limit", body = ErrorBody),
        (status = 422, description = "Invalid fields, each named", body = ErrorBody),
        (status = 503, description = "The disk refuses writes; retry after fixing it", body = ErrorBody)))]
pub async fn put_one(
    State(state): State<AppState>,
    _: WriteAccess,
    Path(slug): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Category>), ApiError> {
    let body = super::body_within(body, 64 * 1024, "category body")?;
    let input: CategoryInput = serde_json::from_slice(&body).map_err(|e| {
        if e.is_data() {
            ApiError::Invalid {
                what: "category",
                fields: vec![FieldError::new("", e.to_string())],
            }
        } else {
            ApiError::MalformedJson {
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            }
        }
    })?;
    let category = Category {
        title: plain_text(&input.title.unwrap_or_default()),
        description: plain_text(&input.description.unwrap_or_default()),
        slug,
    };
    let mut fields = Vec::new();
    if !is_slug(&category.slug) {
        fields.push(FieldError::new(
            "slug",
            "must be 1-64 characters of a-z, 0-9 and '-'",
        ));
    }
    if category.title.is_empty() {
        fields.push(FieldError::new("title", "required: must not be empty"));
    }
    if !fields.is_empty() {
        return Err(ApiError::Invalid {
            what: "category",
            fields,
        });
    }
    let ingest = state.ingest.clone();
    let stored = category.clone();
    blocking(move || {
        ingest.store.put_category(&stored)?;
        ingest.store.flush()?;
        Ok(())
    })
    .await?;
    let created = state.ingest.catalog.upsert(category.clone());
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(category)))
}
