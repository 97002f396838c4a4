//! `oncelink`: share and open end-to-end encrypted one-time secrets from a terminal.
//!
//! The same `crypto-core` as the browser, natively: a link made here opens in the browser
//! and the reverse. Keys, passphrases and content never reach the server or a message.

mod answer;
mod api;
mod args;
mod claims;
mod contents;
mod error;
mod files;
mod inbox;
mod input;
mod manage;
mod open;
mod output;
mod progress;
mod request;
mod send;
mod transfer;
mod ttl;

use std::process::ExitCode;

use clap::Parser;

use crate::api::ManageAction;
use crate::args::{Cli, Command};

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Send(args) => send::run(args),
        Command::Open(args) => open::run(args),
        Command::Request(args) => request::run(args),
        Command::Inbox(args) => inbox::run(args),
        Command::Answer(args) => answer::run(args),
        Command::Status(args) => manage::run(args, ManageAction::Status),
        Command::Destroy(args) => manage::run(args, ManageAction::Destroy),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            output::note(&e.to_string());
            ExitCode::from(e.exit_code())
        }
    }
}
