//! The hub's subscriptions: the verified ones kept in memory and in sled, found by
//! topic, leases enforced.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Delivery, SubscribeError, Subscription, Topic, id_of};
use crate::category::Catalog;
use crate::config::WebSubSettings;
use crate::feed::Site;
use crate::partner::Partners;
use crate::push::{Outbound, PushStats, Retry};
use crate::store::{Store, StoreError};

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
    /// Whose feeds are topics too, and their keys.
    pub(super) partners: Arc<Partners>,
    subs: RwLock<HashMap<String, Subscription>>,
    pub(super) pending_hosts: Mutex<HashMap<String, usize>>,
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
        partners: Arc<Partners>,
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
            partners,
            subs: RwLock::new(subs),
            pending_hosts: Mutex::new(HashMap::new()),
            wake: tokio::sync::Notify::new(),
        })
    }

    /// The topic `url` names, if it is one of this hub's.
    pub(super) fn topic(&self, url: &str) -> Option<Topic> {
        Topic::parse(url, &self.site, &self.catalog, &self.partners)
    }
    /// Refuses a new subscription past the caps (in all, and per topic).
    pub(super) fn check_caps(&self, topic: &str, callback: &str) -> Result<(), SubscribeError> {
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
