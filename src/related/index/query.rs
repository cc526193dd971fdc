//! Scoring a query against the index: BM25 over the postings of the source's terms,
//! then of the terms its best results lend it (see `feedback`), normalised by its score
//! against itself, with closeness in time and the rules for duplicates.

use rustc_hash::FxHashSet;

use super::super::tokenize::Term;
use super::feedback;
use super::profile::{choose, dup_hash, idf, profile};
use super::{Doc, Hit, Index, Posting, SCRATCH};
use crate::article::ArticleText;

/// BM25 parameters (0.8 to 2.0 and 0.3 to 1.0 measured alike).
const K1: f32 = 1.2;
const B: f32 = 0.75;
/// Stories about one event cluster within days: a score keeps `1 - TIME_SHARE` of its
/// value however far apart two articles are, and gains up to `TIME_SHARE` when close.
/// Within one news cycle (`TIME_FLAT_DAYS`) time says nothing the text does not say
/// better, so only what lies beyond it decays.
const TIME_SHARE: f32 = 0.5;
const TIME_SCALE_DAYS: f32 = 2.0;
const TIME_FLAT_DAYS: f32 = 2.0;
/// Postings one query may walk, both passes together. Terms are taken rarest first, so
/// what the budget cuts is the long lists of the commonest terms, which move scores
/// least; it bounds the slowest queries on large stores. Lists grow with the store, so
/// the budget does too: about 2.5 postings per article cut nothing on the measured
/// corpora, 1.2 cost 0.005 nP@5 on Vietnamese.
const POSTINGS_BUDGET_MIN: usize = 250_000;
const POSTINGS_BUDGET_PER_ARTICLE: usize = 5; // halves, so 2.5
/// Below this (as a share of an article's score against itself) nothing is related.
pub(super) const MIN_SCORE: f32 = 0.01;

/// A query's scores so far, and what it may still walk.
pub(super) struct Walk<'a> {
    scores: &'a mut [f32],
    pub(super) touched: &'a mut Vec<u32>,
    budget: usize,
    bm25: Bm25,
}

impl Walk<'_> {
    /// The score an article has so far.
    pub(super) fn score(&self, slot: u32) -> f32 {
        self.scores[slot as usize]
    }
}

/// How many postings a query may walk in an index of `live` articles.
pub(super) fn postings_budget(live: u32) -> usize {
    POSTINGS_BUDGET_MIN.max(live as usize * POSTINGS_BUDGET_PER_ARTICLE / 2)
}

/// What closeness in time (two times in seconds) multiplies a score by.
pub(super) fn closeness(a: i64, b: i64) -> f32 {
    let days = (a - b).unsigned_abs() as f32 / 86_400.0;
    let beyond = (days - TIME_FLAT_DAYS).max(0.0);
    1.0 - TIME_SHARE + TIME_SHARE * (-beyond / TIME_SCALE_DAYS).exp()
}

/// BM25's term-frequency part for one average length, folded so that a posting costs
/// one division.
#[derive(Clone, Copy)]
struct Bm25 {
    per_len: f32,
}

impl Bm25 {
    fn new(avg_len: f32) -> Self {
        Bm25 {
            per_len: K1 * B / avg_len,
        }
    }

    /// tf (k1 + 1) / (tf + k1 (1 - b + b len / avg_len)).
    fn of(self, tf: f32, len: f32) -> f32 {
        tf * (K1 + 1.0) / (tf + K1 * (1.0 - B) + self.per_len * len)
    }
}

/// Candidates by raw score, best first, sorted a chunk at a time: the loop that takes
/// them stops after a few, and sorting them all (about 20,000 at 100,000 articles) was
/// a quarter of a query.
struct BestFirst {
    items: Vec<(f32, u32)>,
    next: usize,
    sorted: usize,
}

impl Iterator for BestFirst {
    type Item = (f32, u32);

    fn next(&mut self) -> Option<(f32, u32)> {
        const CHUNK: usize = 64;
        let desc = |a: &(f32, u32), b: &(f32, u32)| b.0.total_cmp(&a.0);
        if self.next == self.sorted {
            let rest = &mut self.items[self.next..];
            let m = CHUNK.min(rest.len());
            if m == 0 {
                return None;
            }
            if m < rest.len() {
                rest.select_nth_unstable_by(m - 1, desc);
            }
            rest[..m].sort_unstable_by(desc);
            self.sorted += m;
        }
        self.next += 1;
        Some(self.items[self.next - 1])
    }
}

impl Index {
    /// Adds `weight` times BM25 of each posting of `list` to its article's score, unless
    /// the list is longer than what the budget has left.
    pub(super) fn walk(&self, walk: &mut Walk<'_>, list: &[Posting], weight: f32) {
        if list.len() > walk.budget {
            return;
        }
        walk.budget -= list.len();
        for &Posting { doc, tf } in list {
            let s = &mut walk.scores[doc as usize];
            if *s == 0.0 {
                walk.touched.push(doc);
            }
            *s += weight * walk.bm25.of(f32::from(tf), self.lens[doc as usize]);
        }
    }

    /// The articles most related to `source`, best first: read from its list where
    /// it has one that answers (see `lists`), else found by [`Index::rank`].
    pub fn related(
        &self,
        source: &ArticleText<'_>,
        limit: usize,
        category: Option<&str>,
        exclude: &FxHashSet<&str>,
    ) -> Vec<Hit> {
        if category.is_none()
            && let Some(hits) = self.listed(&source.id, limit, exclude)
        {
            return hits;
        }
        self.rank(source, limit, category, exclude)
            .into_iter()
            .filter_map(|(score, slot)| {
                let doc = self.docs[slot as usize].as_ref()?;
                Some(Hit {
                    id: doc.id.to_string(),
                    score,
                })
            })
            .collect()
    }

