//! The hub's subscriptions: requests checked and sent for verification, the
//! verified ones kept in memory and in sled, leases enforced.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Delivery, Subscription, Topic, id_of, verify};
use crate::category::Catalog;
use crate::config::WebSubSettings;
use crate::feed::Site;
use crate::push::{Outbound, PushStats, Retry};
use crate::store::{Store, StoreError};

/// The longest callback URL taken.
const MAX_CALLBACK: usize = 2000;
/// The longest secret taken (W3C WebSub: less than 200 bytes).
const MAX_SECRET: usize = 199;

/// Why a subscription request was refused (answered 4xx at once).
#[derive(Debug, thiserror::Error)]
pub enum SubscribeError {
    /// 400: a parameter is wrong; the message names it.
    #[error("{0}")]
    Invalid(String),
    /// 429: a cap is reached (subscriptions in all or per topic, or pending
    /// verifications for the callback's host).
    #[error("{0}")]
    TooMany(String),
}

/// A subscription request, as the form names its fields.
#[derive(Debug, Clone)]
pub struct Request {
    pub mode: String,
    pub topic: String,
    pub callback: String,
    pub lease_seconds: Option<String>,
    pub secret: Option<String>,
}

/// A subscription as operators see it: no secret, and only the callback's host.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubscriptionView {
    pub topic: String,
    pub callback_host: String,
    pub expires: DateTime<Utc>,
    pub signed: bool,
    pub last_delivery: Option<Delivery>,
}

/// The hub.
pub struct Hub {
    pub(super) site: Arc<Site>,
    pub(super) catalog: Catalog,
    pub(super) store: Store,
    pub(super) settings: WebSubSettings,
    pub(super) client: Outbound,
    pub(super) retry: Retry,
    pub(super) stats: Arc<PushStats>,
    subs: RwLock<HashMap<String, Subscription>>,
    pending_hosts: Mutex<HashMap<String, usize>>,
    /// Wakes the delivery loop: deliveries are owed, or subscriptions changed.
    pub(super) wake: tokio::sync::Notify,
}

impl Hub {
    /// The hub over the subscriptions stored. Blocking.
    #[allow(clippy::too_many_arguments)]
    pub fn load(
        site: Arc<Site>,
        catalog: Catalog,
        store: Store,
        settings: WebSubSettings,
        client: Outbound,
        retry: Retry,
        stats: Arc<PushStats>,
    ) -> Result<Hub, StoreError> {
        let subs = store
            .subscriptions()?
            .into_iter()
            .map(|s| (s.id(), s))
            .collect();
        Ok(Hub {
            site,
            catalog,
            store,
            settings,
            client,
            retry,
            stats,
            subs: RwLock::new(subs),
            pending_hosts: Mutex::new(HashMap::new()),
            wake: tokio::sync::Notify::new(),
        })
    }

    /// Checks a (un)subscription request and, when it may go on, sends the
    /// callback its verification of intent in the background.
    pub async fn request(self: &Arc<Self>, req: Request) -> Result<(), SubscribeError> {
        let invalid = |m: String| SubscribeError::Invalid(m);
        let subscribe = match req.mode.as_str() {
            "subscribe" => true,
            "unsubscribe" => false,
            other => {
                return Err(invalid(format!(
                    "hub.mode: subscribe or unsubscribe, not {other:?}"
                )));
            }
        };
        Topic::parse(&req.topic, &self.site, &self.catalog).ok_or_else(|| {
            invalid(format!(
                "hub.topic: not a feed of this hub: {:?}",
                req.topic
            ))
        })?;
        if req.callback.len() > MAX_CALLBACK {
            return Err(invalid(format!(
                "hub.callback: longer than {MAX_CALLBACK} bytes"
            )));
        }
        let callback = url::Url::parse(&req.callback)
            .map_err(|e| invalid(format!("hub.callback: not a URL ({e})")))?;
        self.client
            .check_url(&callback)
            .map_err(|why| invalid(format!("hub.callback: {why}")))?;
        if req.secret.as_ref().is_some_and(|s| s.len() > MAX_SECRET) {
            return Err(invalid(format!(
                "hub.secret: longer than {MAX_SECRET} bytes"
            )));
        }
        let lease = self.lease(req.lease_seconds.as_deref())?;
        self.check_resolves(&callback).await?;
        if subscribe {
            self.check_caps(&req.topic, &req.callback)?;
        }
        let host = callback.host_str().unwrap_or_default().to_string();
        let guard = self.hold_host(&host)?;
        let hub = Arc::clone(self);
        tokio::spawn(async move {
            verify::verify(&hub, subscribe, req, lease).await;
            drop(guard);
        });
        Ok(())
    }

    /// Refuses a callback whose name resolves to no address this hub may call (the
    /// resolver checks again when it connects).
    async fn check_resolves(&self, callback: &url::Url) -> Result<(), SubscribeError> {
        if self.settings.allow_private_callbacks {
            return Ok(());
        }
        let Some(url::Host::Domain(name)) = callback.host() else {
            return Ok(());
        };
        let port = callback.port_or_known_default().unwrap_or(80);
        let found = tokio::net::lookup_host((name, port)).await;
        let public = found.is_ok_and(|mut a| a.any(|a| crate::push::is_public(a.ip())));
        if public {
            Ok(())
        } else {
            Err(SubscribeError::Invalid(format!(
                "hub.callback: {name} does not resolve to a public address"
            )))
        }
    }

