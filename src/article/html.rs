//! The HTML policy for article bodies, applied on ingest with ammonia.
//!
//! Feed readers show bodies away from the publisher's site, often inside their own
//! pages: nothing may run, and every link and image must work from anywhere.

use std::borrow::Cow;
use std::sync::Arc;

use ammonia::{Builder, UrlRelative};

/// What a body may contain beyond ammonia's defaults (which keep text markup,
/// `figure`, `figcaption`, `img` with its size, tables and lists, and drop `script`,
/// `style`, `object`, `embed`, event-handler attributes and `javascript:` URLs).
#[derive(Debug, Clone, Default)]
pub struct HtmlPolicy {
    /// Hosts whose iframes are kept (video players); any other iframe loses its `src`.
    iframe_hosts: Arc<Vec<String>>,
}

impl HtmlPolicy {
    /// A policy that keeps iframes from `iframe_hosts` only.
    pub fn new(iframe_hosts: &[String]) -> Self {
        HtmlPolicy {
            iframe_hosts: Arc::new(
                iframe_hosts
                    .iter()
                    .map(|h| h.to_ascii_lowercase())
                    .collect(),
            ),
        }
    }

    /// Sanitises `html`, making relative URLs absolute against `base` (the article's
    /// own URL, already validated as absolute http or https).
    pub fn sanitize(&self, html: &str, base: &str) -> String {
        let mut b = Builder::default();
        b.add_tags(["iframe"]).add_tag_attributes(
            "iframe",
            ["src", "width", "height", "title", "allowfullscreen"],
        );
        if let Ok(base) = url::Url::parse(base) {
            b.url_relative(UrlRelative::RewriteWithBase(base));
        }
        let hosts = Arc::clone(&self.iframe_hosts);
        b.attribute_filter(move |element, attribute, value| {
            if element == "iframe" && attribute == "src" && !allowed_host(value, &hosts) {
                return None;
            }
            Some(Cow::Borrowed(value))
        });
        b.clean(html).to_string()
    }
}

fn allowed_host(src: &str, hosts: &[String]) -> bool {
    url::Url::parse(src).ok().is_some_and(|u| {
        u.scheme() == "https"
            && u.host_str()
                .is_some_and(|h| hosts.iter().any(|a| a == &h.to_ascii_lowercase()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> HtmlPolicy {
        HtmlPolicy::new(&["www.youtube.com".to_string()])
    }

    const BASE: &str = "https://news.example.vn/thoi-su/bai-viet.html";

    #[test]
    fn scripts_handlers_and_javascript_urls_go() {
        let out = policy().sanitize(
            r#"<p onclick="x()">a<script>alert(1)</script><style>p{}</style><a href="javascript:alert(1)">l</a><object data="x"></object><embed src="y"></p>"#,
            BASE,
        );
        for bad in [
            "onclick",
            "script",
            "alert",
            "<style",
            "javascript:",
            "<object",
            "<embed",
        ] {
            assert!(!out.contains(bad), "{bad} in {out}");
        }
        assert!(out.contains("<p>a"));
    }

    #[test]
    fn figures_images_tables_and_lists_stay() {
        let html = r#"<figure><img src="https://e.vn/a.jpg" alt="x" width="800" height="600"><figcaption>Chú thích</figcaption></figure><table><tr><td>1</td></tr></table><ul><li>a</li></ul>"#;
        let out = policy().sanitize(html, BASE);
        for good in [
            "<figure>",
            "width=\"800\"",
            "height=\"600\"",
            "<figcaption>Chú thích</figcaption>",
            "<td>1</td>",
            "<li>a</li>",
        ] {
            assert!(out.contains(good), "{good} missing from {out}");
        }
    }

    #[test]
    fn relative_urls_become_absolute() {
        let out = policy().sanitize(
            r#"<a href="/kinh-te/b.html">b</a><img src="anh.jpg">"#,
            BASE,
        );
        assert!(
            out.contains(r#"href="https://news.example.vn/kinh-te/b.html""#),
            "{out}"
        );
        assert!(
            out.contains(r#"src="https://news.example.vn/thoi-su/anh.jpg""#),
            "{out}"
        );
    }

    #[test]
    fn iframes_only_from_allowed_hosts() {
        let out = policy().sanitize(
            r#"<iframe src="https://www.youtube.com/embed/x"></iframe><iframe src="https://evil.example/x"></iframe>"#,
            BASE,
        );
        assert!(
            out.contains(r#"src="https://www.youtube.com/embed/x""#),
            "{out}"
        );
        assert!(!out.contains("evil.example"), "{out}");
    }
}
