//! How a request is authenticated: credentials and the headers they become, or a session
//! (docs/protocol.md, "Authentication"). [`send`] is the one door every API call goes through.

use base64::Engine;

use crate::call::Request;
use crate::error::{Error, ErrorKind, Result, Term};
use crate::params::is_sensitive;
use crate::report::Voice;
use crate::secret::{Secret, Source};
use crate::session::{self, Session};
use crate::store;
use crate::target::{AuthKind, Origin, Service, Target};
use crate::totp::TotpKey;
use crate::transport::{AuthHeader, Client, Response};

/// Sends an API request with the target's credentials: headers for a token, an access hash
/// or a password (with a 2FA code), never a saved session; for `auth = "session"`, the saved
/// session, else a new login.
///
/// Why only session targets use sessions: a session saved once (by `cpcall login`, or by an
/// older cpcall) must not take over a profile that has a credential of its own — its calls
/// would run with the session's privileges instead of the token's ACLs, and fail once it
/// expired. A session the server has ended is replaced by one new login and the call
/// repeated: the server refused the first attempt before running anything.
pub fn send(client: &Client, target: &Target, request: &Request) -> Result<Response> {
    // A parameter that is a secret (a new account's password) is masked like a credential.
    for (key, value) in request.query.iter().chain(&request.form) {
        if is_sensitive(key) {
            target.voice.hide(value);
        }
    }
    if target.auth != AuthKind::Session {
        let headers = Credentials::resolve(target)?.headers(target.service, &target.voice);
        if let Some(ago) = refused_since(target, digest(&headers)) {
            return Err(Error::refused(format!(
                "not sent: the server refused the credentials of {} {} s ago, and cPHulk counts every refusal; they are not sent again for {} minutes: fix them",
                target.describe(),
                ago.as_secs(),
                REFUSAL_PAUSE.as_secs() / 60
            ))
            .sent(true));
        }
        return client.send(request, &headers);
    }
    if let Some(when) = refused_since(target, UNACCEPTED) {
        return Err(Error::refused(format!(
            "not sent: the server did not accept the session it made for {} {} s ago; this run logs in no more: check that the port is the {} port",
            target.describe(),
            when.as_secs(),
            target.service.name()
        ))
        .sent(true));
    }
    let mut dead = None;
    if let Some(user) = target.user.as_deref() {
        if let Some(saved) = store::load(target, user)? {
            let response = send_in(client, &saved, request)?;
            if !session::is_gone(&response) {
                return Ok(response);
            }
            dead = Some(saved);
        }
    }
    let fresh = live_session(client, target, dead.as_ref())?;
    let response = send_in(client, &fresh, request)?;
    if session::is_gone(&response) {
        // Neither saved for the next run nor made again by this run's next call: a server
        // that refuses its own new sessions would otherwise see a login per batch line.
        store::remove_if(target, &fresh)?;
        remember(target, UNACCEPTED);
        return Err(Error::refused(format!(
            "the server did not accept the session it just made for {}: check that the port is the {} port",
            target.describe(),
            target.service.name()
        )));
    }
    Ok(response)
}

/// What the refused list holds for "the server refused the session it had just made".
const UNACCEPTED: [u8; 32] = [0xff; 32];

/// How long ago the server refused what `digest` stands for (credentials, or [`UNACCEPTED`]),
/// if it did within [`REFUSAL_PAUSE`].
fn refused_since(target: &Target, digest: [u8; 32]) -> Option<std::time::Duration> {
    let refused = target
        .secrets
        .refused
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    refused
        .iter()
        .find(|(d, when)| *d == digest && when.elapsed() < REFUSAL_PAUSE)
        .map(|(_, when)| when.elapsed())
}

fn remember(target: &Target, digest: [u8; 32]) {
    let mut refused = target
        .secrets
        .refused
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    refused.retain(|(d, _)| *d != digest);
    refused.push((digest, std::time::Instant::now()));
}

/// Remembers that the server refused the target's credentials (a token, an access hash, a
/// password): the rest of the run (a batch's lines, `-j` jobs, a library client's calls)
/// does not send them again. Sessions keep their own memory of refused logins.
pub fn remember_refusal(target: &Target) {
    if target.auth == AuthKind::Session {
        return;
    }
    if let Ok(credentials) = Credentials::resolve(target) {
        remember(
            target,
            digest(&credentials.headers(target.service, &target.voice)),
        );
    }
}

