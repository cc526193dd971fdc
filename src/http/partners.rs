//! `/partners/{name}/feeds/…`: each partner's feeds, behind its keys, and
//! `GET /api/partners`, what each partner polled.

use std::sync::Arc;

use axum::Json;
use axum::body::HttpBody;
use axum::extract::State;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::auth::WriteAccess;
use super::extract::{Path, Query};
use super::feeds::{answer, section_scope, tag_redirect};
use super::openapi::ErrorBody;
use super::{ApiError, AppState};
use crate::partner::Partner;
use crate::scope::Scope;

/// `?page=N` and `?key=…`.
#[derive(Deserialize)]
pub struct PartnerQuery {
    page: Option<String>,
    key: Option<String>,
}

/// `GET /partners/{name}/feeds/{file}`: the whole site, for one partner.
#[utoipa::path(get, path = "/partners/{name}/feeds/{file}", tag = "partners", security(("bearer" = []), ("basic" = []), ("key" = [])),
    params(("name" = String, Path, description = "The partner"), ("file" = String, Path, description = "rss.xml, atom.xml or feed.json, as its profile allows"),
        ("page" = Option<u32>, Query, description = "RFC 5005 page, from 1"), ("key" = Option<String>, Query, description = "The partner's key, when it cannot send a header")),
    responses((status = 200, description = "The partner's feed"),
        (status = 304, description = "Not modified since If-None-Match or If-Modified-Since"),
        (status = 400, description = "A bad page number", body = ErrorBody),
        (status = 401, description = "No key of this partner (or no such partner)", body = ErrorBody),
        (status = 404, description = "No such feed file for this partner", body = ErrorBody)))]
pub async fn site(
    State(state): State<AppState>,
    Path((name, file)): Path<(String, String)>,
    Query(q): Query<PartnerQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let partner = authenticate(&state, &name, &headers, q.key.as_deref())?;
    serve(&state, &partner, Scope::All, &file, q.page, &headers).await
}

/// `GET /partners/{name}/feeds/category/{slug}/{file}`.
#[utoipa::path(get, path = "/partners/{name}/feeds/category/{slug}/{file}", tag = "partners", security(("bearer" = []), ("basic" = []), ("key" = [])),
    params(("name" = String, Path, description = "The partner"), ("slug" = String, Path, description = "Section slug"),
        ("file" = String, Path, description = "rss.xml, atom.xml or feed.json, as its profile allows"),
        ("page" = Option<u32>, Query, description = "RFC 5005 page, from 1"), ("key" = Option<String>, Query, description = "The partner's key, when it cannot send a header")),
    responses((status = 200, description = "The partner's feed of the section"),
        (status = 304, description = "Not modified since If-None-Match or If-Modified-Since"),
        (status = 400, description = "A bad page number", body = ErrorBody),
        (status = 401, description = "No key of this partner (or no such partner)", body = ErrorBody),
        (status = 404, description = "Unknown section or feed file", body = ErrorBody)))]
pub async fn category(
    State(state): State<AppState>,
    Path((name, slug, file)): Path<(String, String, String)>,
    Query(q): Query<PartnerQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let partner = authenticate(&state, &name, &headers, q.key.as_deref())?;
    let scope = section_scope(&state, slug)?;
    serve(&state, &partner, scope, &file, q.page, &headers).await
}

/// `GET /partners/{name}/feeds/tag/{tag}/{file}`.
#[utoipa::path(get, path = "/partners/{name}/feeds/tag/{tag}/{file}", tag = "partners", security(("bearer" = []), ("basic" = []), ("key" = [])),
    params(("name" = String, Path, description = "The partner"), ("tag" = String, Path, description = "A tag; other spellings redirect to its normal form"),
        ("file" = String, Path, description = "rss.xml, atom.xml or feed.json, as its profile allows"),
        ("page" = Option<u32>, Query, description = "RFC 5005 page, from 1"), ("key" = Option<String>, Query, description = "The partner's key, when it cannot send a header")),
    responses((status = 200, description = "The partner's feed of the tag"),
        (status = 301, description = "The tag's normal form (NFC, lowercase)"),
        (status = 304, description = "Not modified since If-None-Match or If-Modified-Since"),
        (status = 400, description = "A bad page number", body = ErrorBody),
        (status = 401, description = "No key of this partner (or no such partner)", body = ErrorBody),
        (status = 404, description = "No such feed file, or no article has the tag", body = ErrorBody)))]
