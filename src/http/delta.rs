//! RFC 3229 feed deltas (`A-IM: feed`): a client that names an earlier version of a
//! first page gets `226 IM Used` with only what changed since. A shared cache must
//! never store nor replay one, so a 226 is `Cache-Control: no-store` (RFC 9111,
//! 3: a cache stores nothing a no-store response carries; and a cache that does not
//! know 226 must not store it anyway, as it is not heuristically cacheable).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use super::{AppState, conditional};
use crate::feed::{Encoding, Format, Rendered, log_position};
use crate::scope::Scope;

/// The 226 answer to `req` for page 1 of `scope`, when it asks for a delta that can
/// be made and is worth it; `None` to answer as usual.
pub async fn answer(
    state: &AppState,
    scope: &Scope,
    format: Format,
    rendered: &Arc<Rendered>,
    req: &HeaderMap,
) -> Option<Response> {
    if !wants_feed_delta(req) || conditional::not_modified(req, rendered.tag(), None) {
        return None;
    }
    let since = named_positions(req).max()?;
    let (feeds, owned, current) = (
        Arc::clone(&state.feeds),
        scope.clone(),
        Arc::clone(rendered),
    );
    let delta = tokio::task::spawn_blocking(move || feeds.delta(&owned, format, since, &current))
        .await
        .ok()?;
    let body = match delta {
        Ok(body) => body?,
        Err(error) => {
            tracing::warn!(%error, feed = %scope, "feed delta failed; sending the whole page");
            return None;
        }
    };
    // Deltas are made per request and small: gzip is worth it, br's slower start not.
    let gzipped = super::respond::Accepts::from(req).gzip;
    let body = if gzipped {
        crate::feed::gzip(&body)
    } else {
        body
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::IM_USED;
    let headers = response.headers_mut();
    let current = rendered.get(Encoding::Identity)?;
    headers.insert(
        header::ETAG,
        HeaderValue::from_maybe_shared(current.etag.clone()).ok()?,
    );
    headers.insert("im", HeaderValue::from_static("feed"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    headers.insert(
        header::LAST_MODIFIED,
        HeaderValue::from_maybe_shared(rendered.last_modified_http.clone()).ok()?,
    );
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if gzipped {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    Some(response)
}

/// Whether `A-IM` lists the `feed` instance manipulation.
fn wants_feed_delta(req: &HeaderMap) -> bool {
    req.get_all("a-im")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|im| {
            im.split(';')
                .next()
                .is_some_and(|name| name.trim().eq_ignore_ascii_case("feed"))
        })
}

/// The change log positions that the request's If-None-Match ETags name.
fn named_positions(req: &HeaderMap) -> impl Iterator<Item = u64> + '_ {
    req.get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|tag| {
            let tag = tag.trim().trim_start_matches("W/").trim_matches('"');
            log_position(tag.split('-').next()?)
        })
}
