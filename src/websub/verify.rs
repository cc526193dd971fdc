//! Verification of intent (W3C WebSub, 5.3): the hub asks the callback to echo a
//! challenge; only an exact echo activates (or ends) a subscription.

use chrono::Utc;

use super::{Hub, Request};
use super::{Subscription, id_of, random_token};
use crate::push::read_bounded;

/// Verifies `req` with its callback, and on an exact echo subscribes it for `lease`
/// seconds (or unsubscribes it).
pub(super) async fn verify(hub: &Hub, subscribe: bool, req: Request, lease: u64) {
    let challenge = random_token();
    let Ok(mut url) = url::Url::parse(&req.callback) else {
        return;
    };
    url.query_pairs_mut()
        .append_pair(
            "hub.mode",
            if subscribe {
                "subscribe"
            } else {
                "unsubscribe"
            },
        )
        .append_pair("hub.topic", &req.topic)
        .append_pair("hub.challenge", &challenge)
        .append_pair("hub.lease_seconds", &lease.to_string());
    let host = url.host_str().unwrap_or_default().to_string();
    let echoed = match hub.client.client().get(url).send().await {
        Ok(r) if r.status().is_success() => read_bounded(r).await == challenge.as_bytes(),
        Ok(r) => {
            tracing::info!(callback_host = %host, status = %r.status(), "verification of intent refused");
            false
        }
        Err(error) => {
            tracing::info!(callback_host = %host, %error, "verification of intent failed");
            false
        }
    };
    if !echoed {
        return;
    }
    let result = if subscribe {
        hub.activate(Subscription {
            topic: req.topic.clone(),
            callback: req.callback.clone(),
            secret: req.secret.clone(),
            expires: Utc::now() + chrono::Duration::seconds(lease as i64),
            last: None,
        })
    } else {
        hub.remove(&id_of(&req.topic, &req.callback))
    };
    match result {
        Ok(()) => {
            tracing::info!(callback_host = %host, topic = %req.topic, subscribe, "subscription verified")
        }
        Err(error) => tracing::error!(%error, "a verified subscription could not be stored"),
    }
}
