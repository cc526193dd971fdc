//! The store's side of an article's life, with explicit clocks: the schedule, the
//! log's numbering and retention, and tombstones' expiry.

use chrono::{DateTime, Duration, Utc};

use super::fixtures::{reopen, sample, store};
use super::{Deleted, Since};
use crate::history::ChangeKind;
use crate::scope::Scope;

fn at(article: &mut crate::article::Article, t: DateTime<Utc>) {
    article.published = t.fixed_offset();
    article.updated = article.published;
}

#[test]
fn a_scheduled_article_is_published_when_due_with_its_event() {
    let (_dir, store) = store();
    let now = Utc::now();
    let mut a = sample("sau", "kinh-te");
    at(&mut a, now + Duration::hours(1));
    let stored = store.put_many_at(std::slice::from_ref(&a), now).unwrap();
    assert!(!stored[0].public && stored[0].changed && !stored[0].existed);
    assert_eq!(store.get("sau").unwrap(), None);
    assert_eq!(store.article_count(), 0);
    assert_eq!(store.log_head(), 0, "nothing public happened");
    assert_eq!(
        store.next_scheduled().unwrap().unwrap().timestamp(),
        a.published.timestamp()
    );

    assert!(
        store
            .publish_due(now + Duration::minutes(59))
            .unwrap()
            .is_empty()
    );
    let published = store.publish_due(now + Duration::hours(2)).unwrap();
    assert_eq!(published, vec![a.clone()]);
    assert_eq!(store.get("sau").unwrap(), Some(a));
    assert_eq!(store.get_scheduled("sau").unwrap(), None);
    assert_eq!(store.next_scheduled().unwrap(), None);
    let Since::Entries { changes, .. } = store.changes(0, 10).unwrap() else {
        panic!("the log holds its start");
    };
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].kind, ChangeKind::Publish);
    assert_eq!(changes[0].at, now + Duration::hours(2));
    assert!(store.check().unwrap().is_clean());
}

#[test]
fn the_log_keeps_its_numbering_across_restarts_and_retention() {
    let dir = tempfile::tempdir().unwrap();
    let store = reopen(dir.path());
    let long_ago = Utc::now() - Duration::days(40);
    for i in 0..3 {
        let a = sample(&format!("a{i}"), "kinh-te");
        store.put_many_at(&[a], long_ago).unwrap();
    }
    store.flush().unwrap();
    drop(store);
    let store = reopen(dir.path());
    assert_eq!(store.log_head(), 3);
    store.put(&sample("a3", "kinh-te")).unwrap();
    assert_eq!(store.log_head(), 4);

    let now = Utc::now();
    let (_, forgotten) = store
        .expire(now - Duration::days(7), now - Duration::days(30))
        .unwrap();
    assert_eq!(forgotten, 3);
    assert_eq!(store.changes(0, 10).unwrap(), Since::Gone { oldest: 4 });
    assert!(
        matches!(store.changes(3, 10).unwrap(), Since::Entries { changes, next: 4 } if changes.len() == 1)
    );

    // Even when every entry is old, the newest stays: it numbers the next.
    let (_, forgotten) = store.expire(now, now + Duration::days(1)).unwrap();
    assert_eq!(forgotten, 0);
    store.flush().unwrap();
    drop(store);
    assert_eq!(reopen(dir.path()).log_head(), 4);
}

#[test]
fn tombstones_last_their_days_then_go_and_the_feeds_change() {
    let (_dir, store) = store();
    let ten_days_ago = Utc::now() - Duration::days(10);
    store.put(&sample("cu", "kinh-te")).unwrap();
    store.put(&sample("moi", "kinh-te")).unwrap();
    let deleted = store
        .delete_at("cu", Some("sai".into()), ten_days_ago)
        .unwrap();
    assert!(matches!(deleted, Deleted::Retracted(_)));
    store.delete_at("moi", None, Utc::now()).unwrap();
    let economy = Scope::Category("kinh-te".into());
    let all = store
        .tombstones(&economy, ten_days_ago - Duration::days(1), 50)
        .unwrap();
    assert_eq!(
        all.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        ["moi", "cu"],
        "newest first"
    );
    assert_eq!(all[1].reason.as_deref(), Some("sai"));
    let stamp = store.stamp(&economy);
    let now = Utc::now();
    let (buried, _) = store
        .expire(now - Duration::days(7), now - Duration::days(30))
        .unwrap();
    assert_eq!(buried, 1);
    assert_eq!(store.tombstone("cu").unwrap(), None);
    assert!(store.tombstone("moi").unwrap().is_some());
    assert!(
        store.stamp(&economy) > stamp,
        "the feeds that showed it re-render"
    );
    assert!(
        store.check().unwrap().is_clean(),
        "{:?}",
        store.check().unwrap().problems()
    );
}
