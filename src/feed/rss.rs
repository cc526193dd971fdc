//! RSS 2.0 with the content, dc, media and atom namespaces (and SmartNews' `snf`
//! for that partner).

use std::sync::Arc;

use rss::extension::Extension;
use rss::extension::dublincore::DublinCoreExtension;
use rss::{Category, Channel, Enclosure, Guid, Item};

use super::{FeedMeta, ItemView};

const NAMESPACES: [(&str, &str); 4] = [
    ("atom", "http://www.w3.org/2005/Atom"),
    ("content", "http://purl.org/rss/1.0/modules/content/"),
    ("dc", "http://purl.org/dc/elements/1.1/"),
    ("media", "http://search.yahoo.com/mrss/"),
];

/// SmartNews' SmartFormat namespace.
const SNF: (&str, &str) = ("snf", "http://www.smartnews.be/snf");

/// Renders an RSS 2.0 document.
pub fn render(meta: &FeedMeta, items: &[Arc<ItemView>]) -> Vec<u8> {
    let mut links = vec![atom_link("self", &meta.self_url)];
    links.extend(meta.site.hubs.iter().map(|hub| hub_link(hub)));
    links.push(atom_link("first", &meta.first_url));
    if let Some(prev) = &meta.prev_url {
        links.push(atom_link("previous", prev));
    }
    if let Some(next) = &meta.next_url {
        links.push(atom_link("next", next));
    }
    let channel = Channel {
        title: meta.title(),
        link: meta.site.home_url(),
        description: meta.description(),
        language: Some(meta.site.language.clone()),
        last_build_date: Some(meta.updated.to_rfc2822()),
        ttl: Some(meta.site.ttl_minutes.to_string()),
        generator: Some(format!("{} {}", super::GENERATOR, super::VERSION)),
        atom_ext: Some(rss::extension::atom::AtomExtension { links }),
        namespaces: NAMESPACES
            .iter()
            .chain(meta.smart_format.map(|_| &SNF))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        extensions: smart_format(meta),
        items: items.iter().map(|i| item(i)).collect(),
        ..Default::default()
    };
    let mut out = channel
        .write_to(Vec::with_capacity(super::size_hint(items)))
        .expect("writing to a Vec cannot fail");
    // The crate writes encoding="utf-8"; the declaration aggregators expect is upper
    // case, and as long, so it is patched in place.
    let decl_lower = br#"<?xml version="1.0" encoding="utf-8"?>"#;
    let decl_upper = br#"<?xml version="1.0" encoding="UTF-8"?>"#;
    if out.starts_with(decl_lower) {
        out[..decl_upper.len()].copy_from_slice(decl_upper);
    }
    out
}

/// `<snf:logo><url>…</url></snf:logo>`, as SmartFormat spells it, when the site
/// has a logo.
fn smart_format(meta: &FeedMeta) -> rss::extension::ExtensionMap {
    let mut map = rss::extension::ExtensionMap::new();
    if let Some(logo) = meta.smart_format.and_then(|s| s.logo.as_ref()) {
        let url = Extension {
            name: "url".into(),
            value: Some(logo.clone()),
            ..Default::default()
        };
        let logo = Extension {
            name: "snf:logo".into(),
            children: [("url".to_string(), vec![url])].into(),
            ..Default::default()
        };
        map.insert("snf".into(), [("logo".to_string(), vec![logo])].into());
    }
    map
}

fn atom_link(rel: &str, href: &str) -> atom_syndication::Link {
    atom_syndication::Link {
        href: href.to_string(),
        rel: rel.to_string(),
        mime_type: Some("application/rss+xml".into()),
        ..Default::default()
    }
}

/// A WebSub hub, as `<atom:link rel="hub">` (the hub's type is not the feed's).
fn hub_link(href: &str) -> atom_syndication::Link {
    atom_syndication::Link {
        href: href.to_string(),
        rel: "hub".into(),
        ..Default::default()
    }
}

fn item(view: &ItemView) -> Item {
    let mut categories = vec![Category {
        name: view.section.title.clone(),
        domain: None,
    }];
    categories.extend(view.tags.iter().map(|t| Category {
        name: t.clone(),
        domain: None,
    }));
    let enclosure = view.images.iter().find_map(|img| {
        Some(Enclosure {
            url: img.url.clone(),
            length: img.length?.to_string(),
            mime_type: img.mime.clone().unwrap_or_else(|| "image/jpeg".into()),
        })
    });
    Item {
        title: Some(view.title.clone()),
        link: Some(view.link.clone()),
        description: (!view.summary.is_empty()).then(|| view.summary.clone()),
        categories,
        enclosure,
        guid: Some(Guid {
            value: view.id.clone(),
            permalink: false,
        }),
        pub_date: Some(view.published.to_rfc2822()),
        content: (!view.content_html.is_empty()).then(|| view.content_html.clone()),
        dublin_core_ext: (!view.authors.is_empty()).then(|| DublinCoreExtension {
            creators: view.authors.iter().map(|a| a.name.clone()).collect(),
            ..Default::default()
        }),
        extensions: media(view),
        ..Default::default()
    }
}

super::media::media_extensions!(Extension);
