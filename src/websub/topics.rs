//! Herald's topics: the first page of the site's feeds, each section's and each
//! tag's, in every format, public or a partner's, named exactly by their URLs.

use percent_encoding::percent_decode_str;

use crate::article::normalize_tag;
use crate::category::Catalog;
use crate::feed::{Audience, Format, Site};
use crate::partner::Partners;
use crate::scope::Scope;

/// A feed that can be subscribed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub audience: Audience,
    pub scope: Scope,
    pub format: Format,
}

impl Topic {
    /// The topic `url` names, if it is one of Herald's: exactly the URL the feed
    /// announces as its `self` (no page, no other spelling of a tag), in a format
    /// its audience is served.
    pub fn parse(url: &str, site: &Site, catalog: &Catalog, partners: &Partners) -> Option<Topic> {
        let rest = url.strip_prefix(&site.base_url)?;
        let (audience, rest) = match rest.strip_prefix("/partners/") {
            Some(rest) => {
                let (name, rest) = rest.split_once('/')?;
                partners.get(name)?;
                (Audience::Partner(name.to_string()), rest)
            }
            None => (Audience::Public, rest.strip_prefix('/')?),
        };
        let rest = rest.strip_prefix("feeds/")?;
        let parts: Vec<&str> = rest.split('/').collect();
        let (scope, file) = match parts.as_slice() {
            [file] => (Scope::All, *file),
            ["category", slug, file] if catalog.contains(slug) => {
                (Scope::Category(slug.to_string()), *file)
            }
            ["tag", tag, file] => {
                let tag = percent_decode_str(tag).decode_utf8().ok()?;
                (Scope::Tag(normalize_tag(&tag)), *file)
            }
            _ => return None,
        };
        let topic = Topic {
            audience,
            scope,
            format: Format::from_file(file)?,
        };
        let served = match &topic.audience {
            Audience::Public => true,
            Audience::Partner(name) => partners
                .get(name)
                .is_some_and(|p| p.rules.formats.contains(&topic.format)),
        };
        (served && topic.url(site) == url).then_some(topic)
    }

    /// Its URL.
    pub fn url(&self, site: &Site) -> String {
        site.feed_url_for(&self.audience, &self.scope, self.format)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Overrides, Settings};

    #[test]
    fn only_the_exact_urls_of_first_pages_are_topics() {
        let settings =
            Settings::load_from(None, &Default::default(), &Overrides::default()).unwrap();
        let site = Site::from_settings(&settings);
        let catalog = Catalog::new(&settings.categories, vec![]);
        let base = &site.base_url;
        let partners = Partners::default();
        let ok = |u: &str| Topic::parse(&format!("{base}{u}"), &site, &catalog, &partners);
        assert_eq!(
            ok("/feeds/atom.xml"),
            Some(Topic {
                audience: Audience::Public,
                scope: Scope::All,
                format: Format::Atom
            })
        );
        assert!(ok("/feeds/category/kinh-te/rss.xml").is_some());
        assert!(ok("/feeds/tag/l%C3%A0o%20cai/feed.json").is_some());
        for not in [
            "/feeds/category/khong-co/rss.xml",
            "/feeds/tag/L%C3%80O%20CAI/rss.xml",
            "/feeds/rss.xml?page=2",
            "/feeds/other.xml",
            "/api/articles",
            "/partners/nobody/feeds/rss.xml",
        ] {
            assert!(ok(not).is_none(), "{not}");
        }
        assert!(
            Topic::parse(
                "https://elsewhere.example/feeds/rss.xml",
                &site,
                &catalog,
                &partners
            )
            .is_none()
        );
    }
}
