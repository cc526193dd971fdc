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
    (dir, store)
}

/// Opens the store in `dir` again. sled's background threads may hold the directory's
/// lock for a moment after the last handle is dropped, so a busy lock is retried.
/// (With sled's flusher off too: CI still met a busy lock once.)
pub fn reopen(dir: &std::path::Path) -> Store {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match Store::open(dir, 8) {
            Ok(store) => return store,
            Err(e)
                if e.to_string().contains("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("reopen: {e}"),
        }
    }
}
