//! Terms for relatedness: syllables and syllable bigrams, case-folded, diacritics kept.
//!
//! Vietnamese writes one syllable per space-separated token and most words are two or
//! three syllables ("biên giới", "Lào Cai"), so adjacent-syllable bigrams stand in for
//! words without a segmenter. Diacritics are kept: "bão" (storm) is not "báo"
//! (newspaper). Terms are hashed to 32 bits; an occasional collision only adds noise.
//! This runs over every article at start, so it allocates nothing per word.

use std::hash::Hasher;
use std::sync::LazyLock;

use rustc_hash::{FxHashSet, FxHasher};

/// A hashed term.
pub type Term = u32;

/// Calls `emit(term, word)` for every unigram (not a stop word) and every bigram of two
/// content words (neither half a stop word) of `text`, where `word` numbers the words
/// from 0, stop words included (a bigram has its second word's number). Bigrams never
/// span punctuation. With `html`, markup tags and character references count as
/// punctuation and are not words. With `english`, ASCII words become their English
/// stems (the stop-word test stays on the word as written, plural folded).
pub fn terms(text: &str, html: bool, english: bool, mut emit: impl FnMut(Term, u32)) {
    let mut word = String::with_capacity(32);
    let mut words = Words {
        english,
        ..Words::default()
    };
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if is_word_char(c) {
            if c.is_ascii() {
                word.push(c.to_ascii_lowercase());
            } else if c.is_lowercase() {
                word.push(c); // most Vietnamese letters; skips the slower case mapping
            } else {
                word.extend(c.to_lowercase());
            }
            continue;
        }
        let inner_apostrophe =
            matches!(c, '\'' | '’') && chars.peek().is_some_and(|n| n.is_alphanumeric());
        words.flush(&mut word, &mut emit);
        if inner_apostrophe {
            // "Fed's": the word ends, the phrase goes on.
            while chars.peek().is_some_and(|n| n.is_alphanumeric()) {
                chars.next();
            }
        } else if html && c == '<' {
            for n in chars.by_ref() {
                if n == '>' {
                    break;
                }
            }
            words.prev = None;
        } else if html && c == '&' {
            while chars
                .peek()
                .is_some_and(|n| n.is_alphanumeric() || *n == '#')
            {
                chars.next();
            }
            if chars.peek() == Some(&';') {
                chars.next();
            }
            words.prev = None;
        } else if !c.is_whitespace() {
            words.prev = None; // punctuation separates phrases
        }
    }
    words.flush(&mut word, &mut emit);
}

/// `char::is_alphanumeric`, answered without its table lookups for ASCII and the
/// Latin blocks that hold every Vietnamese letter (the lookups were a tenth of an
/// index build). Each of those blocks is letters only, but for × and ÷.
fn is_word_char(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' => true,
        '\0'..='\u{7f}' | '×' | '÷' => false,
        '\u{c0}'..='\u{24f}' | '\u{1e00}'..='\u{1eff}' => true,
        _ => c.is_alphanumeric(),
    }
}

/// The phrase so far: the previous word (its term's hash, and whether it is a stop
/// word) unless punctuation came since, and how many words came before.
#[derive(Default)]
struct Words {
    prev: Option<(u64, bool)>,
    count: u32,
    english: bool,
}

impl Words {
    fn flush(&mut self, word: &mut String, emit: &mut impl FnMut(Term, u32)) {
        if word.is_empty() {
            return;
        }
        let stem_of = (self.english && word.is_ascii()).then(|| hash_str(word));
        let folded = fold_plural(word);
        let mut h = hash_str(word);
        let stop = STOP_HASHES.contains(&h);
        let single = word.chars().nth(1).is_none();
        if let Some(whole) = stem_of
            && !stop
        {
            // The stem of the word as written: the stemmer knows plurals better.
            if folded {
                word.push('s');
            }
            h = super::stem::stem_hash(word, whole, hash_str);
        }
        let at = self.count;
        if !stop && (!single || word.bytes().all(|b| b.is_ascii_digit())) {
            emit(fold(h), at);
        }
        // A stop-word half ("threat from", "of the", "tại Huế") matches unrelated
        // stories far more than it tells one apart: only two content words make a bigram.
        if let Some((p, false)) = self.prev
            && !stop
        {
            emit(bigram(p, h), at);
        }
        self.prev = Some((h, stop));
        self.count += 1;
        word.clear();
    }
}

