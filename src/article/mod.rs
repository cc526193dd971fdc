//! The article model, its ingest shape and the validation between them.
//!
//! `ArticleInput` is what the API and import files carry; `Article` is what is stored
//! and exported. They share field names, so an export re-imports unchanged.

mod fields;
mod html;
mod text;
mod validate;

use std::borrow::Cow;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

pub use fields::{is_http_url, is_language_tag, is_valid_id};
pub use html::HtmlPolicy;
pub use text::{clean_text, normalize_tag, plain_text};
pub use validate::{FieldError, Rules, ValidationErrors};

/// A validated, normalised article as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Article {
    pub id: String,
    pub url: String,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub content_html: String,
    pub category: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub authors: Vec<Author>,
    pub published: DateTime<FixedOffset>,
    pub updated: DateTime<FixedOffset>,
    #[serde(default)]
    pub images: Vec<Image>,
    pub language: String,
}

/// A byline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Author {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A photo with its caption.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Image {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime: Option<String>,
    /// Size in bytes; feeds add an enclosure only when it is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
}

/// An article as submitted, before validation. Every field is optional so that
/// validation can report all missing ones at once.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleInput {
    pub id: Option<String>,
    pub url: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub content_html: Option<String>,
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
    pub authors: Option<Vec<Author>>,
    pub published: Option<String>,
    pub updated: Option<String>,
    pub images: Option<Vec<Image>>,
    pub language: Option<String>,
}

/// The fields of a stored article that say what it is about, borrowed from the
/// stored bytes where they need no unescaping: what the related index reads. An
/// index build decodes every article twice, and copying each body was most of its
/// allocation.
#[derive(Debug, Deserialize)]
pub struct ArticleText<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow)]
    pub title: Cow<'a, str>,
    #[serde(borrow, default)]
    pub summary: Cow<'a, str>,
    #[serde(borrow, default)]
    pub content_html: Cow<'a, str>,
    #[serde(borrow)]
    pub category: Cow<'a, str>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub published: DateTime<FixedOffset>,
    /// BCP 47, as stored ("vi", "en-GB"); English articles are stemmed.
    #[serde(borrow, default)]
    pub language: Cow<'a, str>,
}

impl<'a> From<&'a Article> for ArticleText<'a> {
    fn from(a: &'a Article) -> Self {
        ArticleText {
            id: Cow::Borrowed(&a.id),
            title: Cow::Borrowed(&a.title),
            summary: Cow::Borrowed(&a.summary),
            content_html: Cow::Borrowed(&a.content_html),
            category: Cow::Borrowed(&a.category),
            tags: a.tags.clone(),
            published: a.published,
            language: Cow::Borrowed(&a.language),
        }
    }
}

impl Article {
    /// The tags as indexed: NFC, lowercase, without duplicates.
    pub fn tag_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.tags.iter().map(|t| normalize_tag(t)).collect();
        keys.sort();
        keys.dedup();
        keys
    }
}

/// Why a JSON document could not become an [`ArticleInput`].
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Not JSON at all (answered with 400).
    #[error("malformed JSON at line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// JSON, but a field has the wrong type or is unknown (answered with 422).
    #[error("{0}")]
    Field(FieldError),
}

/// Parses one article document, naming the field when its type is wrong.
pub fn parse_input(bytes: &[u8]) -> Result<ArticleInput, ParseError> {
    parse_json(bytes)
}

/// Parses one JSON document as a `T`, naming the field when its type is wrong: the
/// one mapping of serde's errors, for every JSON body Herald takes.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ParseError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(de);
    result.map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() || inner.is_io() {
            ParseError::Syntax {
                line: inner.line(),
                column: inner.column(),
                message: inner.to_string(),
            }
        } else {
            ParseError::Field(FieldError::new(field_of(&path), strip_position(&inner)))
        }
    })
}

/// Converts an already-parsed JSON value, as found in a bulk array.
pub fn input_from_value(value: serde_json::Value) -> Result<ArticleInput, FieldError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        FieldError::new(field_of(&path), strip_position(err.inner()))
    })
}

fn field_of(path: &str) -> String {
    if path == "." {
        String::new()
    } else {
        path.to_string()
    }
}

fn strip_position(err: &serde_json::Error) -> String {
    let msg = err.to_string();
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    }
}
