//! A rendered feed document and its encodings (identity, gzip, br), each with the
//! strong ETag that names it.

use std::io::Write;
use std::sync::OnceLock;

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::Stamp;
use crate::transport::zerocopy::Spool;

/// A content coding a feed is kept in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Br,
}

impl Encoding {
    /// The `Content-Encoding` value, or `None` for identity.
    pub fn content_coding(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some("gzip"),
            Encoding::Br => Some("br"),
        }
    }
}

/// One encoding of a document: its bytes and its quoted ETag. A strong validator
/// names one representation, so each encoding has its own; the ETag is formatted
/// once and shared (not copied) by every response that sends it.
#[derive(Debug)]
pub struct Representation {
    pub bytes: Bytes,
    pub etag: Bytes,
}

/// One rendered feed document, its compressed forms once made, and its validators.
#[derive(Debug)]
pub struct Rendered {
    stamp: Stamp,
    identity: Representation,
    /// Filled in by [`Rendered::compress`] after the document is published: readers
    /// get a new feed as soon as it is rendered (about 1 ms for 50 items), and
    /// identity bytes for the few milliseconds compression takes.
    gzip: OnceLock<Representation>,
    br: OnceLock<Representation>,
    /// The opaque part every encoding's ETag shares, without quotes or suffix.
    tag: String,
    /// The newest `updated` among the items.
    pub last_modified: DateTime<Utc>,
    /// `last_modified` as an HTTP date, shared like the ETags.
    pub last_modified_http: Bytes,
    /// How many items the document holds.
    pub items: usize,
    /// Headers for what is in front: the surrogate keys caches purge it by, and the
    /// WebSub `Link`s (its hubs and itself). Made once per render.
    pub headers: Vec<(&'static str, Bytes)>,
    /// Whether readers poll this document (a first page of the site or a section),
    /// so its compressed forms are kept in the spool's files for sendfile(2). Their
    /// number is bounded by the catalog, so crawlers walking tags and pages cannot
    /// use up the files and leave the polled feeds without.
    polled: bool,
}

impl Rendered {
    /// A document rendered at `stamp` as `identity`, holding `items` items; with
    /// `log_head`, the change log's head when its page was read, which its ETags
    /// carry so that a later request can ask for what changed since (RFC 3229).
    pub fn new(
        stamp: Stamp,
        identity: Vec<u8>,
        last_modified: DateTime<Utc>,
        items: usize,
        polled: bool,
        log_head: Option<u64>,
    ) -> Rendered {
        let hash = crate::etag::tag(&identity);
        let tag = match log_head {
            Some(seq) => format!("{hash}.{seq}"),
            None => hash,
        };
        Rendered {
            stamp,
            identity: Representation {
                etag: format!("\"{tag}\"").into(),
                bytes: identity.into(),
            },
            gzip: OnceLock::new(),
            br: OnceLock::new(),
            // HTTP dates start in 1970 for httpdate (which panics before): an archive
            // article from earlier says 1970 in Last-Modified, and in nothing else.
            last_modified_http: httpdate::fmt_http_date(
                last_modified.max(DateTime::UNIX_EPOCH).into(),
            )
            .into(),
            tag,
            last_modified,
            items,
            polled,
            headers: Vec::new(),
        }
    }

    /// The same document, answered with `headers` as well.
    pub fn with_headers(mut self, headers: Vec<(&'static str, Bytes)>) -> Rendered {
        self.headers = headers;
        self
    }

    /// What the document was rendered from.
    pub fn stamp(&self) -> Stamp {
        self.stamp
    }

    /// The change log position this document's ETags name, if any.
    pub fn log_head(&self) -> Option<u64> {
        log_position(&self.tag)
    }

    /// The validator every encoding's ETag starts with, unquoted.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// The document in `encoding`, if that form is made yet (identity always is).
    pub fn get(&self, encoding: Encoding) -> Option<&Representation> {
        match encoding {
            Encoding::Identity => Some(&self.identity),
            Encoding::Gzip => self.gzip.get(),
            Encoding::Br => self.br.get(),
        }
    }

    /// Makes the gzip form, then the br form (about 2 and 4 ms for 175 KB). Blocking.
    /// Polled documents keep them in `spool`: nearly every reader asks for one of
    /// them, and a file lets sendfile(2) spare copying each into the socket.
    pub fn compress(&self, spool: &Spool) {
        let keep = |bytes: Vec<u8>, suffix: &str| Representation {
            etag: format!("\"{}-{suffix}\"", self.tag).into(),
            bytes: if self.polled {
                spool.body(bytes)
            } else {
                Bytes::from(bytes)
            },
        };
        let identity = &self.identity.bytes;
        self.gzip.get_or_init(|| keep(gzip(identity), "gzip"));
        self.br.get_or_init(|| keep(brotli(identity), "br"));
    }
}

/// `bytes` compressed with gzip.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("writing to a Vec cannot fail");
    enc.finish().expect("writing to a Vec cannot fail")
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = ::brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        enc.write_all(bytes).expect("writing to a Vec cannot fail");
    }
    out
}

/// The change log position in a feed's ETag validator (`{hash}.{seq}`), if any.
pub fn log_position(tag: &str) -> Option<u64> {
    tag.split_once('.')?.1.parse().ok()
}
