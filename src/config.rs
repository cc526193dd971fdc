//! Typed settings, loaded in layers and validated with messages that name the key.
//!
//! Layers, later wins: the `config/default.toml` embedded in the binary, an optional
//! file, `HERALD_<SECTION>__<KEY>` environment variables, and explicit overrides
//! (the `--listen` and `--data-dir` flags).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::category::Category;

/// The configuration shipped with Herald; every key has a comment there.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// Everything Herald can be configured with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub site: SiteSettings,
    pub server: ServerSettings,
    pub store: StoreSettings,
    pub auth: AuthSettings,
    pub limits: LimitSettings,
    pub html: HtmlSettings,
    pub feeds: FeedSettings,
    pub log: LogSettings,
    #[serde(default)]
    pub categories: Vec<Category>,
}

/// The publication itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSettings {
    pub title: String,
    pub base_url: String,
    pub language: String,
    pub description: String,
    pub id_since: String,
    #[serde(default)]
    pub icon: String,
    #[serde(default)]
    pub logo: String,
}

/// The HTTP listener.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub listen: String,
    pub shutdown_grace_secs: u64,
    pub request_timeout_secs: u64,
    pub header_read_timeout_secs: u64,
    pub max_connections: usize,
}

/// The sled store.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    pub data_dir: PathBuf,
    pub cache_mb: u64,
}

/// Where write tokens come from (besides `HERALD_API_TOKENS`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    #[serde(default)]
    pub tokens_file: String,
}

/// Size limits on input.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    pub max_body_bytes: usize,
    pub max_article_request_bytes: usize,
    pub max_bulk_request_bytes: usize,
    pub max_bulk_items: usize,
}

/// The HTML policy for article bodies.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HtmlSettings {
    pub iframe_hosts: Vec<String>,
}

/// Feed sizes and caching.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSettings {
    pub items: usize,
    pub max_bytes: usize,
    pub max_age_secs: u64,
    pub stale_while_revalidate_secs: u64,
}

/// Logging.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: String,
    pub level: String,
}

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config: unable to read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config: {0}")]
    Parse(#[from] config::ConfigError),
    #[error("config: invalid settings:\n  {}", .0.join("\n  "))]
    Invalid(Vec<String>),
}

/// Explicit overrides that win over every other layer.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
}

