//! Where a client's words go: `-v` traffic lines, warnings, and what a `*_command` wrote on its
//! stderr. The client never prints; it hands them to its [`Reporter`]
//! ([`crate::Options::reporter`]), with the target's secrets masked.

use std::collections::HashSet;
use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::mask;

/// Receives what a client has to say, from whichever thread is calling. It must not panic:
/// a panic here unwinds out of the call that was speaking.
pub trait Reporter: Send + Sync {
    /// A traffic line (only with [`crate::Options::verbose`]): the request and response as
    /// they go, secrets masked.
    fn traffic(&self, line: &str) {
        let _ = line;
    }
    /// Something the caller should know and may act on (certificate checks off, a secret file
    /// open to others); each once a client, however many calls meet it.
    fn warning(&self, message: &str) {
        let _ = message;
    }
    /// What another program wrote for the user (a `token_command`'s stderr), masked.
    fn passthrough(&self, bytes: &[u8]) {
        let _ = bytes;
    }
}

/// Says nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Reporter for Silent {}

/// Standard error, a line each: `warning: …` for warnings, traffic lines as they are, a
/// command's own words as it wrote them. Write failures (a closed stderr) are ignored.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stderr;

impl Reporter for Stderr {
    fn traffic(&self, line: &str) {
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
    fn warning(&self, message: &str) {
        let _ = writeln!(std::io::stderr().lock(), "warning: {message}");
    }
    fn passthrough(&self, bytes: &[u8]) {
        let _ = std::io::stderr().lock().write_all(bytes);
    }
}

/// A target's voice: its reporter, the secrets masked in what it says, and the warnings it
/// said already. Clones share all three.
#[derive(Clone)]
pub(crate) struct Voice {
    reporter: Arc<dyn Reporter>,
    mask: mask::Shared,
    said: Arc<Mutex<HashSet<String>>>,
    verbose: bool,
}

impl Default for Voice {
    fn default() -> Self {
        Voice {
            reporter: Arc::new(Stderr),
            mask: mask::Shared::default(),
            said: Arc::default(),
            verbose: false,
        }
    }
}

impl std::fmt::Debug for Voice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Voice")
            .field("mask", &self.mask)
            .finish_non_exhaustive()
    }
}

impl Voice {
    /// The same mask, another reporter (a client's).
    pub fn speaking_to(&self, reporter: Arc<dyn Reporter>, verbose: bool) -> Voice {
        Voice {
            reporter,
            mask: self.mask.clone(),
            said: Arc::default(),
            verbose,
        }
    }

    /// Whether traffic lines are wanted.
    pub fn verbose(&self) -> bool {
        self.verbose
    }

    /// A traffic line, when traffic is wanted.
    pub fn traffic(&self, line: &str) {
        if self.verbose {
            self.reporter.traffic(&self.mask.masked(line));
        }
    }

    /// A warning, once.
    pub fn warning(&self, message: impl std::fmt::Display) {
        let message = self.mask.masked(&message.to_string()).into_owned();
        let new = self
            .said
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(message.clone());
        if new {
            self.reporter.warning(&message);
        }
    }

    /// Another program's words, masked.
    pub fn passthrough(&self, text: &str) {
        self.reporter.passthrough(self.mask.masked(text).as_bytes());
    }

    /// Masks `secret` (in all its forms) in everything said from now on.
    pub fn hide(&self, secret: &str) {
        self.mask.hide(secret);
    }

    /// Masks the base64 of `user:password` too (a Basic header echoed without its `Basic`).
    pub fn hide_pair(&self, user: &str, password: &str) {
        self.mask.hide_pair(user, password);
    }

    /// `text` with the secrets masked.
    pub fn masked<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        self.mask.masked(text)
    }

    /// The mask, for errors.
    pub fn mask(&self) -> &mask::Shared {
        &self.mask
    }
}
