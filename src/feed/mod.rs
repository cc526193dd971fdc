//! Feeds: the only code that knows the `rss` and `atom_syndication` crates.
//!
//! `FeedMeta` describes one feed document (its scope, page and links) and `ItemView`
//! one entry, both already in UTC and with absolute URLs; the renderers in `rss`,
//! `atom` and `json` are pure functions from them to bytes. `cache` keeps rendered,
//! precompressed documents until a write touches their scope.

mod atom;
pub mod cache;
mod json;
mod media;
mod memo;
mod opml;
mod rss;
mod view;

use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use cache::{FeedCache, Rendered};
pub use opml::render_opml;
pub use view::{ItemView, Site};

use crate::scope::Scope;

/// A feed format, named by the last segment of its URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    /// The format served at `file` (`rss.xml`, `atom.xml` or `feed.json`).
    pub fn from_file(file: &str) -> Option<Format> {
        match file {
            "rss.xml" => Some(Format::Rss),
            "atom.xml" => Some(Format::Atom),
            "feed.json" => Some(Format::Json),
            _ => None,
        }
    }

    /// The last segment of this format's URL.
    pub fn file(self) -> &'static str {
        match self {
            Format::Rss => "rss.xml",
            Format::Atom => "atom.xml",
            Format::Json => "feed.json",
        }
    }

    /// The Content-Type this format is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }
}

/// One feed document: what it covers, where it lives, and its neighbours.
#[derive(Debug, Clone)]
pub struct FeedMeta {
    pub format: Format,
    pub title: String,
    pub description: String,
    /// The page readers open from the feed (the site's home page).
    pub home_url: String,
    /// This document's own URL, exactly as served.
    pub self_url: String,
    /// RFC 5005 paging links.
    pub first_url: String,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
    /// A tag: URI that names the feed forever.
    pub id: String,
    /// The newest `updated` among the items (or a fixed time for an empty feed).
    pub updated: DateTime<Utc>,
    pub language: String,
    pub ttl_minutes: u64,
    pub icon: Option<String>,
    pub logo: Option<String>,
}

impl FeedMeta {
    /// The metadata of page `page` (from 1) of `scope` in `format`.
    pub fn new(
        site: &Site,
        format: Format,
        scope: &Scope,
        scope_title: Option<&str>,
        page: usize,
    ) -> Self {
        let base = site.feed_url(scope, format);
        let page_url = |n: usize| {
            if n <= 1 {
                base.clone()
            } else {
                format!("{base}?page={n}")
            }
        };
        let label = match scope {
            Scope::All => None,
            Scope::Category(name) | Scope::Tag(name) => Some(scope_title.unwrap_or(name)),
        };
        let (title, description) = match label {
            None => (site.title.clone(), site.description.clone()),
            Some(label) => (
                format!("{} – {label}", site.title),
                format!("{label}: {}", site.description),
            ),
        };
        FeedMeta {
            format,
            title,
            description,
            home_url: format!("{}/", site.base_url),
            self_url: page_url(page),
            first_url: page_url(1),
            prev_url: (page > 1).then(|| page_url(page - 1)),
            next_url: None,
            id: site.feed_id(scope),
            updated: site.started,
            language: site.language.clone(),
            ttl_minutes: site.ttl_minutes,
            icon: site.icon.clone(),
            logo: site.logo.clone(),
        }
    }

    /// Sets the next-page link to page `page + 1`.
    pub fn with_next(mut self, page: usize) -> Self {
        let base = &self.first_url;
        self.next_url = Some(format!("{base}?page={}", page + 1));
        self
    }
}

/// A little more than a document of `items` takes, to allocate its buffer once: a
/// buffer grown by doubling copied the document several times and faulted in fresh
/// pages on every render. Markup in bodies grows by about a fifth when escaped.
fn size_hint(items: &[Arc<ItemView>]) -> usize {
    let item = |i: &Arc<ItemView>| i.content_html.len() * 5 / 4 + i.summary.len() + 2048;
    4096 + items.iter().map(item).sum::<usize>()
}

/// Renders one document. The items are newest first.
pub fn render(meta: &FeedMeta, items: &[Arc<ItemView>]) -> Vec<u8> {
    match meta.format {
        Format::Rss => rss::render(meta, items),
        Format::Atom => atom::render(meta, items),
        Format::Json => json::render(meta, items),
    }
}

/// Renders within `max_bytes`, dropping the oldest items until it fits (Google News
/// takes at most 2 MB). Returns the bytes and how many items they hold.
pub fn render_capped(
    meta: &FeedMeta,
    items: &[Arc<ItemView>],
    max_bytes: usize,
) -> (Vec<u8>, usize) {
    let mut kept = items.len();
    loop {
        let mut meta = meta.clone();
        if let Some(newest) = items[..kept].iter().map(|i| i.updated).max() {
            meta.updated = newest;
        }
        let bytes = render(&meta, &items[..kept]);
        if bytes.len() <= max_bytes || kept == 0 {
            return (bytes, kept);
        }
        // Drop in proportion to the excess, at least one item per pass.
        let per_item = bytes.len() / kept.max(1);
        let excess_items = (bytes.len() - max_bytes).div_ceil(per_item.max(1));
        kept = kept.saturating_sub(excess_items.max(1));
    }
}
