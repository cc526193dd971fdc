//! The rules of related lists: a stored list answers as the full query did, with the
//! same exclusions; a list dropped while it was made is not stored; a list skips the
//! articles removed since, even where their slot holds another; a full list cut
//! short gives way to the full query; a build lists the newest first.

use rustc_hash::FxHashSet;

use super::lists::LEN as LIST_LEN;
use super::tests::{ids, index, storm_stories, text};
use super::*;

/// Makes and stores the list of `source`, as the worker does.
fn make_list(index: &mut Index, source: &ArticleText<'_>) -> bool {
    let job = index.job_for(&source.id).expect("indexed");
    let made = index.make_list(source, None);
    index.store_list(job, &made)
}

#[test]
fn a_stored_list_answers_as_the_full_query_did_with_the_same_exclusions() {
    let stories = storm_stories();
    let mut index = index(&stories);
    let src = &stories[0];
    let full = |index: &Index, limit, exclude: &FxHashSet<&str>| {
        let hits = index.rank(src, limit, None, exclude);
        let id = |slot: u32| index.docs[slot as usize].as_ref().unwrap().id.to_string();
        hits.into_iter().map(|(_, s)| id(s)).collect::<Vec<_>>()
    };
    let none = FxHashSet::default();
    assert!(index.listed(&src.id, 5, &none).is_none(), "no list yet");
    assert!(make_list(&mut index, src));
    let first = full(&index, 1, &none)[0].clone();
    let one: FxHashSet<&str> = [first.as_str()].into_iter().collect();
    for (limit, exclude) in [
        (1, &none),
        (5, &none),
        (LIST_LEN, &none),
        (1, &one),
        (5, &one),
    ] {
        let listed = index.listed(&src.id, limit, exclude);
        let listed = listed.unwrap_or_else(|| panic!("limit {limit}: no answer"));
        assert_eq!(ids(&listed), full(&index, limit, exclude), "limit {limit}");
    }
    // Past the list's length, the full query answers.
    assert!(index.listed(&src.id, LIST_LEN + 1, &none).is_none());
    assert_eq!(index.related(src, 12, None, &none).len(), 12);
}

#[test]
fn excluding_an_article_excludes_its_exact_copies_in_lists_and_queries_alike() {
    let body = "Mưa lớn khiến nhiều tuyến đường ở huyện Bát Xát bị sạt lở nghiêm trọng";
    let articles = vec![
        text("src", "Bão số 3 gây sạt lở tại Bát Xát", body, 0),
        text("follow", "Bát Xát khắc phục sạt lở", body, 1),
        text("follow-copy", "Bát Xát khắc phục sạt lở", body, 2),
        text("other", "Bát Xát mưa lớn", "Mưa lớn ở Bát Xát", 0),
    ];
    let mut index = index(&articles);
    let exclude: FxHashSet<&str> = ["follow"].into_iter().collect();
    let queried = index.related(&articles[0], 5, None, &exclude);
    assert_eq!(ids(&queried), ["other"], "{queried:?}");
    assert!(make_list(&mut index, &articles[0]));
    let listed = index.listed("src", 5, &exclude).unwrap();
    assert_eq!(ids(&listed), ["other"], "{listed:?}");
}

#[test]
fn a_list_dropped_while_it_was_made_is_not_stored() {
    let stories = storm_stories();
    let mut index = index(&stories);
    let src = &stories[0];
    let job = index.job_for(&src.id).unwrap();
    let made = index.make_list(src, None);
    // A write names the article while its list is being made.
    let slot = index.slots["src"];
    index.relist([slot]);
    assert!(!index.store_list(job, &made));
    assert!(index.listed("src", 5, &FxHashSet::default()).is_none());
    // The next job for it stores.
    assert!(make_list(&mut index, src));
    assert!(index.listed("src", 5, &FxHashSet::default()).is_some());
}

#[test]
fn a_list_skips_articles_removed_since_even_where_their_slot_holds_another() {
    let body = "Mưa lớn khiến nhiều tuyến đường ở huyện Bát Xát bị sạt lở nghiêm trọng";
    let articles = vec![
        text("src", "Bão số 3 gây sạt lở tại Bát Xát", body, 0),
        text("follow", "Bát Xát khắc phục sạt lở", body, 1),
        text("other", "Bát Xát mưa lớn", "Mưa lớn ở Bát Xát", 0),
    ];
    let mut index = index(&articles);
    assert!(make_list(&mut index, &articles[0]));
    let none = FxHashSet::default();
    assert_eq!(
        ids(&index.listed("src", 5, &none).unwrap()),
        ["follow", "other"]
    );
    let slot = index.slots["follow"];
    index.remove(&articles[1]);
    // A newcomer that shares nothing takes the freed slot.
    let newcomer = text(
        "newcomer",
        "Khánh thành cầu mới",
        "Cầu nối hai bờ sông Hồng",
        0,
    );
    index.upsert(&newcomer, None);
    assert_eq!(
        index.slots["newcomer"], slot,
        "the test needs the slot reused"
    );
    assert_eq!(ids(&index.listed("src", 5, &none).unwrap()), ["other"]);
}

#[test]
fn a_full_list_cut_short_by_exclusions_gives_way_to_the_full_query() {
    let stories = storm_stories();
    let mut index = index(&stories);
    let src = &stories[0];
    assert!(make_list(&mut index, src));
    let none = FxHashSet::default();
    let top: Vec<String> = ids(&index.listed("src", LIST_LEN, &none).unwrap())
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(top.len(), LIST_LEN, "the test needs a full list");
    let exclude: FxHashSet<&str> = top[..3].iter().map(String::as_str).collect();
    assert!(index.listed("src", LIST_LEN, &exclude).is_none());
    let hits = index.related(src, LIST_LEN, None, &exclude);
    assert_eq!(hits.len(), LIST_LEN, "the full query finds more: {hits:?}");
    assert!(hits.iter().all(|h| !exclude.contains(h.id.as_str())));
    assert_eq!(
        ids(&hits[..LIST_LEN - 3]),
        top[3..].iter().map(String::as_str).collect::<Vec<_>>()
    );
}

#[test]
fn a_build_lists_the_newest_first() {
    let articles: Vec<_> = [("old", 0), ("newest", 9), ("mid", 4)]
        .map(|(id, day)| text(id, "Bão lũ", "mưa lũ", day))
        .into();
    let mut index = index(&articles);
    index.relist_newest();
    assert_eq!(index.lists_waiting(), 3);
    let order: Vec<String> = std::iter::from_fn(|| index.next_job())
        .map(|(_, id)| id.to_string())
        .collect();
    assert_eq!(order, ["newest", "mid", "old"]);
    assert_eq!(index.lists_waiting(), 0);
}