/// How long credentials the server refused are not sent again by the target (and its clones):
/// a run's other calls must not feed cPHulk, and a long-lived client must not stay blocked by
/// one refusal (a firewall's 403) for ever.
const REFUSAL_PAUSE: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// What identifies credentials without keeping them: the SHA-256 of the Authorization value.
fn digest(headers: &[AuthHeader]) -> [u8; 32] {
    let value = headers
        .iter()
        .find(|(name, _)| *name == "Authorization")
        .map_or("", |(_, v)| v.expose());
    crate::tls::sha256(value.as_bytes())
}

/// The session an `auth = "session"` profile calls with: the one another process saved while
/// this one waited for the login lock, or a new login. `dead` is the one the server refused.
fn live_session(client: &Client, target: &Target, dead: Option<&Session>) -> Result<Session> {
    if target.secrets.password.is_none() {
        if let Some(dead) = dead {
            store::remove_if(target, dead)?;
        }
        let state = match dead {
            Some(_) => "the session expired",
            None => "no live session",
        };
        return Err(Error::refused(format!(
            "{state} for {} and no password to log in with: {}",
            target.describe(),
            login_advice(target)
        )));
    }
    let secrets = LoginSecrets::gather(target, None, None)?;
    let _lock = store::login_lock(target, &secrets.user)?;
    if let Some(saved) = store::load(target, &secrets.user)? {
        if dead != Some(&saved) {
            return Ok(saved);
        }
        // Still the dead one: it goes, whatever the login says (no later run sends it again).
        store::remove(target, &saved.user)?;
    }
    if let Some((ago, mark)) = store::recent_refusal(target, &secrets.user)? {
        let delete = mark.map_or_else(String::new, |m| format!(" (or delete {})", m.display()));
        return Err(Error::refused(format!(
            "a login as {} for {} was refused {} s ago; automatic logins pause for 15 minutes so cPHulk does not lock the account: fix the credentials, then {}{delete}",
            secrets.user,
            target.describe(),
            ago.as_secs(),
            login_advice(target),
        ))
        .sent(true));
    }
    // Said only with -v: a cron job whose session expired overnight and logged in again
    // succeeded, and success is quiet.
    if dead.is_some() {
        client.voice().traffic(&format!(
            "* the session of {} expired; logging in again",
            target.describe()
        ));
    }
    login_locked(client, target, &secrets, true).map(|(s, _)| s)
}

fn send_in(client: &Client, session: &Session, request: &Request) -> Result<Response> {
    hide_session(client.voice(), session);
    client.send(&session.wrap(request.clone()), &session.headers())
}

/// A session's cookie and security token are secrets like a password: masked in all the
/// client says (a server may echo the cookie).
pub fn hide_session(voice: &Voice, session: &Session) {
    voice.hide(session.cookie.expose());
    voice.hide(&session.security_token);
}

/// How to make a session for the target, in the caller's words.
fn login_advice(target: &Target) -> Term {
    Term::Login {
        profile: target.profile.name().map(str::to_string),
        host: target.host.clone(),
    }
}

/// Asks a person for what a login lacks: the question in, the answer out.
type Ask<'a> = dyn FnMut(&str) -> Result<Secret> + 'a;

/// What a login needs: the user, the password and, for 2FA, a current code.
#[derive(Debug)]
pub struct LoginSecrets {
    pub(crate) user: String,
    pub(crate) password: Secret,
    pub(crate) code: Option<Secret>,
}

impl LoginSecrets {
    /// For a library caller: the user, the password and, for 2FA, a current code (for example
    /// from your own TOTP source).
    pub fn new(user: impl Into<String>, password: impl Into<String>, code: Option<String>) -> Self {
        LoginSecrets {
            user: user.into(),
            password: Secret::new(password.into()),
            code: code.map(Secret::new),
        }
    }

    /// The target's own: its user and password, and a 2FA code: `code` when given, else one
    /// made now from its `totp_secret` (none without either). Never asks anyone.
    pub fn from_target(target: &Target, code: Option<&str>) -> Result<Self> {
        Self::gather(target, code, None)
    }

    /// The target's own, and what it lacks from `ask` (a person at a terminal): it gets the
    /// question ("Password for bob@host: ") and returns the answer, or why there is none (an
    /// error of kind [`ErrorKind::Config`] with those words). An empty password is refused
    /// before anything is sent; an empty 2FA answer means the account has none.
    pub fn asking(
        target: &Target,
        code: Option<&str>,
        ask: &mut dyn FnMut(&str) -> std::result::Result<Secret, String>,
    ) -> Result<Self> {
        let mut ask = |question: &str| ask(question).map_err(Error::config);
        Self::gather(target, code, Some(&mut ask))
    }

