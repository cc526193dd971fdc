//! Atom 1.0 (RFC 4287) with Media RSS and RFC 5005 paging links.

use std::collections::BTreeMap;

use atom_syndication::extension::Extension;
use atom_syndication::{
    Category, Content, Entry, Feed, FixedDateTime, Generator, Link, Person, Text, WriteConfig,
};
use chrono::{DateTime, Utc};

use super::{FeedMeta, ItemView};

/// Renders an Atom document.
pub fn render(meta: &FeedMeta, items: &[ItemView]) -> Vec<u8> {
    let mut links = vec![
        link("self", &meta.self_url, "application/atom+xml"),
        link("alternate", &meta.home_url, "text/html"),
        link("first", &meta.first_url, "application/atom+xml"),
    ];
    if let Some(prev) = &meta.prev_url {
        links.push(link("previous", prev, "application/atom+xml"));
    }
    if let Some(next) = &meta.next_url {
        links.push(link("next", next, "application/atom+xml"));
    }
    let feed = Feed {
        title: Text::plain(meta.title.clone()),
        id: meta.id.clone(),
        updated: fixed(meta.updated),
        authors: vec![Person {
            name: site_name(meta),
            uri: Some(meta.home_url.clone()),
            ..Default::default()
        }],
        generator: Some(Generator {
            value: "Herald".into(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        icon: meta.icon.clone(),
        logo: meta.logo.clone(),
        links,
        subtitle: Some(Text::plain(meta.description.clone())),
        entries: items.iter().map(entry).collect(),
        namespaces: BTreeMap::from([(
            "media".to_string(),
            "http://search.yahoo.com/mrss/".to_string(),
        )]),
        lang: Some(meta.language.clone()),
        ..Default::default()
    };
    let mut out = br#"<?xml version="1.0" encoding="UTF-8"?>"#.to_vec();
    out.push(b'\n');
    let config = WriteConfig {
        write_document_declaration: false,
        indent_size: None,
    };
    feed.write_with_config(out, config)
        .expect("writing to a Vec cannot fail")
}

/// The publication's name: the feed title up to the scope suffix.
fn site_name(meta: &FeedMeta) -> String {
    meta.title
        .split(" – ")
        .next()
        .unwrap_or(&meta.title)
        .to_string()
}

fn fixed(t: DateTime<Utc>) -> FixedDateTime {
    t.fixed_offset()
}

fn link(rel: &str, href: &str, mime: &str) -> Link {
    Link {
        href: href.to_string(),
        rel: rel.to_string(),
        mime_type: Some(mime.to_string()),
        ..Default::default()
    }
}

fn entry(view: &ItemView) -> Entry {
    let mut categories = vec![Category {
        term: view.section.slug.clone(),
        scheme: None,
        label: Some(view.section.title.clone()),
    }];
    categories.extend(view.tags.iter().map(|t| Category {
        term: t.clone(),
        scheme: None,
        label: Some(t.clone()),
    }));
    Entry {
        title: Text::plain(view.title.clone()),
        id: view.id.clone(),
        updated: fixed(view.updated),
        published: Some(fixed(view.published)),
        authors: view
            .authors
            .iter()
            .map(|a| Person {
                name: a.name.clone(),
                email: a.email.clone(),
                uri: a.url.clone(),
                ..Default::default()
            })
            .collect(),
        categories,
        links: vec![link("alternate", &view.link, "text/html")],
        summary: (!view.summary.is_empty()).then(|| Text::plain(view.summary.clone())),
        content: (!view.content_html.is_empty()).then(|| Content {
            value: Some(view.content_html.clone()),
            content_type: Some("html".into()),
            ..Default::default()
        }),
        extensions: media(view),
        ..Default::default()
    }
}

super::media::media_extensions!(Extension);
