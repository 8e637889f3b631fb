//! cpcall: call the cPanel & WHM APIs of remote servers.
//!
//! A request is built in [`api`], authenticated by [`auth`], sent by [`transport`] and judged
//! by [`response`]; [`app`] wires them together for one command line.
#![deny(clippy::print_stderr, clippy::print_stdout)]

pub mod api;
pub mod app;
pub mod auth;
pub mod batch;
pub mod body;
pub mod catalog;
pub mod cli;
pub mod complete;
pub mod config;
pub mod configure;
pub mod curl;
pub mod describe;
pub mod doctor;
pub mod error;
pub mod fanout;
pub mod files;
pub mod filter;
pub mod invoke;
pub mod jq_input;
pub mod json;
pub mod outcome;
pub mod output;
pub mod paginate;
pub mod params;
pub mod profile;
pub mod proxy;
pub mod response;
pub mod secret;
pub mod session;
pub mod signals;
pub mod stderr;
pub mod tls;
pub mod totp;
pub mod transport;
pub mod trust;