impl Settings {
    /// Loads the layers, using `file` when given, and validates the result.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        Self::load_from(file, &env, overrides)
    }

    /// Like [`Settings::load`], with the environment passed in (for tests).
    pub fn load_from(
        file: Option<&Path>,
        env: &HashMap<String, String>,
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        use config::{Config, Environment, File, FileFormat};
        let mut builder =
            Config::builder().add_source(File::from_str(DEFAULT_TOML, FileFormat::Toml));
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_owned(),
                source,
            })?;
            // Arrays replace rather than merge, so a file's [[categories]] is the whole list.
            builder = builder.add_source(File::from_str(&text, FileFormat::Toml));
        }
        // Only HERALD_SECTION__KEY variables are settings; HERALD_LISTEN and friends
        // are flags, and HERALD_API_TOKENS is a secret that must not pass through here.
        let nested: HashMap<String, String> = env
            .iter()
            .filter(|(k, _)| k.starts_with("HERALD_") && k.contains("__"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        builder = builder.add_source(
            Environment::with_prefix("HERALD")
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true)
                .source(Some(nested)),
        );
        if let Some(listen) = &overrides.listen {
            builder = builder.set_override("server.listen", listen.as_str())?;
        }
        if let Some(dir) = &overrides.data_dir {
            builder = builder.set_override("store.data_dir", dir.to_string_lossy().as_ref())?;
        }
        let settings: Settings = builder.build()?.try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks every setting and reports all bad keys at once.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut bad = Vec::new();
        match url::Url::parse(&self.site.base_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => bad.push(format!(
                "site.base_url: must be an absolute http(s) URL, got {:?}",
                self.site.base_url
            )),
        }
        if !is_tag_date(&self.site.id_since) {
            bad.push(format!(
                "site.id_since: must be a date like 2024 or 2024-06-01, got {:?}",
                self.site.id_since
            ));
        }
        if self.site.title.trim().is_empty() {
            bad.push("site.title: must not be empty".into());
        }
        if !crate::article::is_language_tag(&self.site.language) {
            bad.push(format!(
                "site.language: not a language tag: {:?}",
                self.site.language
            ));
        }
        for (key, value) in [
            ("site.icon", &self.site.icon),
            ("site.logo", &self.site.logo),
        ] {
            if !value.is_empty() && !crate::article::is_http_url(value) {
                bad.push(format!("{key}: must be empty or an absolute http(s) URL"));
            }
        }
        if self.server.listen.parse::<SocketAddr>().is_err() {
            bad.push(format!(
                "server.listen: not an address like 127.0.0.1:8080: {:?}",
                self.server.listen
            ));
        }
        if self.store.cache_mb == 0 {
            bad.push("store.cache_mb: must be at least 1".into());
        }
        let limits = [
            ("limits.max_body_bytes", self.limits.max_body_bytes),
            (
                "limits.max_article_request_bytes",
                self.limits.max_article_request_bytes,
            ),
            (
                "limits.max_bulk_request_bytes",
                self.limits.max_bulk_request_bytes,
            ),
            ("limits.max_bulk_items", self.limits.max_bulk_items),
            ("server.max_connections", self.server.max_connections),
            (
                "server.request_timeout_secs",
                self.server.request_timeout_secs as usize,
            ),
            (
                "server.header_read_timeout_secs",
                self.server.header_read_timeout_secs as usize,
            ),
            ("feeds.max_bytes", self.feeds.max_bytes),
        ];
        for (key, value) in limits {
            if value == 0 {
                bad.push(format!("{key}: must be greater than 0"));
            }
        }
        for (i, host) in self.html.iframe_hosts.iter().enumerate() {
            if host.is_empty()
                || !host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            {
                bad.push(format!("html.iframe_hosts[{i}]: not a host name: {host:?}"));
            }
        }
        if !(1..=1000).contains(&self.feeds.items) {
            bad.push(format!(
                "feeds.items: must be between 1 and 1000, got {}",
                self.feeds.items
            ));
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            bad.push(format!(
                "log.format: must be \"text\" or \"json\", got {:?}",
                self.log.format
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, c) in self.categories.iter().enumerate() {
            if let Err(reason) = c.check() {
                bad.push(format!("categories[{i}]: {reason}"));
            }
            if !seen.insert(&c.slug) {
                bad.push(format!("categories[{i}].slug: duplicate {:?}", c.slug));
            }
        }
        if bad.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(bad))
        }
    }

    /// The base URL without a trailing slash, ready to have paths appended.
    pub fn base_url(&self) -> &str {
        self.site.base_url.trim_end_matches('/')
    }
}

/// True for `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, as a tag: URI date (RFC 4151).
fn is_tag_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [y] => digits(y, 4),
        [y, m] => digits(y, 4) && digits(m, 2),
        [y, m, d] => digits(y, 4) && digits(m, 2) && digits(d, 2),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn embedded_defaults_are_valid() {
        let s = Settings::load_from(None, &env(&[]), &Overrides::default()).unwrap();
        assert_eq!(s.feeds.items, 50);
        assert_eq!(s.site.language, "vi");
        assert!(s.categories.iter().any(|c| c.slug == "chinh-tri"));
    }

    #[test]
    fn environment_overrides_nested_keys() {
        let e = env(&[("HERALD_FEEDS__ITEMS", "30"), ("HERALD_API_TOKENS", "x")]);
        let s = Settings::load_from(None, &e, &Overrides::default()).unwrap();
        assert_eq!(s.feeds.items, 30);
    }

    #[test]
    fn invalid_value_names_the_key() {
        let e = env(&[("HERALD_SITE__BASE_URL", "not a url")]);
        let err = Settings::load_from(None, &e, &Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("site.base_url"), "{err}");
    }

    #[test]
    fn wrong_type_names_the_key() {
        let e = env(&[("HERALD_FEEDS__ITEMS", "many")]);
        let err = Settings::load_from(None, &e, &Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("feeds.items"), "{err}");
    }

    #[test]
    fn file_categories_replace_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "[[categories]]\nslug = \"one\"\ntitle = \"One\"\ndescription = \"d\"\n",
        )
        .unwrap();
        let s = Settings::load_from(Some(&path), &env(&[]), &Overrides::default()).unwrap();
        assert_eq!(s.categories.len(), 1);
        assert_eq!(s.categories[0].slug, "one");
    }

    #[test]
    fn overrides_win() {
        let o = Overrides {
            listen: Some("127.0.0.1:0".into()),
            data_dir: Some("/tmp/x".into()),
        };
        let s = Settings::load_from(None, &env(&[]), &o).unwrap();
        assert_eq!(s.server.listen, "127.0.0.1:0");
        assert_eq!(s.store.data_dir, PathBuf::from("/tmp/x"));
    }
}
