//! `/feeds/…` and `/feeds.opml`: the public feeds' routes, and what partners' share
//! with them (sections, tags, pages); [`super::respond`] writes the answers.

use std::sync::Arc;

use axum::extract::State;

use super::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::openapi::ErrorBody;
use super::respond::{respond, respond_private};
use super::{ApiError, AppState};
use crate::article::normalize_tag;
use crate::feed::{Audience, FeedRules, Format, render_opml};
use crate::scope::Scope;

/// Deepest page served; far beyond any real backfill, it bounds the index walk.
pub const MAX_PAGE: usize = 10_000;

/// `?page=N`, parsed by hand so a bad value gets a JSON 400 naming it.
#[derive(Deserialize)]
pub struct PageQuery {
    pub(super) page: Option<String>,
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
    answer(
        &state,
        &state.feeds.public(),
        Scope::All,
        &file,
        q.page,
        &headers,
    )
    .await
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
    let scope = section_scope(&state, slug)?;
    answer(
        &state,
        &state.feeds.public(),
        scope,
        &file,
        q.page,
        &headers,
    )
    .await
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
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(redirect) = tag_redirect(&tag, &file, q.page.as_deref(), uri.query())? {
        return Ok(redirect);
    }
    answer(
        &state,
        &state.feeds.public(),
        Scope::Tag(tag),
        &file,
        q.page,
        &headers,
    )
    .await
}

/// `scope` of section `slug`, or a 404 listing the sections.
pub(super) fn section_scope(state: &AppState, slug: String) -> Result<Scope, ApiError> {
    let catalog = state.ingest.catalog();
    if !catalog.contains(&slug) {
        return Err(ApiError::not_found(
            format!("unknown category {slug:?}"),
            Some(catalog.slugs()),
        ));
    }
    Ok(Scope::Category(slug))
}

/// A redirect to the normal form (NFC, lowercase) of `tag`, keeping the query, when
/// it is not in that form already.
pub(super) fn tag_redirect(
    tag: &str,
    file: &str,
    page: Option<&str>,
    query: Option<&str>,
) -> Result<Option<Response>, ApiError> {
    let key = normalize_tag(tag);
    if key == tag {
        return Ok(None);
    }
    // Check the page first: a redirect must not launder a bad parameter.
    super::bounded_param("page", page, 1, MAX_PAGE)?;
    // One URL per feed, matching its self link. The Location is relative to this
    // URL, so it stays right behind a proxy that mounts Herald under a prefix.
    let segment = percent_encoding::utf8_percent_encode(&key, percent_encoding::NON_ALPHANUMERIC);
    let mut location = format!("../{segment}/{file}");
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        location = format!("{location}?{query}");
    }
    Ok(Some(
        (
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, location)],
        )
            .into_response(),
    ))
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

/// The feed of `scope` named `file` as `rules` make it, at the requested page.
pub(super) async fn answer(
    state: &AppState,
    rules: &Arc<FeedRules>,
    scope: Scope,
    file: &str,
    page: Option<String>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let format = Format::from_file(file)
        .filter(|f| rules.formats.contains(f))
        .ok_or_else(|| {
            let files: Vec<_> = rules.formats.iter().map(|f| f.file()).collect();
            ApiError::not_found(
                format!("no feed named {file:?}; try {}", files.join(", ")),
                None,
            )
        })?;
    let page = super::bounded_param("page", page.as_deref(), 1, MAX_PAGE)?;
    let public = rules.audience == Audience::Public;
    match state.feeds.get_for(rules, &scope, format, page).await? {
        Some(rendered) if page == 1 && public => {
            match super::delta::answer(state, &scope, format, &rendered, headers).await {
                Some(delta) => Ok(delta),
                None => Ok(respond(state, format, &rendered, headers)),
            }
        }
        Some(rendered) if public => Ok(respond(state, format, &rendered, headers)),
        Some(rendered) => Ok(respond_private(state, format, &rendered, headers)),
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
