//! An article's profile: its terms weighted by field, and the few it is indexed under.

use std::cell::RefCell;

use rustc_hash::FxHashMap;

use super::super::sketch::DocFreq;
use super::super::tokenize::{self, Term};
use super::feedback::{self, FeedbackList};
use crate::article::{ArticleText, normalize_tag};

/// Terms an article is indexed under and queried with: its most distinctive ones.
/// Bounds memory and query time; measured with `bench/eval_related.py`.
pub(super) const TOP_TERMS: usize = 128;
/// Field weights: the title and the tags say most about what a story is.
const TITLE_WEIGHT: f32 = 3.0;
const TAG_WEIGHT: f32 = 3.0;
const SUMMARY_WEIGHT: f32 = 2.0;
const BODY_WEIGHT: f32 = 1.0;
/// News is written lead first: the body's first words weigh this much more. Leads of 60
/// to 120 words measured alike; 30 and 200 worse.
const LEAD_WORDS: u32 = 100;
const LEAD_EXTRA_WEIGHT: f32 = 1.0;

/// Weighted term frequencies of an article, and its weighted length.
pub struct Profile {
    pub(super) tf: FxHashMap<Term, Weight>,
    pub(super) len: f32,
}

/// A term's weighted frequency in one article, and when it first came.
#[derive(Clone, Copy, Default)]
pub(super) struct Weight {
    pub(super) tf: f32,
    /// How many distinct terms came before it (title, summary, body, then tags).
    pub(super) first: u32,
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

/// A stamp of how articles become terms: the hash of two fixed articles' profiles, one
/// Vietnamese and one English. Changing the tokenizer, its stop words, the stems or
/// the field weights changes it, so term counts saved by another version are
/// recounted, not trusted.
pub fn terms_stamp() -> u64 {
    use std::hash::{Hash, Hasher};
    let vi = ArticleText {
        id: "canary".into(),
        title: "Bão số 3 gây sạt lở ở Lào Cai, 2024".into(),
        summary: "The Fed's rates and the markets".into(),
        content_html: "<p class=\"x\">Người dân &amp; chính quyền</p><p>của và ĐÃ</p>".into(),
        category: "thoi-su".into(),
        tags: vec!["Thiên tai".into()],
        published: chrono::DateTime::UNIX_EPOCH.fixed_offset(),
        language: "vi".into(),
    };
    let en = ArticleText {
        id: "canary-en".into(),
        title: "Regulators fined the banks, ruling on Tuesday".into(),
        summary: "The Fed's rates and the markets".into(),
        content_html: "<p>Stocks fell &amp; bonds rallied.</p>".into(),
        category: "kinh-te".into(),
        tags: vec!["Markets".into()],
        published: chrono::DateTime::UNIX_EPOCH.fixed_offset(),
        language: "en".into(),
    };
    let mut h = rustc_hash::FxHasher::default();
    for canary in [&vi, &en] {
        let mut pairs: Vec<(Term, u32)> = with_profile(canary, |p| {
            p.tf.iter().map(|(&t, w)| (t, w.tf.to_bits())).collect()
        });
        pairs.sort_unstable();
        pairs.hash(&mut h);
    }
    h.finish()
}

impl Profile {
    fn fill(&mut self, a: &ArticleText<'_>) {
        self.tf.clear();
        self.len = 0.0;
        let Profile { tf, len } = self;
        let mut add = |t: Term, weight: f32| {
            let next = tf.len() as u32;
            tf.entry(t)
                .or_insert(Weight {
                    tf: 0.0,
                    first: next,
                })
                .tf += weight;
        };
        let english = a
            .language
            .get(..2)
            .is_some_and(|l| l.eq_ignore_ascii_case("en"));
        // Only the body has a lead.
        let mut field = |text: &str, html: bool, weight: f32, lead: bool| {
            tokenize::terms(text, html, english, |t, word| {
                let w = if lead && word < LEAD_WORDS {
                    weight + LEAD_EXTRA_WEIGHT
                } else {
                    weight
                };
                add(t, w);
                *len += w;
            })
        };
        field(&a.title, false, TITLE_WEIGHT, false);
        field(&a.summary, false, SUMMARY_WEIGHT, false);
        field(&a.content_html, true, BODY_WEIGHT, true);
        for tag in &a.tags {
            field(tag, false, TAG_WEIGHT, false);
        }
        for tag in &a.tags {
            add(tokenize::tag_term(&normalize_tag(tag)), TAG_WEIGHT);
        }
    }

