//! Sitemaps: the Google News sitemap of the last two days, and the archive's
//! sitemaps by month of publication under one index, split into numbered parts
//! past the protocol's limits.
//!
//! Only public articles are listed (the site's time index holds no other), so an
//! embargoed article appears at its time and a retracted one leaves at once. The
//! index is made from the store's month summaries, and a month from its own range
//! of the site's index: neither reads the whole store. Months are kept rendered
//! until their summary changes.

mod render;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde::Deserialize;

pub use render::news_language;

use crate::article::Image;
use crate::feed::Site;
use crate::scope::Scope;
use crate::store::{Cursor, Month, MonthSummary, Store, StoreError};
use render::{NewsEntry, UrlEntry};

/// URLs per Google News sitemap.
pub const NEWS_PER_FILE: usize = 1000;
/// URLs per sitemap (the protocol also caps a file at 50 MB; at up to 1,000 images
/// per URL that would need 170 bytes per image, so a month part is also cut at that
/// many bytes, see `month`).
pub const URLS_PER_FILE: usize = 50_000;
const MAX_BYTES: usize = 50 * 1024 * 1024;
/// Rendered months kept.
const KEPT_MONTHS: usize = 64;

/// A sitemap document with its validators.
#[derive(Debug, Clone)]
pub struct Document {
    pub body: Bytes,
    /// The opaque part of its ETag.
    pub tag: String,
    pub last_modified: Option<DateTime<Utc>>,
}

impl Document {
    fn new(body: Vec<u8>, last_modified: Option<DateTime<Utc>>) -> Document {
        Document {
            tag: crate::etag::tag(&body),
            body: body.into(),
            last_modified,
        }
    }
}

/// A file under `/sitemaps/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum File {
    /// `news.xml`: the news sitemap, or the index of its parts.
    News,
    /// `news-N.xml`, from 1.
    NewsPart(usize),
    /// `YYYY-MM.xml` (part 1) or `YYYY-MM-N.xml`.
    Month(Month, usize),
}

impl File {
    /// The file named `name`, if it is one.
    pub fn parse(name: &str) -> Option<File> {
        let stem = name.strip_suffix(".xml")?;
        if stem == "news" {
            return Some(File::News);
        }
        if let Some(n) = stem.strip_prefix("news-") {
            return number(n).map(File::NewsPart);
        }
        let mut parts = stem.splitn(3, '-');
        let (y, m) = (parts.next()?, parts.next()?);
        let part = match parts.next() {
            None => 1,
            Some(n) => number(n).filter(|n| *n >= 2)?,
        };
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        let month = (
            y.parse().ok()?,
            m.parse().ok().filter(|m| (1..=12).contains(m))?,
        );
        Some(File::Month(month, part))
    }
}

