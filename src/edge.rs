//! A cache or CDN in front of Herald: the surrogate keys each answer carries (what
//! it depends on), the headers that carry them, and the lifetimes it gets.
//!
//! Keys name scopes and articles: `site`, `category:chinh-tri`, `tag:l%C3%A0o%20cai`,
//! `article:{id}`, behind `cdn.key_prefix`. Header values must be visible ASCII and
//! keys are separated by spaces, so a tag's key is percent-encoded as in its feed's
//! URL. A change purges the keys of every scope it names and of its article.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::config::Settings;
use crate::history::Change;
use crate::scope::Scope;

/// Characters left as they are in a key.
const KEY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A header that carries surrogate keys, as one cache or another reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyHeader {
    /// Varnish's xkey vmod: keys separated by spaces.
    Xkey,
    /// Fastly: keys separated by spaces.
    SurrogateKey,
    /// Cloudflare: keys separated by commas.
    CacheTag,
}

impl KeyHeader {
    /// The header named in `cdn.key_headers`, if it is one of the three.
    pub fn from_setting(name: &str) -> Option<KeyHeader> {
        match name.to_ascii_lowercase().as_str() {
            "xkey" => Some(KeyHeader::Xkey),
            "surrogate-key" => Some(KeyHeader::SurrogateKey),
            "cache-tag" => Some(KeyHeader::CacheTag),
            _ => None,
        }
    }

    /// The header's name.
    pub fn name(self) -> &'static str {
        match self {
            KeyHeader::Xkey => "xkey",
            KeyHeader::SurrogateKey => "surrogate-key",
            KeyHeader::CacheTag => "cache-tag",
        }
    }

    /// `keys` as this header writes them.
    pub fn join(self, keys: &[String]) -> String {
        match self {
            KeyHeader::CacheTag => keys.join(","),
            _ => keys.join(" "),
        }
    }
}

/// How answers meet the cache in front: their keys and lifetimes.
#[derive(Debug, Clone)]
pub struct Edge {
    prefix: String,
    /// The headers keys go in.
    pub headers: Vec<KeyHeader>,
    /// `Surrogate-Control` and `CDN-Cache-Control` for feeds, when something purges
    /// the edge on change (otherwise the edge keeps to `max-age` like any cache).
    pub edge_control: Option<String>,
    /// `stale-if-error` seconds, for `Cache-Control`.
    pub stale_if_error_secs: u64,
}

impl Edge {
    /// The edge `cdn.*` describes.
    pub fn from_settings(settings: &Settings) -> Edge {
        let cdn = &settings.cdn;
        Edge {
            prefix: cdn.key_prefix.clone(),
            headers: cdn
                .key_headers
                .iter()
                .filter_map(|h| KeyHeader::from_setting(h))
                .collect(),
            edge_control: (!cdn.purge.is_empty())
                .then(|| format!("max-age={}", cdn.edge_max_age_secs)),
            stale_if_error_secs: cdn.stale_if_error_secs,
        }
    }

    /// No cache in front: no surrogate keys and no edge lifetime.
    pub fn none() -> Edge {
        Edge {
            prefix: String::new(),
            headers: Vec::new(),
            edge_control: None,
            stale_if_error_secs: 0,
        }
    }

    /// The key of `scope`.
    pub fn scope_key(&self, scope: &Scope) -> String {
        match scope {
            Scope::All => format!("{}site", self.prefix),
            Scope::Category(slug) => format!("{}category:{}", self.prefix, encode(slug)),
            Scope::Tag(tag) => format!("{}tag:{}", self.prefix, encode(tag)),
        }
    }

    /// The key of article `id`.
    pub fn article_key(&self, id: &str) -> String {
        format!("{}article:{}", self.prefix, encode(id))
    }

    /// The keys a change purges: its article's, and each scope's it names.
    pub fn keys_of(&self, change: &Change) -> Vec<String> {
        let mut keys = vec![self.article_key(&change.id)];
        keys.extend(
            change
                .scopes
                .iter()
                .filter_map(|k| Scope::from_key(k))
                .map(|s| self.scope_key(&s)),
        );
        keys
    }
}

fn encode(s: &str) -> String {
    utf8_percent_encode(s, KEY).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_without_spaces_or_commas() {
        let edge = Edge {
            prefix: "bao:".into(),
            headers: vec![KeyHeader::Xkey],
            edge_control: None,
            stale_if_error_secs: 0,
        };
        let key = edge.scope_key(&Scope::Tag("lào cai, tin".into()));
        assert_eq!(key, "bao:tag:l%C3%A0o%20cai%2C%20tin");
        assert!(key.bytes().all(|b| b.is_ascii_graphic() && b != b','));
        assert_eq!(edge.scope_key(&Scope::All), "bao:site");
        assert_eq!(KeyHeader::CacheTag.join(&["a".into(), "b".into()]), "a,b");
        assert_eq!(KeyHeader::Xkey.join(&["a".into(), "b".into()]), "a b");
    }
}
