//! Setup shared by the fuzz targets: the validation rules and site of the embedded
//! default configuration.

use herald::article::{HtmlPolicy, Rules};
use herald::category::Catalog;
use herald::config::{Overrides, Settings};

pub struct World {
    pub settings: Settings,
    pub catalog: Catalog,
    pub html: HtmlPolicy,
}

impl World {
    pub fn new() -> World {
        let settings =
            Settings::load_from(None, &Default::default(), &Overrides::default()).unwrap();
        let catalog = Catalog::new(&settings.categories, vec![]);
        let html = HtmlPolicy::new(&settings.html.iframe_hosts);
        World {
            settings,
            catalog,
            html,
        }
    }

    pub fn rules(&self) -> Rules<'_> {
        Rules {
            categories: &self.catalog,
            default_language: &self.settings.site.language,
            max_body_bytes: self.settings.limits.max_body_bytes,
            html: &self.html,
            now: chrono::Utc::now(),
        }
    }
}
