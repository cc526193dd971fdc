//! The sitemap documents as XML: Google News sitemaps, sitemap indexes, and
//! urlsets with images. Pure functions of what they list.

use std::fmt::Write;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};

use crate::feed::escape;

const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const NEWS_NS: &str = "http://www.google.com/schemas/sitemap-news/0.9";
const IMAGE_NS: &str = "http://www.google.com/schemas/sitemap-image/1.1";
const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// One story of a Google News sitemap.
pub struct NewsEntry {
    pub loc: String,
    /// ISO 639 (with `zh-cn` and `zh-tw`), as Google News wants it.
    pub language: String,
    /// The original publication time, with its offset.
    pub published: DateTime<FixedOffset>,
    pub title: String,
}

/// One URL of an archive sitemap.
pub struct UrlEntry {
    pub loc: String,
    pub lastmod: DateTime<Utc>,
    pub images: Vec<String>,
}

/// A Google News sitemap of `entries`, under the publication `name`.
pub fn news(name: &str, entries: &[NewsEntry]) -> Vec<u8> {
    let mut out = String::with_capacity(256 + entries.len() * 400);
    out.push_str(DECLARATION);
    let _ = writeln!(
        out,
        "<urlset xmlns=\"{SITEMAP_NS}\" xmlns:news=\"{NEWS_NS}\">"
    );
    let name = escape(name);
    for e in entries {
        let _ = writeln!(
            out,
            "<url><loc>{}</loc><news:news><news:publication><news:name>{name}</news:name>\
             <news:language>{}</news:language></news:publication>\
             <news:publication_date>{}</news:publication_date><news:title>{}</news:title>\
             </news:news></url>",
            escape(&e.loc),
            escape(&e.language),
            e.published.to_rfc3339_opts(SecondsFormat::Secs, true),
            escape(&e.title),
        );
    }
    out.push_str("</urlset>\n");
    out.into_bytes()
}

/// A sitemap index of `(loc, lastmod)` sitemaps.
pub fn index(sitemaps: &[(String, Option<DateTime<Utc>>)]) -> Vec<u8> {
    let mut out = String::with_capacity(256 + sitemaps.len() * 120);
    out.push_str(DECLARATION);
    let _ = writeln!(out, "<sitemapindex xmlns=\"{SITEMAP_NS}\">");
    for (loc, lastmod) in sitemaps {
        let _ = write!(out, "<sitemap><loc>{}</loc>", escape(loc));
        if let Some(t) = lastmod {
            let _ = write!(out, "<lastmod>{}</lastmod>", w3c(*t));
        }
        out.push_str("</sitemap>\n");
    }
    out.push_str("</sitemapindex>\n");
    out.into_bytes()
}

/// A urlset of `entries`, each with its images.
pub fn urlset(entries: &[UrlEntry]) -> Vec<u8> {
    let mut out = String::with_capacity(256 + entries.len() * 300);
    out.push_str(DECLARATION);
    let _ = writeln!(
        out,
        "<urlset xmlns=\"{SITEMAP_NS}\" xmlns:image=\"{IMAGE_NS}\">"
    );
    for e in entries {
        let _ = write!(
            out,
            "<url><loc>{}</loc><lastmod>{}</lastmod>",
            escape(&e.loc),
            w3c(e.lastmod)
        );
        // Google reads at most 1,000 images per URL.
        for img in e.images.iter().take(1000) {
            let _ = write!(
                out,
                "<image:image><image:loc>{}</image:loc></image:image>",
                escape(img)
            );
        }
        out.push_str("</url>\n");
    }
    out.push_str("</urlset>\n");
    out.into_bytes()
}

fn w3c(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The language code a Google News sitemap takes for a BCP 47 tag: the ISO 639
/// code in lower case, but `zh-cn` or `zh-tw` for Chinese.
pub fn news_language(tag: &str) -> String {
    let lower = tag.to_ascii_lowercase();
    let mut parts = lower.split('-');
    let primary = parts.next().unwrap_or_default().to_string();
    if primary != "zh" {
        return primary;
    }
    let rest: Vec<&str> = parts.collect();
    if rest
        .iter()
        .any(|p| matches!(*p, "tw" | "hk" | "mo" | "hant"))
    {
        "zh-tw".into()
    } else {
        "zh-cn".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn news_languages_are_what_google_takes() {
        for (tag, code) in [
            ("vi", "vi"),
            ("en-US", "en"),
            ("zh-Hant-TW", "zh-tw"),
            ("zh", "zh-cn"),
            ("zh-CN", "zh-cn"),
        ] {
            assert_eq!(news_language(tag), code, "{tag}");
        }
    }

    #[test]
    fn text_is_escaped_and_dates_are_w3c() {
        let t = DateTime::parse_from_rfc3339("2024-12-06T09:00:00+07:00").unwrap();
        let xml = String::from_utf8(news(
            "Báo A & B",
            &[NewsEntry {
                loc: "https://e.vn/a?x=1&y=2".into(),
                language: "vi".into(),
                published: t,
                title: "<Tin> nóng".into(),
            }],
        ))
        .unwrap();
        assert!(xml.contains("<news:name>Báo A &amp; B</news:name>"));
        assert!(xml.contains("<loc>https://e.vn/a?x=1&amp;y=2</loc>"));
        assert!(
            xml.contains(
                "<news:publication_date>2024-12-06T09:00:00+07:00</news:publication_date>"
            )
        );
        assert!(xml.contains("<news:title>&lt;Tin&gt; nóng</news:title>"));
    }
}