    /// The user.
    pub fn user(&self) -> &str {
        &self.user
    }

    fn gather(target: &Target, otp: Option<&str>, mut ask: Option<&mut Ask>) -> Result<Self> {
        let whose = target.describe();
        let user = target.user.clone().ok_or_else(|| {
            Error::config(format!(
                "{whose} has no user to log in as: add user = \"NAME\""
            ))
        })?;
        let password = match &target.secrets.password {
            Some(source) => target.read_secret(source, "password")?,
            None if ask.is_some() => {
                let typed = ask.as_mut().map_or_else(
                    || Ok(Secret::new("")),
                    |ask| ask(&format!("Password for {user}@{}: ", target.host)),
                )?;
                target.voice.hide(typed.expose());
                if typed.expose().is_empty() {
                    return Err(Error::config(
                        "no password typed: nothing sent (an empty password is a sure refusal, and cPHulk counts it)",
                    ));
                }
                typed
            }
            None => {
                return Err(Error::config(format!(
                    "{whose} has no password: add password, password_file, password_env or password_command, or log in at a terminal"
                )))
            }
        };
        // A code typed on the command line wins over the profile's secret.
        let code = match (&target.secrets.totp_secret, otp) {
            (_, Some(code)) => Some(check_otp(code)?),
            (Some(source), None) => {
                Some(TotpKey::parse(&target.read_secret(source, "totp_secret")?)?.now())
            }
            (None, None) if ask.is_some() => {
                let code = ask.as_mut().map_or_else(
                    || Ok(Secret::new("")),
                    |ask| ask("Two-factor code (Enter if the account has none): "),
                )?;
                (!code.expose().is_empty())
                    .then(|| check_otp(code.expose()))
                    .transpose()?
            }
            (None, None) => None,
        };
        Ok(LoginSecrets {
            user,
            password,
            code,
        })
    }
}

fn check_otp(code: &str) -> Result<Secret> {
    let code = code.trim();
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(Secret::new(code))
    } else {
        Err(Error::config(
            "the two-factor code must be the 6 digits your authenticator app shows",
        ))
    }
}

/// Logs in and saves the session (`cpcall login`), one process at a time per profile.
pub fn login(
    client: &Client,
    target: &Target,
    secrets: &LoginSecrets,
) -> Result<(Session, Option<std::path::PathBuf>)> {
    let _lock = store::login_lock(target, &secrets.user)?;
    login_locked(client, target, secrets, false)
}

/// Logs in, the login lock held. A refused automatic login pauses the target's automatic
/// logins (the next cron runs would send the same credentials); one made by hand does not (a
/// mistyped code is no reason to stop a cron job's good `totp_secret`), and is said as such.
fn login_locked(
    client: &Client,
    target: &Target,
    secrets: &LoginSecrets,
    automatic: bool,
) -> Result<(Session, Option<std::path::PathBuf>)> {
    let fresh = session::login(
        client,
        target,
        &secrets.user,
        &secrets.password,
        secrets.code.as_ref(),
    )
    .map_err(|e| match (*e.kind() == ErrorKind::Refused, automatic) {
        (true, true) => {
            store::note_refusal(target, &secrets.user);
            let words = format!(
                "{}; automatic logins of {} pause for 15 minutes",
                e.raw_message(),
                target.describe()
            );
            e.reworded(words)
        }
        _ => e,
    })?;
    hide_session(client.voice(), &fresh);
    store::clear_refusal(target, &secrets.user);
    let path = store::save(target, &fresh)?;
    Ok((fresh, path))
}

/// Before several calls run at once on an `auth = "session"` profile: log in once now, so they
/// do not each log in (and feed cPHulk).
pub fn ensure_session(client: &Client, target: &Target) -> Result<()> {
    if target.auth != AuthKind::Session || target.secrets.password.is_none() {
        return Ok(());
    }
    live_session(client, target, None).map(|_| ())
}

/// The header that carries a two-factor code with a password.
pub const OTP_HEADER: &str = "X-CPANEL-OTP";

/// The `Authorization` value of a token or an access hash around `secret`: the real secret for
/// a request, a `$CPCALL_…` placeholder for `--curl`. The header forms, defined once:
/// `WHM USER:HASH`; `whm USER:TOKEN` on WHM, `cpanel USER:TOKEN` on cPanel and Webmail.
pub fn authorization(kind: AuthKind, service: Service, user: &str, secret: &str) -> String {
    match (kind, service) {
        (AuthKind::Accesshash, _) => format!("WHM {user}:{secret}"),
        (_, Service::Whm) => format!("whm {user}:{secret}"),
        _ => format!("cpanel {user}:{secret}"),
    }
}

