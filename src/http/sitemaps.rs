//! `/sitemap.xml` and `/sitemaps/{file}`: the archive's sitemaps and the Google
//! News sitemap, with validators, 304s, and the feeds' cache headers and keys.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::extract::Path;
use super::openapi::ErrorBody;
use super::{ApiError, AppState, blocking, conditional};
use crate::scope::Scope;
use crate::sitemap::{Document, File, SitemapError};

/// `GET /sitemap.xml`: one sitemap per month of publication.
#[utoipa::path(get, path = "/sitemap.xml", tag = "sitemaps",
    responses(
        (status = 200, description = "A sitemap index, one sitemap per month (and part)", body = String, content_type = "application/xml"),
        (status = 304, description = "Not modified since If-None-Match or If-Modified-Since"),
        (status = 503, description = "The archive is still being counted (a moment after a start)", body = ErrorBody)))]
pub async fn index(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let sitemaps = state.sitemaps.clone();
    let doc = blocking(move || sitemaps.index().map_err(from)).await?;
    Ok(respond(&state, &doc, &headers))
}

/// `GET /sitemaps/{file}`: `news.xml` (and `news-N.xml`), or a month's
/// `YYYY-MM.xml` (and `YYYY-MM-N.xml`).
#[utoipa::path(get, path = "/sitemaps/{file}", tag = "sitemaps",
    params(("file" = String, Path, description = "news.xml, news-N.xml, YYYY-MM.xml or YYYY-MM-N.xml")),
    responses(
        (status = 200, description = "The sitemap", body = String, content_type = "application/xml"),
        (status = 304, description = "Not modified since If-None-Match or If-Modified-Since"),
        (status = 404, description = "No such sitemap", body = ErrorBody),
        (status = 503, description = "The archive is still being counted (a moment after a start)", body = ErrorBody)))]
pub async fn file(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let missing = || ApiError::not_found(format!("no sitemap named {name:?}"), None);
    let file = File::parse(&name).ok_or_else(missing)?;
    let sitemaps = state.sitemaps.clone();
    let doc = blocking(move || sitemaps.file(file, chrono::Utc::now()).map_err(from)).await?;
    match doc {
        Some(doc) => Ok(respond(&state, &doc, &headers)),
        None => Err(missing()),
    }
}

fn from(e: SitemapError) -> ApiError {
    match e {
        SitemapError::NotReady => ApiError::Unavailable {
            error: "sitemaps_not_ready",
            message: e.to_string(),
            retry_after_secs: 5,
        },
        SitemapError::Store(e) => ApiError::Store(e),
    }
}

fn respond(state: &AppState, doc: &Document, req: &HeaderMap) -> Response {
    let mut response = if conditional::not_modified(req, &doc.tag, doc.last_modified) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = Response::new(Body::from(doc.body.clone()));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml; charset=utf-8"),
        );
        r
    };
    let headers = response.headers_mut();
    headers.insert(
        header::ETAG,
        HeaderValue::from_str(&format!("\"{}\"", doc.tag)).expect("hex is a valid header"),
    );
    if let Some(t) = doc.last_modified {
        let date = httpdate::fmt_http_date(t.max(chrono::DateTime::UNIX_EPOCH).into());
        headers.insert(
            header::LAST_MODIFIED,
            HeaderValue::from_str(&date).expect("an HTTP date is a valid header"),
        );
    }
    headers.insert(header::CACHE_CONTROL, state.feed_cache_control.clone());
    // Every public change touches the site: it purges the sitemaps too.
    super::edge::insert(headers, &state.edge, &[state.edge.scope_key(&Scope::All)]);
    response
}