pub async fn tag(
    State(state): State<AppState>,
    Path((name, tag, file)): Path<(String, String, String)>,
    Query(q): Query<PartnerQuery>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let partner = authenticate(&state, &name, &headers, q.key.as_deref())?;
    if let Some(redirect) = tag_redirect(&tag, &file, q.page.as_deref(), uri.query())? {
        return Ok(redirect);
    }
    serve(&state, &partner, Scope::Tag(tag), &file, q.page, &headers).await
}

/// The partner's feed, counted in its polls.
async fn serve(
    state: &AppState,
    partner: &Arc<Partner>,
    scope: Scope,
    file: &str,
    page: Option<String>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let response = answer(state, &partner.rules, scope, file, page, headers).await?;
    let bytes = HttpBody::size_hint(response.body()).exact().unwrap_or(0);
    partner
        .stats
        .record(response.status() == StatusCode::NOT_MODIFIED, bytes);
    Ok(response)
}

/// The partner `name`, if the request carries one of its keys: in `Authorization`
/// (Bearer, or Basic with the key as password, or as user name with no password),
/// else in `?key=`.
pub fn authenticate(
    state: &AppState,
    name: &str,
    headers: &HeaderMap,
    query_key: Option<&str>,
) -> Result<Arc<Partner>, ApiError> {
    let key = match headers.get(AUTHORIZATION) {
        Some(value) => value.to_str().ok().and_then(key_in_authorization),
        None => query_key.map(str::to_string),
    };
    key.and_then(|k| state.partners.authenticate(name, &k).cloned())
        .ok_or(ApiError::PartnerKey)
}

/// The key an `Authorization` value carries.
pub fn key_in_authorization(value: &str) -> Option<String> {
    let (scheme, credentials) = value.trim().split_once(' ')?;
    let credentials = credentials.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(credentials.to_string());
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(credentials)
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':').unwrap_or((&decoded, ""));
    Some(if password.is_empty() { user } else { password }.to_string())
}

/// One partner's polls.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PartnerView {
    name: String,
    profile: &'static str,
    /// Feed requests answered with its key.
    polls: u64,
    /// Of those, how many were 304.
    not_modified: u64,
    /// Body bytes sent.
    bytes: u64,
    /// When it last polled, if it has since the start.
    last_poll: Option<DateTime<Utc>>,
    /// Its feed of the whole site.
    feed: String,
}

/// The body of `GET /api/partners`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PartnerList {
    partners: Vec<PartnerView>,
}

/// `GET /api/partners`: each partner's polls since the start; token required.
#[utoipa::path(get, path = "/api/partners", tag = "partners", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every partner, with its polls, 304s, bytes and last poll", body = PartnerList),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 403, description = "No token is configured", body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, _: WriteAccess) -> Json<PartnerList> {
    let site = state.feeds.site();
    let partners = state
        .partners
        .all()
        .map(|p| {
            let polls = p.stats.snapshot();
            let format = p.rules.formats[0];
            PartnerView {
                name: p.name.clone(),
                profile: p.profile.name(),
                polls: polls.polls,
                not_modified: polls.not_modified,
                bytes: polls.bytes,
                last_poll: polls.last,
                feed: site.feed_url_for(&p.rules.audience, &Scope::All, format),
            }
        })
        .collect();
    Json(PartnerList { partners })
}
