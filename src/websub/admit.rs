//! Admission: a (un)subscription request checked before it is answered 202 (the
//! topic, a partner's key, the callback and where it resolves, the secret, the
//! lease, the caps), then sent for verification of intent.

use std::sync::Arc;

use super::{Hub, verify};
use crate::feed::Audience;

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
    /// 401: the topic is a partner's feed, and the request has none of its keys.
    #[error("{0}")]
    Unauthorized(String),
    /// 429: a cap is reached (subscriptions in all or per topic, or pending
    /// verifications for the callback's host).
    #[error("{0}")]
    TooMany(String),
}

/// A subscription request, as the form names its fields.
#[derive(Clone)]
pub struct Request {
    pub mode: String,
    pub topic: String,
    pub callback: String,
    pub lease_seconds: Option<String>,
    pub secret: Option<String>,
    /// A partner's key, for a partner's topic.
    pub key: Option<String>,
}

// Prints neither secret nor key.
impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("mode", &self.mode)
            .field("topic", &self.topic)
            .field("callback", &self.callback)
            .field("lease_seconds", &self.lease_seconds)
            .finish_non_exhaustive()
    }
}

impl Hub {
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
        let topic = self.topic(&req.topic).ok_or_else(|| {
            invalid(format!(
                "hub.topic: not a feed of this hub: {:?}",
                req.topic
            ))
        })?;
        // A partner's feed goes only to whoever holds its key: else anyone could
        // have the partner's content pushed to them.
        if let Audience::Partner(name) = &topic.audience {
            let key = req.key.as_deref().unwrap_or_default();
            if self.partners.authenticate(name, key).is_none() {
                return Err(SubscribeError::Unauthorized(
                    "hub.topic: a partner's feed; send one of its keys (Authorization: Bearer, or the form field key)".into(),
                ));
            }
        }
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
