//! Herald's own WebSub hub (W3C WebSub, sections 5 to 7), at `/websub`: partners
//! subscribe to Herald's feeds directly and get each changed feed pushed to them.
//!
//! A subscription request is checked (only Herald's own topics; a callback that is
//! http(s) and, by default, public; caps; a short secret), answered 202, then
//! verified by intent ([`verify`]); the echoed challenge activates it, with a lease
//! that is always stated and enforced. On a change the distribution job
//! ([`deliver`]) marks a delivery owed to each subscriber of a changed topic, in
//! the same batch as its cursor, and the delivery loop sends each the topic's
//! current document (a fat ping), signed when it gave a secret, retrying with
//! backoff; after an outage only the newest version goes out.

mod admit;
pub mod deliver;
mod registry;
mod sign;
mod topics;
mod verify;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use admit::{Request, SubscribeError};
pub use registry::{Hub, SubscriptionView};
pub use sign::signature;
pub use topics::Topic;

/// A verified subscription.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    pub topic: String,
    pub callback: String,
    /// The HMAC key for `X-Hub-Signature`, if the subscriber gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub expires: DateTime<Utc>,
    /// The last delivery's outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<Delivery>,
}

// Prints no secret.
impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("topic", &self.topic)
            .field("callback", &self.callback)
            .field("secret", &self.secret.as_ref().map(|_| "(set)"))
            .field("expires", &self.expires)
            .finish()
    }
}

impl Subscription {
    /// Its id: a digest of topic and callback, which together name it.
    pub fn id(&self) -> String {
        id_of(&self.topic, &self.callback)
    }
}

/// The id of the subscription of `callback` to `topic`.
pub fn id_of(topic: &str, callback: &str) -> String {
    let digest = xxhash_rust::xxh3::xxh3_128(format!("{topic}\n{callback}").as_bytes());
    format!("{digest:032x}")
}

/// The outcome of a delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Delivery {
    pub at: DateTime<Utc>,
    /// The subscriber's status, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// What went wrong, when something did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A random token, for challenges: 128 bits from the standard library's per-process
/// random hash keys and a counter.
pub fn random_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let part = |salt: u64| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(n);
        h.write_u64(salt);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        h.finish()
    };
    format!("{:016x}{:016x}", part(1), part(2))
}
