//! cpcall: call the cPanel & WHM APIs of remote servers from the command line.
//!
//! This crate is the `cpcall` command; the library it is built on, for Rust programs, is
//! [`cpanel_client`]. Inside, the folders are the layers (README, "Architecture"): `config`
//! puts flags and variables on profiles, `output` is what is printed, `commands` the
//! subcommands, `app` the dispatch.
#![deny(clippy::print_stderr, clippy::print_stdout)]
#![deny(missing_docs)]

mod app;
mod catalog;
mod cli;
mod commands;
mod config;
mod error;
mod fuzz;
mod mask;
mod output;
mod params;
mod quote;
mod signals;

/// Not an API: the doors the `cpcall` binary, the test suite and the fuzz targets go through.
/// Anything here may change in any release.
#[doc(hidden)]
pub mod internal {
    pub use crate::app::{main, run_args};
    pub use crate::catalog::{uapi, whm, Function};
    pub use crate::cli::man::{man_pages, ENVIRONMENT, EXIT_CODES, PROFILE_KEYS};
    pub use crate::cli::SHELLS;

    /// The fuzz targets (fuzz/fuzz_targets/), one function each: any bytes in, no panic out
    /// but their own assertions.
    pub mod fuzz {
        pub use crate::fuzz::{config, login, params, response};
    }
}
