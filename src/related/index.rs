//! The in-memory index: postings of each article's most distinctive terms, and BM25.

use std::cell::RefCell;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use super::sketch::DocFreq;
use super::tokenize::{self, Term};
use crate::article::{ArticleText, normalize_tag};

/// Terms an article is indexed under and queried with: its most distinctive ones.
/// Bounds memory and query time; measured with `bench/eval_related.py`.
const TOP_TERMS: usize = 128;
/// Field weights: the title and the tags say most about what a story is.
const TITLE_WEIGHT: f32 = 3.0;
const TAG_WEIGHT: f32 = 3.0;
const SUMMARY_WEIGHT: f32 = 2.0;
const BODY_WEIGHT: f32 = 1.0;
/// BM25 parameters.
const K1: f32 = 1.2;
const B: f32 = 0.75;
/// Stories about one event cluster within days: a score keeps `1 - TIME_SHARE` of its
/// value however far apart two articles are, and gains up to `TIME_SHARE` when close.
const TIME_SHARE: f32 = 0.5;
const TIME_SCALE_DAYS: f32 = 2.0;
/// Postings one query may walk. Terms are taken rarest first, so what the budget cuts
/// is the long lists of the commonest terms, which move scores least; it bounds the
/// slowest queries on large stores.
const POSTINGS_BUDGET: usize = 120_000;
/// Below this (as a share of an article's score against itself) nothing is related.
const MIN_SCORE: f32 = 0.01;

/// One article under one term. Postings are most of the index's memory (50 million
/// at 1,000,000 articles), so they are packed into 6 bytes: weighted term
/// frequencies are sums of whole field weights, so a u16 holds them exactly (and
/// saturates where BM25 no longer cares).
#[derive(Clone, Copy)]
#[repr(C, packed(2))]
struct Posting {
    doc: u32,
    tf: u16,
}

struct Doc {
    id: Arc<str>,
    /// Published, in seconds since the epoch.
    time: i64,
    /// Hash of title and body: equal means an exact duplicate.
    dup: u64,
    category: u16,
}

/// One related article and its score in (0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: String,
    pub score: f32,
}

/// Weighted term frequencies of an article, and its weighted length.
pub struct Profile {
    tf: FxHashMap<Term, f32>,
    len: f32,
}

/// Tokenises an article's fields with their weights. Pure; safe on any thread.
pub fn profile(a: &ArticleText<'_>) -> Profile {
    let mut p = Profile {
        tf: FxHashMap::default(),
        len: 0.0,
    };
    p.fill(a);
    p
}

thread_local! {
    /// A profile whose table keeps its capacity between articles: an index build
    /// profiles every article twice, and growing a fresh table each time was most of
    /// its allocation.
    static PROFILE: RefCell<Profile> = RefCell::new(Profile { tf: FxHashMap::default(), len: 0.0 });
}

/// Calls `f` with the profile of `a`, in this thread's reused table.
pub fn with_profile<R>(a: &ArticleText<'_>, f: impl FnOnce(&Profile) -> R) -> R {
    PROFILE.with_borrow_mut(|p| {
        p.fill(a);
        f(p)
    })
}

/// A stamp of how articles become terms: the hash of a fixed article's profile.
/// Changing the tokenizer, its stop words or the field weights changes it, so term
/// counts saved by another version are recounted, not trusted.
pub fn terms_stamp() -> u64 {
    use std::hash::{Hash, Hasher};
    let canary = ArticleText {
        id: "canary".into(),
        title: "Bão số 3 gây sạt lở ở Lào Cai, 2024".into(),
        summary: "The Fed's rates and the markets".into(),
        content_html: "<p class=\"x\">Người dân &amp; chính quyền</p><p>của và ĐÃ</p>".into(),
        category: "thoi-su".into(),
        tags: vec!["Thiên tai".into()],
        published: chrono::DateTime::UNIX_EPOCH.fixed_offset(),
    };
    let mut pairs: Vec<(Term, u32)> = with_profile(&canary, |p| {
        p.tf.iter().map(|(&t, &f)| (t, f.to_bits())).collect()
    });
    pairs.sort_unstable();
    let mut h = rustc_hash::FxHasher::default();
    pairs.hash(&mut h);
    h.finish()
}

impl Profile {
    fn fill(&mut self, a: &ArticleText<'_>) {
        self.tf.clear();
        self.len = 0.0;
        let Profile { tf, len } = self;
        let mut add = |text: &str, html: bool, weight: f32| {
            tokenize::terms(text, html, |t| {
                *tf.entry(t).or_default() += weight;
                *len += weight;
            })
        };
        add(&a.title, false, TITLE_WEIGHT);
        add(&a.summary, false, SUMMARY_WEIGHT);
        add(&a.content_html, true, BODY_WEIGHT);
        for tag in &a.tags {
            add(tag, false, TAG_WEIGHT);
        }
        for tag in &a.tags {
            *tf.entry(tokenize::tag_term(&normalize_tag(tag)))
                .or_default() += TAG_WEIGHT;
        }
    }