    /// The lease for a requested `hub.lease_seconds`: clamped to the bounds, or the
    /// default when none is asked for.
    fn lease(&self, asked: Option<&str>) -> Result<u64, SubscribeError> {
        let s = &self.settings;
        match asked.map(str::trim).filter(|a| !a.is_empty()) {
            None => Ok(s.lease_default_secs),
            Some(a) => a
                .parse::<u64>()
                .map(|n| n.clamp(s.lease_min_secs, s.lease_max_secs))
                .map_err(|_| {
                    SubscribeError::Invalid("hub.lease_seconds: not a whole number".into())
                }),
        }
    }

    fn check_caps(&self, topic: &str, callback: &str) -> Result<(), SubscribeError> {
        let subs = self.subs.read().unwrap_or_else(|e| e.into_inner());
        if subs.contains_key(&id_of(topic, callback)) {
            return Ok(()); // a renewal
        }
        if subs.len() >= self.settings.max_subscriptions {
            return Err(SubscribeError::TooMany(
                "this hub holds as many subscriptions as it takes".into(),
            ));
        }
        let on_topic = subs.values().filter(|s| s.topic == topic).count();
        if on_topic >= self.settings.max_subscriptions_per_topic {
            return Err(SubscribeError::TooMany(
                "this topic has as many subscribers as it takes".into(),
            ));
        }
        Ok(())
    }

    /// A place among the verifications pending for `host`, given back when dropped.
    fn hold_host(self: &Arc<Self>, host: &str) -> Result<HostGuard, SubscribeError> {
        let mut pending = self.pending_hosts.lock().unwrap_or_else(|e| e.into_inner());
        let n = pending.entry(host.to_string()).or_default();
        if *n >= self.settings.max_pending_per_host {
            return Err(SubscribeError::TooMany(format!(
                "{host} has as many verifications pending as it may"
            )));
        }
        *n += 1;
        Ok(HostGuard {
            hub: Arc::clone(self),
            host: host.to_string(),
        })
    }

    /// Keeps a verified subscription (a renewal replaces the old one).
    pub(super) fn activate(&self, sub: Subscription) -> Result<(), StoreError> {
        self.store.put_subscription(&sub)?;
        let mut subs = self.subs.write().unwrap_or_else(|e| e.into_inner());
        subs.insert(sub.id(), sub);
        self.wake.notify_one();
        Ok(())
    }

    /// Ends subscription `id`.
    pub(super) fn remove(&self, id: &str) -> Result<(), StoreError> {
        self.store.delete_subscription(id)?;
        self.subs
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
        Ok(())
    }

    /// Subscription `id`, if it is live.
    pub(super) fn get(&self, id: &str) -> Option<Subscription> {
        let subs = self.subs.read().unwrap_or_else(|e| e.into_inner());
        subs.get(id).filter(|s| s.expires > Utc::now()).cloned()
    }

    /// The ids of the live subscriptions to any of `topics`.
    pub(super) fn subscribers<'t>(
        &self,
        topics: impl IntoIterator<Item = &'t String>,
    ) -> Vec<String> {
        let topics: std::collections::HashSet<&String> = topics.into_iter().collect();
        let now = Utc::now();
        let subs = self.subs.read().unwrap_or_else(|e| e.into_inner());
        subs.iter()
            .filter(|(_, s)| s.expires > now && topics.contains(&s.topic))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Records the outcome of a delivery to `id`.
    pub(super) fn record(&self, id: &str, delivery: Delivery) {
        let mut subs = self.subs.write().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = subs.get_mut(id) {
            s.last = Some(delivery);
        }
    }

    /// Removes the subscriptions whose lease is over; returns when the next ends.
    pub(super) fn expire(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let expired: Vec<String> = {
            let subs = self.subs.read().unwrap_or_else(|e| e.into_inner());
            subs.iter()
                .filter(|(_, s)| s.expires <= now)
                .map(|(id, _)| id.clone())
                .collect()
        };
        for id in expired {
            tracing::info!(subscription = %id, "lease over; subscription removed");
            if let Err(error) = self.remove(&id) {
                tracing::warn!(%error, "an expired subscription could not be removed");
            }
        }
        let subs = self.subs.read().unwrap_or_else(|e| e.into_inner());
        subs.values().map(|s| s.expires).min()
    }

    /// Every subscription, for operators.
    pub fn views(&self) -> Vec<SubscriptionView> {
        let subs = self.subs.read().unwrap_or_else(|e| e.into_inner());
        let mut views: Vec<SubscriptionView> = subs
            .values()
            .map(|s| SubscriptionView {
                topic: s.topic.clone(),
                callback_host: url::Url::parse(&s.callback)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_string))
                    .unwrap_or_default(),
                expires: s.expires,
                signed: s.secret.is_some(),
                last_delivery: s.last.clone(),
            })
            .collect();
        views.sort_by(|a, b| (&a.topic, &a.callback_host).cmp(&(&b.topic, &b.callback_host)));
        views
    }

    /// Live subscriptions.
    pub fn len(&self) -> usize {
        self.subs.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// True when nothing is subscribed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A verification pending for a host; dropping it gives the place back.
struct HostGuard {
    hub: Arc<Hub>,
    host: String,
}

impl Drop for HostGuard {
    fn drop(&mut self) {
        let mut pending = self
            .hub
            .pending_hosts
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(n) = pending.get_mut(&self.host) {
            *n -= 1;
            if *n == 0 {
                pending.remove(&self.host);
            }
        }
    }
}
