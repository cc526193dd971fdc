//! Ingest validation: every problem is reported at once, each naming its field.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use super::fields::{
    clean_authors, clean_images, clean_tags, is_http_url, is_language_tag, is_valid_id,
    normalize_http_url,
};
use super::text::{clean_text, plain_text};
use super::{Article, ArticleInput};
use crate::category::Catalog;

const MAX_TITLE_CHARS: usize = 1000;
const MAX_SUMMARY_CHARS: usize = 10_000;

/// One problem with one field of an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    /// A problem with `field`, explained by `reason`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

/// Every problem found in one article.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid article: {}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
pub struct ValidationErrors(pub Vec<FieldError>);

/// What validation needs to know beyond the article itself.
pub struct Rules<'a> {
    pub categories: &'a Catalog,
    pub default_language: &'a str,
    pub max_body_bytes: usize,
    pub html: &'a super::HtmlPolicy,
    /// The time the article is stored at: what is later is scheduled.
    pub now: chrono::DateTime<chrono::Utc>,
}

impl ArticleInput {
    /// Validates and normalises the input into an [`Article`].
    pub fn validate(self, rules: &Rules<'_>) -> Result<Article, ValidationErrors> {
        let mut errs = Vec::new();
        let mut push = |field: &str, reason: String| errs.push(FieldError::new(field, reason));

        let id = self.id.unwrap_or_default();
        if !is_valid_id(&id) {
            push(
                "id",
                "required: 1-128 characters of A-Z, a-z, 0-9, '.', '_' and '-'".into(),
            );
        }
        let url = clean_text(&self.url.unwrap_or_default());
        let url = match normalize_http_url(&url) {
            Some(normal) => normal,
            None => {
                push("url", "required: an absolute http or https URL".into());
                url
            }
        };
        let title = plain_text(&self.title.unwrap_or_default());
        if title.is_empty() {
            push("title", "required: must not be empty".into());
        } else if title.chars().count() > MAX_TITLE_CHARS {
            push("title", format!("longer than {MAX_TITLE_CHARS} characters"));
        }
        let summary = plain_text(&self.summary.unwrap_or_default());
        if summary.chars().count() > MAX_SUMMARY_CHARS {
            push(
                "summary",
                format!("longer than {MAX_SUMMARY_CHARS} characters"),
            );
        }
        let raw_body = self.content_html.unwrap_or_default();
        if raw_body.len() > rules.max_body_bytes {
            push(
                "content_html",
                format!(
                    "{} bytes, more than the limit of {} bytes",
                    raw_body.len(),
                    rules.max_body_bytes
                ),
            );
        }
        let content_html = if raw_body.len() <= rules.max_body_bytes && is_http_url(&url) {
            clean_text(&rules.html.sanitize(&raw_body, &url))
        } else {
            String::new() // rejected anyway; not worth sanitising
        };
        let category = clean_text(&self.category.unwrap_or_default());
        if category.is_empty() {
            push("category", "required".into());
        } else if !rules.categories.contains(&category) {
            push(
                "category",
                format!(
                    "unknown category {category:?}; known: {}",
                    rules.categories.slugs().join(", ")
                ),
            );
        }
        let published = match self.published.as_deref().map(str::trim) {
            None | Some("") => {
                push(
                    "published",
                    "required: an RFC 3339 date-time with offset".into(),
                );
                None
            }
            Some(s) => parse_time(s).map_err(|r| push("published", r)).ok(),
        };
        let updated = match self.updated.as_deref().map(str::trim) {
            None | Some("") => published,
            Some(s) => parse_time(s).map_err(|r| push("updated", r)).ok(),
        };
        let updated = match (published, updated) {
            (Some(p), Some(u)) if u < p => {
                push("updated", "is before published".into());
                None
            }
            (Some(p), Some(u)) => match future_updated(p, u, rules.now) {
                Ok(u) => Some(u),
                Err(reason) => {
                    push("updated", reason);
                    None
                }
            },
            (_, u) => u,
        };
        let tags = clean_tags(self.tags.unwrap_or_default(), &mut push);
        let authors = clean_authors(self.authors.unwrap_or_default(), &mut push);
        let images = clean_images(self.images.unwrap_or_default(), &mut push);
        let language = match self.language.as_deref().map(str::trim) {
            None | Some("") => rules.default_language.to_string(),
            Some(l) if is_language_tag(l) => l.to_string(),
            Some(l) => {
                push("language", format!("not a language tag like \"vi\": {l:?}"));
                String::new()
            }
        };

        match (published, updated) {
            (Some(published), Some(updated)) if errs.is_empty() => Ok(Article {
                id,
                url,
                title,
                summary,
                content_html,
                category,
                tags,
                authors,
                published,
                updated,
                images,
                language,
            }),
            _ => Err(ValidationErrors(errs)),
        }
    }
}

/// How far ahead of Herald's clock a CMS's may run: an `updated` up to this far in
/// the future is taken as now.
const CLOCK_SKEW_SECS: i64 = 300;

/// `updated` as stored: never later than the time a feed could show it, which is
/// now for a public article and `published` for a scheduled one, since no feed may
/// ever carry a date in the future.
fn future_updated(
    published: DateTime<FixedOffset>,
    updated: DateTime<FixedOffset>,
    now: DateTime<chrono::Utc>,
) -> Result<DateTime<FixedOffset>, String> {
    if published > now {
        return if updated > published {
            Err(
                "later than published: a scheduled article's updated time is its published time"
                    .into(),
            )
        } else {
            Ok(updated)
        };
    }
    if updated <= now {
        Ok(updated)
    } else if updated <= now + chrono::Duration::seconds(CLOCK_SKEW_SECS) {
        Ok(now.with_timezone(updated.offset()))
    } else {
        Err(format!(
            "in the future ({}); it must not be later than now",
            updated.to_rfc3339()
        ))
    }
}

fn parse_time(s: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(s).map_err(|e| {
        format!("not an RFC 3339 date-time with offset, like 2024-12-06T09:00:00+07:00 ({e})")
    })
}
