//! cpcall: call the cPanel & WHM APIs of remote servers.
//!
//! The folders are the layers. A request is built in [`client::api`], authenticated by
//! [`client::auth`], sent by [`client::transport`] and judged by [`client::response`]; the
//! profile it goes to comes from [`config`]; what is printed is made in [`output`]; each
//! subcommand's own work is in [`commands`], and [`app`] dispatches a command line to them.
//! [`catalog`] holds the API's vocabulary (cPanel & WHM 138), for checks and completion.
#![deny(clippy::print_stderr, clippy::print_stdout)]

pub mod app;
pub mod catalog;
pub mod cli;
pub mod client;
pub mod commands;
pub mod config;
pub mod error;
pub mod output;
pub mod signals;
