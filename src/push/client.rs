//! Outbound HTTP: every request bounded (connect and response timeouts, no
//! redirects, response bodies read only up to a small limit), and, for addresses that
//! strangers give (WebSub callbacks), never to a non-public address.
//!
//! The check is in the resolver, so the address that was checked is the one
//! connected to: DNS cannot change it in between. A literal address in a URL never
//! reaches a resolver, so [`Outbound::check_url`] looks at it first.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Once};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::config::PushSettings;

/// The most of a response body ever read (a verification's echo, an error text).
pub const MAX_BODY: usize = 4096;

/// A client for one kind of destination.
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    public_only: bool,
}

impl Outbound {
    /// A client for destinations the operator configured (hubs, caches, webhooks),
    /// which may well be private addresses (`http://varnish:6081`).
    pub fn trusted(settings: &PushSettings) -> Outbound {
        Outbound::build(settings, false)
    }

    /// A client for destinations strangers give: only public addresses, unless
    /// `allow_private` (tests, intranets).
    pub fn for_strangers(settings: &PushSettings, allow_private: bool) -> Outbound {
        Outbound::build(settings, !allow_private)
    }

    fn build(settings: &PushSettings, public_only: bool) -> Outbound {
        install_crypto();
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_millis(settings.connect_timeout_ms))
            .timeout(Duration::from_millis(settings.timeout_ms))
            .user_agent(concat!("Herald/", env!("CARGO_PKG_VERSION")))
            .no_proxy();
        if public_only {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        Outbound {
            client: builder
                .build()
                .expect("a client with these settings builds"),
            public_only,
        }
    }

    /// The client, for building a request.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Why `url` may not be called, if it may not: not http(s), or (for strangers'
    /// addresses) a literal non-public address.
    pub fn check_url(&self, url: &url::Url) -> Result<(), String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err("must be an http or https URL".into());
        }
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            Some(url::Host::Domain(_)) => None,
            None => return Err("has no host".into()),
        };
        match literal {
            Some(ip) if self.public_only && !is_public(ip) => {
                Err(format!("{ip} is not a public address"))
            }
            _ => Ok(()),
        }
    }
}

/// Reads up to [`MAX_BODY`] bytes of a response body; the rest is never read.
pub async fn read_bounded(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < MAX_BODY {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(MAX_BODY);
    body
}

/// A target's answer as the jobs judge it: any 2xx is done; otherwise the status
/// and the start of the body, for the log and the retry.
pub async fn judged(response: reqwest::Response) -> Result<(), String> {
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let body = read_bounded(response).await;
    Err(format!(
        "{status}: {}",
        String::from_utf8_lossy(&body).trim()
    ))
}

/// Chooses rustls's crypto provider (ring) for the process, once: reqwest needs it
/// chosen before any client is built.
pub fn install_crypto() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A resolver that answers only with public addresses.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

/// Whether `ip` is a public unicast address: not loopback, private, link-local,
/// shared (CGNAT), documentation, benchmarking, multicast, broadcast or unspecified.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared address space
                || (a == 198 && (18..20).contains(&b)) // benchmarking
                || a >= 240) // reserved
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || (first == 0x2001 && v6.segments()[1] == 0x0db8)) // documentation
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_unicast_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn strangers_cannot_reach_loopback_by_name_or_by_number() {
        let settings = PushSettings {
            coalesce_ms: 10,
            backoff_initial_ms: 10,
            backoff_max_ms: 10,
            give_up_after_secs: 1,
            connect_timeout_ms: 500,
            timeout_ms: 500,
        };
        let outbound = Outbound::for_strangers(&settings, false);
        let literal = url::Url::parse("http://127.0.0.1:9/cb").unwrap();
        assert!(outbound.check_url(&literal).is_err());
        let named = outbound
            .client()
            .get("http://localhost:9/cb")
            .send()
            .await
            .unwrap_err();
        assert!(
            format!("{named:?}").contains("no public address"),
            "{named:?}"
        );
        let trusted = Outbound::trusted(&settings);
        assert!(trusted.check_url(&literal).is_ok());
    }
}
