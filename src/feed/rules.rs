//! Who a feed is made for, and how: the public feeds follow `feeds.*`, and each
//! partner's its own rules (content, items, sections, images, size, format).

use std::sync::Arc;

use super::{Format, ItemView};
use crate::article::normalize_tag;

/// Who a feed is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Audience {
    Public,
    /// A partner, by name: its feeds live under `/partners/{name}/`.
    Partner(String),
}

/// Full text or the summary alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Content {
    Full,
    Summary,
}

/// SmartNews' SmartFormat additions to an RSS channel.
#[derive(Debug, Clone)]
pub struct SmartFormat {
    /// `snf:logo`.
    pub logo: Option<String>,
    /// The channel's description (SmartNews shows at most 30 characters).
    pub description: String,
}

/// How feeds are made for one audience.
#[derive(Debug, Clone)]
pub struct FeedRules {
    pub audience: Audience,
    pub content: Content,
    /// Items per page.
    pub items: usize,
    /// Bytes per document at most; the oldest items are dropped to fit.
    pub max_bytes: usize,
    /// Bytes per item at most; a larger one goes out as its summary.
    pub max_item_bytes: Option<usize>,
    /// Only these sections, when not empty.
    pub sections: Vec<String>,
    pub exclude_sections: Vec<String>,
    /// Tag keys (normalised).
    pub exclude_tags: Vec<String>,
    /// Images narrower than this (or of unknown width) carry no media elements.
    pub min_image_width: u32,
    /// Images whose shorter side is less than this carry no media elements.
    pub min_image_short_side: u32,
    /// Items without an image kept by the rules above are left out.
    pub require_image: bool,
    /// Items without a body of their own are left out.
    pub require_body: bool,
    /// The formats served; others are 404.
    pub formats: Vec<Format>,
    pub smart_format: Option<SmartFormat>,
}

impl FeedRules {
    /// Public rules of 50 full items within 2 MB.
    pub fn public_defaults() -> FeedRules {
        FeedRules {
            audience: Audience::Public,
            content: Content::Full,
            items: 50,
            max_bytes: 2_000_000,
            max_item_bytes: None,
            sections: Vec::new(),
            exclude_sections: Vec::new(),
            exclude_tags: Vec::new(),
            min_image_width: 0,
            min_image_short_side: 0,
            require_image: false,
            require_body: false,
            formats: Format::ALL.to_vec(),
            smart_format: None,
        }
    }

    /// Whether every stored article of a scope is an item: no filter to apply, so
    /// pages can be read by offset.
    pub fn takes_all(&self) -> bool {
        self.sections.is_empty()
            && self.exclude_sections.is_empty()
            && self.exclude_tags.is_empty()
            && !self.require_image
            && !self.require_body
    }

    /// `view` as these rules show it, or `None` when they leave it out.
    pub fn shape(&self, view: &Arc<ItemView>) -> Option<Arc<ItemView>> {
        let slug = &view.section.slug;
        if (!self.sections.is_empty() && !self.sections.contains(slug))
            || self.exclude_sections.contains(slug)
            || view
                .tags
                .iter()
                .any(|t| self.exclude_tags.contains(&normalize_tag(t)))
        {
            return None;
        }
        let images: Vec<_> = view
            .images
            .iter()
            .filter(|i| {
                let w = i.width.unwrap_or(0);
                let short = w.min(i.height.unwrap_or(0));
                (self.min_image_width == 0 || w >= self.min_image_width)
                    && (self.min_image_short_side == 0 || short >= self.min_image_short_side)
            })
            .cloned()
            .collect();
        if (self.require_image && images.is_empty()) || (self.require_body && !view.has_body) {
            return None;
        }
        let summary_only = self.content == Content::Summary
            || self
                .max_item_bytes
                .is_some_and(|max| item_bytes_bound(view) > max);
        if images.len() == view.images.len() && !summary_only {
            return Some(Arc::clone(view));
        }
        let mut shaped = (**view).clone();
        shaped.images = images;
        if summary_only {
            shaped.content_html.clear();
        }
        Some(Arc::new(shaped))
    }
}

/// At least the bytes `view` takes in any format: its texts with every markup
/// character escaped at the worst rate (JSON's six-byte `\u003c`), and room for the
/// rest of the item (links, dates, categories, media elements).
fn item_bytes_bound(view: &ItemView) -> usize {
    let escaped = |s: &str| {
        let markup = s
            .bytes()
            .filter(|b| matches!(b, b'<' | b'>' | b'&' | b'"' | b'\''))
            .count();
        s.len() + 5 * markup
    };
    escaped(&view.content_html)
        + escaped(&view.summary)
        + 2 * escaped(&view.title)
        + 1024 * view.images.len()
        + 8192
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Overrides, Settings};
    use crate::feed::{FeedMeta, Site, render};
    use crate::scope::Scope;

    #[test]
    fn the_item_bound_covers_the_item_in_every_format() {
        let settings =
            Settings::load_from(None, &Default::default(), &Overrides::default()).unwrap();
        let site = Site::from_settings(&settings);
        let body = "<p class=\"a\">&amp; \"trích\" 'dẫn' <b>đậm</b></p>".repeat(2000);
        let view = Arc::new(crate::feed::view::sample("a", "tóm tắt \"x\" <y>", &body));
        for format in Format::ALL {
            let meta = FeedMeta::new(&site, format, &Scope::All, None, 1);
            let item = render(&meta, std::slice::from_ref(&view)).len() - render(&meta, &[]).len();
            assert!(item <= item_bytes_bound(&view), "{format:?}: {item}");
        }
    }

    #[test]
    fn rules_leave_out_or_trim_items() {
        let mut view = crate::feed::view::sample("a", "s", "<p>b</p>");
        view.tags = vec!["Bí Mật".into()];
        let view = Arc::new(view);
        let rules = |f: fn(&mut FeedRules)| {
            let mut r = FeedRules::public_defaults();
            f(&mut r);
            r
        };
        assert!(Arc::ptr_eq(
            &FeedRules::public_defaults().shape(&view).unwrap(),
            &view
        ));
        assert!(
            rules(|r| r.exclude_tags = vec!["bí mật".into()])
                .shape(&view)
                .is_none()
        );
        assert!(
            rules(|r| r.sections = vec!["xa-hoi".into()])
                .shape(&view)
                .is_none()
        );
        assert!(
            rules(|r| r.exclude_sections = vec!["kinh-te".into()])
                .shape(&view)
                .is_none()
        );
        assert!(rules(|r| r.require_image = true).shape(&view).is_none());
        let summary = rules(|r| r.content = Content::Summary)
            .shape(&view)
            .unwrap();
        assert!(summary.content_html.is_empty() && summary.summary == "s");
    }
}
