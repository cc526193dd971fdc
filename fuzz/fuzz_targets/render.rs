//! Any valid article renders into RSS, Atom and JSON Feed that feed-rs parses, with
//! its link intact. The first byte picks the format; the rest is the article.
#![no_main]

#[path = "common.rs"]
mod common;

use herald::article::parse_input;
use herald::feed::{FeedMeta, Format, ItemView, Site, render};
use herald::scope::Scope;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, doc)) = data.split_first() else {
        return;
    };
    let format = [Format::Rss, Format::Atom, Format::Json][usize::from(selector) % 3];
    let world = common::World::new();
    let Ok(input) = parse_input(doc) else { return };
    let Ok(article) = input.validate(&world.rules()) else {
        return;
    };
    let site = Site::from_settings(&world.settings);
    let section = world
        .catalog
        .get(&article.category)
        .expect("validated category");
    let item = ItemView::new(&site, &article, section);
    let meta = FeedMeta::new(&site, format, &Scope::All, None, 1);
    let bytes = render(&meta, std::slice::from_ref(&item));
    let feed = feed_rs::parser::parse(bytes.as_slice()).unwrap_or_else(|e| {
        panic!(
            "{format:?} does not parse: {e}\n{}",
            String::from_utf8_lossy(&bytes)
        )
    });
    assert_eq!(feed.entries.len(), 1);
    let link = feed.entries[0].links.first().map(|l| l.href.clone());
    assert_eq!(link.as_deref(), Some(article.url.as_str()));
});
