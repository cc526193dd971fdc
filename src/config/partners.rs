//! `[[partners]]`: an aggregator's own feeds, its keys, and the rules of its profile.

use serde::Deserialize;

use super::Settings;
use crate::category::is_slug;
use crate::feed::Content;

/// Most characters of a SmartNews channel description.
pub const SMARTNEWS_DESCRIPTION_CHARS: usize = 30;
/// Most items per page MSN takes (fewer than 30).
pub const MSN_MAX_ITEMS: usize = 29;
/// Fewest items per page Flipboard takes, where the store has them.
pub const FLIPBOARD_MIN_ITEMS: usize = 30;

/// One partner.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerSettings {
    /// A slug: its feeds live under `/partners/{name}/`.
    pub name: String,
    #[serde(default)]
    pub profile: Profile,
    /// The variable holding its keys, comma-separated (see [`PartnerSettings::keys_env`]).
    #[serde(default, rename = "keys_env")]
    pub keys_env_var: String,
    /// A file of keys, one per line.
    #[serde(default)]
    pub keys_file: String,
    /// `feeds.content` when absent.
    #[serde(default)]
    pub content: Option<Content>,
    /// Items per page; `feeds.items` (within the profile's bounds) when absent.
    #[serde(default)]
    pub items: Option<usize>,
    #[serde(default)]
    pub sections: Vec<String>,
    #[serde(default)]
    pub exclude_sections: Vec<String>,
    #[serde(default)]
    pub exclude_tags: Vec<String>,
    #[serde(default)]
    pub min_image_width: u32,
    #[serde(default)]
    pub require_image: bool,
    /// SmartNews' channel description; `site.title` when empty.
    #[serde(default)]
    pub description: String,
}

/// Which aggregator's rules a partner's feeds follow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// Only the partner's own settings.
    #[default]
    Generic,
    GoogleNews,
    Msn,
    Flipboard,
    Smartnews,
}

impl Profile {
    /// Its name in config.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Generic => "generic",
            Profile::GoogleNews => "google-news",
            Profile::Msn => "msn",
            Profile::Flipboard => "flipboard",
            Profile::Smartnews => "smartnews",
        }
    }
}

impl PartnerSettings {
    /// The environment variable its keys come from: `keys_env`, or
    /// `HERALD_PARTNER_<NAME>_KEYS`.
    pub fn keys_env(&self) -> String {
        if !self.keys_env_var.is_empty() {
            return self.keys_env_var.clone();
        }
        let name = self.name.to_ascii_uppercase().replace('-', "_");
        format!("HERALD_PARTNER_{name}_KEYS")
    }

    /// Items per page, after the profile's bounds.
    pub fn items(&self, settings: &Settings) -> usize {
        let items = self.items.unwrap_or(settings.feeds.items);
        match self.profile {
            Profile::Msn => items.min(MSN_MAX_ITEMS),
            Profile::Flipboard => items.max(FLIPBOARD_MIN_ITEMS),
            _ => items,
        }
    }

    /// The SmartNews channel description.
    pub fn description<'s>(&'s self, settings: &'s Settings) -> &'s str {
        if self.description.is_empty() {
            &settings.site.title
        } else {
            &self.description
        }
    }
}

impl Settings {
    /// Checks `[[partners]]`, pushing one message per bad key.
    pub(super) fn validate_partners(&self, bad: &mut Vec<String>) {
        let mut names = std::collections::HashSet::new();
        for (i, p) in self.partners.iter().enumerate() {
            let key = |k: &str| format!("partners[{i}].{k}");
            if !is_slug(&p.name) {
                bad.push(format!(
                    "{}: must be a slug (a-z, 0-9, -), got {:?}",
                    key("name"),
                    p.name
                ));
            } else if !names.insert(p.name.as_str()) {
                bad.push(format!("{}: {:?} is named twice", key("name"), p.name));
            }
            for (field, list) in [
                ("sections", &p.sections),
                ("exclude_sections", &p.exclude_sections),
            ] {
                if let Some(s) = list.iter().find(|s| !is_slug(s)) {
                    bad.push(format!("{}: not a section slug: {s:?}", key(field)));
                }
            }
            if let Some(n) = p.items {
                let (lo, hi) = match p.profile {
                    Profile::Msn => (1, MSN_MAX_ITEMS),
                    Profile::Flipboard => (FLIPBOARD_MIN_ITEMS, 1000),
                    _ => (1, 1000),
                };
                if !(lo..=hi).contains(&n) {
                    bad.push(format!(
                        "{}: the {} profile takes {lo} to {hi} items per page, got {n}",
                        key("items"),
                        p.profile.name()
                    ));
                }
            }
            if p.profile == Profile::Flipboard && p.content == Some(Content::Summary) {
                bad.push(format!(
                    "{}: Flipboard takes full content, not summaries",
                    key("content")
                ));
            }
            let chars = p.description(self).chars().count();
            if p.profile == Profile::Smartnews && chars > SMARTNEWS_DESCRIPTION_CHARS {
                bad.push(format!(
                    "{}: SmartNews shows at most {SMARTNEWS_DESCRIPTION_CHARS} characters; \
                     this is {chars} (the default is site.title)",
                    key("description")
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Overrides;

    fn with(partners: serde_json::Value) -> Result<Settings, String> {
        let mut s = Settings::load_from(None, &Default::default(), &Overrides::default()).unwrap();
        s.partners = serde_json::from_value(partners).map_err(|e| e.to_string())?;
        s.validate().map(|_| s).map_err(|e| e.to_string())
    }

    #[test]
    fn each_profiles_bounds_are_checked_by_key() {
        let cases = [
            (
                r#"[{"name": "msn", "profile": "msn", "items": 30}]"#,
                "partners[0].items",
            ),
            (
                r#"[{"name": "f", "profile": "flipboard", "items": 29}]"#,
                "partners[0].items",
            ),
            (
                r#"[{"name": "f", "profile": "flipboard", "content": "summary"}]"#,
                "partners[0].content",
            ),
            (
                r#"[{"name": "s", "profile": "smartnews", "description": "Báo điện tử của tỉnh: tin mới nhất"}]"#,
                "partners[0].description",
            ),
            (r#"[{"name": "Bad Name"}]"#, "partners[0].name"),
            (r#"[{"name": "a"}, {"name": "a"}]"#, "partners[1].name"),
            (
                r#"[{"name": "a", "sections": ["Kinh Tế"]}]"#,
                "partners[0].sections",
            ),
        ];
        for (partners, key) in cases {
            let err = with(serde_json::from_str(partners).unwrap()).unwrap_err();
            assert!(err.contains(key), "{partners}: {err}");
        }
        let err = with(serde_json::json!([{"name": "a", "profile": "rss-plus"}])).unwrap_err();
        assert!(err.contains("google-news"), "{err}");
    }

    #[test]
    fn defaults_follow_the_profile_and_the_public_feeds() {
        let s = with(serde_json::json!([
            {"name": "msn-vn", "profile": "msn"},
            {"name": "flip", "profile": "flipboard", "items": 40},
            {"name": "sn", "profile": "smartnews", "keys_env": "SN_KEYS"}
        ]))
        .unwrap();
        let [msn, flip, sn] = &s.partners[..] else {
            panic!()
        };
        assert_eq!((msn.items(&s), flip.items(&s)), (29, 40));
        assert_eq!(msn.keys_env(), "HERALD_PARTNER_MSN_VN_KEYS");
        assert_eq!(sn.keys_env(), "SN_KEYS");
        assert_eq!(sn.description(&s), s.site.title);
    }
}
