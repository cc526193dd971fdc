//! The headers a cache in front reads: surrogate keys in each configured header, and
//! the edge's own lifetime (Surrogate-Control, RFC 9213 CDN-Cache-Control), which
//! can be long because Herald purges the edge on change.

use axum::http::{HeaderMap, HeaderName, HeaderValue};

use crate::edge::Edge;

/// Adds `keys` in every header `edge` names, and the edge's lifetime.
pub fn insert(headers: &mut HeaderMap, edge: &Edge, keys: &[String]) {
    for h in &edge.headers {
        if let Ok(value) = HeaderValue::from_str(&h.join(keys)) {
            headers.insert(HeaderName::from_static(h.name()), value);
        }
    }
    insert_lifetime(headers, edge);
}

/// Adds the edge's lifetime, when something purges it.
pub fn insert_lifetime(headers: &mut HeaderMap, edge: &Edge) {
    if let Some(control) = &edge.edge_control
        && let Ok(value) = HeaderValue::from_str(control)
    {
        headers.insert("surrogate-control", value.clone());
        headers.insert("cdn-cache-control", value);
    }
}

/// `Cache-Control` for a public answer clients may keep `max_age` seconds, and serve
/// stale while Herald fails.
pub fn cache_control(edge: &Edge, max_age: u64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "public, max-age={max_age}, stale-if-error={}",
        edge.stale_if_error_secs
    ))
    .expect("digits and ASCII make a valid header")
}
