//! Herald: a syndication service for news publishers.
//!
//! It stores articles in sled, serves them as JSON, and (in later layers) as feeds
//! and related stories.
//!
//! # Layout
//! - [`config`]: typed settings, layered from `config/default.toml`, a file and env.
//! - [`article`]: the article model and ingest validation.
//! - [`category`]: sections, from config and from the API.
//! - [`scope`]: site / category / tag, the unit of listings and change stamps.
//! - [`related`]: the related-stories index (tokenizer, BM25 scoring); no I/O.
//! - [`store`]: the only code that knows sled.
//! - [`feed`]: RSS, Atom, JSON Feed and OPML rendering, and the feed cache.
//! - [`ingest`]: the write path shared by the API and `herald import`.
//! - [`auth`]: write tokens.
//! - [`par`]: parallel map for CPU-bound batch work.
//! - [`http`]: the only code that knows axum.
//! - [`zerocopy`]: long-lived bodies backed by files, sent with sendfile(2).
//! - [`app`]: wiring and the server lifecycle.
//! - [`commands`]: the CLI subcommands other than `serve`.

pub mod app;
pub mod article;
pub mod auth;
pub mod category;
pub mod commands;
pub mod config;
pub mod feed;
pub mod http;
pub mod ingest;
pub mod par;
pub mod related;
pub mod scope;
pub mod store;
pub mod telemetry;
pub mod zerocopy;
