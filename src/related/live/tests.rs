//! The live index: builds and rebuilds that meet writes, and when a rebuild starts.

use super::*;
use crate::article::ArticleText;
use crate::related::IndexBuilder;

pub(in crate::related) fn article(id: &str, title: &str) -> Article {
    let at = chrono::DateTime::parse_from_rfc3339("2024-12-06T09:00:00+07:00").unwrap();
    Article {
        id: id.into(),
        url: format!("https://e.vn/{id}"),
        title: title.into(),
        summary: String::new(),
        content_html: String::new(),
        category: "thoi-su".into(),
        tags: vec![],
        authors: vec![],
        published: at,
        updated: at,
        images: vec![],
        language: "vi".into(),
    }
}

/// A build that read an article before it was rewritten, one that skipped a
/// rewritten one, and one created during the build all end with the current
/// versions only.
#[test]
fn writes_during_a_build_end_up_in_the_index_as_they_are_now() {
    let live = LiveIndex::building();
    let old_storm = article("storm", "Bão số 3 gây sạt lở ở Bát Xát");
    let bridge = article("bridge", "Cầu mới qua sông Hồng sắp khánh thành");
    let builder = IndexBuilder::default();
    let texts: Vec<ArticleText> = [&old_storm, &bridge].into_iter().map(Into::into).collect();
    builder.count(&texts);
    // The build reads both before any write...
    builder.add(&texts, |id| live.is_dirty(id));
    // ...then "storm" is rewritten (to be about something else) and "new" made.
    live.before_write("storm", || Some(old_storm.clone()));
    live.before_write("new", || None);
    let new_storm = article("storm", "Khánh thành cầu mới qua sông Hồng");
    let fresh = article("new", "Bão số 3 gây sạt lở ở Bát Xát, tin mới");
    let current = |id: &str| match id {
        "storm" => Some(new_storm.clone()),
        "new" => Some(fresh.clone()),
        _ => None,
    };
    live.finish(builder.finish(), current);
    let index = live.get().expect("ready");
    assert_eq!(index.len(), 3);
    // The rewritten article is found by its new words, not its old ones.
    let hits = index.related(&bridge, 5, None, &[]);
    assert_eq!(
        hits.first().map(|h| h.id.as_str()),
        Some("storm"),
        "{hits:?}"
    );
    let hits = index.related(&fresh, 5, None, &[]);
    assert!(
        !hits.iter().any(|h| h.id == "storm"),
        "old words kept: {hits:?}"
    );
    assert!(!live.is_building());
}

/// An index of `n` articles about distinct things, as a build leaves it.
fn built(n: usize) -> RelatedIndex {
    let articles: Vec<Article> = (0..n)
        .map(|i| article(&format!("a{i}"), &format!("Tin số {i} về cầu đường")))
        .collect();
    let texts: Vec<ArticleText> = articles.iter().map(Into::into).collect();
    let builder = IndexBuilder::default();
    builder.count(&texts);
    builder.add(&texts, |_| false);
    builder.finish()
}

#[test]
fn a_rebuild_starts_once_the_index_has_doubled_and_the_old_index_answers_meanwhile() {
    let live = LiveIndex::ready(built(40));
    let index = live.get().expect("ready");
    for i in 40..79 {
        index.upsert(&article(&format!("a{i}"), "Cầu mới qua sông Hồng"), None);
    }
    assert!(
        live.begin_rebuild_if_grown().is_none(),
        "79 is less than twice 40"
    );
    index.upsert(&article("a79", "Cầu mới qua sông Hồng"), None);
    assert!(live.begin_rebuild_if_grown().is_some(), "80 is twice 40");
    assert!(live.is_building());
    assert!(
        live.begin_rebuild_if_grown().is_none(),
        "one rebuild at a time"
    );
    let meanwhile = live.get().expect("the old index answers while rebuilding");
    assert!(Arc::ptr_eq(&meanwhile, &index));
    live.before_write("a80", || None);
    assert!(live.is_dirty("a80"));
    let new = article("a80", "Cầu mới qua sông Hồng, tin mới");
    live.finish(built(80), |id| (id == "a80").then(|| new.clone()));
    let rebuilt = live.get().expect("ready");
    assert!(!Arc::ptr_eq(&rebuilt, &index) && !live.is_building());
    assert_eq!(rebuilt.len(), 81);
    // The next rebuild waits for twice what this one indexed itself: 80, not the
    // 81 it left, since a80 chose its terms alone.
    for i in 81..159 {
        rebuilt.upsert(&article(&format!("a{i}"), "Đường mới"), None);
    }
    assert!(
        live.begin_rebuild_if_grown().is_none(),
        "159 is less than twice 80"
    );
    rebuilt.upsert(&article("a159", "Đường mới"), None);
    assert!(live.begin_rebuild_if_grown().is_some());
    // A rebuild that fails leaves the old index answering, and no dirty marks.
    live.abandon();
    assert!(!live.is_building());
    assert!(Arc::ptr_eq(&live.get().expect("ready"), &rebuilt));
}

