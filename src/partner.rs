//! Partners: each aggregator's keys, the rules its feeds follow (its settings and
//! its profile's), and what it polled, so the newsroom sees who stopped polling.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use chrono::{DateTime, Utc};

use crate::article::normalize_tag;
use crate::auth::{TokenFileError, Tokens};
use crate::config::{PartnerSettings, Profile, Settings};
use crate::feed::{Audience, Content, FeedRules, Format, SmartFormat};

/// Google News: the largest feed and the largest item.
const GOOGLE_NEWS_MAX_BYTES: usize = 2_000_000;
const GOOGLE_NEWS_MAX_ITEM_BYTES: usize = 1_000_000;
/// SmartNews: feeds under 1 MB.
const SMARTNEWS_MAX_BYTES: usize = 1_000_000 - 1;
/// Flipboard: the shorter side of an image it shows, in pixels.
const FLIPBOARD_MIN_SHORT_SIDE: u32 = 400;

/// One partner.
pub struct Partner {
    pub name: String,
    pub profile: Profile,
    keys: Tokens,
    /// How its feeds are made.
    pub rules: Arc<FeedRules>,
    pub stats: PollStats,
}

/// What a partner polled.
#[derive(Debug, Default)]
pub struct PollStats {
    polls: AtomicU64,
    not_modified: AtomicU64,
    bytes: AtomicU64,
    /// Unix seconds of the last poll; 0 for never.
    last: AtomicI64,
}

/// [`PollStats`] at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Polls {
    pub polls: u64,
    pub not_modified: u64,
    pub bytes: u64,
    pub last: Option<DateTime<Utc>>,
}

