//! One article field at a time: the lists (tags, authors, images) cleaned and
//! checked item by item, and the checks of ids, URLs, language tags and e-mails that
//! other modules share.

use super::text::{clean_text, plain_text};
use super::{Author, Image};

const MAX_TAGS: usize = 50;
const MAX_TAG_CHARS: usize = 100;
const MAX_AUTHORS: usize = 50;
const MAX_IMAGES: usize = 100;
const MAX_SHORT_CHARS: usize = 2000;

pub(super) fn clean_tags(raw: Vec<String>, push: &mut impl FnMut(&str, String)) -> Vec<String> {
    if raw.len() > MAX_TAGS {
        push("tags", format!("more than {MAX_TAGS} tags"));
    }
    let mut seen = std::collections::HashSet::new();
    let mut tags = Vec::new();
    for (i, tag) in raw.iter().enumerate() {
        let tag = plain_text(tag);
        if tag.is_empty() {
            push(&format!("tags[{i}]"), "must not be empty".into());
        } else if tag.chars().count() > MAX_TAG_CHARS {
            push(
                &format!("tags[{i}]"),
                format!("longer than {MAX_TAG_CHARS} characters"),
            );
        } else if seen.insert(super::normalize_tag(&tag)) {
            tags.push(tag);
        }
    }
    tags
}

pub(super) fn clean_authors(raw: Vec<Author>, push: &mut impl FnMut(&str, String)) -> Vec<Author> {
    if raw.len() > MAX_AUTHORS {
        push("authors", format!("more than {MAX_AUTHORS} authors"));
    }
    let mut authors = Vec::new();
    for (i, a) in raw.into_iter().enumerate() {
        let name = plain_text(&a.name);
        if name.is_empty() || name.chars().count() > MAX_SHORT_CHARS {
            push(
                &format!("authors[{i}].name"),
                "required, at most 2000 characters".into(),
            );
        }
        let email = clean_optional(a.email);
        if let Some(e) = &email
            && !is_email(e)
        {
            push(
                &format!("authors[{i}].email"),
                format!("not an email address: {e:?}"),
            );
        }
        let url = clean_optional(a.url).map(|u| {
            normalize_http_url(&u).unwrap_or_else(|| {
                push(
                    &format!("authors[{i}].url"),
                    "not an absolute http(s) URL".into(),
                );
                u
            })
        });
        authors.push(Author { name, email, url });
    }
    authors
}

pub(super) fn clean_images(raw: Vec<Image>, push: &mut impl FnMut(&str, String)) -> Vec<Image> {
    if raw.len() > MAX_IMAGES {
        push("images", format!("more than {MAX_IMAGES} images"));
    }
    let mut images = Vec::new();
    for (i, img) in raw.into_iter().enumerate() {
        let url = clean_text(&img.url);
        let url = normalize_http_url(&url).unwrap_or_else(|| {
            push(
                &format!("images[{i}].url"),
                "required: an absolute http(s) URL".into(),
            );
            url
        });
        let mime = clean_optional(img.mime);
        if let Some(m) = &mime
            && !(m.starts_with("image/") && m.len() > 6 && !m.contains(char::is_whitespace))
        {
            push(
                &format!("images[{i}].mime"),
                format!("not an image type: {m:?}"),
            );
        }
        for (name, v) in [("width", img.width), ("height", img.height)] {
            if v == Some(0) {
                push(
                    &format!("images[{i}].{name}"),
                    "must be greater than 0".into(),
                );
            }
        }
        images.push(Image {
            url,
            caption: img
                .caption
                .map(|c| plain_text(&c))
                .filter(|c| !c.is_empty()),
            credit: img.credit.map(|c| plain_text(&c)).filter(|c| !c.is_empty()),
            mime,
            ..img
        });
    }
    images
}

fn clean_optional(s: Option<String>) -> Option<String> {
    s.map(|s| clean_text(&s)).filter(|s| !s.is_empty())
}

/// True for ids of 1-128 characters of `[A-Za-z0-9._-]`.
pub fn is_valid_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// True for absolute http and https URLs with a host.
pub fn is_http_url(s: &str) -> bool {
    normalize_http_url(s).is_some()
}

/// The URL in its standard (WHATWG) serialisation, when it is absolute http(s) with a
/// host: ASCII only, non-ASCII percent-encoded and hosts in punycode, so every feed
/// reader and validator takes it, and equal URLs are stored equal.
pub fn normalize_http_url(s: &str) -> Option<String> {
    let u = url::Url::parse(s).ok()?;
    let ok = matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty());
    ok.then(|| u.into())
}

/// True for simple BCP 47 tags such as `vi`, `en-US`, `zh-Hant-TW`.
pub fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let first_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    first_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}
