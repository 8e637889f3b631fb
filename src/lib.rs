//! cpcall: call the cPanel & WHM APIs of remote servers, from the command line or from Rust.
//!
//! As a library, [`Client`] is the door: one server as a profile of cpcall's config
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
//! dispatch. Only `client` is the library's; the rest is private to the crate. A target can also
//! be built in code: [`client::Target::builder`].
#![deny(clippy::print_stderr, clippy::print_stdout)]
#![deny(missing_docs)]

mod app;
mod catalog;
mod cli;
pub mod client;
mod commands;
mod config;
mod error;
mod fuzz;
mod output;
mod quote;
mod signals;

pub use client::Client;

/// Not an API: the doors the `cpcall` binary, the test suite and the fuzz targets go through.
/// Anything here may change in any release.
#[doc(hidden)]
pub mod internal {
    pub use crate::app::{main, run_args};
    pub use crate::catalog::{uapi, whm, Function};
    pub use crate::cli::{man_page, SHELLS};

    /// The fuzz targets (fuzz/fuzz_targets/), one function each: any bytes in, no panic out
    /// but their own assertions.
    pub mod fuzz {
        pub use crate::fuzz::{config, login, params, response};
    }
}
