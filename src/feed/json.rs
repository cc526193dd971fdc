//! JSON Feed 1.1.

use std::sync::Arc;

use serde::Serialize;

use super::{FeedMeta, ItemView};

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    icon: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    favicon: Option<&'a str>,
    language: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<JsonHub<'a>>,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonHub<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    url: &'a str,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    summary: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    content_html: &'a str,
    /// For an item with no body (a summary feed): JSON Feed wants one of the two.
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<JsonAuthor<'a>>,
    tags: Vec<&'a str>,
}

#[derive(Serialize)]
struct JsonAuthor<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
}

/// Renders a JSON Feed 1.1 document.
pub fn render(meta: &FeedMeta, items: &[Arc<ItemView>]) -> Vec<u8> {
    let (title, description, site) = (meta.title(), meta.description(), meta.site);
    let home = site.home_url();
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &title,
        home_page_url: &home,
        feed_url: &meta.self_url,
        description: &description,
        next_url: meta.next_url.as_deref(),
        icon: site.logo.as_deref().or(site.icon.as_deref()),
        favicon: site.icon.as_deref(),
        language: &site.language,
        hubs: site
            .hubs
            .iter()
            .map(|url| JsonHub {
                kind: "WebSub",
                url,
            })
            .collect(),
        items: items.iter().map(|i| item(i)).collect(),
    };
    let mut out = Vec::with_capacity(super::size_hint(items));
    serde_json::to_writer(&mut out, &feed).expect("a feed always serialises");
    out
}

fn item(view: &ItemView) -> JsonItem<'_> {
    let mut tags = vec![view.section.title.as_str()];
    tags.extend(view.tags.iter().map(String::as_str));
    JsonItem {
        id: &view.id,
        url: &view.link,
        title: &view.title,
        summary: &view.summary,
        content_html: &view.content_html,
        content_text: view
            .content_html
            .is_empty()
            .then_some(if view.summary.is_empty() {
                view.title.as_str()
            } else {
                view.summary.as_str()
            }),
        image: view.images.first().map(|i| i.url.as_str()),
        date_published: view
            .published
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        date_modified: view
            .updated
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        authors: view
            .authors
            .iter()
            .map(|a| JsonAuthor {
                name: &a.name,
                url: a.url.as_deref(),
            })
            .collect(),
        tags,
    }
}