    /// The slots of the articles most related to `source` and their scores, best
    /// first, by walking the postings of its terms: the full query. Articles in
    /// `exclude` and their exact copies are left out.
    pub fn rank(
        &self,
        source: &ArticleText<'_>,
        limit: usize,
        category: Option<&str>,
        exclude: &FxHashSet<&str>,
    ) -> Vec<(f32, u32)> {
        self.rank_reaching(source, limit, category, exclude, None).0
    }

    /// [`Index::rank`], with the source's score against itself; and, given `reach`,
    /// the articles with a list that the source may now belong in (see `lists`).
    pub(super) fn rank_reaching(
        &self,
        source: &ArticleText<'_>,
        limit: usize,
        category: Option<&str>,
        exclude: &FxHashSet<&str>,
        mut reach: Option<&mut Vec<u32>>,
    ) -> (Vec<(f32, u32)>, f32) {
        let category = match category {
            Some(c) => match self.categories.iter().position(|x| x == c) {
                Some(code) => Some(code as u16),
                None => return (Vec::new(), 0.0),
            },
            None => None,
        };
        let own_slot = self.slots.get(source.id.as_ref()).copied();
        let src = profile(source);
        let src_dup = dup_hash(source);
        let excluded = self.excluded_copies(exclude);
        // Terms only the source has cannot match anything. The query weighs each term
        // by 1 + ln tf and the postings by idf: idf once, as BM25 has it (idf in both
        // over-rewarded the rare words of short titles: typos, sources, one-off names).
        let n = self.live as f32;
        let mut query: Vec<(Term, f32, f32)> = choose(&self.df, self.live + 1, &src, 2)
            .into_iter()
            .map(|c| (c.term, c.tf, idf(n, self.df.get(c.term) as f32)))
            .collect();
        query.sort_unstable_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
        let avg_len = ((self.total_len / self.live.max(1) as f64) as f32).max(1.0);
        let bm25 = Bm25::new(avg_len);
        let budget = postings_budget(self.live);
        SCRATCH.with_borrow_mut(|(scores, touched)| {
            scores.resize(self.docs.len(), 0.0);
            let mut walk = Walk {
                scores,
                touched,
                budget,
                bm25,
            };
            let mut self_score = 0.0;
            let mut query_norm = 0.0;
            for &(t, tf_src, idf) in &query {
                let q = 1.0 + tf_src.ln();
                self_score += q * idf * bm25.of(tf_src, src.len);
                query_norm += idf * q * q;
                let list = self.postings.get(&t).map(Vec::as_slice).unwrap_or_default();
                self.walk(&mut walk, list, q * idf);
            }
            self.feedback(&mut walk, query_norm.sqrt(), |slot| {
                Some(slot) == own_slot
                    || self.docs[slot as usize]
                        .as_ref()
                        .is_none_or(|d| d.dup == src_dup)
            });
            // The feedback adds at most as much again, whether or not there was any.
            let self_score = self_score * (1.0 + feedback::WEIGHT);
            let Walk {
                scores, touched, ..
            } = walk;
            let src_time = source.published.timestamp();
            // A final score never exceeds raw / self_score, so raw scores under the
            // floor are out, and candidates are examined best raw first until no
            // later one can beat the current top `limit`.
            let floor = MIN_SCORE * self_score;
            let candidates: Vec<(f32, u32)> = touched
                .iter()
                .filter_map(|&slot| {
                    let raw = std::mem::take(&mut scores[slot as usize]);
                    if let Some(reach) = reach.as_deref_mut()
                        && self.may_now_list(slot, raw, src_time)
                    {
                        reach.push(slot);
                    }
                    (raw >= floor && self_score > 0.0 && Some(slot) != own_slot)
                        .then_some((raw, slot))
                })
                .collect();
            touched.clear();
            let candidates = BestFirst {
                items: candidates,
                next: 0,
                sorted: 0,
            };
            let mut best: Vec<(f32, &Doc, u32)> = Vec::with_capacity(limit + 1);
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
                    || excluded.contains(&doc.dup)
                {
                    continue;
                }
                let score = upper * closeness(doc.time, src_time);
                if score < MIN_SCORE {
                    continue;
                }
                // Of exact duplicates among the results, keep the best-scoring one.
                if let Some(i) = best.iter().position(|(_, d, _)| d.dup == doc.dup) {
                    if best[i].0 >= score {
                        continue;
                    }
                    best.remove(i);
                }
                let at =
                    best.partition_point(|(s, d, _)| *s > score || (*s == score && d.id < doc.id));
                best.insert(at, (score, doc, slot));
                best.truncate(limit);
            }
            let hits = best.into_iter().map(|(score, _, slot)| (score, slot));
            (hits.collect(), self_score)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_come_best_first_across_chunks() {
        // Scores with many ties, more than three chunks of them.
        let items: Vec<(f32, u32)> = (0..200u32).map(|i| ((i * 37 % 101) as f32, i)).collect();
        let got: Vec<f32> = BestFirst {
            items: items.clone(),
            next: 0,
            sorted: 0,
        }
        .map(|c| c.0)
        .collect();
        let mut want: Vec<f32> = items.iter().map(|c| c.0).collect();
        want.sort_unstable_by(|a, b| b.total_cmp(a));
        assert_eq!(got, want);
    }
}
