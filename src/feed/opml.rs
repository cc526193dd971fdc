//! OPML 2.0: every category feed, so a reader can subscribe to all sections at once.

use super::view::escape;
use super::{Format, Site};
use crate::category::Category;
use crate::scope::Scope;

/// Renders the subscription list of every category's RSS feed.
pub fn render_opml(site: &Site, categories: &[Category]) -> Vec<u8> {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n<head>\n",
    );
    out.push_str(&format!("<title>{}</title>\n", escape(&site.title)));
    out.push_str(&format!(
        "<ownerId>{}/</ownerId>\n<docs>http://opml.org/spec2.opml</docs>\n</head>\n<body>\n",
        escape(&site.base_url)
    ));
    for c in categories {
        let url = site.feed_url(&Scope::Category(c.slug.clone()), Format::Rss);
        out.push_str(&format!(
            "<outline type=\"rss\" version=\"RSS2\" text=\"{t}\" title=\"{t}\" description=\"{d}\" xmlUrl=\"{x}\" htmlUrl=\"{h}/\"/>\n",
            t = escape(&c.title),
            d = escape(&c.description),
            x = escape(&url),
            h = escape(&site.base_url),
        ));
    }
    out.push_str("</body>\n</opml>\n");
    out.into_bytes()
}