    /// The distinct terms, for counting document frequencies.
    pub fn terms(&self) -> impl Iterator<Item = Term> + '_ {
        self.tf.keys().copied()
    }
}

pub(super) fn dup_hash(a: &ArticleText<'_>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    a.title.hash(&mut h);
    a.content_html.hash(&mut h);
    h.finish()
}

/// An article ready to insert: what a build computes on worker threads.
pub struct Prepared {
    pub(super) terms: Vec<(Term, f32)>,
    pub(super) feedback: FeedbackList,
    pub(super) len: f32,
}

/// A term chosen for an article, with what choosing it took.
pub(super) struct Chosen {
    pub(super) term: Term,
    pub(super) tf: f32,
    pub(super) idf: f32,
    pub(super) first: u32,
}

/// Chooses the terms to index `p` under, with document frequencies `df` among `n`
/// articles: its most distinctive by tf-idf, among those in at least `min_df`.
pub fn prepare(df: &DocFreq, n: u32, p: &Profile, min_df: u32) -> Prepared {
    let mut chosen = choose(df, n, p, min_df);
    Prepared {
        feedback: feedback::list(&mut chosen),
        terms: chosen.into_iter().map(|c| (c.term, c.tf)).collect(),
        len: p.len,
    }
}

/// Terms only the article itself has that a live insert indexes it under besides.
pub(super) const OWN_TERMS: usize = 16;

/// Like [`prepare`] with `min_df` 2, for an article indexed as it arrives (counted in
/// `df` already): also indexes it under its [`OWN_TERMS`] heaviest terms that no
/// other article has yet. Without them, the first article about a new event would
/// lack postings for the event's names, and the next one, which shares them, would
/// not find it; letting them compete for the 128 places instead (`min_df` 1) filled
/// them with words no other article ever has, and cost 0.005 nP@5 on Vietnamese.
pub fn prepare_live(df: &DocFreq, n: u32, p: &Profile) -> Prepared {
    let mut chosen = choose(df, n, p, 2);
    let idf_own = idf(n as f32, 1.0);
    let mut own: Vec<Chosen> =
        p.tf.iter()
            .filter(|&(&term, _)| df.get(term) < 2)
            .map(|(&term, w)| Chosen {
                term,
                tf: w.tf,
                idf: idf_own,
                first: w.first,
            })
            .collect();
    if own.len() > OWN_TERMS {
        // All have one idf: the heaviest are the most frequent, then the first.
        own.select_nth_unstable_by(OWN_TERMS, |a, b| {
            b.tf.total_cmp(&a.tf).then(a.first.cmp(&b.first))
        });
        own.truncate(OWN_TERMS);
    }
    chosen.extend(own);
    Prepared {
        feedback: feedback::list(&mut chosen),
        terms: chosen.into_iter().map(|c| (c.term, c.tf)).collect(),
        len: p.len,
    }
}

/// The terms [`prepare`] chooses, in no particular order.
pub(super) fn choose(df: &DocFreq, n: u32, p: &Profile, min_df: u32) -> Vec<Chosen> {
    let n = n as f32;
    let mut ranked: Vec<(Chosen, f32)> =
        p.tf.iter()
            .filter_map(|(&term, w)| {
                let df = df.get(term);
                (df >= min_df).then(|| {
                    let idf = idf(n, df as f32);
                    let c = Chosen {
                        term,
                        tf: w.tf,
                        idf,
                        first: w.first,
                    };
                    (c, (1.0 + w.tf.ln()) * idf)
                })
            })
            .collect();
    if ranked.len() > TOP_TERMS {
        // Equal weights are common (every term seen once in the body, with one df):
        // the term the article came to first wins, the more topical in a story written
        // lead first, and the choice never depends on the table's order.
        ranked.select_nth_unstable_by(TOP_TERMS, |a, b| {
            b.1.total_cmp(&a.1).then(a.0.first.cmp(&b.0.first))
        });
        ranked.truncate(TOP_TERMS);
    }
    ranked.into_iter().map(|(c, _)| c).collect()
}

/// BM25's idf, always positive.
pub(super) fn idf(n: f32, df: f32) -> f32 {
    let df = df.min(n); // the sketch may overcount
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}
