//! Conditional GET (RFC 9110, section 13): whether a request's validators match what
//! would be sent, so the answer can be a 304. One module for every cacheable answer;
//! ETags are made by [`crate::etag`], one hash for all.

use axum::http::{HeaderMap, header};
use chrono::{DateTime, Utc};

/// True when the request's validators match a representation whose ETags start with
/// `tag` (each encoding adds a suffix) and that last changed at `last_modified`.
///
/// If-None-Match wins when present, compared weakly and across encodings: a client
/// that holds any encoding of these bytes holds them. Otherwise If-Modified-Since is
/// compared as a time, never as a string, to whole seconds as HTTP dates have.
pub fn not_modified(req: &HeaderMap, tag: &str, last_modified: Option<DateTime<Utc>>) -> bool {
    if let Some(inm) = req.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        return inm.split(',').map(str::trim).any(|candidate| {
            let candidate = candidate.trim_start_matches("W/").trim_matches('"');
            candidate == "*" || candidate.split('-').next() == Some(tag)
        });
    }
    let Some(last_modified) = last_modified else {
        return false;
    };
    req.get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| httpdate::parse_http_date(s.trim()).ok())
        .is_some_and(|since| {
            let since: DateTime<Utc> = since.into();
            last_modified.timestamp() <= since.timestamp()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn an_etag_of_any_encoding_or_a_weak_one_matches() {
        for inm in [
            "\"abc\"",
            "\"abc-gzip\"",
            "W/\"abc-br\"",
            "\"x\", \"abc\"",
            "*",
        ] {
            assert!(
                not_modified(&headers(&[(header::IF_NONE_MATCH, inm)]), "abc", None),
                "{inm}"
            );
        }
        let other = headers(&[(header::IF_NONE_MATCH, "\"abd\"")]);
        assert!(!not_modified(&other, "abc", None));
    }

    #[test]
    fn if_none_match_wins_over_if_modified_since() {
        let t: DateTime<Utc> = "2024-12-06T02:00:00Z".parse().unwrap();
        let date = httpdate::fmt_http_date(t.into());
        let since = headers(&[(header::IF_MODIFIED_SINCE, &date)]);
        assert!(not_modified(&since, "abc", Some(t)));
        assert!(!not_modified(&since, "abc", None), "no date to compare");
        let both = headers(&[
            (header::IF_MODIFIED_SINCE, &date),
            (header::IF_NONE_MATCH, "\"old\""),
        ]);
        assert!(!not_modified(&both, "abc", Some(t)));
    }
}
