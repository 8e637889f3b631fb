//! Where the request path's words go: `-v` traffic lines and warnings. The request
//! path never prints; it hands them to the [`Reporter`] the program installed ([`install`]),
//! and the command line installs one that writes them to stderr, escaped and masked.

use std::sync::OnceLock;

/// Receives what the request path has to say, from whichever thread is calling. It must not
/// panic: a panic here unwinds out of the call that was speaking.
pub trait Reporter: Send + Sync {
    /// A `-v` line: the request and response as they go (secrets already masked).
    fn traffic(&self, line: &str);
    /// Something the caller should know and may act on (a secret file open to others); each
    /// once a process, however many calls meet it.
    fn warning(&self, message: &str);
    /// What another program wrote for the user (a `token_command`'s stderr), passed on with
    /// control characters escaped for a terminal.
    fn passthrough(&self, bytes: &[u8]);
}

static REPORTER: OnceLock<Box<dyn Reporter>> = OnceLock::new();

/// Installs the reporter for the whole process. Install it before the first call: the first
/// word said without one fixes the default (stderr, as the command line writes it). `false`
/// when a reporter was already in place (this one is dropped).
pub fn install(reporter: Box<dyn Reporter>) -> bool {
    REPORTER.set(reporter).is_ok()
}

/// The command line's reporter: stderr, one line each, escaped, secrets masked.
pub struct Stderr;

impl Reporter for Stderr {
    fn traffic(&self, line: &str) {
        crate::output::stderr::line(line);
    }
    fn warning(&self, message: &str) {
        crate::output::stderr::warning_line(message);
    }
    fn passthrough(&self, bytes: &[u8]) {
        crate::output::stderr::raw(bytes);
    }
}

fn reporter() -> &'static dyn Reporter {
    REPORTER.get_or_init(|| Box::new(Stderr)).as_ref()
}

// Every word handed to a reporter has the run's secrets masked: traffic lines show the
// server's headers, which may echo a credential.
use crate::client::mask::masked;

pub(crate) fn traffic(line: &str) {
    reporter().traffic(&masked(line));
}

pub(crate) fn warning(message: impl std::fmt::Display) {
    let message = masked(&message.to_string()).into_owned();
    if crate::output::stderr::first_time(&message) {
        reporter().warning(&message);
    }
}

pub(crate) fn passthrough(bytes: &[u8]) {
    reporter().passthrough(bytes);
}