#[derive(Debug)]
pub enum Credentials {
    /// `Authorization: WHM USER:HASH` (WHM only; the hash with its line breaks removed).
    AccessHash { user: String, hash: Secret },
    /// `Authorization: whm USER:TOKEN` on WHM, `cpanel USER:TOKEN` on cPanel and Webmail.
    Token { user: String, token: Secret },
    /// Basic auth, plus `X-CPANEL-OTP` when the account has two-factor authentication.
    Password {
        user: String,
        password: Secret,
        totp: Option<TotpKey>,
    },
}

/// A secret that goes into a header as it is must be one line of visible characters: a line
/// break or control character is a mistake in the secret's source, not something to send.
fn header_safe(secret: &Secret, key: &str, target: &Target, source: &Option<Source>) -> Result<()> {
    let what = if secret.expose().chars().any(char::is_control) {
        "a line break or control character"
    } else if !secret.expose().is_ascii() {
        // An HTTP header carries visible ASCII: cPanel's tokens and hashes are nothing else.
        "a character that is not ASCII (a header cannot carry it; a copy-paste slip?)"
    } else {
        return Ok(());
    };
    let from = match (source, &target.profile) {
        (Some(Source::Value(_)), Origin::Built) => " (as given to the builder)".to_string(),
        (Some(s), _) => format!(" (from {})", s.describe()),
        (None, _) => String::new(),
    };
    Err(Error::config(format!(
        "the {key} of {}{from} contains {what}: fix the file, variable or command it comes from",
        target.describe()
    )))
}

impl Credentials {
    /// Reads the secrets the target's auth kind needs, and only those.
    pub fn resolve(target: &Target) -> Result<Self> {
        let whose = target.describe();
        let need = |source: &Option<Source>, key: &str| -> Result<Secret> {
            let source = source.as_ref().ok_or_else(|| {
                Error::config(format!(
                    "{whose} uses auth = \"{}\" but sets no {key}: add {key}, {key}_file, {key}_env or {key}_command",
                    target.auth.name()
                ))
            })?;
            target.read_secret(source, key)
        };
        let user = |default: Option<&str>| -> Result<String> {
            let user = target.user.as_deref().or(default).ok_or_else(|| {
                Error::config(format!(
                    "{whose}{} has no user: add user = \"NAME\" (or set CPCALL_USER)",
                    target.service_note()
                ))
            })?;
            if user.contains(':') || user.chars().any(char::is_control) {
                return Err(Error::config(format!(
                    "user \"{user}\" cannot contain ':' or control characters"
                )));
            }
            // A token's or hash's header carries the user: visible ASCII only.
            if target.auth != AuthKind::Password && !user.is_ascii() {
                return Err(Error::config(format!(
                    "user \"{user}\" is not ASCII, which an API token's header cannot carry: use the account's login name"
                )));
            }
            Ok(user.to_string())
        };
        match target.auth {
            AuthKind::Accesshash => {
                if target.service != Service::Whm {
                    return Err(Error::config(format!(
                        "{whose}: access hashes work only with WHM: set service = \"whm\", or use a cPanel API token"
                    )));
                }
                let raw = need(&target.secrets.accesshash, "accesshash")?;
                let hash = Secret::new(
                    raw.expose()
                        .chars()
                        .filter(|c| *c != '\n' && *c != '\r')
                        .collect::<String>(),
                );
                header_safe(&hash, "accesshash", target, &target.secrets.accesshash)?;
                Ok(Credentials::AccessHash {
                    user: user(Some("root"))?,
                    hash,
                })
            }
            AuthKind::Token => {
                let default_user = (target.service == Service::Whm).then_some("root");
                let token = need(&target.secrets.token, "token")?;
                header_safe(&token, "token", target, &target.secrets.token)?;
                Ok(Credentials::Token {
                    user: user(default_user)?,
                    token,
                })
            }
            AuthKind::Password => {
                let totp = match &target.secrets.totp_secret {
                    Some(source) => {
                        Some(TotpKey::parse(&target.read_secret(source, "totp_secret")?)?)
                    }
                    None => None,
                };
                Ok(Credentials::Password {
                    user: user(None)?,
                    password: need(&target.secrets.password, "password")?,
                    totp,
                })
            }
            AuthKind::Session => Err(Error::config(format!(
                "{whose} uses auth = \"session\": it calls through a session from {}",
                Term::LoginNoun
            ))),
        }
    }

