//! The one error type of the command line: a message for the user and the exit code it maps
//! to. The library's errors ([`cpanel_client::Error`]) become one here, in the command line's
//! words (`--timeout` where the library says "the target's timeout").
//!
//! Every failure a user can cause or a server can produce ends here, so that `main` prints one
//! line on stderr and exits with a documented code; nothing panics on bad input.

use std::fmt;
use std::path::PathBuf;
use std::sync::OnceLock;

use cpanel_client::{ErrorKind, Term};

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

    /// The exit code of a library failure of `kind`.
    pub fn of(kind: &ErrorKind) -> Exit {
        match kind {
            ErrorKind::Config | ErrorKind::InvalidCall | ErrorKind::Local => Exit::Usage,
            ErrorKind::Refused => Exit::Auth,
            ErrorKind::ApiFailure => Exit::ApiFailure,
            _ => Exit::Transport,
        }
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
    /// what it was sent, and messages reach stderr and JSON lines.
    pub(crate) fn new(exit: Exit, message: impl Into<String>) -> Self {
        // A library message that reached us as plain text (through an io::Error) may still
        // hold marked terms: in the command line's words.
        let message = cpanel_client::__internals::render_terms(&message.into(), &term_words);
        Error {
            exit,
            message: match crate::mask::masked(&message) {
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

impl From<cpanel_client::Error> for Error {
    fn from(e: cpanel_client::Error) -> Error {
        Error::new(Exit::of(e.kind()), words(&e))
    }
}

/// A library error's message in the command line's words.
pub fn words(e: &cpanel_client::Error) -> String {
    e.message_with(&term_words)
}

/// A config file other than the default one, named in advice (`cpcall -c FILE -p NAME`).
static CONFIG_NAMED: OnceLock<PathBuf> = OnceLock::new();

/// Says which config file the run reads, when it is not the default one.
pub fn config_named(path: PathBuf) {
    let _ = CONFIG_NAMED.set(path);
}

/// `cpcall -p NAME` (with `-c FILE` when the config is not the default one).
pub fn invocation(profile: &str) -> String {
    let name = crate::quote::shell_word(profile);
    match CONFIG_NAMED.get() {
        Some(path) => format!(
            "cpcall -c {} -p {name}",
            crate::quote::shell_word(&path.display().to_string())
        ),
        None => format!("cpcall -p {name}"),
    }
}

/// How to make a target trust a certificate it refused: `trust` for a profile, the flags (or
/// variables) for the command line.
pub fn trust_advice(profile: Option<&str>, fingerprint: &str) -> String {
    match profile {
        Some(name) => format!(
            "check that fingerprint on the server, then run {} trust (pins it), or set ca_file in the profile to the CA that signed it or that very certificate",
            invocation(name)
        ),
        None => format!(
            "check that fingerprint on the server, then pass --pin-sha256 {fingerprint} (or set CPCALL_PIN_SHA256), or --ca-file FILE (CPCALL_CA_FILE) with the CA that signed it or that very certificate; a profile can keep either (cpcall trust)"
        ),
    }
}

/// The command line's words for the library's terms.
pub fn term_words(term: &Term) -> Option<String> {
    Some(match term {
        Term::Timeout => "--timeout".into(),
        Term::MaxBody => "--max-size".into(),
        Term::Paging => "--paginate".into(),
        Term::Get => "--get".into(),
        Term::DropGet => "drop --get".into(),
        Term::Otp => "--otp".into(),
        Term::Insecure => "--insecure".into(),
        Term::CaFile => "ca_file, --ca-file or CPCALL_CA_FILE".into(),
        Term::Program => "cpcall".into(),
        Term::Login { profile, host } => match profile {
            Some(name) => format!("run {} login", invocation(name)),
            None => format!("run cpcall --host {host} login"),
        },
        Term::LoginNoun => "`cpcall login`".into(),
        Term::Trust {
            fingerprint,
            profile,
        } => trust_advice(profile.as_deref(), fingerprint),
        Term::TrustReplace {
            fingerprint,
            profile,
        } => match profile {
            Some(name) => format!("run {} trust --replace", invocation(name)),
            None => format!("pass --pin-sha256 {fingerprint} (or CPCALL_PIN_SHA256) instead"),
        },
        Term::TlsVersions => " (cpcall doctor names the versions it offers)".into(),
        Term::RunAs => "run cpcall as that user".into(),
        Term::ChooseProfile => "pass -p NAME".into(),
        Term::ViaWhm => "--user".into(),
        _ => return None,
    })
}

/// A result whose error is cpcall's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
