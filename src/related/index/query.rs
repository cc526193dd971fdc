//! Scoring a query against the index: BM25 over the postings of the source's terms,
//! normalised by its score against itself, with closeness in time and the rules for
//! duplicates.

use rustc_hash::FxHashSet;

use super::super::tokenize::Term;
use super::profile::{dup_hash, idf, profile};
use super::{Doc, Hit, Index, Posting, SCRATCH};
use crate::article::ArticleText;

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

impl Index {
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