    /// The distinct terms, for counting document frequencies.
    pub fn terms(&self) -> impl Iterator<Item = Term> + '_ {
        self.tf.keys().copied()
    }
}

fn dup_hash(a: &ArticleText<'_>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    a.title.hash(&mut h);
    a.content_html.hash(&mut h);
    h.finish()
}

/// An article ready to insert: what a build computes on worker threads.
pub struct Prepared {
    terms: Vec<(Term, f32)>,
    len: f32,
}

thread_local! {
    /// Score accumulator reused across queries on a thread: dense by slot, reset via
    /// the list of slots touched, so a query allocates nothing proportional to the index.
    static SCRATCH: RefCell<(Vec<f32>, Vec<u32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// The index proper; [`super::RelatedIndex`] puts it behind a lock.
#[derive(Default)]
pub struct Index {
    docs: Vec<Option<Doc>>,
    /// Weighted length per slot, dense so scoring reads it without touching `docs`.
    lens: Vec<f32>,
    slots: FxHashMap<Arc<str>, u32>,
    free: Vec<u32>,
    postings: FxHashMap<Term, Vec<Posting>>,
    pub(super) df: DocFreq,
    live: u32,
    total_len: f64,
    categories: Vec<String>,
}

impl Index {
    /// Chooses the terms to index `p` under. `min_df` 2 skips terms no other article
    /// has, which a build (whose frequencies are final) can afford; a live insert keeps
    /// them, because the next article about a new event will share them.
    pub fn prepare(&self, p: &Profile, min_df: u32) -> Prepared {
        prepare(&self.df, self.live + 1, p, min_df)
    }

    /// Adds or replaces an article; `old` is the version it replaces, if any.
    pub fn upsert(&mut self, a: &ArticleText<'_>, old: Option<&ArticleText<'_>>) {
        if let Some(old) = old {
            self.remove(old);
        }
        let p = profile(a);
        for t in p.terms() {
            self.df.add(t);
        }
        let prepared = self.prepare(&p, 1);
        self.insert(a, prepared);
    }

    /// Removes an article (as it was stored) from the index.
    pub fn remove(&mut self, old: &ArticleText<'_>) {
        let Some(slot) = self.slots.remove(old.id.as_ref()) else {
            return;
        };
        // Postings exist only for terms chosen at insert, all among the profile's.
        for t in profile(old).terms() {
            self.df.remove(t);
            if let Some(list) = self.postings.get_mut(&t) {
                list.retain(|p| p.doc != slot);
                if list.is_empty() {
                    self.postings.remove(&t);
                }
            }
        }
        self.vacate(slot);
    }

    fn vacate(&mut self, slot: u32) {
        if self.docs[slot as usize].take().is_some() {
            self.live -= 1;
            self.total_len -= self.lens[slot as usize] as f64;
            self.lens[slot as usize] = 0.0;
        }
        self.free.push(slot);
    }

    /// The number of indexed articles.
    pub fn len(&self) -> usize {
        self.live as usize
    }

    /// Inserts an article with its chosen terms.
    pub fn insert(&mut self, a: &ArticleText<'_>, p: Prepared) {
        if let Some(stale) = self.slots.remove(a.id.as_ref()) {
            // Replaced without its old version: find its postings the slow way.
            for list in self.postings.values_mut() {
                list.retain(|x| x.doc != stale);
            }
            self.vacate(stale);
        }
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.docs.push(None);
                self.lens.push(0.0);
                (self.docs.len() - 1) as u32
            }
        };
        for &(t, tf) in &p.terms {
            self.postings.entry(t).or_default().push(Posting {
                doc: slot,
                tf: tf as u16, // `as` saturates
            });
        }
        let id: Arc<str> = Arc::from(a.id.as_ref());
        self.docs[slot as usize] = Some(Doc {
            id: Arc::clone(&id),
            time: a.published.timestamp(),
            dup: dup_hash(a),
            category: self.category_code(&a.category),
        });
        self.lens[slot as usize] = p.len;
        self.slots.insert(id, slot);
        self.live += 1;
        self.total_len += p.len as f64;
    }

    fn category_code(&mut self, slug: &str) -> u16 {
        match self.categories.iter().position(|c| c == slug) {
            Some(i) => i as u16,
            None => {
                self.categories.push(slug.to_string());
                (self.categories.len() - 1) as u16
            }
        }
    }

    /// The articles most related to `source`, best first.
    pub fn related(
        &self,
        source: &ArticleText<'_>,
        limit: usize,
        category: Option<&str>,
        exclude: &FxHashSet<&str>,
    ) -> Vec<Hit> {
        let category = match category {
            Some(c) => match self.categories.iter().position(|x| x == c) {
                Some(code) => Some(code as u16),
                None => return Vec::new(),
            },
            None => None,
        };
        let own_slot = self.slots.get(source.id.as_ref()).copied();
        let src = profile(source);
        // Terms only the source has cannot match anything.
        let mut query: Vec<(Term, f32, f32)> = self
            .prepare(&src, 2)
            .terms
            .into_iter()
            .map(|(t, tf)| (t, tf, idf(self.live as f32, self.df.get(t) as f32)))
            .collect();
        query.sort_unstable_by(|a, b| b.2.total_cmp(&a.2));
        let avg_len = (self.total_len / self.live.max(1) as f64) as f32;
        let bm25 = |tf: f32, len: f32| {
            tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / avg_len.max(1.0)))
        };
        SCRATCH.with_borrow_mut(|(scores, touched)| {
            scores.resize(self.docs.len(), 0.0);
            let mut self_score = 0.0;
            let mut budget = POSTINGS_BUDGET;
            for &(t, tf_src, idf) in &query {
                let q = idf * (1.0 + tf_src.ln());
                self_score += q * idf * bm25(tf_src, src.len);
                let list = self.postings.get(&t).map(Vec::as_slice).unwrap_or_default();
                if list.len() > budget {
                    continue;
                }
                budget -= list.len();
                for &Posting { doc, tf } in list {
                    let s = &mut scores[doc as usize];
                    if *s == 0.0 {
                        touched.push(doc);
                    }
                    *s += q * idf * bm25(f32::from(tf), self.lens[doc as usize]);
                }
            }
            let src_time = source.published.timestamp();
            let src_dup = dup_hash(source);
            // A final score never exceeds raw / self_score, so raw scores under the
            // floor are out, and candidates are examined best raw first until no
            // later one can beat the current top `limit`.
            let floor = MIN_SCORE * self_score;
            let mut candidates: Vec<(f32, u32)> = touched
                .iter()
                .filter_map(|&slot| {
                    let raw = std::mem::take(&mut scores[slot as usize]);
                    (raw >= floor && self_score > 0.0 && Some(slot) != own_slot)
                        .then_some((raw, slot))
                })
                .collect();
            touched.clear();
            candidates.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
            let mut best: Vec<(f32, &Doc)> = Vec::with_capacity(limit + 1);
            for (raw, slot) in candidates {
                let upper = (raw / self_score).min(1.0);
                if best.len() == limit && upper < best[limit - 1].0 {
                    break;
                }
                let Some(doc) = self.docs[slot as usize].as_ref() else {
                    continue;
                };
                if doc.dup == src_dup
                    || category.is_some_and(|c| c != doc.category)
                    || exclude.contains(&*doc.id)
                {
                    continue;
                }
                let days = (doc.time - src_time).unsigned_abs() as f32 / 86_400.0;
                let score =
                    upper * (1.0 - TIME_SHARE + TIME_SHARE * (-days / TIME_SCALE_DAYS).exp());
                if score < MIN_SCORE {
                    continue;
                }
                // Of exact duplicates among the results, keep the best-scoring one.
                if let Some(i) = best.iter().position(|(_, d)| d.dup == doc.dup) {
                    if best[i].0 >= score {
                        continue;
                    }
                    best.remove(i);
                }
                let at =
                    best.partition_point(|(s, d)| *s > score || (*s == score && d.id < doc.id));
                best.insert(at, (score, doc));
                best.truncate(limit);
            }
            best.into_iter()
                .map(|(score, d)| Hit {
                    id: d.id.to_string(),
                    score,
                })
                .collect()
        })
    }
}

/// Chooses the terms to index `p` under, with document frequencies `df` among `n`
/// articles: its most distinctive by tf-idf, among those in at least `min_df`.
pub fn prepare(df: &DocFreq, n: u32, p: &Profile, min_df: u32) -> Prepared {
    let n = n as f32;
    let mut ranked: Vec<(Term, f32, f32)> =
        p.tf.iter()
            .filter_map(|(&t, &tf)| {
                let df = df.get(t);
                (df >= min_df).then(|| (t, tf, (1.0 + tf.ln()) * idf(n, df as f32)))
            })
            .collect();
    if ranked.len() > TOP_TERMS {
        // Ties go to the smaller term, so the choice never depends on table order.
        ranked.select_nth_unstable_by(TOP_TERMS, |a, b| b.2.total_cmp(&a.2));
        ranked.truncate(TOP_TERMS);
    }
    Prepared {
        terms: ranked.into_iter().map(|(t, tf, _)| (t, tf)).collect(),
        len: p.len,
    }
}

/// BM25's idf, always positive.
fn idf(n: f32, df: f32) -> f32 {
    let df = df.min(n); // the sketch may overcount
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}
