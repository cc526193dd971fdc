//! Many lines at once: a bulk POST or an import file, as JSON Lines (or a JSON
//! array). Besides articles, an export's lines carry run-time sections and
//! tombstones, so that importing an export restores everything.

use serde::{Deserialize, Serialize};

use super::{Ingest, PutOutcome};
use crate::article::{self, Article, ArticleInput, FieldError, ParseError, is_valid_id};
use crate::category::{Catalog, Category};
use crate::history::{MAX_REASON_CHARS, Tombstone};
use crate::scope::Scope;
use crate::store::StoreError;

/// One line of input: an article, or (in exports) a section or a tombstone.
#[derive(Debug)]
pub enum Line {
    Article(Box<ArticleInput>),
    Category(Category),
    Tombstone(Tombstone),
}

/// How a section or tombstone is written as a line of its own.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) enum Wrapped {
    #[serde(rename = "category")]
    Category(Category),
    #[serde(rename = "tombstone")]
    Tombstone(Tombstone),
}

/// One batch item as read from the input, before validation.
pub struct RawItem {
    /// Line number (from 1) for JSON Lines input.
    pub line: Option<usize>,
    /// What the line holds, or why it could not be read.
    pub input: Result<Line, FieldError>,
}

/// One item of a batch that was not stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemError {
    /// Position in the batch, from 0.
    pub index: usize,
    /// Line number (from 1) for JSON Lines input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The article's id, when it had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Every problem, each naming its field.
    pub fields: Vec<FieldError>,
}

/// What a batch write did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct BatchReport {
    /// Articles new to the store.
    pub created: usize,
    /// Articles that replaced a stored version.
    pub replaced: usize,
    /// Sections stored (from an export).
    #[serde(skip_serializing_if = "is_zero")]
    pub categories: usize,
    /// Tombstones restored (from an export).
    #[serde(skip_serializing_if = "is_zero")]
    pub tombstones: usize,
    /// Items not stored.
    pub failed: Vec<ItemError>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Ingest {
    /// Validates every item, then stores the valid ones (or, when `strict`, nothing
    /// if any is invalid) and flushes once. Sections go first, so that articles in
    /// them validate. `progress` is called after each article.
    pub fn write_batch(
        &self,
        items: Vec<RawItem>,
        strict: bool,
        mut progress: impl FnMut(),
    ) -> Result<BatchReport, StoreError> {
        let mut report = BatchReport::default();
        let (mut articles, mut categories, mut tombstones) = (Vec::new(), Vec::new(), Vec::new());
        for (index, item) in items.into_iter().enumerate() {
            let failed = |fields| ItemError {
                index,
                line: item.line,
                id: None,
                fields,
            };
            match item.input {
                Err(e) => report.failed.push(failed(vec![e])),
                Ok(Line::Article(input)) => articles.push((index, item.line, *input)),
                Ok(Line::Category(c)) => match c.problems() {
                    p if p.is_empty() => categories.push(c),
                    p => report.failed.push(failed(prefixed("category", p))),
                },
                Ok(Line::Tombstone(t)) => match tombstone_problems(&t) {
                    p if p.is_empty() => tombstones.push(t),
                    p => report.failed.push(failed(prefixed("tombstone", p))),
                },
            }
        }
        // Articles are checked against the sections as they will be once this
        // batch's are stored, before anything is.
        let catalog = if categories.is_empty() {
            self.catalog.clone()
        } else {
            Catalog::new(&self.catalog.all(), categories.clone())
        };
        let valid = self.validate_all(articles, &catalog, &mut report.failed);
        if strict && !report.failed.is_empty() {
            return Ok(report);
        }
        for c in &categories {
            self.store_category(c)?;
        }
        report.categories = categories.len();
        // Bounded sled batches: large enough to make the per-batch write rare,
        // small enough that readers never wait long on the order lock.
        for chunk in valid.chunks(256) {
            for outcome in self.put_many(chunk)? {
                match outcome {
                    PutOutcome::Created => report.created += 1,
                    PutOutcome::Replaced => report.replaced += 1,
                }
                progress();
            }
        }
        // Once per request, so that one import is rebuilt over all it brought.
        self.rebuild_related_if_grown();
        let window = chrono::Utc::now() - chrono::Duration::days(self.tombstone_days.into());
        for t in tombstones.iter().filter(|t| t.when >= window) {
            if self.store.restore_tombstone(t)? {
                report.tombstones += 1;
            }
        }
        if !valid.is_empty() || report.categories > 0 || report.tombstones > 0 {
            self.store.flush()?;
        }
        Ok(report)
    }

    /// The valid articles, validated on every core; the others go to `failed`.
    fn validate_all(
        &self,
        articles: Vec<(usize, Option<usize>, ArticleInput)>,
        catalog: &Catalog,
        failed: &mut Vec<ItemError>,
    ) -> Vec<Article> {
        let checked = crate::par::map(articles, |(index, line, input)| {
            let id = input.id.clone();
            (index, line, id, self.validate_with(input, catalog))
        });
        let mut valid = Vec::with_capacity(checked.len());
        for (index, line, id, checked) in checked {
            match checked {
                Ok(article) => valid.push(article),
                Err(fields) => failed.push(ItemError {
                    index,
                    line,
                    id,
                    fields,
                }),
            }
        }
        failed.sort_by_key(|e| e.index);
        valid
    }
}

