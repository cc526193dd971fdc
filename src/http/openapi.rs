//! The OpenAPI 3.1 description, generated from the handlers' `#[utoipa::path]`
//! annotations. The router is built from the same annotations (`utoipa_axum::routes!`),
//! so a route cannot exist without its description.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::article::FieldError;

/// Every error answer. `error` is a stable code; the other members depend on it.
#[derive(ToSchema)]
#[allow(dead_code)] // describes JSON built with `json!` in `ApiError`
pub struct ErrorBody {
    /// A stable code such as `invalid_article`, `not_found` or `storage_unavailable`.
    error: String,
    message: Option<String>,
    /// Each problem, naming its field.
    fields: Option<Vec<FieldError>>,
    /// For `not_found`: the names that do exist.
    known: Option<Vec<String>>,
    /// For `malformed_json`: where parsing stopped.
    line: Option<u64>,
    column: Option<u64>,
}

/// What any write can be refused with, besides its own answers.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // describes answers built by `ApiError`
pub enum WriteRefusals {
    /// Missing or wrong bearer token
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// Writes are disabled: no token is configured
    #[response(status = 403)]
    Disabled(ErrorBody),
    /// The disk refuses writes; retry after fixing it
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

/// What a write with a JSON document for its body can also be refused with.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // describes answers built by `ApiError`
pub enum BodyRefusals {
    /// Malformed JSON or a bad parameter
    #[response(status = 400)]
    Malformed(ErrorBody),
    /// Body over the configured limit
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// Invalid fields, each named
    #[response(status = 422)]
    Invalid(ErrorBody),
}

/// The document itself; every route adds its own path to it.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Herald",
        description = "Articles in; RSS, Atom and JSON Feed and related stories out."
    ),
    modifiers(&BearerAuth),
    components(schemas(ErrorBody)),
    tags(
        (name = "articles", description = "Store, read and list articles"),
        (name = "feeds", description = "RSS 2.0, Atom 1.0, JSON Feed 1.1 and OPML"),
        (name = "related", description = "What to read next"),
        (name = "categories", description = "Sections"),
        (name = "websub", description = "Herald's own WebSub hub"),
        (name = "partners", description = "Each partner's own feeds, behind its keys, and what each polled"),
        (name = "sitemaps", description = "Google News sitemap, and the archive by month"),
        (name = "changes", description = "The change log: what readers of each feed saw change, in order"),
        (name = "operations", description = "Health, readiness, metrics and backup"),
    )
)]
pub struct ApiDoc;

/// Declares the schemes operations name: the bearer token of writes (and of
/// partner keys), and the other two ways a partner may give its key.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
        components.add_security_scheme(
            "key",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::new("key"))),
        );
    }
}
