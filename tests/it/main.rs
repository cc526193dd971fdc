//! Herald's integration tests, in one binary: each module starts the real server
//! (on port 0, with a temporary store) or the real `herald` command, and talks to it
//! over HTTP or the command line. `HERALD_SERVER__IO=plain` runs them all over the
//! plain transport, as `.ci/run` does after the default (tuned) run.

mod api_articles;
mod api_auth;
mod api_bulk;
mod api_validation;
mod backup;
mod changes;
mod cli;
mod common;
mod crash_loop;
mod deltas;
mod durability;
mod embargo;
mod feeds_content;
mod feeds_encoding;
mod feeds_http;
mod limits;
mod logging;
mod openapi;
mod operations;
mod partner_profiles;
mod partner_websub;
mod partners;
mod properties;
mod push;
mod readiness;
mod related;
mod related_lists;
mod related_rebuild;
mod retractions;
mod shutdown;
mod sitemaps;
mod storage_faults;
mod websub;