fn bigram(first: u64, second: u64) -> Term {
    fold(first.rotate_left(17) ^ second.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// A crude English plural fold; no Vietnamese syllable ends in "s", so it never
/// touches Vietnamese.
fn fold_plural(w: &mut String) -> bool {
    let plural = w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") && w.is_ascii();
    if plural {
        w.pop();
    }
    plural
}

fn hash_str(s: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(s.as_bytes());
    h.finish()
}

fn fold(v: u64) -> Term {
    (v ^ (v >> 32)) as u32
}

/// The term of a whole tag, so that sharing a tag counts beyond its words.
pub fn tag_term(tag_key: &str) -> Term {
    fold(hash_str(tag_key).wrapping_add(0x7A67))
}

/// Stop words by hash: one set lookup per word instead of string comparisons.
static STOP_HASHES: LazyLock<FxHashSet<u64>> =
    LazyLock::new(|| STOP_VI.iter().chain(STOP_EN).map(|w| hash_str(w)).collect());

/// Vietnamese function words (sorted bytewise, to keep them easy to scan).
const STOP_VI: &[&str] = &[
    "ai", "bị", "bởi", "cho", "chúng", "chưa", "các", "cái", "còn", "có", "cùng", "cũng", "của",
    "do", "gì", "hay", "hơn", "khi", "không", "là", "lên", "lại", "mà", "một", "mới", "nay",
    "nhiều", "như", "nhưng", "những", "này", "nên", "nó", "nếu", "qua", "ra", "rất", "rằng", "sau",
    "sẽ", "theo", "thì", "trong", "trên", "tại", "tới", "từ", "và", "vào", "vì", "vẫn", "về",
    "với", "đang", "đây", "đã", "đó", "được", "đến", "để",
];

/// English function words (sorted), plural-folded like the text.
const STOP_EN: &[&str] = &[
    "a", "about", "after", "all", "also", "an", "and", "are", "as", "at", "be", "been", "but",
    "by", "can", "could", "did", "do", "for", "from", "ha", "had", "has", "have", "he", "her",
    "his", "how", "i", "if", "in", "into", "is", "it", "its", "more", "most", "new", "no", "not",
    "of", "on", "one", "or", "our", "out", "over", "said", "say", "she", "so", "than", "that",
    "the", "their", "them", "there", "they", "thi", "this", "to", "up", "wa", "was", "we", "were",
    "what", "when", "which", "who", "will", "with", "would", "you",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<Term> {
        let mut v = Vec::new();
        terms(text, true, false, |t, _| v.push(t));
        v
    }

    fn has_bigram(text: &str, a: &str, b: &str) -> bool {
        all(text).contains(&bigram(hash_str(a), hash_str(b)))
    }

    fn has_word(text: &str, w: &str) -> bool {
        all(text).contains(&fold(hash_str(w)))
    }

    #[test]
    fn word_chars_agree_with_the_standard_library() {
        for c in (0..=0x2000).filter_map(char::from_u32) {
            assert_eq!(is_word_char(c), c.is_alphanumeric(), "{c:?}");
        }
    }

    #[test]
    fn stop_lists_are_sorted() {
        assert!(STOP_VI.windows(2).all(|w| w[0] < w[1]));
        assert!(STOP_EN.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn syllables_and_bigrams_fold_case_and_keep_diacritics() {
        let text = "Biên giới Lào Cai";
        assert!(has_word(text, "biên") && has_word(text, "giới"));
        assert!(has_bigram(text, "biên", "giới") && has_bigram(text, "lào", "cai"));
        assert_ne!(all("bão"), all("báo"));
        assert_eq!(all("BÃO"), all("bão"));
    }

    #[test]
    fn stop_words_and_punctuation_break_what_they_should() {
        let text = "của và, bão lũ";
        assert!(!has_word(text, "của"));
        assert!(!has_bigram(text, "của", "và"), "both halves are stop words");
        assert!(!has_bigram(text, "và", "bão"), "a comma ends the phrase");
        assert!(has_bigram(text, "bão", "lũ"));
    }

    #[test]
    fn a_stop_word_makes_no_bigram_with_either_neighbour() {
        let text = "bão tại Huế, threat from Russia";
        assert!(!has_bigram(text, "bão", "tại") && !has_bigram(text, "tại", "huế"));
        assert!(
            !has_bigram(text, "bão", "huế"),
            "no bigram across the stop word"
        );
        assert!(!has_bigram(text, "threat", "from") && !has_bigram(text, "from", "russia"));
        assert!(has_word(text, "huế") && has_word(text, "russia"));
    }

    #[test]
    fn words_are_numbered_with_stop_words_but_not_markup() {
        let mut got = Vec::new();
        terms(
            "<p>Bão của lũ</p><p>Fed's &amp; x rate</p>",
            true,
            false,
            |t, i| got.push((t, i)),
        );
        let at = |t: Term| got.iter().find(|g| g.0 == t).map(|g| g.1);
        let word = |w: &str| fold(hash_str(w));
        assert_eq!(at(word("bão")), Some(0));
        assert_eq!(at(word("lũ")), Some(2), "the stop word counts");
        assert_eq!(at(word("fed")), Some(3), "markup is not a word");
        assert_eq!(
            at(word("rate")),
            Some(5),
            "nor a character reference, nor 's"
        );
        assert_eq!(at(bigram(hash_str("x"), hash_str("rate"))), Some(5));
    }

    fn english(text: &str) -> Vec<Term> {
        let mut v = Vec::new();
        terms(text, false, true, |t, _| v.push(t));
        v
    }

    #[test]
    fn english_words_become_their_stems_and_others_stay() {
        assert_eq!(english("elections"), english("elected"));
        assert_eq!(english("voting rights"), english("voted right"));
        assert_ne!(
            all("elections"),
            all("elected"),
            "only English articles are stemmed"
        );
        assert_eq!(english("Bão lũ"), all("Bão lũ"), "non-ASCII words stay");
        assert!(english("the of").is_empty(), "stop words stay stop words");
    }

    #[test]
    fn markup_is_skipped_and_separates() {
        let html = "<p class=\"x\">cầu</p><p>Cốc Lếu &amp; cảng</p>";
        assert!(has_bigram(html, "cốc", "lếu"));
        assert!(
            !has_bigram(html, "cầu", "cốc"),
            "paragraphs are separate phrases"
        );
        assert!(!has_word(html, "class") && !has_word(html, "amp"));
    }

    #[test]
    fn english_plurals_and_possessives_fold() {
        assert!(has_bigram("Fed's rates", "fed", "rate"));
        assert!(has_word("the markets", "market"));
    }
}
