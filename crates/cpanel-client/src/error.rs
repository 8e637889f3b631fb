//! The one error type: what kind of failure it is (for a program to match), whether the call
//! may have run on the server, the HTTP status and the answer when there was one, the cause
//! (`source()`), and a message for a person.
//!
//! Messages may name settings the caller has its own words for (a command line's `--timeout`
//! where this crate says "the target's timeout"): those places are [`Term`]s, rendered in this
//! crate's words by `Display` and in the caller's by [`Error::message_with`].

use std::fmt;
use std::sync::Arc;

use crate::answer::Answer;
use crate::tls_failure::TlsReason;

/// What kind of failure an [`Error`] is. More kinds may come in minor releases: match with a
/// `_` arm.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The target's settings, a secret or its source, or a config file are wrong (a host that
    /// is no host, a missing token, an unreadable `token_file`). Nothing was sent.
    Config,
    /// The call cannot be sent as given (a function name that is no name, a parameter the
    /// client sets itself, paging a call that cannot page). Nothing was sent.
    InvalidCall,
    /// A local file the client keeps could not be used (a session file, a folder that is not
    /// safe, the spool for a large answer).
    Local,
    /// The host name does not resolve. Nothing was sent.
    Dns,
    /// No connection could be made (refused, unreachable). Nothing was sent.
    Connect,
    /// The proxy could not open a tunnel to the server. Nothing reached the server.
    Proxy,
    /// The server's TLS was refused, and why. Nothing was sent.
    Tls(TlsReason),
    /// No answer, or no complete answer, within the target's timeout.
    Timeout,
    /// The connection broke before the whole answer came.
    Disconnected,
    /// The answer is larger than the client reads ([`crate::Options::max_body`]).
    TooLarge,
    /// The server answered with an HTTP status that is no API answer (5xx, 404, 414…).
    HttpStatus(u16),
    /// The answer is not the API's (an HTML page, truncated or malformed JSON, a verdict
    /// that cannot be read).
    Broken,
    /// The server refused the credentials, the 2FA code or the session (HTTP 401/403 and
    /// cPanel's words for it); automatic logins of the target pause after a refused one.
    Refused,
    /// The API answered and said no: its reasons are [`Error::reasons`], its whole answer
    /// [`Error::answer`].
    ApiFailure,
}

/// Whether a failed call may have run on the server: a call that changes something and may
/// have run must not be sent again blindly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sent {
    /// Nothing reached the server.
    Never,
    /// The request may have reached it.
    Maybe,
}

/// A place in a message where the caller may have its own words: a setting, a method or a
/// command. `Display` uses [`Term::words`]; a command line passes its flags to
/// [`Error::message_with`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// The target's time limit ([`crate::TargetBuilder::timeout`]).
    Timeout,
    /// The largest answer read ([`crate::Options::max_body`]).
    MaxBody,
    /// Paging a listing ([`crate::Client::call_all_pages`]).
    Paging,
    /// Sending a call as GET ([`crate::Method::Get`]).
    Get,
    /// Sending it as POST instead.
    DropGet,
    /// A 2FA code given for one login ([`crate::LoginSecrets`]).
    Otp,
    /// Turning certificate checks off ([`crate::TargetBuilder::insecure`]).
    Insecure,
    /// The settings that name a CA file ([`crate::TargetBuilder::ca_file`]).
    CaFile,
    /// The program speaking, in "which … refuses" ("cpanel-client").
    Program,
    /// Making a session for the target ([`crate::Client::login`]): the profile's name, or
    /// the host of a target without one.
    Login {
        /// The target's profile, when it has one.
        profile: Option<String>,
        /// The target's host.
        host: String,
    },
    /// What makes sessions, as a noun ("a session from …").
    LoginNoun,
    /// How to trust a certificate with this fingerprint (a pin or a CA file).
    Trust {
        /// The SHA-256 fingerprint of the certificate presented.
        fingerprint: String,
        /// The target's profile, when it has one.
        profile: Option<String>,
    },
    /// How to replace a pin with this new fingerprint.
    TrustReplace {
        /// The SHA-256 fingerprint of the certificate presented.
        fingerprint: String,
        /// The target's profile, when it has one.
        profile: Option<String>,
    },
    /// Where to see the TLS versions offered (nothing in this crate's words).
    TlsVersions,
    /// How to run again as another user, who owns a file.
    RunAs,
    /// How to name the profile to use, among several.
    ChooseProfile,
    /// The cPanel user a call is made for through WHM ([`crate::Call::via_whm`]).
    ViaWhm,
}

