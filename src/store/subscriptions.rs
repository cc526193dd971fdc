//! Herald's WebSub hub as stored: its subscriptions (`w/`), and the deliveries owed
//! to them (`v/`), recorded before the consumer that owes them moves its cursor, so
//! none is lost to a crash.

use super::{Store, StoreError, keys, sled_err};
use crate::websub::Subscription;

impl Store {
    /// Every subscription stored.
    pub fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        self.db
            .scan_prefix(keys::SUBSCRIPTION_PREFIX)
            .map(|item| {
                let (k, v) = item.map_err(sled_err("load subscriptions"))?;
                serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt {
                    what: format!("subscription {}", String::from_utf8_lossy(&k)),
                    reason: e.to_string(),
                })
            })
            .collect()
    }

    /// Stores (or replaces) a subscription, durably.
    pub fn put_subscription(&self, sub: &Subscription) -> Result<(), StoreError> {
        self.ensure_writable()?;
        let json = serde_json::to_vec(sub).expect("a Subscription always serialises");
        let stored = self
            .db
            .insert(keys::subscription(&sub.id()), json)
            .map(|_| ())
            .map_err(sled_err("store a subscription"));
        self.note_failure(stored)?;
        self.flush()
    }

    /// Removes subscription `id` and any delivery owed to it, durably.
    pub fn delete_subscription(&self, id: &str) -> Result<(), StoreError> {
        self.ensure_writable()?;
        let mut batch = sled::Batch::default();
        batch.remove(keys::subscription(id));
        batch.remove(keys::owed(id));
        let applied = self
            .db
            .apply_batch(batch)
            .map_err(sled_err("remove a subscription"));
        self.note_failure(applied)?;
        self.flush()
    }

    /// Marks deliveries owed to subscriptions `ids`, durably, before the consumer
    /// that owes them moves its cursor past what caused them.
    pub fn owe_deliveries(&self, ids: &[String]) -> Result<(), StoreError> {
        self.ensure_writable()?;
        let mut batch = sled::Batch::default();
        for id in ids {
            batch.insert(keys::owed(id), &[][..]);
        }
        let applied = self
            .db
            .apply_batch(batch)
            .map_err(sled_err("record owed deliveries"));
        self.note_failure(applied)?;
        self.flush()
    }

    /// The subscriptions owed a delivery.
    pub fn owed_deliveries(&self) -> Result<Vec<String>, StoreError> {
        self.db
            .scan_prefix(keys::OWED_PREFIX)
            .keys()
            .map(|k| {
                let k = k.map_err(sled_err("load owed deliveries"))?;
                Ok(String::from_utf8_lossy(&k[keys::OWED_PREFIX.len()..]).into_owned())
            })
            .collect()
    }

    /// Marks the delivery owed to `id` done (or given up). Not flushed: a repeat
    /// after a crash is harmless.
    pub fn settle_delivery(&self, id: &str) -> Result<(), StoreError> {
        let removed = self
            .db
            .remove(keys::owed(id))
            .map(|_| ())
            .map_err(sled_err("settle a delivery"));
        self.note_failure(removed)
    }
}