impl PollStats {
    /// Counts one answered poll: a 304 or `bytes` of body.
    pub fn record(&self, not_modified: bool, bytes: u64) {
        self.polls.fetch_add(1, Ordering::Relaxed);
        if not_modified {
            self.not_modified.fetch_add(1, Ordering::Relaxed);
        }
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.last.store(Utc::now().timestamp(), Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Polls {
        let last = self.last.load(Ordering::Relaxed);
        Polls {
            polls: self.polls.load(Ordering::Relaxed),
            not_modified: self.not_modified.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            last: (last > 0)
                .then(|| DateTime::from_timestamp(last, 0))
                .flatten(),
        }
    }
}

/// Why the partners could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PartnerError {
    #[error("partners[{index}] ({name}): no keys; set {env} or keys_file")]
    NoKeys {
        index: usize,
        name: String,
        env: String,
    },
    #[error(transparent)]
    KeyFile(#[from] TokenFileError),
}

/// Every configured partner.
#[derive(Default)]
pub struct Partners {
    by_name: BTreeMap<String, Arc<Partner>>,
    /// Keys no one has, checked for an unknown name so that it costs what a known
    /// one does.
    decoy: Tokens,
}

impl Partners {
    /// The partners of `settings`, their keys read through `env` (a variable's
    /// value) and their files.
    pub fn load(
        settings: &Settings,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Partners, PartnerError> {
        let mut by_name = BTreeMap::new();
        for (index, p) in settings.partners.iter().enumerate() {
            let var = p.keys_env();
            let key = format!("partners[{index}].keys_file");
            let keys = Tokens::load_for(&key, env(&var).as_deref(), &p.keys_file)?;
            if !keys.enabled() {
                return Err(PartnerError::NoKeys {
                    index,
                    name: p.name.clone(),
                    env: var,
                });
            }
            let partner = Partner {
                name: p.name.clone(),
                profile: p.profile,
                keys,
                rules: Arc::new(rules(settings, p)),
                stats: PollStats::default(),
            };
            by_name.insert(p.name.clone(), Arc::new(partner));
        }
        Ok(Partners {
            by_name,
            decoy: Tokens::from_list([crate::websub::random_token().as_str()]),
        })
    }

    /// The partner named `name`, if `key` is one of its keys. An unknown name is
    /// checked against keys no one has, so neither the answer nor its time tells
    /// whether a partner of that name exists.
    pub fn authenticate(&self, name: &str, key: &str) -> Option<&Arc<Partner>> {
        match self.by_name.get(name) {
            Some(p) => p.keys.accepts(key).then_some(p),
            None => {
                let _ = self.decoy.accepts(key);
                None
            }
        }
    }

    /// The partner named `name`, without a key: for what a partner already proved.
    pub fn get(&self, name: &str) -> Option<&Arc<Partner>> {
        self.by_name.get(name)
    }

    /// Every partner, by name.
    pub fn all(&self) -> impl Iterator<Item = &Arc<Partner>> {
        self.by_name.values()
    }
}

/// The rules of partner `p`: its settings, then its profile's.
pub fn rules(settings: &Settings, p: &PartnerSettings) -> FeedRules {
    let mut rules = FeedRules {
        audience: Audience::Partner(p.name.clone()),
        content: p.content.unwrap_or(settings.feeds.content),
        items: p.items(settings),
        max_bytes: settings.feeds.max_bytes,
        sections: p.sections.clone(),
        exclude_sections: p.exclude_sections.clone(),
        exclude_tags: p.exclude_tags.iter().map(|t| normalize_tag(t)).collect(),
        min_image_width: p.min_image_width,
        require_image: p.require_image,
        ..FeedRules::public_defaults()
    };
    match p.profile {
        Profile::Generic => {}
        Profile::GoogleNews => {
            rules.max_bytes = rules.max_bytes.min(GOOGLE_NEWS_MAX_BYTES);
            rules.max_item_bytes = Some(GOOGLE_NEWS_MAX_ITEM_BYTES);
        }
        Profile::Msn => {
            // Atom with RFC 5005 paging; every item with a body and an image.
            rules.formats = vec![Format::Atom];
            rules.require_body = true;
            rules.require_image = true;
        }
        Profile::Flipboard => {
            rules.content = Content::Full;
            rules.min_image_short_side = FLIPBOARD_MIN_SHORT_SIDE;
        }
        Profile::Smartnews => {
            rules.formats = vec![Format::Rss];
            rules.max_bytes = rules.max_bytes.min(SMARTNEWS_MAX_BYTES);
            let logo = (!settings.site.logo.is_empty()).then(|| settings.site.logo.clone());
            rules.smart_format = Some(SmartFormat {
                logo,
                description: p.description(settings).to_string(),
            });
        }
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Overrides;

    fn settings(partners: serde_json::Value) -> Settings {
        let mut s = Settings::load_from(None, &Default::default(), &Overrides::default()).unwrap();
        s.partners = serde_json::from_value(partners).unwrap();
        s
    }

    #[test]
    fn keys_come_from_the_environment_and_are_checked_per_partner() {
        let s = settings(serde_json::json!([{"name": "a"}, {"name": "b-c"}]));
        let env = |var: &str| match var {
            "HERALD_PARTNER_A_KEYS" => Some("ka1, ka2".to_string()),
            "HERALD_PARTNER_B_C_KEYS" => Some("kb".to_string()),
            _ => None,
        };
        let partners = Partners::load(&s, env).unwrap();
        assert_eq!(partners.authenticate("a", "ka2").unwrap().name, "a");
        assert!(partners.authenticate("a", "kb").is_none(), "another's key");
        assert!(partners.authenticate("b-c", "kb").is_some());
        assert!(partners.authenticate("zz", "kb").is_none());
        assert!(partners.authenticate("a", "").is_none());
    }

    #[test]
    fn a_partner_without_keys_stops_the_start() {
        let s = settings(serde_json::json!([{"name": "a"}]));
        let Err(err) = Partners::load(&s, |_| None) else {
            panic!("loaded")
        };
        assert!(err.to_string().contains("HERALD_PARTNER_A_KEYS"), "{err}");
    }

    #[test]
    fn profiles_set_their_rules() {
        let mut s = settings(serde_json::json!([
            {"name": "gn", "profile": "google-news"},
            {"name": "msn", "profile": "msn"},
            {"name": "flip", "profile": "flipboard"},
            {"name": "sn", "profile": "smartnews", "description": "Tin nhanh"}
        ]));
        s.feeds.max_bytes = 5_000_000;
        s.site.logo = "https://e.vn/logo.png".into();
        let r: Vec<FeedRules> = s.partners.iter().map(|p| rules(&s, p)).collect();
        assert_eq!(
            (r[0].max_bytes, r[0].max_item_bytes),
            (2_000_000, Some(1_000_000))
        );
        assert_eq!(r[1].formats, [Format::Atom]);
        assert!(r[1].require_body && r[1].require_image && r[1].items == 29);
        assert_eq!(
            (r[2].content, r[2].min_image_short_side),
            (Content::Full, 400)
        );
        assert_eq!(
            (r[3].formats.as_slice(), r[3].max_bytes),
            (&[Format::Rss][..], 999_999)
        );
        let smart = r[3].smart_format.as_ref().unwrap();
        assert_eq!(smart.logo.as_deref(), Some("https://e.vn/logo.png"));
        assert_eq!(smart.description, "Tin nhanh");
    }
}
