//! Herald: a syndication service for news publishers.
//!
//! It stores articles in sled and serves them as JSON, as RSS, Atom and JSON Feed
//! feeds of the site, each section and each tag (public, and each partner's own), as
//! sitemaps and as related stories; and it tells caches, hubs and subscribers of
//! every change.
//!
//! # Layout
//! - [`config`]: typed settings, layered from `config/default.toml`, a file and env.
//! - [`article`]: the article model and ingest validation.
//! - [`category`]: sections, from config and from the API.
//! - [`scope`]: site / category / tag, the unit of listings and change stamps.
//! - [`store`]: the only code that knows sled.
//! - [`ingest`]: the write path shared by the API and `herald import`.
//! - [`history`]: the change log's entries and retractions' tombstones.
//! - [`schedule`]: the timer: embargoes lifted, old tombstones and log entries expired.
//! - [`related`]: the related-stories index (tokenizer, BM25 scoring); no I/O.
//! - [`recommend`]: related-stories answers, assembled as teasers.
//! - [`feed`]: the only code that knows the feed crates: RSS, Atom, JSON Feed and
//!   OPML rendering, and the feed cache.
//! - [`partner`]: partners' keys, the rules of their feeds, and their polls.
//! - [`sitemap`]: the Google News sitemap and the archive's sitemaps by month.
//! - [`edge`]: surrogate keys and lifetimes for the cache in front.
//! - [`push`]: jobs driven by the change log: cache purges and hub pings.
//! - [`websub`]: Herald's own WebSub hub.
//! - [`etag`]: the one hash behind every ETag.
//! - [`auth`]: write tokens.
//! - [`par`]: the core count, and a parallel map for CPU-bound batch work.
//! - [`http`]: the only code that knows axum: routes, handlers, errors.
//! - [`transport`]: accept loops and connections (tuned or plain), and bodies sent
//!   with sendfile(2).
//! - [`telemetry`]: logging setup.
//! - [`app`]: wiring and the server lifecycle.
//! - [`commands`]: the CLI subcommands other than `serve`.

pub mod app;
pub mod article;
pub mod auth;
pub mod category;
pub mod commands;
pub mod config;
pub mod edge;
pub mod etag;
pub mod feed;
pub mod history;
pub mod http;
pub mod ingest;
pub mod par;
pub mod partner;
pub mod push;
pub mod recommend;
pub mod related;
pub mod schedule;
pub mod scope;
pub mod sitemap;
pub mod store;
pub mod telemetry;
pub mod transport;
pub mod websub;
