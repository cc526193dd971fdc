//! What a listing or feed covers: the whole site, one category, or one tag.

use std::fmt;

/// A set of articles that has its own index, feed and change stamp.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Every article.
    All,
    /// Articles of one category, by slug.
    Category(String),
    /// Articles carrying one tag, by its normalised key (see `article::normalize_tag`).
    Tag(String),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::All => f.write_str("all"),
            Scope::Category(slug) => write!(f, "category/{slug}"),
            Scope::Tag(tag) => write!(f, "tag/{tag}"),
        }
    }
}

impl Scope {
    /// Every scope an article appears in: the site, its category and each tag.
    pub fn of(article: &crate::article::Article) -> Vec<Scope> {
        let mut scopes = vec![Scope::All, Scope::Category(article.category.clone())];
        scopes.extend(article.tag_keys().into_iter().map(Scope::Tag));
        scopes
    }
}