#[test]
fn small_indexes_and_a_stopping_server_are_not_rebuilt() {
    let live = LiveIndex::ready(built(0));
    let index = live.get().expect("ready");
    for i in 0..63 {
        index.upsert(&article(&format!("a{i}"), "Tin"), None);
    }
    assert!(
        live.begin_rebuild_if_grown().is_none(),
        "fewer than twice the floor"
    );
    index.upsert(&article("a63", "Tin"), None);
    live.cancel();
    assert!(
        live.begin_rebuild_if_grown().is_none(),
        "the server is stopping"
    );
    assert!(
        LiveIndex::building().begin_rebuild_if_grown().is_none(),
        "no index yet"
    );
}

/// Article `i` as the store holds it before any rewrite.
fn numbered(i: usize) -> Article {
    article(&format!("a{i}"), &format!("Tin số {i} về cầu đường mới"))
}

#[test]
fn a_rebuild_counts_each_article_once_whatever_was_written_while_it_ran() {
    use std::collections::BTreeMap;
    // Built with 40, then 40 more indexed as they came: the rebuild begins.
    let mut store: BTreeMap<String, Article> =
        (0..80).map(|i| (format!("a{i}"), numbered(i))).collect();
    let live = LiveIndex::ready(built(40));
    let current = live.get().expect("ready");
    for i in 40..80 {
        current.upsert(&numbered(i), None);
    }
    let current = live.begin_rebuild_if_grown().expect("doubled");
    let builder = IndexBuilder::from_index(&current);
    // Writes as `Ingest` makes them: mark, store, then keep the current index in step.
    let write = |store: &mut BTreeMap<String, Article>, id: &str, now: Option<Article>| {
        let before = store.get(id).cloned();
        live.before_write(id, || before.clone());
        match &now {
            Some(a) => {
                store.insert(id.to_string(), a.clone());
                current.upsert(a, before.as_ref());
            }
            None => {
                store.remove(id);
                current.remove(before.as_ref().expect("stored"));
            }
        }
    };
    // Before the scan reaches them: a rewrite, a new article, a retraction...
    write(
        &mut store,
        "a5",
        Some(article("a5", "Bão số 3 gây sạt lở ở Bát Xát")),
    );
    write(
        &mut store,
        "a80",
        Some(article("a80", "Khánh thành cầu mới")),
    );
    write(&mut store, "a6", None);
    let texts: Vec<ArticleText> = store.values().map(Into::into).collect();
    builder.add(&texts, |id| live.is_dirty(id));
    drop(texts);
    // ...and after it read one.
    write(&mut store, "a7", Some(article("a7", "Lũ quét ở Lào Cai")));
    live.finish(builder.finish(), |id| store.get(id).cloned());

    let rebuilt = live.get().expect("ready");
    assert_eq!(rebuilt.len(), store.len());
    let counted = IndexBuilder::default();
    let texts: Vec<ArticleText> = store.values().map(Into::into).collect();
    counted.count(&texts);
    assert!(
        rebuilt.saved_counts() == counted.finish().saved_counts(),
        "the rebuilt index's term counts are not those of what the store holds"
    );
}

#[test]
fn rebuilds_come_at_each_doubling_from_64_while_the_index_is_young() {
    assert!(!rebuild_due(0, 63) && rebuild_due(0, 64));
    assert!(!rebuild_due(40, 79) && rebuild_due(40, 80));
    assert!(!rebuild_due(20_000, 39_999) && rebuild_due(20_000, 40_000));
    assert!(rebuild_due(20_000, REBUILD_UNDER - 1));
    assert!(!rebuild_due(20_000, REBUILD_UNDER), "no longer young");
    assert!(!rebuild_due(0, 10 * REBUILD_UNDER), "no longer young");
}
