//! `/api/categories`: list, read and set sections.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::auth::WriteAccess;
use super::body::{self, CategoryBody};
use super::extract::Path;
use super::openapi::{BodyRefusals, ErrorBody, WriteRefusals};
use super::{ApiError, AppState, blocking};
use crate::category::{Category, CategoryInput};
use crate::ingest::PutCategoryError;

/// `GET /api/categories`.
#[utoipa::path(get, path = "/api/categories", tag = "categories",
    responses((status = 200, description = "Every section", body = CategoryList)))]
pub async fn list(State(state): State<AppState>) -> Json<CategoryList> {
    Json(CategoryList {
        categories: state.ingest.catalog().all(),
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
    let catalog = state.ingest.catalog();
    catalog.get(&slug).map(Json).ok_or_else(|| {
        ApiError::not_found(format!("unknown category {slug:?}"), Some(catalog.slugs()))
    })
}

/// `PUT /api/categories/{slug}`: 201 when new, 200 when replaced; durable on return.
#[utoipa::path(put, path = "/api/categories/{slug}", tag = "categories",
    params(("slug" = String, Path, description = "Section slug: a-z, 0-9 and '-'")),
    request_body = CategoryInput, security(("bearer" = [])),
    responses(
        (status = 200, description = "Replaced", body = Category),
        (status = 201, description = "Created", body = Category),
        BodyRefusals, WriteRefusals))]
pub async fn put_one(
    State(state): State<AppState>,
    _: WriteAccess,
    Path(slug): Path<String>,
    body::Json(input, _): body::Json<CategoryInput, CategoryBody>,
) -> Result<(StatusCode, Json<Category>), ApiError> {
    let ingest = state.ingest.clone();
    let (category, created) = blocking(move || {
        ingest.put_category(slug, input).map_err(|e| match e {
            PutCategoryError::Invalid(fields) => ApiError::Invalid {
                what: "category",
                fields,
            },
            PutCategoryError::Store(e) => ApiError::Store(e),
        })
    })
    .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(category)))
}
