//! What renderers read: the site's feed settings and one entry, both ready to print.

use chrono::{DateTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::Audience;
use crate::article::{Article, Author, Image};
use crate::category::Category;
use crate::config::Settings;
use crate::scope::Scope;

/// Characters left as they are in a path segment or tag: URI.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Site-wide facts every feed needs.
#[derive(Debug, Clone)]
pub struct Site {
    pub title: String,
    pub description: String,
    /// Without a trailing slash.
    pub base_url: String,
    pub language: String,
    pub ttl_minutes: u64,
    pub icon: Option<String>,
    pub logo: Option<String>,
    /// `host,date`, the authority of every tag: URI (RFC 4151).
    tag_authority: String,
    /// Stands in for "updated" in feeds that have no items.
    pub started: DateTime<Utc>,
    /// The WebSub hubs every feed names: the external ones, then Herald's own.
    pub hubs: Vec<String>,
}

impl Site {
    /// Reads the site settings.
    pub fn from_settings(settings: &Settings) -> Site {
        let base_url = settings.base_url().to_string();
        let host = url::Url::parse(&base_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "localhost".into());
        let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Site {
            title: settings.site.title.clone(),
            description: settings.site.description.clone(),
            language: settings.site.language.clone(),
            ttl_minutes: settings.feeds.max_age_secs.div_ceil(60).max(1),
            icon: non_empty(&settings.site.icon),
            logo: non_empty(&settings.site.logo),
            tag_authority: format!("{host},{}", settings.site.id_since),
            started: Utc::now(),
            hubs: settings
                .websub
                .hubs
                .iter()
                .cloned()
                .chain(settings.websub.hub.then(|| format!("{base_url}/websub")))
                .collect(),
            base_url,
        }
    }

    /// The site's home page, which readers open from a feed.
    pub fn home_url(&self) -> String {
        format!("{}/", self.base_url)
    }

    /// The absolute URL of `scope`'s public feed in `format`, page 1.
    pub fn feed_url(&self, scope: &Scope, format: super::Format) -> String {
        self.feed_url_for(&Audience::Public, scope, format)
    }

    /// The absolute URL of `scope`'s feed for `audience` in `format`, page 1: a
    /// partner's mirror the public ones under `/partners/{name}`.
    pub fn feed_url_for(
        &self,
        audience: &Audience,
        scope: &Scope,
        format: super::Format,
    ) -> String {
        let file = format.file();
        let base = match audience {
            Audience::Public => self.base_url.clone(),
            Audience::Partner(name) => format!("{}/partners/{}", self.base_url, encode(name)),
        };
        match scope {
            Scope::All => format!("{base}/feeds/{file}"),
            Scope::Category(slug) => format!("{base}/feeds/category/{}/{file}", encode(slug)),
            Scope::Tag(tag) => format!("{base}/feeds/tag/{}/{file}", encode(tag)),
        }
    }

    /// The permanent id of `scope`'s feed for `audience`.
    pub fn feed_id(&self, audience: &Audience, scope: &Scope) -> String {
        let specific = match scope {
            Scope::All => "feed:all".to_string(),
            Scope::Category(slug) => format!("feed:category:{}", encode(slug)),
            Scope::Tag(tag) => format!("feed:tag:{}", encode(tag)),
        };
        match audience {
            Audience::Public => format!("tag:{}:{specific}", self.tag_authority),
            Audience::Partner(name) => {
                format!(
                    "tag:{}:partner:{}:{specific}",
                    self.tag_authority,
                    encode(name)
                )
            }
        }
    }

    /// The permanent id of an entry, from the article id alone: never from its URL,
    /// which an editor may change.
    pub fn entry_id(&self, article_id: &str) -> String {
        format!("tag:{}:article:{}", self.tag_authority, encode(article_id))
    }
}

fn encode(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// One entry, as every format shows it.
#[derive(Debug, Clone)]
pub struct ItemView {
    pub id: String,
    pub title: String,
    pub link: String,
    pub summary: String,
    /// The body, with a figure appended for each image it does not show already.
    pub content_html: String,
    /// Whether the article has a body of its own (`content_html` may hold only the
    /// figures of its images).
    pub has_body: bool,
    pub section: Category,
    pub tags: Vec<String>,
    pub authors: Vec<Author>,
    pub images: Vec<Image>,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

impl ItemView {
    /// The view of `article`, whose category is `section`.
    pub fn new(site: &Site, article: &Article, section: Category) -> ItemView {
        ItemView {
            id: site.entry_id(&article.id),
            title: article.title.clone(),
            link: article.url.clone(),
            summary: article.summary.clone(),
            content_html: with_figures(&article.content_html, &article.images),
            has_body: !article.content_html.trim().is_empty(),
            section,
            tags: article.tags.clone(),
            authors: article.authors.clone(),
            images: article.images.clone(),
            published: article.published.with_timezone(&Utc),
            updated: article.updated.with_timezone(&Utc),
        }
    }
}

/// Appends `<figure><img><figcaption>` for each image the body does not reference.
fn with_figures(body: &str, images: &[Image]) -> String {
    let mut html = body.to_string();
    for img in images
        .iter()
        .filter(|i| !body.contains(&escape(&i.url)) && !body.contains(&i.url))
    {
        let caption = img.caption.as_deref().unwrap_or_default();
        html.push_str(&format!(
            "<figure><img src=\"{}\" alt=\"{}\"",
            escape(&img.url),
            escape(caption)
        ));
        if let (Some(w), Some(h)) = (img.width, img.height) {
            html.push_str(&format!(" width=\"{w}\" height=\"{h}\""));
        }
        html.push('>');
        if !caption.is_empty() {
            html.push_str(&format!("<figcaption>{}</figcaption>", escape(caption)));
        }
        html.push_str("</figure>");
    }
    html
}

/// Escapes text for HTML content or a quoted attribute.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An entry for unit tests: `tag:` id, title "Tiêu đề {id}", section "Kinh tế", no
/// tags, authors or images, published and updated at one fixed time.
#[cfg(test)]
pub(crate) fn sample(id: &str, summary: &str, body: &str) -> ItemView {
    let t = "2024-12-06T02:00:00Z".parse().unwrap();
    ItemView {
        id: format!("tag:x,2024:article:{id}"),
        title: format!("Tiêu đề {id}"),
        link: "https://e.vn/a".into(),
        summary: summary.into(),
        content_html: body.into(),
        has_body: !body.is_empty(),
        section: Category {
            slug: "kinh-te".into(),
            title: "Kinh tế".into(),
            description: String::new(),
        },
        tags: vec![],
        authors: vec![],
        images: vec![],
        published: t,
        updated: t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(url: &str, caption: &str) -> Image {
        Image {
            url: url.into(),
            caption: Some(caption.into()),
            credit: None,
            width: Some(800),
            height: Some(600),
            mime: None,
            length: None,
        }
    }

    #[test]
    fn images_missing_from_the_body_become_figures() {
        let html = with_figures("<p>x</p>", &[image("https://e.vn/a.jpg", "Cầu <mới>")]);
        assert_eq!(
            html,
            "<p>x</p><figure><img src=\"https://e.vn/a.jpg\" alt=\"Cầu &lt;mới&gt;\" width=\"800\" height=\"600\"><figcaption>Cầu &lt;mới&gt;</figcaption></figure>"
        );
    }

    #[test]
    fn images_already_in_the_body_are_not_repeated() {
        let body = "<figure><img src=\"https://e.vn/a.jpg?w=1&amp;h=2\"></figure>";
        assert_eq!(
            with_figures(body, &[image("https://e.vn/a.jpg?w=1&h=2", "c")]),
            body
        );
    }
}
