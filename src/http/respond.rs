//! Answering with a rendered feed: the best encoding the client takes, validators
//! and `304`, and the cache headers of a public or a partner's feed.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;

use super::{AppState, conditional};
use crate::feed::{Encoding, Format, Rendered};

/// The answer to `req` for `rendered`: the best encoding the client takes and the
/// cache already has (the compressed forms follow a render by a few milliseconds),
/// or a 304 when the client's validators match.
pub fn respond(
    state: &AppState,
    format: Format,
    rendered: &Arc<Rendered>,
    req: &HeaderMap,
) -> Response {
    respond_as(
        state,
        format,
        rendered,
        req,
        &state.feed_cache_control,
        true,
    )
}

/// Like [`respond`], for one partner: no shared cache may keep it.
pub(super) fn respond_private(
    state: &AppState,
    format: Format,
    rendered: &Arc<Rendered>,
    req: &HeaderMap,
) -> Response {
    respond_as(
        state,
        format,
        rendered,
        req,
        &state.private_cache_control,
        false,
    )
}

fn respond_as(
    state: &AppState,
    format: Format,
    rendered: &Arc<Rendered>,
    req: &HeaderMap,
    cache_control: &HeaderValue,
    public: bool,
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
    headers.insert(header::CACHE_CONTROL, cache_control.clone());
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
    if let Some(control) = state.edge_control.as_ref().filter(|_| public) {
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
