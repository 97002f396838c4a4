//! oncelink's wire protocol: the bodies the server, the web app and the CLI exchange.
//!
//! * [`rest`]: the REST API (`/api/...`), JSON. The reference API's fields (Only Once Share)
//!   are unchanged; everything else is additive.
//! * [`web`]: the web app's server functions (`/fn/...`), postcard.
//! * [`error`]: the one error body, `{"error": text, "code": stable_code, ...}`. Clients branch
//!   on [`ErrorCode`], never on the text.
//!
//! Serde only: no HTTP, no I/O, no crypto. Every shape is pinned by a fixture in
//! `protocol/fixtures/` (tested both ways), so a change to the wire is a visible diff.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod error;
pub mod loose;
pub mod requests;
pub mod rest;
pub mod web;

pub use error::{ErrorBody, ErrorCode};
pub use loose::Loose;

/// What this server adds to the reference API, advertised by `GET /api/health`.
pub const FEATURES: [&str; 9] = [
    "access_proof",
    "max_views",
    "passphrase",
    "manage",
    "ttl_seconds",
    "padding",
    "claim",
    "files",
    "requests",
];

/// The `service` value of `GET /api/health` by which clients tell oncelink from a reference
/// server.
pub const SERVICE_NAME: &str = "oncelink";
