//! What to read next under an article: related by content ("you may be interested")
//! and the newest of its section ("same section"), as teasers.

use serde::{Deserialize, Serialize};

use crate::article::Image;
use crate::category::Catalog;
use crate::related::RelatedIndex;
use crate::scope::Scope;
use crate::store::{Store, StoreError};

/// What a related-stories answer is asked for.
#[derive(Debug, Clone)]
pub struct RelatedQuery {
    /// Teasers per block.
    pub limit: usize,
    /// Only related stories from this section.
    pub category: Option<String>,
    /// Articles the page already shows.
    pub exclude: Vec<String>,
}

/// The two blocks under one article.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RelatedAnswer {
    pub article: Source,
    /// The section of the article asked about (for the cache's keys, not shown).
    #[serde(skip)]
    pub section: Option<String>,
    pub related: Vec<Teaser>,
    pub same_category: Vec<Teaser>,
}

/// The article the answer is for.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Source {
    pub id: String,
    pub url: String,
    pub title: String,
}

/// One story to show: enough for a teaser without another call.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Teaser {
    pub id: String,
    pub url: String,
    pub title: String,
    pub summary: String,
    pub category: CategoryRef,
    /// RFC 3339, UTC, whole seconds.
    pub published: String,
    /// The first photo, if any.
    pub image: Option<ImageRef>,
    /// Similarity in (0, 1], for related stories only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
}

/// A section, named for display.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CategoryRef {
    pub slug: String,
    pub title: String,
}

/// A photo, as a teaser shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImageRef {
    pub url: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub caption: Option<String>,
}

/// The fields of a stored article that a teaser shows; decoding into it skips the
/// body without allocating it.
#[derive(Deserialize)]
struct Head {
    id: String,
    url: String,
    title: String,
    #[serde(default)]
    summary: String,
    category: String,
    published: chrono::DateTime<chrono::FixedOffset>,
    #[serde(default)]
    images: Vec<Image>,
}

impl Teaser {
    fn new(a: Head, catalog: &Catalog, score: Option<f32>) -> Teaser {
        let title = catalog
            .get(&a.category)
            .map_or_else(|| a.category.clone(), |c| c.title);
        Teaser {
            published: a
                .published
                .with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            image: a.images.into_iter().next().map(|i| ImageRef {
                url: i.url,
                width: i.width,
                height: i.height,
                caption: i.caption,
            }),
            category: CategoryRef {
                slug: a.category,
                title,
            },
            id: a.id,
            url: a.url,
            title: a.title,
            summary: a.summary,
            // Three decimals are plenty to rank by and keep responses stable.
            score: score.map(|s| (s * 1000.0).round() / 1000.0),
        }
    }
}

/// How [`related_for`] may find related stories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranking {
    /// Only from the article's related list: a few reads of the store, no ranking.
    ListOnly,
    /// From its list, else by the full query over the index.
    Full,
}

/// What [`related_for`] found.
#[derive(Debug)]
pub enum Found {
    Answer(RelatedAnswer),
    NoSuchArticle,
    /// [`Ranking::ListOnly`] and no list answers: the full query must.
    Unlisted,
}

/// The answer for article `id`, found as `ranking` allows. Blocking.
pub fn related_for(
    store: &Store,
    index: &RelatedIndex,
    catalog: &Catalog,
    id: &str,
    query: &RelatedQuery,
    ranking: Ranking,
) -> Result<Found, StoreError> {
    let RelatedQuery {
        limit,
        category,
        exclude,
    } = query;
    // Most answers come from the article's related list, which needs only its id:
    // then the article's body is never read.
    let Some(article) = store.get_as::<Head>(id)? else {
        return Ok(Found::NoSuchArticle);
    };
    let hits = match index.listed(id, *limit, category.as_deref(), exclude) {
        Some(hits) => hits,
        None if ranking == Ranking::ListOnly => return Ok(Found::Unlisted),
        None => match store.get(id)? {
            Some(full) => index.related(&full, *limit, category.as_deref(), exclude),
            None => return Ok(Found::NoSuchArticle),
        },
    };
    let mut related = Vec::with_capacity(hits.len());
    for hit in hits {
        if let Some(head) = store.get_as::<Head>(&hit.id)? {
            related.push(Teaser::new(head, catalog, Some(hit.score)));
        }
    }
    let skip = |a: &Head| {
        a.id == article.id || exclude.contains(&a.id) || related.iter().any(|r| r.id == a.id)
    };
    // The newest of the section, less the article, what the page shows and what
    // is already related: enough read to leave `limit` once those are skipped.
    let related_here = related
        .iter()
        .filter(|t| t.category.slug == article.category)
        .count();
    let wanted = limit + 1 + exclude.len() + related_here;
    let same_category: Vec<Teaser> = store
        .list_as::<Head>(&Scope::Category(article.category.clone()), wanted, None)?
        .into_iter()
        .filter(|a| !skip(a))
        .take(*limit)
        .map(|a| Teaser::new(a, catalog, None))
        .collect();
    Ok(Found::Answer(RelatedAnswer {
        section: Some(article.category.clone()),
        article: Source {
            id: article.id,
            url: article.url,
            title: article.title,
        },
        related,
        same_category,
    }))
}