    /// The headers that authenticate one request to `service`'s port.
    pub fn headers(&self, service: Service, voice: &Voice) -> Vec<AuthHeader> {
        // A server may echo the header, or its base64 (whole, or of `user:secret` as a Basic
        // header carries it): those forms are masked too, for every kind of credential.
        let header = |kind: AuthKind, user: &str, secret: &Secret| {
            let value = authorization(kind, service, user, secret.expose());
            voice.hide_pair(user, secret.expose());
            voice.hide(&value);
            vec![("Authorization", Secret::new(value))]
        };
        match self {
            Credentials::AccessHash { user, hash } => header(AuthKind::Accesshash, user, hash),
            Credentials::Token { user, token } => header(AuthKind::Token, user, token),
            Credentials::Password {
                user,
                password,
                totp,
            } => {
                voice.hide_pair(user, password.expose());
                let pair = format!("{user}:{}", password.expose());
                let basic = base64::engine::general_purpose::STANDARD.encode(pair);
                let mut headers = vec![("Authorization", Secret::new(format!("Basic {basic}")))];
                if let Some(key) = totp {
                    headers.push((OTP_HEADER, key.now()));
                }
                headers
            }
        }
    }
}

#[cfg(all(test, feature = "profiles"))]
mod tests {
    use super::*;
    use std::path::Path;

    fn credentials(profile: &str) -> Result<Credentials> {
        let text = format!("[profiles.p]\nhost='h'\n{profile}\n");
        let file = crate::profiles::parse(&text, Path::new("c")).unwrap();
        let target = Target::from_profile(Some("p"), &file.profiles["p"])
            .proxy(crate::ProxySetting::None)
            .build()?;
        Credentials::resolve(&target)
    }

    fn header_values(profile: &str) -> Vec<(String, String)> {
        let text = format!("[profiles.p]\nhost='h'\n{profile}\n");
        let file = crate::profiles::parse(&text, Path::new("c")).unwrap();
        let service = file.profiles["p"].service.unwrap_or(Service::Whm);
        credentials(profile)
            .unwrap()
            .headers(service, &Voice::default())
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.expose().to_string()))
            .collect()
    }

    #[test]
    fn header_forms_table() {
        let h = |v: &str| vec![("Authorization".to_string(), v.to_string())];
        let cases = [
            ("accesshash=\"AB\\nCD\\r\\nEF\\n\"", h("WHM root:ABCDEF")),
            ("accesshash='X'\nuser='admin'", h("WHM admin:X")),
            ("token='T1'", h("whm root:T1")),
            ("token='T1'\nuser='reseller'", h("whm reseller:T1")),
            (
                "token='T2'\nuser='bob'\nservice='cpanel'",
                h("cpanel bob:T2"),
            ),
            (
                "token='T3'\nuser='a@b.example'\nservice='webmail'",
                h("cpanel a@b.example:T3"),
            ),
            (
                "password='pw'\nuser='bob'\nservice='cpanel'",
                h("Basic Ym9iOnB3"),
            ),
        ];
        for (profile, want) in cases {
            assert_eq!(header_values(profile), want, "{profile}");
        }
    }

    #[test]
    fn password_with_totp_adds_a_six_digit_otp_header() {
        let headers = header_values("password='pw'\nuser='bob'\ntotp_secret='QSARBVKLZHYHLJ3M'");
        assert_eq!(headers.len(), 2);
        assert_eq!(headers[1].0, "X-CPANEL-OTP");
        assert!(headers[1].1.len() == 6 && headers[1].1.bytes().all(|b| b.is_ascii_digit()));
    }

    #[test]
    fn credential_errors_table() {
        let cases = [
            (
                "accesshash='x'\nservice='cpanel'",
                "access hashes work only with WHM",
            ),
            ("token='t'\nservice='cpanel'", "has no user"),
            ("password='p'", "has no user"),
            ("auth='token'\npassword='p'", "sets no token"),
            (
                "password='p'\nuser='bob'\ntotp_secret='1111'",
                "not valid base32",
            ),
            ("token='t'\nuser='a:b'", "cannot contain ':'"),
            ("token='T0kené'", "not ASCII"),
            ("token='t'\nuser='bøb'", "is not ASCII"),
            ("auth='session'\npassword='p'\nuser='u'", "Client::login"),
        ];
        for (profile, want) in cases {
            let err = credentials(profile).unwrap_err();
            assert!(err.to_string().contains(want), "{profile}: {err}");
        }
    }
}
