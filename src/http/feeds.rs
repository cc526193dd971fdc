//! `/feeds/…` and `/feeds.opml`: cached feeds with validators and conditional GET.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use bytes::Bytes;

use super::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::openapi::ErrorBody;
use super::{ApiError, AppState, conditional};
use crate::article::normalize_tag;
use crate::feed::{Encoding, Format, Rendered, render_opml};
use crate::scope::Scope;

/// Deepest page served; far beyond any real backfill, it bounds the index walk.
pub const MAX_PAGE: usize = 10_000;

/// `?page=N`, parsed by hand so a bad value gets a JSON 400 naming it.
#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<String>,
}

/// `GET /feeds/{file}`: the whole site.
#[utoipa::path(get, path = "/feeds/{file}", tag = "feeds", params(("file" = String, Path, description = "rss.xml, atom.xml or feed.json"), ("page" = Option<u32>, Query, description = "RFC 5005 page, from 1")),
    responses((status = 200, description = "The feed, possibly compressed as Accept-Encoding allows", content(
            (String = "application/rss+xml"), (String = "application/atom+xml"), (String = "application/feed+json"))),
        (status = 226, description = "With A-IM: feed and the ETag of an earlier first page: only what changed since (RFC 3229)"),
        (status = 304, description = "Not modified since If-None-Match or If-Modified-Since"),
        (status = 400, description = "A bad page number", body = ErrorBody),
        (status = 404, description = "No such feed file", body = ErrorBody)))]
pub async fn site(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    answer(&state, Scope::All, &file, q, &headers).await
}

/// `GET /feeds/category/{slug}/{file}`.
#[utoipa::path(get, path = "/feeds/category/{slug}/{file}", tag = "feeds",
    params(("slug" = String, Path, description = "Section slug"), ("file" = String, Path, description = "rss.xml, atom.xml or feed.json"), ("page" = Option<u32>, Query, description = "RFC 5005 page, from 1")),
    responses((status = 200, description = "The feed, possibly compressed as Accept-Encoding allows", content(
            (String = "application/rss+xml"), (String = "application/atom+xml"), (String = "application/feed+json"))),
        (status = 226, description = "With A-IM: feed and the ETag of an earlier first page: only what changed since (RFC 3229)"),
        (status = 304, description = "Not modified since If-None-Match or If-Modified-Since"),
        (status = 400, description = "A bad page number", body = ErrorBody),
        (status = 404, description = "Unknown section or feed file", body = ErrorBody)))]
pub async fn category(
    State(state): State<AppState>,
    Path((slug, file)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let catalog = state.ingest.catalog();
    if !catalog.contains(&slug) {
        return Err(ApiError::not_found(
            format!("unknown category {slug:?}"),
            Some(catalog.slugs()),
        ));
    }
    answer(&state, Scope::Category(slug), &file, q, &headers).await
}

/// `GET /feeds/tag/{tag}/{file}`: the tag is matched after NFC and lowercasing.
#[utoipa::path(get, path = "/feeds/tag/{tag}/{file}", tag = "feeds",
    params(("tag" = String, Path, description = "A tag; other spellings redirect to its normal form"), ("file" = String, Path, description = "rss.xml, atom.xml or feed.json"), ("page" = Option<u32>, Query, description = "RFC 5005 page, from 1")),
    responses((status = 200, description = "The feed, possibly compressed as Accept-Encoding allows", content(
            (String = "application/rss+xml"), (String = "application/atom+xml"), (String = "application/feed+json"))),
        (status = 226, description = "With A-IM: feed and the ETag of an earlier first page: only what changed since (RFC 3229)"),
        (status = 304, description = "Not modified since If-None-Match or If-Modified-Since"),
        (status = 400, description = "A bad page number", body = ErrorBody),
        (status = 301, description = "The tag's normal form (NFC, lowercase)"),
        (status = 404, description = "No such feed file", body = ErrorBody)))]
pub async fn tag(
    State(state): State<AppState>,
    Path((tag, file)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let key = normalize_tag(&tag);
    if key != tag {
        // Check the page first: a redirect must not launder a bad parameter.
        super::bounded_param("page", q.page.as_deref(), 1, MAX_PAGE)?;
        // One URL per feed, matching its self link. The Location is relative to this
        // URL, so it stays right behind a proxy that mounts Herald under a prefix.
        let segment =
            percent_encoding::utf8_percent_encode(&key, percent_encoding::NON_ALPHANUMERIC);
        let mut location = format!("../{segment}/{file}");
        if let Some(page) = q.page.filter(|p| !p.is_empty()) {
            let page =
                percent_encoding::utf8_percent_encode(&page, percent_encoding::NON_ALPHANUMERIC);
            location = format!("{location}?page={page}");
        }
        return Ok((
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, location)],
        )
            .into_response());
    }
    answer(&state, Scope::Tag(key), &file, q, &headers).await
}