impl Term {
    /// This crate's words for the term.
    pub fn words(&self) -> String {
        match self {
            Term::Timeout => "the target's timeout".into(),
            Term::MaxBody => "Options::max_body".into(),
            Term::Paging => "call_all_pages".into(),
            Term::Get => "Method::Get".into(),
            Term::DropGet => "send it as Method::Post".into(),
            Term::Otp => "the code given".into(),
            Term::Insecure => ".insecure()".into(),
            Term::CaFile => "ca_file".into(),
            Term::Program => "cpanel-client".into(),
            Term::Login { .. } => "log in with Client::login".into(),
            Term::LoginNoun => "Client::login".into(),
            Term::Trust { .. } => "pin it with .pin_sha256(\"…\") once you have checked that fingerprint on the server, or give .ca_file(…) the CA that signed it or that very certificate".into(),
            Term::TrustReplace { .. } => "give .pin_sha256(…) the new one".into(),
            Term::TlsVersions => String::new(),
            Term::RunAs => "run as that user".into(),
            Term::ChooseProfile => "name one".into(),
            Term::ViaWhm => "via_whm".into(),
        }
    }

    /// The term as a marker inside message text, turned back into the term when shown.
    pub(crate) fn mark(&self) -> String {
        let named = |profile: &Option<String>| profile.clone().unwrap_or_default();
        let (code, arg): (char, String) = match self {
            Term::Timeout => ('t', String::new()),
            Term::MaxBody => ('m', String::new()),
            Term::Paging => ('p', String::new()),
            Term::Get => ('g', String::new()),
            Term::DropGet => ('G', String::new()),
            Term::Otp => ('o', String::new()),
            Term::Insecure => ('k', String::new()),
            Term::CaFile => ('c', String::new()),
            Term::Program => ('P', String::new()),
            Term::Login { profile, host } => ('l', format!("{}{SEP}{host}", named(profile))),
            Term::LoginNoun => ('L', String::new()),
            Term::Trust {
                fingerprint,
                profile,
            } => ('T', format!("{}{SEP}{fingerprint}", named(profile))),
            Term::TrustReplace {
                fingerprint,
                profile,
            } => ('R', format!("{}{SEP}{fingerprint}", named(profile))),
            Term::TlsVersions => ('v', String::new()),
            Term::RunAs => ('u', String::new()),
            Term::ChooseProfile => ('n', String::new()),
            Term::ViaWhm => ('w', String::new()),
        };
        format!("{OPEN}{code}{arg}{CLOSE}")
    }

    fn unmark(code: char, arg: &str) -> Option<Term> {
        let (a, b) = arg.split_once(SEP).unwrap_or(("", arg));
        let first = || (!a.is_empty()).then(|| a.to_string());
        let second = || b.to_string();
        Some(match code {
            't' => Term::Timeout,
            'm' => Term::MaxBody,
            'p' => Term::Paging,
            'g' => Term::Get,
            'G' => Term::DropGet,
            'o' => Term::Otp,
            'k' => Term::Insecure,
            'c' => Term::CaFile,
            'P' => Term::Program,
            'l' => Term::Login {
                profile: first(),
                host: second(),
            },
            'L' => Term::LoginNoun,
            'T' => Term::Trust {
                profile: first(),
                fingerprint: second(),
            },
            'R' => Term::TrustReplace {
                profile: first(),
                fingerprint: second(),
            },
            'v' => Term::TlsVersions,
            'u' => Term::RunAs,
            'n' => Term::ChooseProfile,
            'w' => Term::ViaWhm,
            _ => return None,
        })
    }
}

/// Where a term is in a message: characters of Unicode's private use area, which no server's
/// words and no setting's name hold.
const OPEN: char = '\u{F8F0}';
const CLOSE: char = '\u{F8F1}';
/// Between the parts of a term's argument.
const SEP: char = '\u{F8F2}';

/// Writes the term into message text (`format!("raise {}", Term::Timeout)`).
impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.mark())
    }
}

/// A failure, with what a program needs to decide and a person needs to act. One pointer
/// wide: `Result<T, Error>` costs little more than `T`.
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    /// One line, terms marked.
    message: String,
    sent: Sent,
    status: Option<u16>,
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
    reasons: Vec<String>,
    answer: Option<Box<Answer>>,
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("message", &self.to_string())
            .field("may_have_run", &self.may_have_run())
            .field("status", &self.0.status)
            .finish_non_exhaustive()
    }
}

