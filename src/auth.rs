//! API tokens for writes: loaded once, compared in constant time, never logged.

use std::path::Path;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The set of accepted write tokens, kept only as SHA-256 digests.
#[derive(Clone, Default)]
pub struct Tokens {
    digests: Vec<[u8; 32]>,
}

// Deliberately prints no token material.
impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tokens({} configured)", self.digests.len())
    }
}

/// Why the token file could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{key}: unable to read {path}: {source}")]
pub struct TokenFileError {
    key: String,
    path: String,
    source: std::io::Error,
}

impl Tokens {
    /// Tokens from `HERALD_API_TOKENS` (comma-separated) and the optional file
    /// (one per line, `#` comments).
    pub fn load(env_value: Option<&str>, file: &str) -> Result<Tokens, TokenFileError> {
        Tokens::load_for("auth.tokens_file", env_value, file)
    }

    /// Like [`Tokens::load`], for the file setting `key` names.
    pub fn load_for(
        key: &str,
        env_value: Option<&str>,
        file: &str,
    ) -> Result<Tokens, TokenFileError> {
        let mut raw: Vec<String> = env_value
            .unwrap_or_default()
            .split(',')
            .map(str::to_string)
            .collect();
        if !file.is_empty() {
            let text =
                std::fs::read_to_string(Path::new(file)).map_err(|source| TokenFileError {
                    key: key.to_string(),
                    path: file.to_string(),
                    source,
                })?;
            raw.extend(
                text.lines()
                    .filter(|l| !l.trim_start().starts_with('#'))
                    .map(str::to_string),
            );
        }
        Ok(Tokens::from_list(raw.iter().map(String::as_str)))
    }

    /// Tokens from a list; blank entries are ignored.
    pub fn from_list<'a>(tokens: impl IntoIterator<Item = &'a str>) -> Tokens {
        let digests = tokens
            .into_iter()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| Sha256::digest(t.as_bytes()).into())
            .collect();
        Tokens { digests }
    }

    /// True when at least one token is configured, so writes are possible at all.
    pub fn enabled(&self) -> bool {
        !self.digests.is_empty()
    }

    /// True when `candidate` is one of the tokens. Hashing first makes the comparison
    /// independent of the tokens' lengths, and every digest is compared.
    pub fn accepts(&self, candidate: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(candidate.as_bytes()).into();
        self.digests
            .iter()
            .fold(subtle::Choice::from(0), |acc, d| acc | d.ct_eq(&digest))
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_configured_tokens() {
        let t = Tokens::from_list(["alpha", " beta ", ""]);
        assert!(t.enabled());
        assert!(t.accepts("alpha"));
        assert!(t.accepts("beta"));
        assert!(!t.accepts("gamma"));
        assert!(!t.accepts(""));
    }

    #[test]
    fn debug_output_holds_no_token() {
        let t = Tokens::from_list(["secret-token"]);
        assert!(!format!("{t:?}").contains("secret"));
    }

    #[test]
    fn file_tokens_skip_comments() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("tokens");
        std::fs::write(&p, "# ops\none\n\n two \n").unwrap();
        let t = Tokens::load(Some("three"), p.to_str().unwrap()).unwrap();
        assert!(t.accepts("one") && t.accepts("two") && t.accepts("three"));
        assert!(!t.accepts("# ops"));
    }
}
