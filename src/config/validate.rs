//! The checks on loaded settings: every bad key is reported at once, by name.

use std::net::SocketAddr;

use super::{ConfigError, Settings};

impl Settings {
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
        if self.site.publication_name.trim().is_empty() {
            bad.push("site.publication_name: must not be empty".into());
        }
        if !(1..=720).contains(&self.sitemaps.news_window_hours) {
            bad.push(format!(
                "sitemaps.news_window_hours: must be between 1 and 720, got {}",
                self.sitemaps.news_window_hours
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
            (
                "limits.max_category_request_bytes",
                self.limits.max_category_request_bytes,
            ),
            (
                "limits.max_retraction_request_bytes",
                self.limits.max_retraction_request_bytes,
            ),
            (
                "limits.max_form_request_bytes",
                self.limits.max_form_request_bytes,
            ),
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
            ("feeds.tombstone_days", self.feeds.tombstone_days as usize),
            ("changes.retain_days", self.changes.retain_days as usize),
            ("changes.max_waiting", self.changes.max_waiting),
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
        self.validate_push(&mut bad);
        self.validate_partners(&mut bad);
        if !matches!(self.log.format.as_str(), "text" | "json") {
            bad.push(format!(
                "log.format: must be \"text\" or \"json\", got {:?}",
                self.log.format
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, c) in self.categories.iter().enumerate() {
            for problem in c.problems() {
                bad.push(format!("categories[{i}].{problem}"));
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
}

impl Settings {
    /// The checks of `websub.*`, `cdn.*` and `push.*`.
    fn validate_push(&self, bad: &mut Vec<String>) {
        for (i, hub) in self.websub.hubs.iter().enumerate() {
            if !crate::article::is_http_url(hub) {
                bad.push(format!(
                    "websub.hubs[{i}]: not an absolute http(s) URL: {hub:?}"
                ));
            }
        }
        let w = &self.websub;
        if !(1 <= w.lease_min_secs
            && w.lease_min_secs <= w.lease_default_secs
            && w.lease_default_secs <= w.lease_max_secs)
        {
            bad.push(format!(
                "websub.lease_*_secs: need 1 <= lease_min_secs <= lease_default_secs <= lease_max_secs, got {}, {}, {}",
                w.lease_min_secs, w.lease_default_secs, w.lease_max_secs
            ));
        }
        for (key, value) in [
            ("websub.max_subscriptions", w.max_subscriptions),
            (
                "websub.max_subscriptions_per_topic",
                w.max_subscriptions_per_topic,
            ),
            ("websub.max_pending_per_host", w.max_pending_per_host),
            ("push.coalesce_ms", self.push.coalesce_ms as usize),
            (
                "push.backoff_initial_ms",
                self.push.backoff_initial_ms as usize,
            ),
            ("push.backoff_max_ms", self.push.backoff_max_ms as usize),
            (
                "push.give_up_after_secs",
                self.push.give_up_after_secs as usize,
            ),
            (
                "push.connect_timeout_ms",
                self.push.connect_timeout_ms as usize,
            ),
            ("push.timeout_ms", self.push.timeout_ms as usize),
        ] {
            if value == 0 {
                bad.push(format!("{key}: must be greater than 0"));
            }
        }
        for (i, entry) in self.cdn.purge.iter().enumerate() {
            if let Err(reason) = crate::push::purge::Target::parse(entry) {
                bad.push(format!("cdn.purge[{i}]: {reason}"));
            }
        }
        for (i, header) in self.cdn.key_headers.iter().enumerate() {
            if crate::edge::KeyHeader::from_setting(header).is_none() {
                bad.push(format!(
                    "cdn.key_headers[{i}]: {header:?} is not xkey, surrogate-key or cache-tag"
                ));
            }
        }
        if !self
            .cdn
            .key_prefix
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b',')
        {
            bad.push("cdn.key_prefix: visible ASCII without commas only".into());
        }
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
