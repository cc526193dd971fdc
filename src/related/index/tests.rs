//! The query's rules, each on a small fixture: the pruned search finds what a full
//! one does, exact duplicates are handled, equal weights choose the terms that come
//! first, the lead weighs more, idf counts once, time within two days counts for
//! nothing, the best results lend the query their terms, and the postings budget
//! grows with the index.

use std::borrow::Cow;

use rustc_hash::FxHashSet;

use super::*;

pub(super) fn text(id: &str, title: &str, body: &str, day: i64) -> ArticleText<'static> {
    ArticleText {
        id: Cow::Owned(id.into()),
        title: Cow::Owned(title.into()),
        summary: Cow::Borrowed(""),
        content_html: Cow::Owned(format!("<p>{body}</p>")),
        category: Cow::Borrowed("thoi-su"),
        tags: vec![],
        published: chrono::DateTime::from_timestamp(1_733_450_400 + day * 86_400, 0)
            .unwrap()
            .fixed_offset(),
        language: Cow::Borrowed("vi"),
    }
}

pub(super) fn index(articles: &[ArticleText<'static>]) -> Index {
    let mut index = Index::default();
    for a in articles {
        index.upsert(a, None);
    }
    index
}

pub(super) fn ids(hits: &[Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.id.as_str()).collect()
}

/// Stories that share more or fewer words with the source, some close in time and
/// some far: the time factor reorders them, so a search that stopped too early (or
/// bounded scores wrongly) would miss one that the full search ranks first.
pub(super) fn storm_stories() -> Vec<ArticleText<'static>> {
    let words = [
        "bão",
        "sạt",
        "lở",
        "Bát",
        "Xát",
        "di",
        "dời",
        "mưa",
        "lũ",
        "đường",
    ];
    let mut out = vec![text("src", "Bão gây sạt lở ở Bát Xát", &words.join(" "), 0)];
    for i in 0..40i64 {
        let shared = 2 + (i as usize % 8);
        let body = format!("{} chuyện {i} khác hẳn", words[..shared].join(" "));
        let day = if i % 3 == 0 { 0 } else { 30 + i };
        out.push(text(
            &format!("s{i:02}"),
            &format!("Tin số {i}"),
            &body,
            day,
        ));
    }
    out
}

#[test]
fn the_pruned_search_finds_the_same_top_as_a_full_one() {
    let stories = storm_stories();
    let index = index(&stories);
    let none = FxHashSet::default();
    // With a limit past every candidate nothing is pruned: that is the full search.
    let full = index.related(&stories[0], 1000, None, &none);
    assert!(
        full.len() > 20,
        "{} candidates: too small a test",
        full.len()
    );
    for k in [1, 3, 5, 10] {
        let pruned = index.related(&stories[0], k, None, &none);
        assert_eq!(ids(&pruned), ids(&full[..k]), "top {k}");
    }
    // Closeness in time reordered the raw similarity: a near story with fewer shared
    // words beats a far one with more.
    let raw_best = "s07"; // 9 shared words, 37 days away
    let rank = |id: &str| full.iter().position(|h| h.id == id).unwrap();
    assert!(rank("s06") < rank(raw_best), "time did not count");
}

#[test]
fn exact_duplicates_of_the_source_are_left_out_and_of_each_other_kept_once() {
    let body = "Mưa lớn khiến nhiều tuyến đường ở huyện Bát Xát bị sạt lở nghiêm trọng";
    let articles = vec![
        text("src", "Bão số 3 gây sạt lở tại Bát Xát", body, 0),
        // The source under another id: the same title and body.
        text("copy", "Bão số 3 gây sạt lở tại Bát Xát", body, 0),
        // Two copies of one follow-up, one a day further away.
        text("follow", "Bát Xát khắc phục sạt lở", body, 1),
        text("follow-again", "Bát Xát khắc phục sạt lở", body, 2),
        text(
            "other",
            "Khánh thành cầu mới",
            "Cầu mới nối hai bờ sông Hồng",
            0,
        ),
    ];
    let index = index(&articles);
    let hits = index.related(&articles[0], 5, None, &FxHashSet::default());
    assert_eq!(ids(&hits), ["follow"], "{hits:?}");
}

#[test]
fn equal_weights_choose_the_terms_that_come_first() {
    // More distinct words than the index keeps, each once in the title: all weigh the
    // same, and the first ones written win.
    let words: Vec<String> = (0..3 * profile::TOP_TERMS)
        .map(|i| format!("w{i:04}x"))
        .collect();
    let a = text("a", &words.join(", "), "", 0);
    let index = Index::default();
    for t in profile(&a).terms() {
        index.df.add(t);
        index.df.add(t);
    }
    let mut chosen: Vec<Term> = prepare(&index.df, 1, &profile(&a), 1)
        .terms
        .iter()
        .map(|t| t.0)
        .collect();
    chosen.sort_unstable();
    let mut first: Vec<Term> = words[..profile::TOP_TERMS]
        .iter()
        .map(|w| profile(&text("w", w, "", 0)).terms().next().unwrap())
        .collect();
    first.sort_unstable();
    assert_eq!(chosen, first, "not the first terms");
}

/// Articles whose fields are lists of words with commas between them (no bigrams),
/// all on one day but for `at` (in hours).
pub(super) fn listed(
    id: &str,
    title: &[&str],
    body: &[String],
    hours: i64,
) -> ArticleText<'static> {
    let mut a = text(id, &title.join(", "), &body.join(", "), 0);
    a.published += chrono::Duration::hours(hours);
    a
}

