//! Distribution: the job that marks deliveries owed when topics change (driven by
//! the change log, like every push), and the loop that sends each owed subscriber
//! its topic's current document, signed, retrying with backoff and jitter.
//!
//! A delivery is owed by subscription, not by change: a subscriber that was down
//! through ten changes of its topic gets one delivery of the newest version.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;

use super::{Delivery, Hub, signature};
use crate::feed::{Audience, Encoding, FeedCache};
use crate::history::Change;
use crate::push::{Job, ping::topics_of, read_bounded};

/// Deliveries in flight at once.
const IN_FLIGHT: usize = 64;

/// The job that marks deliveries owed for changed topics.
pub struct Distribute {
    pub hub: Arc<Hub>,
}

impl Job for Distribute {
    fn name(&self) -> &str {
        "websub-hub"
    }

    async fn run(&self, changes: Vec<Change>) {
        let mut audiences = vec![Audience::Public];
        audiences.extend(self.hub.partners.all().map(|p| p.rules.audience.clone()));
        let topics = topics_of(&self.hub.site, &audiences, &changes);
        let ids = self.hub.subscribers(&topics);
        if ids.is_empty() {
            return;
        }
        let store = self.hub.store.clone();
        let marked = tokio::task::spawn_blocking(move || store.owe_deliveries(&ids)).await;
        if !matches!(marked, Ok(Ok(()))) {
            // The cursor still moves on; the log is the history, so say so loudly.
            tracing::error!(
                "deliveries owed could not be recorded; some subscribers miss this change"
            );
        }
        self.hub.wake.notify_one();
    }
}

/// A subscriber's retries.
struct Backoff {
    next: Instant,
    delay: Duration,
    since: Instant,
}

/// Sends owed deliveries until the task is dropped; also ends expired leases.
pub async fn run(hub: Arc<Hub>, feeds: Arc<FeedCache>) {
    let mut backoff: HashMap<String, Backoff> = HashMap::new();
    loop {
        let next_expiry = hub.expire(Utc::now());
        let store = hub.store.clone();
        let owed = tokio::task::spawn_blocking(move || store.owed_deliveries())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        let now = Instant::now();
        let due: Vec<String> = owed
            .iter()
            .filter(|id| backoff.get(*id).is_none_or(|b| b.next <= now))
            .cloned()
            .collect();
        let mut documents: HashMap<String, Option<Document>> = HashMap::new();
        for batch in due.chunks(IN_FLIGHT) {
            let mut sends = Vec::with_capacity(batch.len());
            for id in batch {
                let Some(sub) = hub.get(id) else {
                    settle(&hub, id).await; // unsubscribed or expired since
                    continue;
                };
                if !documents.contains_key(&sub.topic) {
                    let doc = document(&hub, &feeds, &sub.topic).await;
                    documents.insert(sub.topic.clone(), doc);
                }
                let Some(doc) = documents[&sub.topic].clone() else {
                    settle(&hub, id).await; // the topic has no document any more
                    continue;
                };
                let hub = &hub;
                sends.push(async move { (sub.id(), send(hub, &sub, &doc).await) });
            }
            for (id, outcome) in futures_util::future::join_all(sends).await {
                outcome_of(&hub, &mut backoff, &id, outcome).await;
            }
        }
        let wait = backoff
            .values()
            .map(|b| b.next.saturating_duration_since(Instant::now()))
            .chain(next_expiry.map(|t| (t - Utc::now()).to_std().unwrap_or(Duration::ZERO)))
            .min()
            .unwrap_or(Duration::from_secs(3600));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = hub.wake.notified() => {}
        }
    }
}

/// What one delivery did.
enum Outcome {
    Delivered(u16),
    /// 410: the subscriber wants no more.
    Gone,
    Failed(Option<u16>, String),
}

async fn outcome_of(hub: &Hub, backoff: &mut HashMap<String, Backoff>, id: &str, outcome: Outcome) {
    let target = format!("subscriber:{id}");
    let record = |status, error| Delivery {
        at: Utc::now(),
        status,
        error,
    };
    match outcome {
        Outcome::Delivered(status) => {
            hub.stats.record("deliver", "subscribers", Ok(()));
            hub.record(id, record(Some(status), None));
            backoff.remove(id);
            settle(hub, id).await;
        }
        Outcome::Gone => {
            tracing::info!(subscription = %id, "subscriber answered 410; subscription ended");
            backoff.remove(id);
            if let Err(error) = hub.remove(id) {
                tracing::warn!(%error, "a subscription could not be removed");
            }
        }
        Outcome::Failed(status, error) => {
            hub.stats.record("deliver", "subscribers", Err(&error));
            tracing::warn!(%target, %error, "delivery failed");
            hub.record(id, record(status, Some(error)));
            let now = Instant::now();
            let b = backoff.entry(id.to_string()).or_insert(Backoff {
                next: now,
                delay: hub.retry.initial,
                since: now,
            });
            if now.duration_since(b.since) + b.delay > hub.retry.give_up_after {
                tracing::error!(%target, "giving up this delivery after retries");
                hub.stats.gave_up("deliver", "subscribers");
                backoff.remove(id);
                settle(hub, id).await;
            } else {
                b.next = now + b.delay;
                b.delay = (b.delay * 2).min(hub.retry.max);
            }
        }
    }
}

async fn settle(hub: &Hub, id: &str) {
    let (store, id) = (hub.store.clone(), id.to_string());
    let _ = tokio::task::spawn_blocking(move || store.settle_delivery(&id)).await;
}

/// A topic's current document, as it goes to subscribers.
#[derive(Clone)]
struct Document {
    body: Bytes,
    content_type: &'static str,
    link: Option<Bytes>,
}

async fn document(hub: &Hub, feeds: &Arc<FeedCache>, topic: &str) -> Option<Document> {
    let t = hub.topic(topic)?;
    let rules = match &t.audience {
        Audience::Public => feeds.public(),
        Audience::Partner(name) => Arc::clone(&hub.partners.get(name)?.rules),
    };
    let rendered = feeds.get_for(&rules, &t.scope, t.format, 1).await.ok()??;
    Some(Document {
        body: rendered.get(Encoding::Identity)?.bytes.clone(),
        content_type: t.format.content_type(),
        link: rendered
            .headers
            .iter()
            .find(|(name, _)| *name == "link")
            .map(|(_, v)| v.clone()),
    })
}

async fn send(hub: &Hub, sub: &super::Subscription, doc: &Document) -> Outcome {
    let mut request = hub
        .client
        .client()
        .post(&sub.callback)
        .header("content-type", doc.content_type)
        .body(doc.body.clone());
    if let Some(link) = &doc.link {
        request = request.header("link", link.as_ref());
    }
    if let Some(secret) = &sub.secret {
        request = request.header("x-hub-signature", signature(secret, &doc.body));
    }
    match request.send().await {
        Ok(r) if r.status().is_success() => Outcome::Delivered(r.status().as_u16()),
        Ok(r) if r.status() == reqwest::StatusCode::GONE => Outcome::Gone,
        Ok(r) => {
            let status = r.status();
            let _ = read_bounded(r).await;
            Outcome::Failed(Some(status.as_u16()), format!("answered {status}"))
        }
        Err(e) => Outcome::Failed(None, e.to_string()),
    }
}
