//! The rules of an article indexed as it arrives: it is indexed under the terms other
//! articles share first, and under a few that only it has yet.

use rustc_hash::FxHashSet;

use super::tests::{ids, index, listed, words};

#[test]
fn the_first_story_of_an_event_is_found_by_the_next_through_names_only_they_share() {
    // "first" and "next" tell one event, named by two words nobody else uses; their
    // other words each come from a different crowd of articles. When "first" arrives
    // the names are only its own: unless it is indexed under them, "next" can find it
    // through nothing it says.
    let names = ["zorvath", "quellmire"];
    let (crowd_a, crowd_b) = (words("cra", 6), words("crb", 6));
    let mut articles = Vec::new();
    for i in 0..6 {
        articles.push(listed(&format!("a{i}"), &[&crowd_a[i]], &crowd_a, 0));
        articles.push(listed(&format!("b{i}"), &[&crowd_b[i]], &crowd_b, 0));
    }
    articles.push(listed("first", &names, &crowd_a, 0));
    articles.push(listed("next", &names, &crowd_b, 0));
    let index = index(&articles);
    let next = articles.last().unwrap();
    let hits = index.related(next, 5, None, &FxHashSet::default());
    assert_eq!(ids(&hits).first(), Some(&"first"), "{hits:?}");
}

#[test]
fn terms_only_an_article_has_do_not_take_the_places_of_those_it_shares() {
    // "rich" has 200 words of its own, weightier by idf than the 3 it shares with
    // "older", which came before it. Were the 128 places open to them all, its own
    // words would take every one, and "older" would never find it.
    let shared = ["chung", "cuộc", "họp"];
    let own = words("own", 200);
    let body: Vec<String> = own
        .iter()
        .cloned()
        .chain(shared.map(String::from))
        .collect();
    let articles = vec![
        listed("older", &shared, &[], 0),
        listed("rich", &["giàu"], &body, 0),
    ];
    let index = index(&articles);
    let hits = index.related(&articles[0], 5, None, &FxHashSet::default());
    assert_eq!(ids(&hits), ["rich"], "{hits:?}");
}
