//! Whole-store scans: every article in id order, or in chunks on many threads.

use std::sync::Mutex;

use super::articles::decode;
use super::{Store, StoreError, keys, sled_err};
use crate::article::{Article, ArticleText};

impl Store {
    /// Every article, in id order; for export and index rebuilds.
    pub fn articles(&self) -> impl Iterator<Item = Result<Article, StoreError>> + '_ {
        self.db.scan_prefix(keys::ARTICLE_PREFIX).map(|item| {
            let (k, v) = item.map_err(sled_err("scan articles"))?;
            decode(&record_id(&k), &v)
        })
    }

    /// Hands every article to `f`, in chunks and in no particular order, from
    /// `workers` threads that share one scan. Reading and decoding run on the workers
    /// too: read in one thread, they were a third of an index build, and it ran on
    /// little more than one core of two. Stops at the first error, or once `f`
    /// returns false (the work was called off).
    pub fn scan_parallel<F>(&self, workers: usize, f: F) -> Result<(), StoreError>
    where
        F: Fn(&[ArticleText<'_>]) -> bool + Sync,
    {
        /// Small enough that workers stay busy to the end, large enough that the
        /// shared scan's lock is rarely contended.
        const CHUNK: usize = 64;
        let scan = Mutex::new(self.db.scan_prefix(keys::ARTICLE_PREFIX));
        let failed: Mutex<Option<StoreError>> = Mutex::new(None);
        let fail = |e: StoreError| {
            failed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert(e);
        };
        let work = || {
            loop {
                let raw: Result<Vec<_>, _> = {
                    let mut scan = scan.lock().unwrap_or_else(|e| e.into_inner());
                    scan.by_ref().take(CHUNK).collect()
                };
                let raw = match raw {
                    Ok(raw) if !raw.is_empty() => raw,
                    Ok(_) => return,
                    Err(e) => return fail(sled_err("scan articles")(e)),
                };
                if failed.lock().unwrap_or_else(|e| e.into_inner()).is_some() {
                    return;
                }
                let chunk: Result<Vec<ArticleText>, _> =
                    raw.iter().map(|(k, v)| decode(&record_id(k), v)).collect();
                match chunk {
                    Ok(chunk) if f(&chunk) => {}
                    Ok(_) => return,
                    Err(e) => return fail(e),
                }
            }
        };
        std::thread::scope(|s| {
            for _ in 0..workers.max(1) {
                std::thread::Builder::new()
                    .name("herald-scan".into())
                    .spawn_scoped(s, work)
                    .map_err(|e| StoreError::io("start a scan thread", e))?;
            }
            Ok::<_, StoreError>(())
        })?;
        match failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// The article id in an article record's key.
fn record_id(key: &[u8]) -> String {
    String::from_utf8_lossy(&key[keys::ARTICLE_PREFIX.len()..]).into_owned()
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::store::fixtures::{sample, store};

    #[test]
    fn a_parallel_scan_hands_over_every_article_once() {
        let (_dir, store) = store();
        let articles: Vec<Article> = (0..500)
            .map(|i| {
                let mut a = sample(&format!("a{i:03}"), "xa-hoi");
                // Quotes are escaped in the stored JSON, so this body cannot be borrowed.
                a.content_html = format!("<p class=\"x\">Lũ ở Lào Cai, bài {i}</p>");
                a
            })
            .collect();
        store.put_many(&articles).unwrap();
        let seen = Mutex::new(Vec::new());
        store
            .scan_parallel(3, |chunk| {
                let mut seen = seen.lock().unwrap();
                for a in chunk {
                    seen.push((a.id.to_string(), a.content_html.to_string()));
                }
                true
            })
            .unwrap();
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        let want: Vec<_> = articles
            .iter()
            .map(|a| (a.id.clone(), a.content_html.clone()))
            .collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn a_parallel_scan_names_a_corrupt_article() {
        let (_dir, store) = store();
        store.put(&sample("good", "xa-hoi")).unwrap();
        store
            .db
            .insert(keys::article("bad"), &b"{not json"[..])
            .unwrap();
        let err = store.scan_parallel(2, |_| true).unwrap_err();
        assert!(
            matches!(&err, StoreError::Corrupt { what, .. } if what == "article bad"),
            "{err}"
        );
    }
}
