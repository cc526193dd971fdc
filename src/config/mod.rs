//! Typed settings, loaded in layers and validated with messages that name the key.
//!
//! Layers, later wins: the `config/default.toml` embedded in the binary, an optional
//! file, `HERALD_<SECTION>__<KEY>` environment variables, and explicit overrides
//! (the `--listen` and `--data-dir` flags).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::category::Category;

mod partners;
mod validate;

pub use partners::{PartnerSettings, Profile};

/// The configuration shipped with Herald; every key has a comment there.
pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

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
    pub changes: ChangeSettings,
    pub sitemaps: SitemapSettings,
    pub websub: WebSubSettings,
    pub cdn: CdnSettings,
    pub push: PushSettings,
    pub log: LogSettings,
    #[serde(default)]
    pub categories: Vec<Category>,
    #[serde(default)]
    pub partners: Vec<PartnerSettings>,
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
    /// The publication's name in Google News sitemaps (`news:name`).
    pub publication_name: String,
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
    /// How connections are served (see `transport`).
    pub io: IoMode,
}

/// How connections are served: `server.io`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoMode {
    /// One single-threaded runtime per core, and polled feeds sent with sendfile(2).
    Tuned,
    /// hyper-util's ordinary connection loop on tokio's multi-threaded runtime, with
    /// every body in ordinary memory: the switch for a kernel or filesystem quirk.
    Plain,
}

impl<'de> Deserialize<'de> for IoMode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match String::deserialize(d)?.as_str() {
            "tuned" => Ok(IoMode::Tuned),
            "plain" => Ok(IoMode::Plain),
            other => Err(serde::de::Error::custom(format!(
                "must be \"tuned\" or \"plain\", got {other:?}"
            ))),
        }
    }
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
    pub max_category_request_bytes: usize,
    pub max_retraction_request_bytes: usize,
    pub max_form_request_bytes: usize,
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
    /// Full text or summaries in the public feeds (and partners' by default).
    pub content: crate::feed::Content,
    pub max_age_secs: u64,
    pub stale_while_revalidate_secs: u64,
    /// Days a retracted article's tombstone stays in feeds (and its URL answers 410).
    pub tombstone_days: u32,
}

/// The change log and its readers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeSettings {
    /// Days change log entries are kept.
    pub retain_days: u32,
    /// Calls to `GET /api/changes` that may wait for a change at once.
    pub max_waiting: usize,
}

/// Sitemaps.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SitemapSettings {
    /// Hours of articles the Google News sitemap lists.
    pub news_window_hours: u32,
}

/// WebSub: external hubs to ping, and Herald's own hub.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSubSettings {
    /// External hubs, pinged on every change and named in every feed.
    pub hubs: Vec<String>,
    /// Whether Herald runs a hub of its own at `/websub`.
    pub hub: bool,
    pub lease_min_secs: u64,
    pub lease_default_secs: u64,
    pub lease_max_secs: u64,
    /// Let callbacks resolve to loopback, private and other non-public addresses.
    pub allow_private_callbacks: bool,
    pub max_subscriptions: usize,
    pub max_subscriptions_per_topic: usize,
    pub max_pending_per_host: usize,
}

/// A cache or CDN in front: the surrogate keys answers carry, the edge's lifetime,
/// and where purges go.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CdnSettings {
    /// Purge targets, each `kind=address`: `varnish=…`, `varnish-soft=…`, `webhook=…`.
    pub purge: Vec<String>,
    /// Put before every surrogate key (for several sites sharing one cache).
    pub key_prefix: String,
    /// The headers that carry the keys: `xkey`, `surrogate-key`, `cache-tag`.
    pub key_headers: Vec<String>,
    /// How long the edge may keep an answer (it is purged on change).
    pub edge_max_age_secs: u64,
    /// How long clients and the edge may serve a stale answer when Herald fails.
    pub stale_if_error_secs: u64,
}

/// Outbound work driven by the change log: pings, purges, deliveries.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushSettings {
    /// How long changes are gathered before they are pushed together.
    pub coalesce_ms: u64,
    /// First retry delay; it doubles, with jitter, up to `backoff_max_ms`.
    pub backoff_initial_ms: u64,
    pub backoff_max_ms: u64,
    /// How long a target is retried before the work for it is given up.
    pub give_up_after_secs: u64,
    pub connect_timeout_ms: u64,
    pub timeout_ms: u64,
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
    /// The cause is in the message, not a `source`, so a printed chain says it once.
    #[error("config: {0}")]
    Parse(config::ConfigError),
    #[error("config: invalid settings:\n  {}", .0.join("\n  "))]
    Invalid(Vec<String>),
}

impl From<config::ConfigError> for ConfigError {
    fn from(e: config::ConfigError) -> Self {
        ConfigError::Parse(e)
    }
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
                // Lists come comma-separated: HERALD_CDN__PURGE="varnish=http://v:6081".
                .list_separator(",")
                .with_list_parse_key("websub.hubs")
                .with_list_parse_key("cdn.purge")
                .with_list_parse_key("cdn.key_headers")
                .with_list_parse_key("html.iframe_hosts")
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

    /// The base URL without a trailing slash, ready to have paths appended.
    pub fn base_url(&self) -> &str {
        self.site.base_url.trim_end_matches('/')
    }
}

#[cfg(test)]
mod tests;
