//! Text normalisation applied to everything that comes in.

use unicode_normalization::{IsNormalized, UnicodeNormalization};

/// NFC-normalises, removes characters that XML 1.0 (or a feed reader) cannot take,
/// and trims surrounding whitespace.
///
/// Vietnamese arrives both precomposed and decomposed; NFC makes "bão" one string
/// whichever way it was typed, so matching, tags and feeds agree.
pub fn clean_text(s: &str) -> String {
    let trimmed = s.trim();
    // Most text arrives clean and composed: check cheaply before rebuilding it.
    if trimmed.chars().all(is_xml_safe)
        && unicode_normalization::is_nfc_quick(trimmed.chars()) == IsNormalized::Yes
    {
        return trimmed.to_string();
    }
    let cleaned: String = s.nfc().filter(|&c| is_xml_safe(c)).collect();
    cleaned.trim().to_string()
}

/// Cleans a field that is plain text by definition (title, summary, tag, caption,
/// name): markup tags are removed and character references decoded, so a CMS that
/// sends `<b>Tin nóng</b>` or `Tom &amp; Jerry` stores what a reader should see, and
/// feeds never carry markup where readers expect text.
pub fn plain_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let looks_like_tag = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!');
        match after.find(['>', '<']) {
            Some(end) if looks_like_tag && after.as_bytes()[end] == b'>' => {
                rest = &after[end + 1..]
            }
            _ => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    clean_text(&html_escape::decode_html_entities(&out))
}

/// The key a tag is indexed and looked up by: cleaned and lowercased.
pub fn normalize_tag(tag: &str) -> String {
    clean_text(tag).to_lowercase().nfc().collect()
}

/// XML 1.0 Char production, minus C1 controls and noncharacters, which are legal
/// but make validators warn and some readers choke.
fn is_xml_safe(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r')
        || matches!(c as u32,
            0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFDCF | 0xFDF0..=0xFFFD)
        || (c as u32 >= 0x10000 && (c as u32 & 0xFFFE) != 0xFFFE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decomposed_vietnamese_becomes_composed() {
        let decomposed = "ba\u{0303}o"; // "bão" as base letter plus combining tilde
        assert_eq!(clean_text(decomposed), "bão");
        assert_eq!(clean_text(decomposed).chars().count(), 3);
    }

    #[test]
    fn control_characters_are_removed() {
        assert_eq!(
            clean_text(" a\u{0}b\u{1b}c\u{85}d\u{FFFE}e\te "),
            "abcde\te"
        );
    }

    #[test]
    fn emoji_and_tabs_survive() {
        assert_eq!(clean_text("x\t😀\ny"), "x\t😀\ny");
    }

    #[test]
    fn plain_text_loses_markup_but_keeps_comparisons() {
        assert_eq!(plain_text("<b>Tin</b> nóng &amp; mới"), "Tin nóng & mới");
        assert_eq!(
            plain_text("A & B <script>alert(1)</script> ]]>"),
            "A & B alert(1) ]]>"
        );
        assert_eq!(plain_text("x < y > z, 3<4"), "x < y > z, 3<4");
        assert_eq!(plain_text("a <!-- c --> b"), "a  b");
        assert_eq!(plain_text("unclosed <b"), "unclosed <b");
    }

    #[test]
    fn tags_fold_case() {
        assert_eq!(normalize_tag(" Lào Cai "), "lào cai");
        assert_eq!(normalize_tag("LA\u{0300}O CAI"), "lào cai");
    }
}
