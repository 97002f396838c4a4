//! The REST API over a real socket, on both backends (embedded, and a real redis-server).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

#[macro_use]
mod support;

mod addresses;
mod create;
mod delivery;
mod doors;
mod files;
mod limits;
mod manage;
mod operations;
mod requests;
mod reveal;
mod uploads;
