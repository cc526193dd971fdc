//! Stores and articles for the store's unit tests.

use super::Store;
use crate::article::Article;

/// A valid article in `category`.
pub fn sample(id: &str, category: &str) -> Article {
    let at = chrono::DateTime::parse_from_rfc3339("2024-12-06T09:00:00+07:00").unwrap();
    Article {
        id: id.into(),
        url: format!("https://example.vn/{id}"),
        title: format!("Bài {id}"),
        summary: String::new(),
        content_html: String::new(),
        category: category.into(),
        tags: vec!["Lào Cai".into()],
        authors: vec![],
        published: at,
        updated: at,
        images: vec![],
        language: "vi".into(),
    }
}

/// An empty store in a temporary directory, which lives as long as the guard.
pub fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8).unwrap();
    store.count_articles().unwrap();
    (dir, store)
}

/// Opens the store in `dir` again, waiting for a handle just dropped to let go.
pub fn reopen(dir: &std::path::Path) -> Store {
    let store = Store::open_waiting(dir, 8, std::time::Duration::from_secs(10)).expect("reopen");
    store.count_articles().expect("count");
    store
}