fn number(s: &str) -> Option<usize> {
    (s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0'))
        .then(|| s.parse().ok())
        .flatten()
        .filter(|n| *n >= 1)
}

/// What a news sitemap shows of an article.
#[derive(Deserialize)]
struct NewsHead {
    id: String,
    url: String,
    title: String,
    language: String,
    published: DateTime<FixedOffset>,
}

/// What an archive sitemap shows of an article.
#[derive(Deserialize)]
struct UrlHead {
    url: String,
    updated: DateTime<FixedOffset>,
    #[serde(default)]
    images: Vec<Image>,
}

/// The sitemaps of one site.
pub struct Sitemaps {
    site: Arc<Site>,
    store: Store,
    publication: String,
    window: Duration,
    months: Mutex<HashMap<(Month, usize), (MonthSummary, Document)>>,
}

impl Sitemaps {
    /// The sitemaps of `site`'s public articles in `store`.
    pub fn new(site: Arc<Site>, store: Store, settings: &crate::config::Settings) -> Sitemaps {
        Sitemaps {
            site,
            store,
            publication: settings.site.publication_name.clone(),
            window: Duration::hours(settings.sitemaps.news_window_hours.into()),
            months: Mutex::default(),
        }
    }

    /// `/sitemaps/{file}`; `None` when there is no such file. Blocking.
    pub fn file(&self, file: File, now: DateTime<Utc>) -> Result<Option<Document>, SitemapError> {
        match file {
            File::News => self.news(None, now),
            File::NewsPart(n) => self.news(Some(n), now),
            File::Month(month, part) => self.month(month, part),
        }
    }

    /// `/sitemap.xml`: one sitemap per month (and part), with the month's lastmod.
    pub fn index(&self) -> Result<Document, SitemapError> {
        let months = self.store.months().ok_or(SitemapError::NotReady)?;
        let mut list = Vec::new();
        for (&(y, m), summary) in &months {
            let parts = (summary.articles as usize).div_ceil(URLS_PER_FILE).max(1);
            for part in 1..=parts {
                let suffix = if part == 1 {
                    String::new()
                } else {
                    format!("-{part}")
                };
                list.push((
                    format!("{}/sitemaps/{y:04}-{m:02}{suffix}.xml", self.site.base_url),
                    Some(summary.lastmod),
                ));
            }
        }
        let newest = months.values().map(|s| s.lastmod).max();
        Ok(Document::new(render::index(&list), newest))
    }

    /// The news sitemap (or, past 1,000 stories, the index of its parts), or part
    /// `part` of it.
    fn news(
        &self,
        part: Option<usize>,
        now: DateTime<Utc>,
    ) -> Result<Option<Document>, SitemapError> {
        let since = now - self.window;
        let mut entries = Vec::new();
        let mut cursor: Option<Cursor> = None;
        // Newest first, until a story older than the window (or, bounding the
        // work, 50 files' worth).
        loop {
            let page: Vec<NewsHead> = self.store.list_as(&Scope::All, 500, cursor.as_ref())?;
            let Some(last) = page.last() else { break };
            let done = page.len() < 500 || last.published.with_timezone(&Utc) < since;
            cursor = Some(Cursor {
                micros: last.published.timestamp_micros(),
                id: last.id.clone(),
            });
            entries.extend(page);
            if done || entries.len() >= 50 * NEWS_PER_FILE {
                break;
            }
        }
        entries.retain(|a| a.published.with_timezone(&Utc) >= since);
        let parts = entries.len().div_ceil(NEWS_PER_FILE).max(1);
        let chosen = match (part, parts) {
            (None, 1) => &entries[..],
            (None, _) => {
                let list: Vec<_> = (1..=parts)
                    .map(|n| {
                        (
                            format!("{}/sitemaps/news-{n}.xml", self.site.base_url),
                            None,
                        )
                    })
                    .collect();
                return Ok(Some(Document::new(render::index(&list), None)));
            }
            (Some(n), _) if n <= parts && parts > 1 => {
                let start = (n - 1) * NEWS_PER_FILE;
                &entries[start..(start + NEWS_PER_FILE).min(entries.len())]
            }
            (Some(_), _) => return Ok(None),
        };
        let news: Vec<NewsEntry> = chosen
            .iter()
            .map(|a| NewsEntry {
                loc: a.url.clone(),
                language: news_language(&a.language),
                published: a.published,
                title: a.title.clone(),
            })
            .collect();
        Ok(Some(Document::new(
            render::news(&self.publication, &news),
            None,
        )))
    }

    /// Part `part` of `month`'s sitemap, kept rendered until the month changes.
    fn month(&self, month: Month, part: usize) -> Result<Option<Document>, SitemapError> {
        let months = self.store.months().ok_or(SitemapError::NotReady)?;
        let Some(summary) = months.get(&month).copied() else {
            return Ok(None);
        };
        if (part - 1) * URLS_PER_FILE >= summary.articles as usize {
            return Ok(None);
        }
        if let Some((kept, doc)) = self.kept().get(&(month, part))
            && *kept == summary
        {
            return Ok(Some(doc.clone()));
        }
        let records = self
            .store
            .month_records(month, (part - 1) * URLS_PER_FILE, URLS_PER_FILE)?;
        let mut entries = Vec::with_capacity(records.len());
        let mut bytes = 0;
        for r in &records {
            let head: UrlHead = r.decode_as()?;
            bytes +=
                head.url.len() + 120 + head.images.iter().map(|i| i.url.len() + 50).sum::<usize>();
            if bytes > MAX_BYTES {
                tracing::warn!(
                    ?month,
                    part,
                    "a sitemap part reached 50 MB; the rest of it is left out"
                );
                break;
            }
            entries.push(UrlEntry {
                loc: head.url,
                lastmod: head.updated.with_timezone(&Utc),
                images: head.images.into_iter().map(|i| i.url).collect(),
            });
        }
        let doc = Document::new(render::urlset(&entries), Some(summary.lastmod));
        let mut kept = self.kept();
        if kept.len() >= KEPT_MONTHS {
            kept.clear();
        }
        kept.insert((month, part), (summary, doc.clone()));
        Ok(Some(doc))
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, HashMap<(Month, usize), (MonthSummary, Document)>> {
        self.months.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Why a sitemap could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum SitemapError {
    /// The months are still being summarised (for a moment after a start).
    #[error("the archive's months are still being counted")]
    NotReady,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_parse_strictly() {
        assert_eq!(File::parse("news.xml"), Some(File::News));
        assert_eq!(File::parse("news-2.xml"), Some(File::NewsPart(2)));
        assert_eq!(File::parse("2024-12.xml"), Some(File::Month((2024, 12), 1)));
        assert_eq!(
            File::parse("2024-12-3.xml"),
            Some(File::Month((2024, 12), 3))
        );
        for bad in [
            "news-0.xml",
            "news-01.xml",
            "2024-13.xml",
            "2024-1.xml",
            "2024-12-1.xml",
            "2024-12.txt",
            "x.xml",
        ] {
            assert_eq!(File::parse(bad), None, "{bad}");
        }
    }
}
