//! Media RSS elements (`media:content`, `media:thumbnail`), shared by RSS and Atom.

use std::collections::BTreeMap;

use super::ItemView;

/// A format-neutral extension element; each renderer converts it to its crate's type.
pub struct Element {
    pub name: &'static str,
    /// Local name, used as the key among siblings.
    pub local: &'static str,
    pub attrs: BTreeMap<String, String>,
    pub value: Option<String>,
    pub children: Vec<Element>,
}

impl Element {
    fn new(name: &'static str, local: &'static str) -> Self {
        Element {
            name,
            local,
            attrs: BTreeMap::new(),
            value: None,
            children: Vec::new(),
        }
    }

    fn attr(mut self, key: &str, value: impl ToString) -> Self {
        self.attrs.insert(key.to_string(), value.to_string());
        self
    }
}

/// One `media:content` per image, with caption and credit, then one `media:thumbnail`.
pub fn elements(view: &ItemView) -> Vec<Element> {
    let mut out = Vec::new();
    for img in &view.images {
        let mut content = Element::new("media:content", "content")
            .attr("url", &img.url)
            .attr("medium", "image");
        if let Some(mime) = &img.mime {
            content = content.attr("type", mime);
        }
        if let (Some(w), Some(h)) = (img.width, img.height) {
            content = content.attr("width", w).attr("height", h);
        }
        if let Some(caption) = &img.caption {
            let mut d = Element::new("media:description", "description").attr("type", "plain");
            d.value = Some(caption.clone());
            content.children.push(d);
        }
        if let Some(credit) = &img.credit {
            let mut c = Element::new("media:credit", "credit");
            c.value = Some(credit.clone());
            content.children.push(c);
        }
        out.push(content);
    }
    if let Some(first) = view.images.first() {
        let mut thumb = Element::new("media:thumbnail", "thumbnail").attr("url", &first.url);
        if let (Some(w), Some(h)) = (first.width, first.height) {
            thumb = thumb.attr("width", w).attr("height", h);
        }
        out.push(thumb);
    }
    out
}

/// Defines `media(&ItemView) -> ExtensionMap` for a crate whose `Extension` has the
/// usual `name`, `value`, `attrs` and `children` fields (both feed crates do, as
/// distinct types).
macro_rules! media_extensions {
    ($ext:ident) => {
        fn media(
            view: &ItemView,
        ) -> std::collections::BTreeMap<String, std::collections::BTreeMap<String, Vec<$ext>>> {
            fn convert(el: super::media::Element) -> $ext {
                let mut children: std::collections::BTreeMap<String, Vec<$ext>> =
                    std::collections::BTreeMap::new();
                for child in el.children {
                    children
                        .entry(child.local.into())
                        .or_default()
                        .push(convert(child));
                }
                $ext {
                    name: el.name.into(),
                    value: el.value,
                    attrs: el.attrs,
                    children,
                }
            }
            let mut by_name: std::collections::BTreeMap<String, Vec<$ext>> =
                std::collections::BTreeMap::new();
            for el in super::media::elements(view) {
                by_name
                    .entry(el.local.into())
                    .or_default()
                    .push(convert(el));
            }
            let mut map = std::collections::BTreeMap::new();
            if !by_name.is_empty() {
                map.insert("media".to_string(), by_name);
            }
            map
        }
    };
}
pub(crate) use media_extensions;
