//! Fresh cached feeds, answered before routing.
//!
//! A feed reader's poll is almost always a hit: the same bytes, or a 304. Through the
//! router, its extractors and middleware, a hit cost three times the CPU hyper alone
//! spends on a request, and the router's work decides nothing here. So this service
//! recognises the three feed paths itself and answers a fresh hit at once, with the
//! same [`respond::respond`] and the same metrics labels. Everything else (misses,
//! redirects, errors, HEAD, any query but `page=N`) goes on to the router unchanged.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::Request;
use axum::http::Method;
use axum::response::Response;
use futures_util::future::Either;
use percent_encoding::percent_decode_str;
use tower::Service;

use super::AppState;
use super::feeds::MAX_PAGE;
use super::respond;
use crate::feed::Format;
use crate::scope::Scope;

/// Answers fresh cached feeds; passes every other request to `inner`.
#[derive(Clone)]
pub struct FeedHits<S> {
    /// The state the feed cache and metrics are reached through.
    pub state: AppState,
    /// The router, for everything that is not a fresh hit.
    pub inner: S,
}

impl<S> Service<Request> for FeedHits<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        match hit(&self.state, &req) {
            Some(response) => Either::Left(ready(Ok(response))),
            None => Either::Right(self.inner.call(req)),
        }
    }
}

fn hit(state: &AppState, req: &Request) -> Option<Response> {
    // Delta requests (RFC 3229) need the change log: the router's handler answers.
    if req.method() != Method::GET || req.headers().contains_key("a-im") {
        return None;
    }
    let started = Instant::now();
    let (route, scope, file) = parse_path(req.uri().path())?;
    let format = Format::from_file(file)?;
    let page = match req.uri().query() {
        None => None,
        // Digits only: `parse` would also take `+1`, which the router's query
        // decoding reads as " 1" and refuses.
        Some(q) => Some(
            q.strip_prefix("page=")
                .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))?,
        ),
    };
    // The router's own rule for the number; anything it refuses, it answers.
    let page = super::bounded_param("page", page, 1, MAX_PAGE).ok()?;
    // A fresh slot exists only for a scope the router once accepted (a known section,
    // a tag in its normal form), and a catalog change makes every slot stale.
    let rendered = state.feeds.peek(&scope, format, page)?;
    let response = respond::respond(state, format, &rendered, req.headers());
    state
        .metrics
        .record(route, req.method(), response.status(), started);
    Some(response)
}

/// The route pattern, scope and file name of a feed path, as the router would match
/// and decode it; `None` for anything else.
fn parse_path(path: &str) -> Option<(&'static str, Scope, &str)> {
    let rest = path.strip_prefix("/feeds/")?;
    let mut parts = rest.split('/');
    let segments = (parts.next()?, parts.next(), parts.next(), parts.next());
    match segments {
        (file, None, None, None) if !file.is_empty() => Some(("/feeds/{file}", Scope::All, file)),
        ("category", Some(slug), Some(file), None) => Some((
            "/feeds/category/{slug}/{file}",
            Scope::Category(decode(slug)?),
            file,
        )),
        ("tag", Some(tag), Some(file), None) => {
            Some(("/feeds/tag/{tag}/{file}", Scope::Tag(decode(tag)?), file))
        }
        _ => None,
    }
}

fn decode(segment: &str) -> Option<String> {
    if segment.is_empty() {
        return None;
    }
    percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_three_feed_routes_and_decodes_like_the_router() {
        assert_eq!(
            parse_path("/feeds/rss.xml"),
            Some(("/feeds/{file}", Scope::All, "rss.xml"))
        );
        assert_eq!(
            parse_path("/feeds/category/kinh-te/atom.xml"),
            Some((
                "/feeds/category/{slug}/{file}",
                Scope::Category("kinh-te".into()),
                "atom.xml"
            ))
        );
        assert_eq!(
            parse_path("/feeds/tag/l%C3%A0o%20cai/feed.json"),
            Some((
                "/feeds/tag/{tag}/{file}",
                Scope::Tag("lào cai".into()),
                "feed.json"
            ))
        );
    }

    #[test]
    fn leaves_everything_else_to_the_router() {
        for path in [
            "/feeds.opml",
            "/feeds/",
            "/feeds//rss.xml",
            "/feeds/category/kinh-te",
            "/feeds/category//rss.xml",
            "/feeds/category/kinh-te/rss.xml/",
            "/feeds/tag/%FF/rss.xml",
            "/feeds/other/x/rss.xml",
            "/api/articles/a",
        ] {
            assert_eq!(parse_path(path), None, "{path}");
        }
    }
}
