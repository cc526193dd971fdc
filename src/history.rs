//! What happened to articles: the change log's entries, and the tombstones that
//! retracted articles leave in feeds.
//!
//! A story's life is a stream of events: published (at once or when its embargo
//! lifts), corrected, retracted. Each one a reader of some feed can see is a
//! [`Change`], written in the same atomic batch as the write it describes, so
//! everything downstream (caches, hubs, partners) can learn of it in order.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a change did to an article, as readers of its feeds see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// It became public: stored with a time already past, or its embargo lifted.
    Publish,
    /// What readers see of it changed (a correction, a move between sections).
    Update,
    /// It left every feed: deleted, or moved back behind an embargo.
    Retract,
}

/// One entry of the change log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Change {
    /// Strictly increasing, from 1, with no gaps.
    pub seq: u64,
    /// When the change was made (or the embargo lifted).
    pub at: DateTime<Utc>,
    pub kind: ChangeKind,
    /// The article's id.
    pub id: String,
    /// The article's URL.
    pub url: String,
    /// The feeds it changed, as scope keys (`site`, `category:chinh-tri`,
    /// `tag:lào cai`); a move between sections names the old scopes too.
    pub scopes: Vec<String>,
}

/// What a retracted article leaves behind, for `tombstone_days`: RFC 6721
/// `at:deleted-entry` elements in the Atom feeds it was in, and a 410 for its URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tombstone {
    /// The retracted article's id.
    pub id: String,
    /// Its URL when it was retracted.
    pub url: String,
    /// When it had been published (the month whose sitemap it left).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    /// When it was retracted.
    pub when: DateTime<Utc>,
    /// Why, when the newsroom said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The scopes it was in, as scope keys.
    pub scopes: Vec<String>,
}

/// The longest retraction reason kept, in characters.
pub const MAX_REASON_CHARS: usize = 1000;