pub(super) fn words(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i:03}x")).collect()
}

#[test]
fn the_lead_of_the_body_weighs_more_than_its_end() {
    // The source's body opens with the words of one story and ends, past its first
    // 100 words, with those of another; each story has one article, alike but for
    // which words it shares. Without the lead they would tie, and "a-tail" win by id.
    let (lead, tail) = (words("lead", 4), words("tail", 4));
    let body: Vec<String> = [lead.clone(), words("fill", 120), tail.clone()].concat();
    let articles = vec![
        listed("src", &["nguồn"], &body, 0),
        listed("z-lead", &["alpha"], &lead, 0),
        listed("a-tail", &["beta"], &tail, 0),
    ];
    let index = index(&articles);
    let hits = index.related(&articles[0], 5, None, &FxHashSet::default());
    assert_eq!(ids(&hits), ["z-lead", "a-tail"], "{hits:?}");
}

#[test]
fn idf_counts_once_so_four_common_words_beat_one_rare_one() {
    // "a-rare" shares one word only it and the source have; "b-common" shares four
    // words that 8 of the 20 articles have. Counting idf in the query as well as in
    // the postings (squared) would put the single rare word first.
    let common = ["chung", "cuộc", "họp", "báo"];
    let mut articles = vec![
        listed("src", &["hiếm", "chung", "cuộc", "họp", "báo"], &[], 0),
        listed("a-rare", &["hiếm"], &[], 0),
        listed("b-common", &common, &[], 0),
    ];
    // Each common word in 6 more articles, two to an article.
    for (i, (a, b)) in [(0, 1), (2, 3), (0, 2), (1, 3), (0, 3), (1, 2)]
        .iter()
        .cycle()
        .take(12)
        .enumerate()
    {
        articles.push(listed(
            &format!("f{i:02}"),
            &[common[*a], common[*b]],
            &[],
            0,
        ));
    }
    for i in 0..5 {
        articles.push(listed(&format!("o{i}"), &[&format!("khác{i}")], &[], 0));
    }
    let index = index(&articles);
    let hits = index.related(&articles[0], 2, None, &FxHashSet::default());
    assert_eq!(ids(&hits), ["b-common", "a-rare"], "{hits:?}");
}

#[test]
fn time_within_two_days_counts_for_nothing() {
    // Two articles as like the source as each other, one 47 hours away: they tie, and
    // go by id. Today's decay (half the score, on a 2-day scale) would put "near" first.
    let w = words("sựkiện", 5);
    let articles = vec![
        listed("src", &["nguồn"], &w, 0),
        listed("near", &["gần"], &w, 0),
        listed("cycle", &["xa"], &w, 47),
    ];
    let index = index(&articles);
    let hits = index.related(&articles[0], 5, None, &FxHashSet::default());
    assert_eq!(ids(&hits), ["cycle", "near"], "{hits:?}");
    assert_eq!(hits[0].score, hits[1].score);
}

#[test]
fn the_best_results_lend_the_query_their_words() {
    // "other-words" shares nothing with the source, but much with its best match.
    let (story, more) = (words("bão", 4), words("cứu", 4));
    let articles = vec![
        listed("src", &["nguồn"], &story, 0),
        listed("best", &["tốt"], &[story.clone(), more.clone()].concat(), 0),
        listed("other-words", &["khác"], &more, 0),
        listed("unrelated", &["cầu"], &words("sông", 4), 0),
    ];
    let index = index(&articles);
    let hits = index.related(&articles[0], 5, None, &FxHashSet::default());
    assert_eq!(ids(&hits), ["best", "other-words"], "{hits:?}");
}

#[test]
fn a_copy_of_the_source_lends_nothing() {
    // The copy would be the best first-pass result, and lend the source's own words;
    // the two that lend are "strong" and "weak", and only "weak" leads to "via-weak".
    let (story, weak, via) = (words("bão", 6), words("lũ", 2), words("cứu", 4));
    let source_body: Vec<String> = [story.clone(), weak.clone()].concat();
    let articles = vec![
        listed("src", &["nguồn"], &source_body, 0),
        listed("copy", &["nguồn"], &source_body, 0),
        listed("strong", &["mạnh"], &story, 0),
        listed("weak", &["yếu"], &[weak, via.clone()].concat(), 0),
        listed("via-weak", &["qua"], &via, 0),
    ];
    let index = index(&articles);
    let hits = index.related(&articles[0], 5, None, &FxHashSet::default());
    assert!(ids(&hits).contains(&"via-weak"), "{hits:?}");
}

#[test]
fn the_postings_budget_grows_with_the_index() {
    assert_eq!(query::postings_budget(0), 250_000);
    assert_eq!(query::postings_budget(100_000), 250_000);
    assert_eq!(query::postings_budget(1_000_000), 2_500_000);
}

#[test]
fn english_articles_match_on_stems() {
    // The two share no word as written or plural-folded, only stems ("fined" and
    // "fines", "regulators" and "regulation").
    let make = |language: &'static str| {
        let mut src = text("src", "Regulators fined the banks", "", 0);
        let mut other = text("other", "Regulation fines ruled", "", 0);
        for a in [&mut src, &mut other] {
            a.language = Cow::Borrowed(language);
        }
        let articles = [src, other];
        let hits = index(&articles).related(&articles[0], 5, None, &FxHashSet::default());
        ids(&hits).join(",")
    };
    assert_eq!(make("en-GB"), "other");
    assert_eq!(make("vi"), "", "only English articles are stemmed");
}
