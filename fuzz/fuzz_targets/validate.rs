//! Any bytes as an article document: parsing and validation never panic, and every
//! rejection names its field.
#![no_main]

use herald::article::{HtmlPolicy, Rules, parse_input};
use herald::category::Catalog;
use herald::config::{Overrides, Settings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let settings = Settings::load_from(None, &Default::default(), &Overrides::default()).unwrap();
    let catalog = Catalog::new(&settings.categories, vec![]);
    let html = HtmlPolicy::new(&settings.html.iframe_hosts);
    let rules = Rules {
        categories: &catalog,
        default_language: &settings.site.language,
        max_body_bytes: settings.limits.max_body_bytes,
        html: &html,
    };
    let Ok(input) = parse_input(data) else { return };
    if let Err(errors) = input.validate(&rules) {
        assert!(!errors.0.is_empty());
        assert!(errors.0.iter().all(|e| !e.field.is_empty()), "{errors:?}");
    }
});
