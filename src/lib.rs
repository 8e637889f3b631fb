//! cpcall: call the cPanel & WHM APIs of remote servers, from the command line or from Rust.
//!
//! As a library, [`client::Client`] is the door: one server as a profile of cpcall's config
//! file describes it (or as you build it), with API tokens, WHM access hashes, passwords with
//! 2FA codes and sessions (logged in once, never retried on a refusal: cPHulk), TLS with pinning
//! and `ca_file`, and proxies, all as the `cpcall` command does them.
//!
//! ```no_run
//! use cpcall::client::{Call, Client, Options, Verdict};
//!
//! let client = Client::new(Client::profile(Some("prod"))?, Options::default())?;
//! let answer = client.call(&Call::Uapi {
//!     module: "Email".into(),
//!     function: "list_pops".into(),
//!     params: vec![],
//!     via_whm: None, // Some("bob") calls it for bob through WHM
//! })?;
//! match &answer.verdict {
//!     Verdict::Success { .. } => println!("{}", answer.payload()?),
//!     other => eprintln!("{other:?} (exit {})", answer.exit().code()),
//! }
//! # Ok::<(), cpcall::client::Error>(())
//! ```
//!
//! Inside, the folders are the layers (README, "Architecture"): `client` is the request path,
//! `config` the profiles, `output` what is printed, `commands` the subcommands, `app` the
//! dispatch. Only `client` is the library's; the rest is public for the binary, the tests and
//! the fuzz targets, and hidden from these docs.
#![deny(clippy::print_stderr, clippy::print_stdout)]
#![deny(missing_docs)]

#[doc(hidden)]
pub mod app;
#[doc(hidden)]
pub mod catalog;
#[doc(hidden)]
pub mod cli;
pub mod client;
#[doc(hidden)]
pub mod commands;
#[doc(hidden)]
pub mod config;
#[doc(hidden)]
pub mod error;
#[doc(hidden)]
pub mod output;
#[doc(hidden)]
pub mod signals;
