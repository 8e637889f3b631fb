//! A blocking client for the cPanel & WHM APIs — WHM API 1, UAPI and cPanel API 2 — as the
//! `cpcall` command uses it: API tokens, WHM access hashes, passwords with 2FA codes, sessions
//! (logged in once, never retried on a refusal: cPHulk), TLS with pinning and CA files,
//! proxies, and answers judged the way cPanel means them.
//!
//! ```no_run
//! use cpanel_client::{Call, Client, ErrorKind, Options, Target};
//!
//! let target = Target::builder("server.example.com")
//!     .user("root")
//!     .token("EXAMPLETOKEN")
//!     .build()?;
//! let client = Client::new(target, Options::default())?;
//! match client.call(&Call::whm("listaccts").param("searchtype", "user")) {
//!     Ok(answer) => println!("{}", answer.payload()?),
//!     // The API said no: its reasons, and its whole answer.
//!     Err(e) if *e.kind() == ErrorKind::ApiFailure => eprintln!("{e}: {:?}", e.reasons()),
//!     // A refused token is never sent again by the client; a timeout may have run.
//!     Err(e) => eprintln!("{e} (may have run: {})", e.may_have_run()),
//! }
//! # Ok::<(), cpanel_client::Error>(())
//! ```
//!
//! # What it does on its own
//!
//! - **Threads.** [`Client`] is `Send + Sync`: share one (in an `Arc`) between threads; its
//!   connections are kept alive and reused. A [`Target`] is cheap to clone; clones share its
//!   memory sessions and what its `*_command`s printed.
//! - **Blocking.** Every call blocks the calling thread until the answer is judged, at most the
//!   target's timeout. From async code, call it in `tokio::task::spawn_blocking` (see
//!   `examples/tokio.rs`).
//! - **Files.** Nothing is read or written unless asked: a `ca_file` when the client is made,
//!   a secret's `_file` when a call needs it, the config file in [`Client::profile`] and
//!   [`profiles::load`], session files only for an `auth = "session"` target whose sessions are
//!   kept in a folder ([`SessionStore`]), and a temporary spool file for an answer over 8 MiB
//!   (in [`Options::spool_dir`], else the system's temporary folder), deleted when the answer
//!   is dropped. Files it writes are written whole (a temporary file renamed over) and private
//!   (0600), in folders that must be the runner's.
//! - **Retries.** None, but for a connection refused (nothing sent; three tries within the
//!   timeout) and a kept-alive connection the server had closed before the request reached
//!   it (told by the reset a server's system answers an unread request with; a server that
//!   reads a request and then resets the connection on purpose would see it twice). A call that may have run is never sent again ([`Error::may_have_run`]); a refused
//!   login, token or 2FA code is never retried, and a refused automatic login pauses that
//!   target's automatic logins for 15 minutes.
//! - **Words.** The client says nothing but through its [`Reporter`] ([`Options::reporter`]:
//!   warnings on stderr by default, `-v` traffic only when [`Options::verbose`]), with the
//!   target's secrets masked; errors and answers' reasons are masked too. Secrets are wiped
//!   from memory when dropped.
#![deny(missing_docs)]
#![deny(clippy::print_stderr, clippy::print_stdout)]

mod answer;
mod auth;
mod body;
mod call;
mod client;
mod error;
pub mod files;
mod json;
mod mask;
mod paginate;
pub mod params;
pub mod probe;
#[cfg(feature = "profiles")]
pub mod profiles;
mod proxy;
pub mod report;
mod response;
mod secret;
mod session;
pub mod sink;
mod store;
mod target;
mod tls;
mod tls_failure;
mod totp;
mod transport;

pub use answer::{Answer, CallOptions};
pub use auth::{authorization, LoginSecrets, OTP_HEADER};
pub use body::{View, ViewReader};
pub use call::{Call, Method, Request};
pub use client::{Client, LoggedOut, Options};
pub use error::{Error, ErrorKind, Result, Term};
pub use mask::Shared as Mask;
pub use report::Reporter;
pub use response::Kind;
pub use secret::{Secret, Source};
pub use session::SessionInfo;
pub use sink::Sink;
pub use target::{
    check_timeout, expand_tilde, AuthKind, Origin, Profile, ProxySetting, SecretName, Service,
    SessionStore, Target, TargetBuilder, Trust, DEFAULT_TIMEOUT,
};
pub use tls_failure::TlsReason;

/// The parts `cpcall` itself builds on (its printer and fuzz targets): no part of this
/// crate's API, changed in any release without notice.
#[doc(hidden)]
pub mod __internals {
    pub use crate::body::Body;
    pub use crate::json::{check, quote_or_backslash, Checked, Checker, Payload};
    pub use crate::response::{judge, payload_of, Verdict};
    pub use crate::session::{read_login_answer, security_token, LoginAnswer};
    pub use crate::transport::{Response, DEFAULT_MAX_BODY};

    /// Text that holds marked terms (an `io::Error` made from this crate's words), in `words`.
    pub fn render_terms(text: &str, words: &dyn Fn(&crate::Term) -> Option<String>) -> String {
        crate::error::render(text, words)
    }
}
/// The JSON values answers are read into ([`Answer::json`], [`Answer::payload`]).
pub use serde_json::Value;
