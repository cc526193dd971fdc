//! Purging the cache in front on change: for each target (`cdn.purge`), one job
//! that sends the surrogate keys of what changed, as a Varnish xkey `PURGE` or as a
//! webhook's JSON.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::json;

use super::{Job, Outbound, PushStats, Retry, judged};
use crate::edge::Edge;
use crate::feed::{Format, Site};
use crate::history::Change;
use crate::scope::Scope;

/// Keys per purge request: xkey reads them from one header, which caches and
/// proxies limit (8 KiB is common).
const KEYS_PER_REQUEST: usize = 100;

/// Where purges go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `PURGE` with the keys in `xkey-purge` (or `xkey-softpurge`: objects stay,
    /// stale, until refetched).
    Varnish { url: url::Url, soft: bool },
    /// `POST {"keys": [...], "urls": [...]}`.
    Webhook { url: url::Url },
}

impl Target {
    /// The target a `cdn.purge` entry (`kind=address`) names.
    pub fn parse(entry: &str) -> Result<Target, String> {
        let (kind, address) = entry
            .split_once('=')
            .ok_or("must be kind=address, like varnish=http://varnish:6081")?;
        let url = url::Url::parse(address.trim()).map_err(|e| format!("{address}: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{address}: must be an http(s) URL"));
        }
        match kind.trim() {
            "varnish" => Ok(Target::Varnish { url, soft: false }),
            "varnish-soft" => Ok(Target::Varnish { url, soft: true }),
            "webhook" => Ok(Target::Webhook { url }),
            other => Err(format!(
                "unknown kind {other:?}: varnish, varnish-soft or webhook"
            )),
        }
    }

    fn url(&self) -> &url::Url {
        match self {
            Target::Varnish { url, .. } | Target::Webhook { url } => url,
        }
    }
}

/// The purge job of one target.
pub struct Purge {
    name: String,
    target: Target,
    edge: Edge,
    site: Arc<Site>,
    client: Outbound,
    retry: Retry,
    stats: Arc<PushStats>,
}

impl Purge {
    /// The job for `target`.
    pub fn new(
        target: Target,
        edge: Edge,
        site: Arc<Site>,
        client: Outbound,
        retry: Retry,
        stats: Arc<PushStats>,
    ) -> Purge {
        Purge {
            name: format!("purge:{}", display(target.url())),
            target,
            edge,
            site,
            client,
            retry,
            stats,
        }
    }

    async fn send(&self, keys: &[String], urls: &[String]) -> Result<(), String> {
        let request = match &self.target {
            Target::Varnish { url, soft } => {
                let method = reqwest::Method::from_bytes(b"PURGE").expect("a token");
                let header = if *soft {
                    "xkey-softpurge"
                } else {
                    "xkey-purge"
                };
                self.client
                    .client()
                    .request(method, url.clone())
                    .header(header, keys.join(" "))
            }
            Target::Webhook { url } => self
                .client
                .client()
                .post(url.clone())
                .json(&json!({"keys": keys, "urls": urls})),
        };
        let response = request.send().await.map_err(|e| e.to_string())?;
        judged(response).await
    }
}

impl Job for Purge {
    fn name(&self) -> &str {
        &self.name
    }

    async fn run(&self, changes: Vec<Change>) {
        let keys: BTreeSet<String> = changes.iter().flat_map(|c| self.edge.keys_of(c)).collect();
        let urls = urls_of(&self.site, &changes);
        let keys: Vec<String> = keys.into_iter().collect();
        for chunk in keys.chunks(KEYS_PER_REQUEST) {
            self.retry
                .run(&self.stats, "purge", &self.name, || self.send(chunk, &urls))
                .await;
        }
    }
}

/// The URLs that show what `changes` changed: every format of each scope's feed,
/// and each article's JSON and related answers, for purgers that work by URL.
fn urls_of(site: &Site, changes: &[Change]) -> Vec<String> {
    let scopes: BTreeSet<Scope> = changes
        .iter()
        .flat_map(|c| c.scopes.iter().filter_map(|k| Scope::from_key(k)))
        .collect();
    let mut urls: BTreeSet<String> = scopes
        .iter()
        .flat_map(|s| Format::ALL.map(|f| site.feed_url(s, f)))
        .collect();
    for c in changes {
        urls.insert(format!("{}/api/articles/{}", site.base_url, c.id));
        urls.insert(format!("{}/api/articles/{}/related", site.base_url, c.id));
    }
    urls.into_iter().collect()
}

/// A target as logs and metrics show it: scheme, host and port, never a path or
/// query that might hold a secret.
pub fn display(url: &url::Url) -> String {
    match url.port() {
        Some(port) => format!("{}://{}:{port}", url.scheme(), url.host_str().unwrap_or("")),
        None => format!("{}://{}", url.scheme(), url.host_str().unwrap_or("")),
    }
}
