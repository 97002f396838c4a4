//! The oncelink server: the REST API, the server-rendered pages and their static files,
//! over a Redis or embedded store.
//!
//! [`AppState::from_config`] wires the service; [`app`] builds the whole router (tests drive
//! it through [`serve`] on a real socket); [`run`] is the binary's entry point.
#![forbid(unsafe_code)]

pub mod api;
pub mod client;
pub mod config;
pub mod error;
pub mod files;
pub mod language;
pub mod metrics;
pub mod middleware;
pub mod requests;
mod router;
pub mod security;
mod serve;
mod state;
pub mod upload;

pub use config::{Config, LogFormat};
pub use router::app;
pub use serve::{run, serve, serve_with};
pub use state::{AppState, StartError, open_store};

impl Config {
    /// Parses flags and environment; prints help or a clear error and exits on bad input.
    pub fn parse_from_env_and_args() -> Self {
        <Self as clap::Parser>::parse()
    }
}