fn prefixed(what: &str, problems: Vec<FieldError>) -> Vec<FieldError> {
    problems
        .into_iter()
        .map(|p| FieldError::new(format!("{what}.{}", p.field), p.reason))
        .collect()
}

/// Every problem with a tombstone brought from an export.
fn tombstone_problems(t: &Tombstone) -> Vec<FieldError> {
    let mut problems = Vec::new();
    if !is_valid_id(&t.id) {
        problems.push(FieldError::new("id", "not a valid article id"));
    }
    if !article::is_http_url(&t.url) {
        problems.push(FieldError::new("url", "not an absolute http(s) URL"));
    }
    if t.when > chrono::Utc::now() {
        problems.push(FieldError::new("when", "in the future"));
    }
    if t.reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_REASON_CHARS)
    {
        problems.push(FieldError::new(
            "reason",
            format!("longer than {MAX_REASON_CHARS} characters"),
        ));
    }
    if t.scopes.iter().any(|k| Scope::from_key(k).is_none()) || t.scopes.is_empty() {
        problems.push(FieldError::new("scopes", "not a list of scope keys"));
    }
    problems
}

/// Splits JSON Lines into items, numbering lines from 1 and skipping blank ones.
pub fn parse_lines(text: &str) -> Vec<RawItem> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    crate::par::map(lines, |(i, l)| RawItem {
        line: Some(i + 1),
        input: parse_line(l),
    })
}

/// One line: a section or tombstone when it is one key holding an object (as
/// exports write them), else an article. Looking at the start spares articles, the
/// common case, a second parse.
fn parse_line(line: &str) -> Result<Line, FieldError> {
    let rest = line.trim_start().trim_start_matches('{').trim_start();
    let wrapped = ["\"category\"", "\"tombstone\""].iter().any(|key| {
        rest.strip_prefix(key)
            .map(|r| r.trim_start())
            .and_then(|r| r.strip_prefix(':'))
            .is_some_and(|r| r.trim_start().starts_with('{'))
    });
    if wrapped {
        return match article::parse_json::<Wrapped>(line.as_bytes()) {
            Ok(w) => Ok(unwrap(w)),
            Err(e) => Err(parse_error_field(e)),
        };
    }
    article::parse_input(line.as_bytes())
        .map(|a| Line::Article(Box::new(a)))
        .map_err(parse_error_field)
}

/// One item of a JSON array, read like a line.
pub fn line_from_value(value: serde_json::Value) -> Result<Line, FieldError> {
    let wrapped = value.as_object().is_some_and(|o| {
        o.len() == 1 && (o.contains_key("category") || o.contains_key("tombstone"))
    });
    if wrapped {
        return serde_json::from_value::<Wrapped>(value)
            .map(unwrap)
            .map_err(|e| FieldError::new("", e.to_string()));
    }
    article::input_from_value(value).map(|a| Line::Article(Box::new(a)))
}

fn unwrap(w: Wrapped) -> Line {
    match w {
        Wrapped::Category(c) => Line::Category(c),
        Wrapped::Tombstone(t) => Line::Tombstone(t),
    }
}

/// A parse error as a field error, for batch reports.
fn parse_error_field(err: ParseError) -> FieldError {
    match err {
        ParseError::Syntax { .. } => FieldError::new("", err.to_string()),
        ParseError::Field(f) => f,
    }
}
