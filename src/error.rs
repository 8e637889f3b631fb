//! The one error type of cpcall: a message for the user and the exit code it maps to.
//!
//! Every failure a user can cause or a server can produce ends here, so that `main` prints one
//! line on stderr and exits with a documented code; nothing panics on bad input.

use std::fmt;

/// The documented exit codes (README, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// 0: the call succeeded.
    Success = 0,
    /// 1: the API answered but reported failure.
    ApiFailure = 1,
    /// 2: usage or configuration error.
    Usage = 2,
    /// 3: authentication refused.
    Auth = 3,
    /// 4: transport failure: connect, DNS, TLS, timeout, HTTP 5xx, a body that is not the API's JSON.
    Transport = 4,
}

impl Exit {
    /// The number the process exits with.
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// What went wrong, in words for the user (naming the problem and the fix), and the exit code
/// it stands for.
#[derive(Debug, Clone)]
pub struct Error {
    /// The documented exit code of this failure.
    pub exit: Exit,
    message: String,
}

impl Error {
    /// Every secret of the run is masked in the message: it may quote a server that echoed
    /// what it was sent, and messages reach stderr, JSON lines and library callers.
    pub(crate) fn new(exit: Exit, message: impl Into<String>) -> Self {
        let message = message.into();
        Error {
            exit,
            message: match crate::client::mask::masked(&message) {
                std::borrow::Cow::Borrowed(_) => message,
                std::borrow::Cow::Owned(masked) => masked,
            },
        }
    }
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, message)
    }
    pub(crate) fn auth(message: impl Into<String>) -> Self {
        Self::new(Exit::Auth, message)
    }
    pub(crate) fn transport(message: impl Into<String>) -> Self {
        Self::new(Exit::Transport, message)
    }
    /// The message, one line.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// A result whose error is cpcall's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
