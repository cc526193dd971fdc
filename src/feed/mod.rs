//! Feeds: the only code that knows the `rss` and `atom_syndication` crates.
//!
//! `FeedMeta` describes one feed document (its scope, page and links) and `ItemView`
//! one entry, both already in UTC and with absolute URLs; the renderers in `rss`,
//! `atom` and `json` are pure functions from them to bytes. `cache` keeps rendered,
//! precompressed documents until a write touches their scope.

mod atom;
mod cache;
mod json;
mod media;
mod memo;
mod opml;
mod rss;
mod rules;
mod view;

use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use cache::{
    Encoding, FeedCache, FeedError, FeedLimits, Rendered, Representation, Stamp, gzip, log_position,
};
pub use opml::render_opml;
pub use rules::{Audience, Content, FeedRules, SmartFormat};
pub use view::{ItemView, Site, escape};

use crate::scope::Scope;

/// A feed format, named by the last segment of its URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    /// Every format, in the order feeds list them.
    pub const ALL: [Format; 3] = [Format::Rss, Format::Atom, Format::Json];

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

/// The generator every format names.
pub const GENERATOR: &str = "Herald";
/// The generator's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One feed document: the site it belongs to, what it covers, where it lives, and
/// its neighbours.
#[derive(Debug, Clone)]
pub struct FeedMeta<'a> {
    pub site: &'a Site,
    pub format: Format,
    /// What the feed covers within the site (a section's title, a tag as an editor
    /// wrote it), or `None` for the whole site.
    pub label: Option<String>,
    /// This document's own URL, exactly as served.
    pub self_url: String,
    /// RFC 5005 paging links.
    pub first_url: String,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
    /// A tag: URI that names the feed forever.
    pub id: String,
    /// The newest `updated` among the items and retractions (or a fixed time for an
    /// empty feed).
    pub updated: DateTime<Utc>,
    /// Entries retracted from this feed (Atom only: RFC 6721 `at:deleted-entry`).
    pub deleted: Vec<DeletedEntry>,
    /// SmartNews' channel additions, for that partner's RSS.
    pub smart_format: Option<&'a SmartFormat>,
}

/// An entry retracted from a feed, as RFC 6721 describes it.
#[derive(Debug, Clone)]
pub struct DeletedEntry {
    /// Exactly the entry's Atom `id`.
    pub ref_id: String,
    /// When it was retracted.
    pub when: DateTime<Utc>,
    /// Why, when the newsroom said.
    pub comment: Option<String>,
}

impl DeletedEntry {
    /// The deleted entry `tombstone` stands for, on `site`.
    pub fn of(site: &Site, tombstone: &crate::history::Tombstone) -> DeletedEntry {
        DeletedEntry {
            ref_id: site.entry_id(&tombstone.id),
            when: tombstone.when,
            comment: tombstone.reason.clone(),
        }
    }
}

impl<'a> FeedMeta<'a> {
    /// The metadata of page `page` (from 1) of `scope`'s public feed in `format`;
    /// `label` is the scope's title (the scope's own name when `None`).
    pub fn new(
        site: &'a Site,
        format: Format,
        scope: &Scope,
        label: Option<&str>,
        page: usize,
    ) -> Self {
        Self::for_audience(site, &Audience::Public, format, scope, label, page)
    }

    /// Like [`FeedMeta::new`], for the feed `audience` reads.
    pub fn for_audience(
        site: &'a Site,
        audience: &Audience,
        format: Format,
        scope: &Scope,
        label: Option<&str>,
        page: usize,
    ) -> Self {
        let base = site.feed_url_for(audience, scope, format);
        let page_url = |n: usize| {
            if n <= 1 {
                base.clone()
            } else {
                format!("{base}?page={n}")
            }
        };
        let label = match scope {
            Scope::All => None,
            Scope::Category(name) | Scope::Tag(name) => Some(label.unwrap_or(name).to_string()),
        };
        FeedMeta {
            site,
            format,
            label,
            self_url: page_url(page),
            first_url: page_url(1),
            prev_url: (page > 1).then(|| page_url(page - 1)),
            next_url: None,
            id: site.feed_id(audience, scope),
            updated: site.started,
            deleted: Vec::new(),
            smart_format: None,
        }
    }

    /// Sets the next-page link to page `page + 1`.
    pub fn with_next(mut self, page: usize) -> Self {
        let base = &self.first_url;
        self.next_url = Some(format!("{base}?page={}", page + 1));
        self
    }

    /// The feed's title: the site's, followed by the label.
    pub fn title(&self) -> String {
        match &self.label {
            None => self.site.title.clone(),
            Some(label) => format!("{} – {label}", self.site.title),
        }
    }

    /// The feed's description: the site's, after the label (or SmartNews' own).
    pub fn description(&self) -> String {
        if let Some(smart) = self.smart_format {
            return smart.description.clone();
        }
        match &self.label {
            None => self.site.description.clone(),
            Some(label) => format!("{label}: {}", self.site.description),
        }
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
        let newest = items[..kept]
            .iter()
            .map(|i| i.updated)
            .chain(meta.deleted.iter().map(|d| d.when))
            .max();
        if let Some(newest) = newest {
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
