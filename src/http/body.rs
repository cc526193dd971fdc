//! Request bodies: read within the limit of their own setting (a JSON 413 naming
//! it), and parsed as JSON with errors that name the field.

use std::marker::PhantomData;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use super::{ApiError, AppState};
use crate::article::{ParseError, parse_json};
use crate::config::LimitSettings;

/// A kind of request body: what it holds and which setting bounds it.
pub trait BodyKind {
    /// What the body describes, as in `invalid_{WHAT}`.
    const WHAT: &'static str;
    /// The setting that bounds it, named in a 413.
    const LIMIT_KEY: &'static str;
    /// That setting's value.
    fn limit(limits: &LimitSettings) -> usize;
}

/// One article (`PUT /api/articles/{id}`).
pub struct ArticleBody;
/// Many articles (`POST /api/articles`).
pub struct BulkBody;
/// One section (`PUT /api/categories/{slug}`).
pub struct CategoryBody;

impl BodyKind for ArticleBody {
    const WHAT: &'static str = "article";
    const LIMIT_KEY: &'static str = "limits.max_article_request_bytes";
    fn limit(limits: &LimitSettings) -> usize {
        limits.max_article_request_bytes
    }
}

impl BodyKind for BulkBody {
    const WHAT: &'static str = "batch";
    const LIMIT_KEY: &'static str = "limits.max_bulk_request_bytes";
    fn limit(limits: &LimitSettings) -> usize {
        limits.max_bulk_request_bytes
    }
}

impl BodyKind for CategoryBody {
    const WHAT: &'static str = "category";
    const LIMIT_KEY: &'static str = "limits.max_category_request_bytes";
    fn limit(limits: &LimitSettings) -> usize {
        limits.max_category_request_bytes
    }
}

/// A small form (`POST /websub`).
pub struct SmallFormBody;

impl BodyKind for SmallFormBody {
    const WHAT: &'static str = "form";
    const LIMIT_KEY: &'static str = "limits.max_form_request_bytes";
    fn limit(limits: &LimitSettings) -> usize {
        limits.max_form_request_bytes
    }
}

/// Why an article is retracted (`DELETE /api/articles/{id}`).
pub struct RetractionBody;

impl BodyKind for RetractionBody {
    const WHAT: &'static str = "retraction";
    const LIMIT_KEY: &'static str = "limits.max_retraction_request_bytes";
    fn limit(limits: &LimitSettings) -> usize {
        limits.max_retraction_request_bytes
    }
}

/// The request body as bytes, read up to `K`'s limit.
pub struct Limited<K>(pub Bytes, pub PhantomData<K>);

impl<K: BodyKind> FromRequest<AppState> for Limited<K> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let limit = K::limit(&state.settings.limits);
        match axum::body::to_bytes(req.into_body(), limit).await {
            Ok(bytes) => Ok(Limited(bytes, PhantomData)),
            Err(e) => {
                let too_large = std::error::Error::source(&e)
                    .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
                Err(if too_large {
                    ApiError::TooLarge {
                        limit,
                        key: K::LIMIT_KEY,
                    }
                } else {
                    ApiError::bad_param("body", e.to_string())
                })
            }
        }
    }
}

/// The request body parsed as a `T`, read up to `K`'s limit.
pub struct Json<T, K>(pub T, pub PhantomData<K>);

impl<T: DeserializeOwned, K: BodyKind> FromRequest<AppState> for Json<T, K> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let Limited(bytes, _) = Limited::<K>::from_request(req, state).await?;
        Ok(Json(parse::<T>(&bytes, K::WHAT)?, PhantomData))
    }
}

/// `bytes` as a `T`: a JSON 400 with line and column when they are not JSON, a 422
/// naming the field when a field is wrong (`what` names the document).
pub fn parse<T: DeserializeOwned>(bytes: &[u8], what: &'static str) -> Result<T, ApiError> {
    parse_json(bytes).map_err(|e| match e {
        ParseError::Syntax {
            line,
            column,
            message,
        } => ApiError::MalformedJson {
            line,
            column,
            message,
        },
        ParseError::Field(field) => ApiError::Invalid {
            what,
            fields: vec![field],
        },
    })
}
