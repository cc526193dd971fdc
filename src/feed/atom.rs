//! Atom 1.0 (RFC 4287) with Media RSS and RFC 5005 paging links.

use std::collections::BTreeMap;
use std::sync::Arc;

use atom_syndication::extension::Extension;
use atom_syndication::{
    Category, Content, Entry, Feed, FixedDateTime, Generator, Link, Person, Text, WriteConfig,
};
use chrono::{DateTime, Utc};

use super::{FeedMeta, ItemView};

/// Renders an Atom document.
pub fn render(meta: &FeedMeta, items: &[Arc<ItemView>]) -> Vec<u8> {
    let site = meta.site;
    let home = site.home_url();
    let mut links = vec![
        link("self", &meta.self_url, "application/atom+xml"),
        link("alternate", &home, "text/html"),
        link("first", &meta.first_url, "application/atom+xml"),
    ];
    links.extend(meta.site.hubs.iter().map(|hub| Link {
        href: hub.clone(),
        rel: "hub".into(),
        ..Default::default()
    }));
    if let Some(prev) = &meta.prev_url {
        links.push(link("previous", prev, "application/atom+xml"));
    }
    if let Some(next) = &meta.next_url {
        links.push(link("next", next, "application/atom+xml"));
    }
    let feed = Feed {
        title: Text::plain(meta.title()),
        id: meta.id.clone(),
        updated: fixed(meta.updated),
        authors: vec![Person {
            name: site.title.clone(),
            uri: Some(home),
            ..Default::default()
        }],
        generator: Some(Generator {
            value: super::GENERATOR.into(),
            uri: None,
            version: Some(super::VERSION.into()),
        }),
        icon: site.icon.clone(),
        logo: site.logo.clone(),
        links,
        subtitle: Some(Text::plain(meta.description())),
        entries: entries(items),
        namespaces: namespaces(meta),
        extensions: deleted_entries(meta),
        lang: Some(site.language.clone()),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(super::size_hint(items));
    out.extend_from_slice(br#"<?xml version="1.0" encoding="UTF-8"?>"#);
    out.push(b'\n');
    let config = WriteConfig {
        write_document_declaration: false,
        indent_size: None,
    };
    feed.write_with_config(out, config)
        .expect("writing to a Vec cannot fail")
}

/// RFC 6721's namespace, for `at:deleted-entry`.
const TOMBSTONES: &str = "http://purl.org/atompub/tombstones/1.0";

/// Media RSS always; the tombstones' namespace when there are any.
fn namespaces(meta: &FeedMeta) -> BTreeMap<String, String> {
    let mut ns = BTreeMap::from([(
        "media".to_string(),
        "http://search.yahoo.com/mrss/".to_string(),
    )]);
    if !meta.deleted.is_empty() {
        ns.insert("at".into(), TOMBSTONES.into());
    }
    ns
}

/// One `<at:deleted-entry ref="…" when="…">` per retraction, with the reason as
/// `<at:comment>`; `ref` is exactly the entry's `id`.
fn deleted_entries(meta: &FeedMeta) -> atom_syndication::extension::ExtensionMap {
    let tombstones: Vec<Extension> = meta
        .deleted
        .iter()
        .map(|d| {
            let mut children = BTreeMap::new();
            if let Some(comment) = &d.comment {
                children.insert(
                    "comment".to_string(),
                    vec![Extension {
                        name: "at:comment".into(),
                        value: Some(comment.clone()),
                        ..Default::default()
                    }],
                );
            }
            Extension {
                name: "at:deleted-entry".into(),
                value: None,
                attrs: BTreeMap::from([
                    ("ref".to_string(), d.ref_id.clone()),
                    (
                        "when".to_string(),
                        d.when.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    ),
                ]),
                children,
            }
        })
        .collect();
    let mut map = BTreeMap::new();
    if !tombstones.is_empty() {
        map.insert(
            "at".to_string(),
            BTreeMap::from([("deleted-entry".to_string(), tombstones)]),
        );
    }
    map
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

/// The entries, with equal `updated` times told apart by a millisecond each: the
/// validator warns on ties, which bulk imports with minute-precision times produce.
fn entries(items: &[Arc<ItemView>]) -> Vec<Entry> {
    let mut used = std::collections::HashSet::new();
    items
        .iter()
        .map(|view| {
            let mut updated = view.updated;
            while !used.insert(updated) {
                updated += chrono::Duration::milliseconds(1);
            }
            entry(view, updated)
        })
        .collect()
}

fn entry(view: &ItemView, updated: DateTime<Utc>) -> Entry {
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
        updated: fixed(updated),
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
        // An entry with neither summary nor body still needs text: its title.
        summary: match (view.summary.is_empty(), view.content_html.is_empty()) {
            (false, _) => Some(Text::plain(view.summary.clone())),
            (true, true) => Some(Text::plain(view.title.clone())),
            (true, false) => None,
        },
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Overrides, Settings};
    use crate::feed::{Format, Site};
    use crate::scope::Scope;

    fn view(id: &str, summary: &str, body: &str) -> ItemView {
        crate::feed::view::sample(id, summary, body)
    }

    fn render_two(a: ItemView, b: ItemView) -> String {
        let settings =
            Settings::load_from(None, &Default::default(), &Overrides::default()).unwrap();
        let site = Site::from_settings(&settings);
        let meta = FeedMeta::new(&site, Format::Atom, &Scope::All, None, 1);
        String::from_utf8(render(&meta, &[Arc::new(a), Arc::new(b)])).unwrap()
    }

    #[test]
    fn equal_updated_times_are_told_apart() {
        let xml = render_two(view("a", "s", "<p>b</p>"), view("b", "s", "<p>b</p>"));
        assert!(xml.contains("<updated>2024-12-06T02:00:00+00:00</updated>"));
        assert!(
            xml.contains("<updated>2024-12-06T02:00:00.001+00:00</updated>"),
            "{xml}"
        );
    }

    #[test]
    fn an_entry_without_text_uses_its_title_as_summary() {
        let xml = render_two(view("a", "", ""), view("b", "", "<p>body</p>"));
        assert!(xml.contains("<summary>Tiêu đề a</summary>"), "{xml}");
        assert!(!xml.contains("<summary>Tiêu đề b</summary>"));
    }
}
