//! Pinging an external WebSub hub (W3C WebSub, section 6): for each feed that
//! changed, `POST hub.mode=publish` naming it, as both `hub.url` and `hub.topic`
//! since hubs disagree on the name, one request per feed (some hubs read only one).

use std::collections::BTreeSet;
use std::sync::Arc;

use super::{Job, Outbound, PushStats, Retry, judged, purge::display};
use crate::feed::{Audience, Site};
use crate::history::Change;
use crate::scope::Scope;

/// Pings sent to one hub at once.
const IN_FLIGHT: usize = 8;

/// The ping job of one hub.
pub struct Ping {
    name: String,
    hub: url::Url,
    site: Arc<Site>,
    client: Outbound,
    retry: Retry,
    stats: Arc<PushStats>,
}

impl Ping {
    /// The job for `hub`.
    pub fn new(
        hub: url::Url,
        site: Arc<Site>,
        client: Outbound,
        retry: Retry,
        stats: Arc<PushStats>,
    ) -> Ping {
        Ping {
            name: format!("ping:{}", display(&hub)),
            hub,
            site,
            client,
            retry,
            stats,
        }
    }

    async fn ping_until_done(&self, topic: &str) -> bool {
        self.retry
            .run(&self.stats, "ping", &self.name, || self.ping(topic))
            .await
    }

    async fn ping(&self, topic: &str) -> Result<(), String> {
        let form = [
            ("hub.mode", "publish"),
            ("hub.topic", topic),
            ("hub.url", topic),
        ];
        let response = self
            .client
            .client()
            .post(self.hub.clone())
            .form(&form)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        judged(response).await
    }
}

impl Job for Ping {
    fn name(&self) -> &str {
        &self.name
    }

    async fn run(&self, changes: Vec<Change>) {
        // Public feeds only: an external hub would hand a partner's feed to anyone.
        let topics: Vec<String> = topics_of(&self.site, &[Audience::Public], &changes)
            .into_iter()
            .collect();
        for some in topics.chunks(IN_FLIGHT) {
            let pings: Vec<_> = some.iter().map(|t| self.ping_until_done(t)).collect();
            futures_util::future::join_all(pings).await;
        }
    }
}

/// The WebSub topics that `changes` changed: the first page of each scope's feed
/// for each of `audiences`, in every format.
pub fn topics_of(site: &Site, audiences: &[Audience], changes: &[Change]) -> BTreeSet<String> {
    let scopes: BTreeSet<Scope> = changes
        .iter()
        .flat_map(|c| c.scopes.iter().filter_map(|k| Scope::from_key(k)))
        .collect();
    let mut topics = BTreeSet::new();
    for audience in audiences {
        for scope in &scopes {
            for format in crate::feed::Format::ALL {
                topics.insert(site.feed_url_for(audience, scope, format));
            }
        }
    }
    topics
}
