//! The shared index's lists as writes meet them: a write lists its article at once
//! and has the lists it names made again; a batch has every list made again.

use std::collections::HashMap;

use super::live::tests::article;
use super::*;

fn storm(id: &str) -> Article {
    let mut a = article(id, "Bão số 3 gây sạt lở ở Bát Xát, Lào Cai");
    // Not a copy of another storm story: copies are left out of each other's answers.
    a.content_html = format!("<p>Mưa lớn khiến đường ở Bát Xát sạt lở, dân phải di dời ({id})</p>");
    a
}

fn other(id: &str, title: &str) -> Article {
    let mut a = article(id, title);
    a.content_html = format!("<p>{title} chuyện khác</p>");
    a
}

/// Makes every list that waits, as the worker does; returns how many.
fn make_all(index: &RelatedIndex, store: &HashMap<String, Article>) -> usize {
    std::iter::from_fn(|| index.list_next(|id| store.get(id).cloned()).then_some(())).count()
}

fn related_ids(index: &RelatedIndex, a: &Article) -> Vec<String> {
    index
        .related(a, 5, None, &[])
        .into_iter()
        .map(|h| h.id)
        .collect()
}

#[test]
fn a_write_lists_its_article_at_once_and_has_the_lists_it_names_made_again() {
    let index = RelatedIndex::default();
    let mut store = HashMap::new();
    for a in [
        storm("first"),
        other("market", "Giá lúa tăng"),
        other("bridge", "Khánh thành cầu"),
    ] {
        index.upsert(&a, None);
        store.insert(a.id.clone(), a);
    }
    make_all(&index, &store);
    assert_eq!(index.lists_waiting(), 0);
    let first = store["first"].clone();
    assert!(!related_ids(&index, &first).contains(&"follow".to_string()));
    // A follow-up of "first": its own list is made by the write, and "first"'s list,
    // which it names, is dropped, so "first" finds it at once.
    let follow = storm("follow");
    index.upsert(&follow, None);
    store.insert(follow.id.clone(), follow.clone());
    assert_eq!(
        related_ids(&index, &follow).first().map(String::as_str),
        Some("first")
    );
    assert!(index.lists_waiting() >= 1, "first's list was not dropped");
    assert_eq!(
        related_ids(&index, &first).first().map(String::as_str),
        Some("follow")
    );
    // The worker makes it again, and it names the follow-up.
    assert!(make_all(&index, &store) >= 1);
    assert_eq!(index.lists_waiting(), 0);
    assert_eq!(
        related_ids(&index, &first).first().map(String::as_str),
        Some("follow")
    );
    let listed = index.read().listed("first", 5, &Default::default());
    assert_eq!(
        listed.unwrap()[0].id,
        "follow",
        "the answer did not come from the list"
    );
}

#[test]
fn a_batch_leaves_every_list_to_be_made_again() {
    let index = RelatedIndex::default();
    let mut store = HashMap::new();
    for a in [storm("first"), other("market", "Giá lúa tăng")] {
        index.upsert(&a, None);
        store.insert(a.id.clone(), a);
    }
    make_all(&index, &store);
    let follow = storm("follow");
    index.upsert_unlisted(&follow, None);
    store.insert(follow.id.clone(), follow);
    index.relist_all();
    assert_eq!(index.lists_waiting(), 3);
    assert_eq!(related_ids(&index, &store["first"])[0], "follow");
    assert_eq!(make_all(&index, &store), 3);
    assert_eq!(related_ids(&index, &store["first"])[0], "follow");
}