impl Error {
    /// A failure of `kind`; whether it may have run follows from the kind (a refused
    /// connection was never sent; a timeout may have run) until [`Error::sent`] says otherwise.
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        let sent = match kind {
            ErrorKind::Config
            | ErrorKind::InvalidCall
            | ErrorKind::Local
            | ErrorKind::Dns
            | ErrorKind::Connect
            | ErrorKind::Proxy
            | ErrorKind::Tls(_) => Sent::Never,
            _ => Sent::Maybe,
        };
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            sent,
            status: None,
            source: None,
            reasons: Vec::new(),
            answer: None,
        }))
    }
    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }
    pub(crate) fn invalid_call(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidCall, message)
    }
    pub(crate) fn local(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Local, message)
    }
    pub(crate) fn refused(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Refused, message)
    }
    pub(crate) fn broken(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Broken, message)
    }
    /// The cause, for `source()`.
    pub(crate) fn because(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.0.source = Some(Arc::new(source));
        self
    }
    /// Nothing of the call reached the server (`true`), or it may have (`false`).
    pub(crate) fn sent(mut self, never: bool) -> Self {
        self.0.sent = if never { Sent::Never } else { Sent::Maybe };
        self
    }
    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.0.status = Some(status);
        self
    }
    pub(crate) fn with_answer(mut self, answer: Answer) -> Self {
        self.0.status = Some(answer.status());
        self.0.answer = Some(Box::new(answer));
        self
    }
    pub(crate) fn with_reasons(mut self, reasons: Vec<String>) -> Self {
        self.0.reasons = reasons;
        self
    }
    /// The same failure with other words (more context around the message).
    pub(crate) fn reworded(mut self, message: impl Into<String>) -> Self {
        self.0.message = message.into();
        self
    }
    /// Its words with `mask` applied: they may quote a server that echoed a secret.
    pub(crate) fn masked(mut self, mask: &crate::mask::Shared) -> Self {
        if let std::borrow::Cow::Owned(m) = mask.masked(&self.0.message) {
            self.0.message = m;
        }
        for reason in &mut self.0.reasons {
            if let std::borrow::Cow::Owned(m) = mask.masked(reason) {
                *reason = m;
            }
        }
        self
    }

    /// The message with its terms still marked, for rewording.
    pub(crate) fn raw_message(&self) -> &str {
        &self.0.message
    }

    /// What kind of failure it is.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The call may have reached the server and run: a call that changes something must not
    /// be sent again without checking first. `false` only when nothing was sent.
    pub fn may_have_run(&self) -> bool {
        self.0.sent == Sent::Maybe
    }

    /// Nothing of the call reached the server: sending it again is safe.
    pub fn never_sent(&self) -> bool {
        self.0.sent == Sent::Never
    }

    /// The HTTP status of the answer, when one came.
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// The API's reasons, for [`ErrorKind::ApiFailure`] (`metadata.reason`, `errors`…).
    pub fn reasons(&self) -> &[String] {
        &self.0.reasons
    }

    /// The API's whole answer, for [`ErrorKind::ApiFailure`]: its JSON says more than the
    /// reasons (which records failed, the API's own data).
    pub fn answer(&self) -> Option<&Answer> {
        self.0.answer.as_deref()
    }

    /// The API's whole answer, taken out of the error.
    pub fn into_answer(self) -> Option<Answer> {
        self.0.answer.map(|a| *a)
    }

    /// The message, with `words` choosing the words for each [`Term`] (`None`: this crate's).
    pub fn message_with(&self, words: &dyn Fn(&Term) -> Option<String>) -> String {
        render(&self.0.message, words)
    }
}

/// `text` (a server's words) without the characters that mark terms.
pub(crate) fn unmarked(text: &str) -> std::borrow::Cow<'_, str> {
    match text.contains([OPEN, CLOSE, SEP]) {
        true => text.replace([OPEN, CLOSE, SEP], "\u{FFFD}").into(),
        false => text.into(),
    }
}

/// Text with terms marked, in `words` (this crate's where `None`).
pub(crate) fn render(text: &str, words: &dyn Fn(&Term) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(OPEN) {
        out.push_str(&rest[..at]);
        let marked = &rest[at + OPEN.len_utf8()..];
        let Some(end) = marked.find(CLOSE) else {
            out.push_str(marked);
            return out;
        };
        let mut chars = marked[..end].chars();
        if let Some(term) = chars.next().and_then(|c| Term::unmark(c, chars.as_str())) {
            out.push_str(&words(&term).unwrap_or_else(|| term.words()));
        }
        rest = &marked[end + CLOSE.len_utf8()..];
    }
    out.push_str(rest);
    out
}

/// The message in this crate's words.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_with(&|_| None))
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// A result whose error is this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Terms render in this crate's words, or in the caller's where it has some; text around
    /// them stays as it is.
    #[test]
    fn terms_table() {
        let e = Error::new(
            ErrorKind::Timeout,
            format!(
                "no answer within 5 s: raise {} or check the network",
                Term::Timeout
            ),
        );
        assert_eq!(
            e.to_string(),
            "no answer within 5 s: raise the target's timeout or check the network"
        );
        let cli = |t: &Term| matches!(t, Term::Timeout).then(|| "--timeout".to_string());
        assert_eq!(
            e.message_with(&cli),
            "no answer within 5 s: raise --timeout or check the network"
        );
        let fp = Error::config(format!(
            "x: {}",
            Term::Trust {
                fingerprint: "AB:CD".into(),
                profile: Some("prod".into())
            }
        ));
        let words = |t: &Term| match t {
            Term::Trust {
                fingerprint,
                profile: Some(p),
            } => Some(format!("pin {fingerprint} in {p}")),
            _ => None,
        };
        assert_eq!(fp.message_with(&words), "x: pin AB:CD in prod");
        assert!(e.may_have_run() && !e.never_sent());
        assert!(fp.never_sent());
    }
}