/// `GET /feeds.opml`: every category feed.
#[utoipa::path(get, path = "/feeds.opml", tag = "feeds",
    responses((status = 200, description = "Every section feed, for import into a reader", body = String, content_type = "text/x-opml")))]
pub async fn opml(State(state): State<AppState>) -> Response {
    let body = render_opml(state.feeds.site(), &state.ingest.catalog().all());
    let mut response =
        ([(header::CONTENT_TYPE, "text/x-opml; charset=utf-8")], body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        super::edge::cache_control(&state.edge, state.settings.feeds.max_age_secs),
    );
    super::edge::insert(headers, &state.edge, &[state.edge.scope_key(&Scope::All)]);
    response
}

/// The feed of `scope` named `file`, at the requested page.
async fn answer(
    state: &AppState,
    scope: Scope,
    file: &str,
    q: PageQuery,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let format = Format::from_file(file).ok_or_else(|| {
        ApiError::not_found(
            format!("no feed named {file:?}; try rss.xml, atom.xml or feed.json"),
            None,
        )
    })?;
    let page = super::bounded_param("page", q.page.as_deref(), 1, MAX_PAGE)?;
    match state.feeds.get(&scope, format, page).await? {
        Some(rendered) if page == 1 => {
            match super::delta::answer(state, &scope, format, &rendered, headers).await {
                Some(delta) => Ok(delta),
                None => Ok(respond(state, format, &rendered, headers)),
            }
        }
        Some(rendered) => Ok(respond(state, format, &rendered, headers)),
        None if matches!(scope, Scope::Tag(_)) && page == 1 => Err(ApiError::not_found(
            format!("no article has the tag {scope}"),
            None,
        )),
        None => Err(ApiError::not_found(
            format!("{scope} has no page {page}"),
            None,
        )),
    }
}

/// The answer to `req` for `rendered`: the best encoding the client takes and the
/// cache already has (the compressed forms follow a render by a few milliseconds),
/// or a 304 when the client's validators match.
pub fn respond(
    state: &AppState,
    format: Format,
    rendered: &Arc<Rendered>,
    req: &HeaderMap,
) -> Response {
    let accepts = Accepts::from(req);
    let (encoding, representation) = [
        (accepts.br, Encoding::Br),
        (accepts.gzip, Encoding::Gzip),
        (true, Encoding::Identity),
    ]
    .into_iter()
    .filter(|(accepted, _)| *accepted)
    .find_map(|(_, e)| rendered.get(e).map(|r| (e, r)))
    .expect("the identity form always exists");
    // Built in place, not through `Response::builder`: the header texts are shared
    // bytes, so a hit allocates only the header table (sized for the two headers the
    // outer layers add).
    let not_modified = conditional::not_modified(req, rendered.tag(), Some(rendered.last_modified));
    let mut response = if not_modified {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
    } else {
        Response::new(Body::from(representation.bytes.clone()))
    };
    let headers = response.headers_mut();
    headers.reserve(9 + rendered.headers.len());
    headers.insert(header::ETAG, shared_value(&representation.etag));
    headers.insert(header::CACHE_CONTROL, state.feed_cache_control.clone());
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    headers.insert(
        header::LAST_MODIFIED,
        shared_value(&rendered.last_modified_http),
    );
    for (name, value) in &rendered.headers {
        if let Ok(value) = HeaderValue::from_maybe_shared(value.clone()) {
            headers.append(*name, value);
        }
    }
    if let Some(control) = &state.edge_control {
        headers.insert("surrogate-control", control.clone());
        headers.insert("cdn-cache-control", control.clone());
    }
    if not_modified {
        return response;
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Some(coding) = encoding.content_coding() {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    response
}

/// A header value that shares `text`'s bytes (checked, not copied).
fn shared_value(text: &Bytes) -> HeaderValue {
    HeaderValue::from_maybe_shared(text.clone()).expect("ETags and HTTP dates are visible ASCII")
}

/// The compressed encodings a request accepts, honouring q=0 refusals.
pub(super) struct Accepts {
    pub(super) br: bool,
    pub(super) gzip: bool,
}

impl Accepts {
    pub(super) fn from(req: &HeaderMap) -> Accepts {
        match req
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
        {
            Some(accept) => Accepts {
                br: accepts(accept, "br"),
                gzip: accepts(accept, "gzip"),
            },
            None => Accepts {
                br: false,
                gzip: false,
            },
        }
    }
}

fn accepts(accept: &str, name: &str) -> bool {
    accept.split(',').any(|part| {
        let mut bits = part.split(';').map(str::trim);
        let coding = bits.next().unwrap_or_default();
        let q = bits
            .find_map(|b| {
                b.strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        (coding.eq_ignore_ascii_case(name) || coding == "*") && q > 0.0
    })
}
