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

impl Scope {
    /// The scope's key, as the change log, tombstones and surrogate keys name it:
    /// `site`, `category:{slug}` or `tag:{key}`.
    pub fn key(&self) -> String {
        match self {
            Scope::All => "site".into(),
            Scope::Category(slug) => format!("category:{slug}"),
            Scope::Tag(tag) => format!("tag:{tag}"),
        }
    }

    /// The scope a [`Scope::key`] names.
    pub fn from_key(key: &str) -> Option<Scope> {
        match key.split_once(':') {
            None if key == "site" => Some(Scope::All),
            Some(("category", slug)) if !slug.is_empty() => Some(Scope::Category(slug.into())),
            Some(("tag", tag)) if !tag.is_empty() => Some(Scope::Tag(tag.into())),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_back_as_their_scope() {
        for scope in [
            Scope::All,
            Scope::Category("chinh-tri".into()),
            Scope::Tag("lào cai: tin".into()),
        ] {
            assert_eq!(Scope::from_key(&scope.key()), Some(scope));
        }
        assert_eq!(Scope::from_key("tag:"), None);
        assert_eq!(Scope::from_key("all"), None);
    }
}
