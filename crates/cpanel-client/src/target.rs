//! One server and how to reach and prove oneself to it: [`Target`], made with
//! [`TargetBuilder`] in code or from a [`Profile`] (a table of cpcall's config file, read by
//! [`crate::profiles`]). Everything is checked when it is built, before anything is sent.

use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::secret::{Secret, Source};
use crate::tls::{self, Verify};

/// How long a call may take unless set: 60 s.
pub const DEFAULT_TIMEOUT: f64 = 60.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
/// Which cpsrvd service a target talks to; it decides the default port, the login cookie and
/// the header form of a token.
pub enum Service {
    /// WHM (ports 2087/2086): root and resellers.
    Whm,
    /// cPanel (2083/2082): one account.
    Cpanel,
    /// Webmail (2096/2095): one mail account.
    Webmail,
}

impl Service {
    /// The ports cpsrvd serves each service on (docs/protocol.md, "Services and ports").
    pub fn default_port(self, tls: bool) -> u16 {
        match (self, tls) {
            (Service::Whm, true) => 2087,
            (Service::Whm, false) => 2086,
            (Service::Cpanel, true) => 2083,
            (Service::Cpanel, false) => 2082,
            (Service::Webmail, true) => 2096,
            (Service::Webmail, false) => 2095,
        }
    }

    /// The well-known plain-HTTP ports, where `tls` defaults to false.
    pub fn is_plain_port(port: u16) -> bool {
        matches!(port, 2082 | 2086 | 2095)
    }

    /// The name of the cookie its sessions are kept in (`whostmgrsession`, `cpsession`,
    /// `webmailsession`).
    pub fn session_cookie(self) -> &'static str {
        crate::session::cookie_name(self)
    }

    /// `whm`, `cpanel` or `webmail`, as the config file spells it.
    pub fn name(self) -> &'static str {
        match self {
            Service::Whm => "whm",
            Service::Cpanel => "cpanel",
            Service::Webmail => "webmail",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
/// How a target proves who it is (the config file's `auth`).
pub enum AuthKind {
    /// A WHM access hash (`Authorization: WHM user:hash`).
    Accesshash,
    /// An API token (`Authorization: whm user:token` or `cpanel user:token`).
    Token,
    /// The password on every call (HTTP Basic), with a 2FA code when the account has 2FA.
    Password,
    /// A password once, at login; then the session's cookie and `/cpsess` token.
    Session,
}

impl AuthKind {
    /// `token`, `accesshash`, `password` or `session`, as the config file spells it.
    pub fn name(self) -> &'static str {
        match self {
            AuthKind::Accesshash => "accesshash",
            AuthKind::Token => "token",
            AuthKind::Password => "password",
            AuthKind::Session => "session",
        }
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
}

/// A target's settings as a table of cpcall's config file (`[profiles.NAME]`) writes them;
/// [`Target::from_profile`] checks them and makes the target. Every secret has four spellings
/// (its value, `_file`, `_env`, `_command`); one at a time. Keys only the `cpcall` command reads
/// (`strict`) are kept here too, so that one file serves both.
#[non_exhaustive]
#[derive(Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The server's host name or address.
    pub host: Option<String>,
    /// A port other than the service's default.
    pub port: Option<u16>,
    /// The service (WHM unless set).
    pub service: Option<Service>,
    /// The user calls are made as.
    pub user: Option<String>,
    /// How to prove who it is, when more than one credential is given (or for a session).
    pub auth: Option<AuthKind>,
    /// TLS on or off (on unless the port is a plain-HTTP one).
    pub tls: Option<bool>,
    /// `true`: the certificate is not verified (a pin wins over it).
    pub insecure: Option<bool>,
    /// Certificates (PEM) to trust besides the system's.
    pub ca_file: Option<PathBuf>,
    /// The SHA-256 fingerprint of the one certificate to trust.
    pub pin_sha256: Option<String>,
    /// Seconds a call may take.
    #[serde(default, deserialize_with = "timeout")]
    pub timeout: Option<f64>,
    /// The cPanel account a WHM target calls cPanel functions for by default.
    pub cpanel_user: Option<String>,
    /// `cpcall` only: calls its catalogue questions are refused.
    pub strict: Option<bool>,
    /// `cpcall` only: calls that change the server (or may: unknown ones) are refused.
    pub read_only: Option<bool>,
    /// `cpcall` only: how many times a call that only reads is tried again after a failure
    /// that may pass (a restart, a timeout); 0 to 10.
    #[serde(default, deserialize_with = "retry")]
    pub retry: Option<u32>,

    /// A WHM access hash.
    pub accesshash: Option<Secret>,
    /// A file holding the access hash.
    pub accesshash_file: Option<PathBuf>,
    /// An environment variable holding the access hash.
    pub accesshash_env: Option<String>,
    /// A shell command printing the access hash.
    pub accesshash_command: Option<String>,
    /// An API token.
    pub token: Option<Secret>,
    /// A file holding the token.
    pub token_file: Option<PathBuf>,
    /// An environment variable holding the token.
    pub token_env: Option<String>,
    /// A shell command printing the token.
    pub token_command: Option<String>,
    /// The account's password.
    pub password: Option<Secret>,
    /// A file holding the password.
    pub password_file: Option<PathBuf>,
    /// An environment variable holding the password.
    pub password_env: Option<String>,
    /// A shell command printing the password.
    pub password_command: Option<String>,
    /// The base32 TOTP secret 2FA codes are made from.
    pub totp_secret: Option<Secret>,
    /// A file holding the TOTP secret.
    pub totp_secret_file: Option<PathBuf>,
    /// An environment variable holding the TOTP secret.
    pub totp_secret_env: Option<String>,
    /// A shell command printing the TOTP secret.
    pub totp_secret_command: Option<String>,
}

/// Every key, with a `*_command`'s text left out (`echo TOKEN` is a secret); values are
/// [`Secret`]s, which show as `***`.
impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |c: &Option<String>| c.as_ref().map(|_| "***");
        f.debug_struct("Profile")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("service", &self.service)
            .field("user", &self.user)
            .field("auth", &self.auth)
            .field("tls", &self.tls)
            .field("insecure", &self.insecure)
            .field("ca_file", &self.ca_file)
            .field("pin_sha256", &self.pin_sha256)
            .field("timeout", &self.timeout)
            .field("cpanel_user", &self.cpanel_user)
            .field("strict", &self.strict)
            .field("read_only", &self.read_only)
            .field("retry", &self.retry)
            .field("accesshash", &self.accesshash)
            .field("accesshash_file", &self.accesshash_file)
            .field("accesshash_env", &self.accesshash_env)
            .field("accesshash_command", &hidden(&self.accesshash_command))
            .field("token", &self.token)
            .field("token_file", &self.token_file)
            .field("token_env", &self.token_env)
            .field("token_command", &hidden(&self.token_command))
            .field("password", &self.password)
            .field("password_file", &self.password_file)
            .field("password_env", &self.password_env)
            .field("password_command", &hidden(&self.password_command))
            .field("totp_secret", &self.totp_secret)
            .field("totp_secret_file", &self.totp_secret_file)
            .field("totp_secret_env", &self.totp_secret_env)
            .field("totp_secret_command", &hidden(&self.totp_secret_command))
            .finish()
    }
}

/// Seconds a call may take: above 0, at most a day.
pub fn check_timeout(seconds: f64) -> std::result::Result<f64, String> {
    if seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0 {
        Ok(seconds)
    } else {
        Err(format!(
            "timeout {seconds} is out of range: give a number of seconds above 0 and at most 86400"
        ))
    }
}

/// `timeout = N` checked where it is read, so the error names the file, line and column.
fn timeout<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<f64>, D::Error> {
    check_timeout(f64::deserialize(d)?)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// The most `retry = N` may ask for: more would only hammer a server that is down.
const MAX_RETRY: u32 = 10;

/// `retry = N` checked where it is read: a whole number from 0 to [`MAX_RETRY`].
fn retry<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<u32>, D::Error> {
    let n = i64::deserialize(d)?;
    u32::try_from(n)
        .ok()
        .filter(|n| *n <= MAX_RETRY)
        .map(Some)
        .ok_or_else(|| {
            serde::de::Error::custom(format!(
                "retry = {n} is not a number of retries: write 0 to {MAX_RETRY} (0: no retries)"
            ))
        })
}

/// The secrets a profile can hold, each under its key and its `_file`, `_env` and
/// `_command` forms.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretName {
    /// `accesshash`
    Accesshash,
    /// `token`
    Token,
    /// `password`
    Password,
    /// `totp_secret`
    TotpSecret,
}

impl SecretName {
    /// Every secret, in the order messages name them.
    pub const ALL: [SecretName; 4] = [
        SecretName::Accesshash,
        SecretName::Token,
        SecretName::Password,
        SecretName::TotpSecret,
    ];

    /// The key as a profile spells it.
    pub fn key(self) -> &'static str {
        match self {
            SecretName::Accesshash => "accesshash",
            SecretName::Token => "token",
            SecretName::Password => "password",
            SecretName::TotpSecret => "totp_secret",
        }
    }
}

/// A secret's value, `_file`, `_env` and `_command` keys, as a profile holds them.
pub type Spellings<'a> = (
    &'a Option<Secret>,
    &'a Option<PathBuf>,
    &'a Option<String>,
    &'a Option<String>,
);

impl Profile {
    /// The named secret's four spellings: the value, `_file`, `_env` and `_command`.
    pub fn spellings(&self, name: SecretName) -> Spellings<'_> {
        match name {
            SecretName::Accesshash => (
                &self.accesshash,
                &self.accesshash_file,
                &self.accesshash_env,
                &self.accesshash_command,
            ),
            SecretName::Token => (
                &self.token,
                &self.token_file,
                &self.token_env,
                &self.token_command,
            ),
            SecretName::Password => (
                &self.password,
                &self.password_file,
                &self.password_env,
                &self.password_command,
            ),
            SecretName::TotpSecret => (
                &self.totp_secret,
                &self.totp_secret_file,
                &self.totp_secret_env,
                &self.totp_secret_command,
            ),
        }
    }

    /// Where the named secret comes from, if the profile says; two spellings at once is an error.
    pub fn secret_source(&self, name: SecretName) -> Result<Option<Source>> {
        let (value, file, env, command) = self.spellings(name);
        let key = name.key();
        let mut found = Vec::new();
        if let Some(v) = value {
            found.push((key.to_string(), Source::Value(v.clone())));
        }
        if let Some(p) = file {
            found.push((format!("{key}_file"), Source::File(expand_tilde(p))));
        }
        if let Some(v) = env {
            found.push((format!("{key}_env"), Source::Env(v.clone())));
        }
        if let Some(c) = command {
            found.push((format!("{key}_command"), Source::Command(c.clone())));
        }
        match found.len() {
            0 => Ok(None),
            1 => Ok(found.pop().map(|(_, s)| s)),
            _ => {
                let keys: Vec<_> = found.iter().map(|(k, _)| format!("`{k}`")).collect();
                Err(Error::config(format!(
                    "the profile sets {} at once: keep one of them",
                    keys.join(" and ")
                )))
            }
        }
    }
}

/// `~/x` means the home directory, as in a shell.
pub fn expand_tilde(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), dirs::home_dir()) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_path_buf(),
    }
}

/// Where a target's settings come from.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A profile (of the config file, or named in [`TargetBuilder::name`]).
    Named(String),
    /// Settings given at run time without a profile (a command line's flags and variables).
    AdHoc,
    /// Built in code with [`Target::builder`], without a name.
    Built,
}

impl Origin {
    /// The profile's name, when there is a profile.
    pub fn name(&self) -> Option<&str> {
        match self {
            Origin::Named(name) => Some(name),
            Origin::AdHoc | Origin::Built => None,
        }
    }

    /// `profile "prod"`, `the command line` or `the target HOST`, for messages.
    pub(crate) fn whose(&self, host: &str) -> String {
        match self {
            Origin::AdHoc => "the command line".to_string(),
            Origin::Named(name) => format!("profile \"{name}\""),
            Origin::Built => format!("the target {host}"),
        }
    }
}

/// The profile's name, `(command line)` or `(built in code)`, for messages and JSON lines.
impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            Origin::Named(name) => name,
            Origin::AdHoc => "(command line)",
            Origin::Built => "(built in code)",
        })
    }
}

/// Which HTTP proxy a target's calls go through.
#[non_exhaustive]
#[derive(Clone, Default, PartialEq, Eq)]
pub enum ProxySetting {
    /// None: straight to the server (the default for a target built in code).
    #[default]
    None,
    /// This one (`http://[user:password@]host:port`), tunnelled through with CONNECT.
    Url(String),
    /// The one `https_proxy` / `http_proxy` / `all_proxy` name, with `no_proxy`, as curl
    /// reads them (what a profile of the config file uses).
    FromEnv,
}

/// A URL's credentials left out (`http://***@proxy:3128`).
impl std::fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProxySetting::None => f.write_str("None"),
            ProxySetting::FromEnv => f.write_str("FromEnv"),
            ProxySetting::Url(url) => {
                let shown = match url.rsplit_once('@') {
                    Some((_, host)) => match url.split_once("://") {
                        Some((scheme, _)) => format!("{scheme}://***@{host}"),
                        None => format!("***@{host}"),
                    },
                    None => url.clone(),
                };
                f.debug_tuple("Url").field(&shown).finish()
            }
        }
    }
}

/// Where a target keeps the sessions of `auth = "session"` (only those use one).
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SessionStore {
    /// In memory, shared by the target's clones and gone with them (the default for a target
    /// built in code).
    #[default]
    Memory,
    /// As files in this folder, shared with other processes that name it.
    Folder(PathBuf),
    /// As files in the state folder (`$XDG_STATE_HOME/cpcall/sessions`), where `cpcall login`
    /// keeps them (what a profile of the config file uses).
    StateFolder,
}

/// One server and how to reach and prove oneself to it, resolved and checked: built in code
/// ([`Target::builder`]) or from a profile ([`Target::from_profile`], [`crate::profiles`]).
/// Debug output masks its secrets.
#[derive(Debug, Clone)]
pub struct Target {
    pub(crate) profile: Origin,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) service: Service,
    pub(crate) tls: bool,
    pub(crate) verify: Verify,
    pub(crate) timeout: Duration,
    pub(crate) user: Option<String>,
    pub(crate) auth: AuthKind,
    pub(crate) secrets: Secrets,
    pub(crate) cpanel_user: Option<String>,
    /// The HTTP proxy to tunnel through.
    pub(crate) proxy: Option<crate::proxy::Proxy>,
    /// Where an `auth = "session"` target keeps its sessions.
    pub(crate) sessions: crate::store::Store,
    /// Where its service came from when not from its own settings (`$CPCALL_SERVICE`): said
    /// where a message names the service, since a setting left over explains a refusal.
    pub(crate) service_from: Option<String>,
    /// Where its words go, and the secrets masked in them.
    pub(crate) voice: crate::report::Voice,
    /// The settings it was built from (not in Debug output: a `*_command` may hold a secret).
    pub(crate) settings: Unshown<Box<Profile>>,
}

/// A field Debug output leaves out.
#[derive(Clone)]
pub(crate) struct Unshown<T>(pub T);

impl<T> std::fmt::Debug for Unshown<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("…")
    }
}

/// A credential the server refused: its header's SHA-256, and when.
pub(crate) type Refusal = ([u8; 32], std::time::Instant);

/// Where each secret of the target comes from; read only when the auth in use needs it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Secrets {
    pub accesshash: Option<Source>,
    pub token: Option<Source>,
    pub password: Option<Source>,
    pub totp_secret: Option<Source>,
    /// What each `*_command` printed, by key: a command runs once per target (and its
    /// clones), not once per call: a batch of 500 lines asks `pass` or a vault once.
    ran: std::sync::Arc<std::sync::Mutex<Vec<(String, Secret)>>>,
    /// The SHA-256 of each credential header the server refused: never sent again (cPHulk
    /// counts every refusal), by any clone of the target.
    pub(crate) refused: std::sync::Arc<std::sync::Mutex<Vec<Refusal>>>,
}

impl Secrets {
    fn all(&self) -> impl Iterator<Item = &Source> {
        [
            &self.accesshash,
            &self.token,
            &self.password,
            &self.totp_secret,
        ]
        .into_iter()
        .flatten()
    }
}

impl Target {
    /// A target made in code rather than read from a config file: `host`, with the same
    /// defaults and checks a profile gets (WHM on 2087 over verified TLS, 60 s).
    ///
    /// ```
    /// use cpanel_client::{AuthKind, Service, Target};
    ///
    /// let target = Target::builder("server.example.com")
    ///     .service(Service::Cpanel)
    ///     .user("bob")
    ///     .token("EXAMPLETOKEN")
    ///     .build()?;
    /// assert_eq!(target.port(), 2083);
    /// assert_eq!(target.auth(), AuthKind::Token);
    /// assert!(!format!("{target:?}").contains("EXAMPLETOKEN"));
    /// # Ok::<(), cpanel_client::Error>(())
    /// ```
    pub fn builder(host: impl Into<String>) -> TargetBuilder {
        TargetBuilder {
            name: None,
            profile: Profile {
                host: Some(host.into()),
                ..Profile::default()
            },
            sessions: SessionStore::Memory,
            proxy: ProxySetting::None,
            service_from: None,
            ca_pem: None,
            only_given_cas: false,
            origin: None,
        }
    }

    /// The target a profile describes, as its secrets' sources say (read when a call needs
    /// them, not now); `name` is the profile's name (`None`: [`Origin::AdHoc`]). Its
    /// sessions go to the state folder and its proxy comes from the environment, as for the
    /// `cpcall` command; the builder's methods change that.
    pub fn from_profile(name: Option<&str>, profile: &Profile) -> TargetBuilder {
        TargetBuilder {
            name: name.map(str::to_string),
            profile: profile.clone(),
            sessions: SessionStore::StateFolder,
            proxy: ProxySetting::FromEnv,
            service_from: None,
            ca_pem: None,
            only_given_cas: false,
            origin: Some(match name {
                Some(name) => Origin::Named(name.to_string()),
                None => Origin::AdHoc,
            }),
        }
    }

    /// The profile it came from, or [`Origin::AdHoc`] / [`Origin::Built`].
    pub fn profile(&self) -> &Origin {
        &self.profile
    }

    /// The host name or address (an internationalised name in its `xn--` form).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port calls go to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The service it talks to.
    pub fn service(&self) -> Service {
        self.service
    }

    /// Whether calls go over TLS.
    pub fn tls(&self) -> bool {
        self.tls
    }

    /// The user it calls as, when one is set.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// How it proves who it is.
    pub fn auth(&self) -> AuthKind {
        self.auth
    }

    /// How long a call may take.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The cPanel account a WHM target calls cPanel functions for by default.
    pub fn cpanel_user(&self) -> Option<&str> {
        self.cpanel_user.as_deref()
    }

    /// Whom it trusts.
    pub fn trust(&self) -> Trust<'_> {
        match &self.verify {
            Verify::Insecure => Trust::Insecure,
            Verify::Pin(pin) => Trust::Pin(*pin),
            Verify::Roots {
                ca_file,
                ca_pem,
                only,
            } => Trust::Roots {
                ca_file: ca_file.as_deref(),
                ca_pem: ca_pem.is_some(),
                only: *only,
            },
        }
    }

    /// The proxy its calls go through (`http://host:port`, credentials left out), if any.
    pub fn proxy(&self) -> Option<String> {
        self.proxy.as_ref().map(|p| p.describe())
    }

    /// Where its secrets come from, by key (`token`, `password`…): the ones it has.
    pub fn secret_sources(&self) -> Vec<(SecretName, &Source)> {
        [
            (SecretName::Accesshash, &self.secrets.accesshash),
            (SecretName::Token, &self.secrets.token),
            (SecretName::Password, &self.secrets.password),
            (SecretName::TotpSecret, &self.secrets.totp_secret),
        ]
        .into_iter()
        .filter_map(|(name, s)| s.as_ref().map(|s| (name, s)))
        .collect()
    }

    /// Reads one of the target's secrets (`key` names it in messages), a command within the
    /// target's timeout; what is read joins the target's mask.
    pub(crate) fn read_secret(&self, source: &Source, key: &str) -> Result<Secret> {
        let read = || {
            source.resolve(
                &format!("{key} of {}", self.describe()),
                self.timeout,
                &self.voice,
            )
        };
        let Source::Command(_) = source else {
            return read();
        };
        let mut ran = self.secrets.ran.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, secret)) = ran.iter().find(|(k, _)| k == key) {
            return Ok(secret.clone());
        }
        let secret = read()?;
        ran.push((key.to_string(), secret.clone()));
        Ok(secret)
    }

    /// Reads the secret `name` now, from wherever the target's settings say (a `*_command`
    /// runs once a target), for checking a profile; `None` when it has no such secret.
    pub fn read_secret_now(&self, name: SecretName) -> Result<Option<Secret>> {
        let Some((_, source)) = self.secret_sources().into_iter().find(|(n, _)| *n == name) else {
            return Ok(None);
        };
        self.read_secret(source, name.key()).map(Some)
    }

    /// The file its user's session is saved in, when its sessions are kept in files (it
    /// need not exist).
    pub fn session_file(&self) -> Result<Option<PathBuf>> {
        match self.user.as_deref() {
            Some(user) => crate::store::path(self, user),
            None => Ok(None),
        }
    }

    /// `https://host:port`, with brackets around an IPv6 address.
    pub fn base_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        if self.host.contains(':') {
            format!("{scheme}://[{}]:{}", self.host, self.port)
        } else {
            format!("{scheme}://{}:{}", self.host, self.port)
        }
    }

    /// `profile "prod"`, `the command line` or `the target HOST`, for messages.
    pub fn describe(&self) -> String {
        self.profile.whose(&self.host)
    }

    /// ` (its service comes from $CPCALL_SERVICE)` when the service was not the target's own
    /// setting: a variable left set explains a refusal that names the service.
    pub fn service_note(&self) -> String {
        self.service_from.as_ref().map_or_else(String::new, |from| {
            format!(" (its service comes from {from})")
        })
    }

    /// The session saved for its user (not checked with the server), for showing an
    /// equivalent request. Only an `auth = "session"` target's calls use it.
    pub fn saved_session(&self) -> Result<Option<crate::SessionInfo>> {
        let Some(user) = self.user.as_deref() else {
            return Ok(None);
        };
        Ok(crate::store::load(self, user)?.map(|s| s.info()))
    }

    /// Its mask: the secrets it masks, as they are read (a program printing server text of
    /// its own masks it with this).
    pub fn mask(&self) -> crate::Mask {
        self.voice.mask().clone()
    }

    /// The settings it was built from, as a profile holds them (its `strict`, its keys as
    /// written).
    pub fn settings(&self) -> &Profile {
        &self.settings.0
    }

    /// The text with the target's secrets masked (those read so far, and those given).
    pub fn masked<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        self.voice.masked(text)
    }
}

/// Whom a target trusts ([`Target::trust`]).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust<'a> {
    /// CA-signed certificates: the system's store and the bundled web roots, plus the
    /// certificates given (a file, PEM bytes); `only`: the given ones alone.
    Roots {
        /// The PEM file of certificates to trust too.
        ca_file: Option<&'a std::path::Path>,
        /// PEM certificates given as bytes.
        ca_pem: bool,
        /// Only the given certificates, not the system's or the bundled ones.
        only: bool,
    },
    /// Exactly the certificate with this SHA-256 fingerprint.
    Pin([u8; 32]),
    /// Anything (verification off).
    Insecure,
}

/// The target a profile describes: its checks, its defaults.
fn build(origin: Origin, p: &Profile, b: &TargetBuilder) -> Result<Target> {
    let ad_hoc = origin == Origin::AdHoc;
    let whose = origin.whose(p.host.as_deref().unwrap_or_default());
    let host = p.host.clone().ok_or_else(|| {
        Error::config(format!(
            "{whose} has no host: add host = \"server.example.com\""
        ))
    })?;
    let host = check_host(&host)?;
    let service = p.service.unwrap_or(Service::Whm);
    if p.port == Some(0) {
        return Err(Error::config(format!(
            "{whose}: port 0 is not a port; use 1-65535"
        )));
    }
    let tls = p
        .tls
        .unwrap_or_else(|| !p.port.is_some_and(Service::is_plain_port));
    let port = p.port.unwrap_or_else(|| service.default_port(tls));

    // A pin beats `insecure = true`; either beats the CA settings.
    let verify = if let Some(pin) = &p.pin_sha256 {
        Verify::Pin(tls::parse_pin(pin)?)
    } else if p.insecure == Some(true) {
        Verify::Insecure
    } else {
        Verify::Roots {
            ca_file: p.ca_file.as_deref().map(expand_tilde),
            ca_pem: b.ca_pem.clone(),
            only: b.only_given_cas,
        }
    };
    if let Verify::Roots {
        ca_file: None,
        ca_pem: None,
        only: true,
    } = &verify
    {
        return Err(Error::config(format!(
            "{whose} trusts only the CAs given, and none is: give .ca_file(…) or .ca_pem(…)"
        )));
    }
    // A config file's is checked where it is read (with its line); a built target's, here.
    if let Some(t) = p.timeout {
        check_timeout(t).map_err(Error::config)?;
    }
    let timeout = p.timeout.unwrap_or(DEFAULT_TIMEOUT);

    let secrets = Secrets {
        accesshash: p.secret_source(SecretName::Accesshash)?,
        token: p.secret_source(SecretName::Token)?,
        password: p.secret_source(SecretName::Password)?,
        totp_secret: p.secret_source(SecretName::TotpSecret)?,
        ..Secrets::default()
    };
    let auth = match p.auth {
        Some(auth) => auth,
        None => infer_auth(&secrets, &whose, ad_hoc)?,
    };
    let voice = crate::report::Voice::default();
    for source in secrets.all() {
        if let Source::Value(secret) = source {
            voice.hide(secret.expose());
        }
    }
    let proxy = match &b.proxy {
        ProxySetting::None => None,
        ProxySetting::Url(url) => Some(crate::proxy::Proxy::parse(url, "the proxy given")?),
        ProxySetting::FromEnv => crate::proxy::for_host(&host, tls, &|k| std::env::var(k).ok())?,
    };
    if let Some(proxy) = &proxy {
        proxy.hide_credentials(&voice);
    }
    Ok(Target {
        profile: origin,
        host,
        port,
        service,
        tls,
        verify,
        timeout: Duration::from_secs_f64(timeout),
        user: p.user.clone().filter(|u| !u.is_empty()),
        auth,
        secrets,
        cpanel_user: p.cpanel_user.clone(),
        proxy,
        sessions: match &b.sessions {
            SessionStore::Memory => crate::store::Store::memory(),
            SessionStore::Folder(dir) => crate::store::Store::Files(Some(dir.clone())),
            SessionStore::StateFolder => crate::store::Store::Files(None),
        },
        service_from: b.service_from.clone(),
        voice,
        settings: Unshown(Box::new(p.clone())),
    })
}

/// A [`Target`] in the making ([`Target::builder`], [`Target::from_profile`]): each method
/// sets what a profile's key of the same name sets, and [`TargetBuilder::build`] checks it all
/// as a profile is checked.
#[derive(Debug, Clone)]
pub struct TargetBuilder {
    name: Option<String>,
    profile: Profile,
    sessions: SessionStore,
    proxy: ProxySetting,
    service_from: Option<String>,
    ca_pem: Option<std::sync::Arc<[u8]>>,
    only_given_cas: bool,
    /// Set for a profile's target, whose secrets are read when needed; a built target's are
    /// checked by `build`.
    origin: Option<Origin>,
}

impl TargetBuilder {
    /// Keeps the target's sessions (`auth = "session"`) as files in `dir`, shared with other
    /// processes that name the same folder (and with `cpcall` when it is the state folder,
    /// `$XDG_STATE_HOME/cpcall/sessions`). Without it they live in memory, shared by the
    /// target's clones and gone with them.
    pub fn session_dir(self, dir: impl Into<PathBuf>) -> Self {
        self.sessions(SessionStore::Folder(dir.into()))
    }

    /// Where the target keeps its sessions.
    pub fn sessions(mut self, store: SessionStore) -> Self {
        self.sessions = store;
        self
    }

    /// The proxy its calls go through (none unless set, for a target built in code).
    pub fn proxy(mut self, proxy: ProxySetting) -> Self {
        self.proxy = proxy;
        self
    }

    /// Where its service setting came from, when not from the target's own settings (`$X`,
    /// `--service`): said after the target's name where a message names its service.
    pub fn service_from(mut self, from: impl Into<String>) -> Self {
        self.service_from = Some(from.into());
        self
    }

    /// A name for messages and for its session's file name (as a profile's name is).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The host (a name or an address, no port).
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.profile.host = Some(host.into());
        self
    }

    /// The service (WHM unless set); it decides the default port.
    pub fn service(mut self, service: Service) -> Self {
        self.profile.service = Some(service);
        self
    }

    /// A port other than the service's default; the plain-HTTP ports (2082, 2086, 2095)
    /// turn TLS off unless [`TargetBuilder::tls`] says otherwise.
    pub fn port(mut self, port: u16) -> Self {
        self.profile.port = Some(port);
        self
    }

    /// TLS on or off (on unless the port is a plain-HTTP one).
    pub fn tls(mut self, tls: bool) -> Self {
        self.profile.tls = Some(tls);
        self
    }

    /// The user calls are made as (root, a reseller, a cPanel account).
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.profile.user = Some(user.into());
        self
    }

    /// How to prove who it is, when more than one credential is given (or for a session).
    pub fn auth(mut self, auth: AuthKind) -> Self {
        self.profile.auth = Some(auth);
        self
    }

    /// An API token.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.profile.token = Some(Secret::new(token.into()));
        self
    }

    /// A WHM access hash.
    pub fn accesshash(mut self, hash: impl Into<String>) -> Self {
        self.profile.accesshash = Some(Secret::new(hash.into()));
        self
    }

    /// The account's password.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.profile.password = Some(Secret::new(password.into()));
        self
    }

    /// The base32 TOTP secret 2FA codes are made from.
    pub fn totp_secret(mut self, secret: impl Into<String>) -> Self {
        self.profile.totp_secret = Some(Secret::new(secret.into()));
        self
    }

    /// Certificates (PEM file) to trust besides the system's; the server's own self-signed
    /// one is accepted, as curl's `--cacert` accepts it. Read by [`crate::Client::new`].
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.profile.ca_file = Some(path.into());
        self
    }

    /// Certificates (PEM text) to trust besides the system's, as [`TargetBuilder::ca_file`]
    /// trusts a file's.
    pub fn ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pem = Some(pem.into().into());
        self
    }

    /// Trust only the certificates given ([`TargetBuilder::ca_file`], [`TargetBuilder::ca_pem`]),
    /// not the system's store or the bundled web roots.
    pub fn only_given_cas(mut self) -> Self {
        self.only_given_cas = true;
        self
    }

    /// Trust exactly the certificate with this SHA-256 fingerprint (hex, colons allowed).
    pub fn pin_sha256(mut self, fingerprint: impl Into<String>) -> Self {
        self.profile.pin_sha256 = Some(fingerprint.into());
        self
    }

    /// Do not verify the server's certificate. Anyone on the path can then read the
    /// credentials: prefer [`TargetBuilder::pin_sha256`] or [`TargetBuilder::ca_file`].
    /// [`crate::Client::new`] warns about it through the client's reporter.
    pub fn insecure(mut self) -> Self {
        self.profile.insecure = Some(true);
        self
    }

    /// How long a call may take (above 0, at most a day; 60 s unless set).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.profile.timeout = Some(timeout.as_secs_f64());
        self
    }

    /// The cPanel account a WHM target calls cPanel functions for by default.
    pub fn cpanel_user(mut self, user: impl Into<String>) -> Self {
        self.profile.cpanel_user = Some(user.into());
        self
    }

    /// The target, checked as a profile is: a host that is a host, a port that is a port, one
    /// credential (or an `auth` choosing), a pin that is a fingerprint, a timeout in range. A
    /// target built in code has its secrets already, so they are checked too (present, one
    /// line, a user where one is needed, a TOTP secret that is base32); a profile's are read
    /// when a call needs them. The `ca_file` is read by [`crate::Client::new`].
    pub fn build(self) -> Result<Target> {
        let (origin, lazy) = match (&self.origin, &self.name) {
            (Some(_), Some(name)) => (Origin::Named(name.clone()), true),
            (Some(origin), None) => (origin.clone(), true),
            (None, Some(name)) => (Origin::Named(name.clone()), false),
            (None, None) => (Origin::Built, false),
        };
        let target = build(origin, &self.profile, &self)?;
        match target.auth {
            _ if lazy => Ok(target),
            AuthKind::Session if target.user.is_none() => Err(Error::config(format!(
                "{} has no user to log in as: add .user(\"NAME\")",
                target.describe()
            ))),
            AuthKind::Session => Ok(target),
            _ => crate::auth::Credentials::resolve(&target).map(|_| target),
        }
    }
}

/// With no `auth` key, the one kind of credential the profile holds decides.
fn infer_auth(secrets: &Secrets, whose: &str, ad_hoc: bool) -> Result<AuthKind> {
    let held: Vec<AuthKind> = [
        (AuthKind::Token, secrets.token.is_some()),
        (AuthKind::Accesshash, secrets.accesshash.is_some()),
        (AuthKind::Password, secrets.password.is_some()),
    ]
    .into_iter()
    .filter_map(|(kind, present)| present.then_some(kind))
    .collect();
    match (held.as_slice(), ad_hoc) {
        ([one], _) => Ok(*one),
        ([], true) => Err(Error::config(
            "no credentials: set CPCALL_TOKEN, CPCALL_ACCESSHASH or CPCALL_PASSWORD (and CPCALL_USER)",
        )),
        ([], false) => Err(Error::config(format!(
            "{whose} has no credentials: add token, accesshash or password (or their _file, _env, _command forms)"
        ))),
        (_, true) => Err(Error::config(
            "more than one of CPCALL_TOKEN, CPCALL_ACCESSHASH, CPCALL_PASSWORD is set: unset all but one",
        )),
        (_, false) => Err(Error::config(format!(
            "{whose} holds several credentials: say which to use with auth = \"token\", \"accesshash\" or \"password\""
        ))),
    }
}

/// A host is a name or an address: not a URL, and without a port.
fn check_host(host: &str) -> Result<String> {
    let host = host.trim();
    let unbracketed = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if unbracketed.parse::<Ipv6Addr>().is_ok() {
        return Ok(unbracketed.to_string());
    }
    let ascii_ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
    let bad =
        host.is_empty() || host.len() > 253 || host.chars().any(|c| c.is_ascii() && !ascii_ok(c));
    if bad {
        return Err(Error::config(format!(
            "host \"{host}\" is not a host name or address: give only the name, e.g. host = \"server.example.com\", and the port separately"
        )));
    }
    if host.is_ascii() {
        return Ok(host.to_string());
    }
    // An international name (bücher.example) goes on the wire and into TLS in its ASCII form.
    idna::domain_to_ascii(host).map_err(|_| {
        Error::config(format!(
            "host \"{host}\" is not a valid international domain name: check its spelling, or give its ASCII (xn--) form"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A target built in code gets a profile's defaults and a profile's checks.
    #[test]
    fn targets_built_in_code() {
        let b = || Target::builder("server.example.com");
        let t = b().token("T").build().unwrap();
        assert_eq!(
            (t.port(), t.service(), t.auth(), t.profile()),
            (2087, Service::Whm, AuthKind::Token, &Origin::Built)
        );
        let t = b()
            .name("web")
            .service(Service::Webmail)
            .user("u@x.example")
            .password("P");
        let t = t.build().unwrap();
        assert_eq!(
            (t.port(), t.auth(), t.user()),
            (2096, AuthKind::Password, Some("u@x.example"))
        );
        assert_eq!(t.profile(), &Origin::Named("web".into()));
        assert_eq!(
            b().port(2086).token("T").build().unwrap().base_url(),
            "http://server.example.com:2086"
        );
        let refused: [(TargetBuilder, &str); 13] = [
            (Target::builder("bad host").token("T"), "host"),
            (b().port(0).token("T"), "port 0"),
            (b().token("T").password("P"), "auth"),
            (b(), "no credentials"),
            (b().token("T").pin_sha256("zz"), "pin"),
            (b().token("T").timeout(Duration::ZERO), "timeout"),
            (b().auth(AuthKind::Token), "no token"),
            (b().token(""), "empty token"),
            (b().token("A\nB"), "two-line token"),
            (b().user("a:b").token("T"), "user with a colon"),
            (
                b().user("u").password("P").totp_secret("not base32!"),
                "TOTP secret",
            ),
            (
                b().service(Service::Webmail).accesshash("H"),
                "access hash on webmail",
            ),
            (b().auth(AuthKind::Session), "session without a user"),
        ];
        for (builder, what) in refused {
            let e = builder
                .build()
                .err()
                .unwrap_or_else(|| panic!("{what} accepted"));
            assert_eq!(*e.kind(), crate::ErrorKind::Config, "{what}: {e}");
            let m = e.to_string();
            assert!(
                !m.contains("CPCALL_") && !m.contains("command line"),
                "{what}: {m}"
            );
        }
    }

    /// Debug output of settings shows no secret: not a command's text, not a proxy's password.
    #[test]
    fn settings_debug_shows_no_secret() {
        let p = Profile {
            token_command: Some("echo TOKINCMD123456".into()),
            ..Profile::default()
        };
        let b = Target::builder("h.example")
            .token("SEKRETTOKEN1")
            .proxy(ProxySetting::Url(
                "http://u:Pr0xyS3cretPass@127.0.0.1:9".into(),
            ));
        let shown = format!("{p:?} {b:?}");
        for secret in ["TOKINCMD123456", "SEKRETTOKEN1", "Pr0xyS3cretPass"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("127.0.0.1:9"), "{shown}");
    }

    /// A built target gets a profile's defaults and checks; its Debug output shows no secret.
    #[test]
    fn builder_table() {
        let ok = |b: TargetBuilder| b.proxy(ProxySetting::None).build().unwrap();
        let t = ok(Target::builder("h.example").token("SEKRET-T0KEN"));
        assert_eq!(
            (t.port(), t.service(), t.auth(), t.tls()),
            (2087, Service::Whm, AuthKind::Token, true)
        );
        assert!(!format!("{t:?}").contains("SEKRET-T0KEN"));
        let t = ok(Target::builder("h.example")
            .service(Service::Cpanel)
            .user("bob")
            .password("pw"));
        assert_eq!((t.port(), t.auth()), (2083, AuthKind::Password));
        let bad = |b: TargetBuilder, want: &str| {
            let e = b.proxy(ProxySetting::None).build().unwrap_err();
            assert_eq!(*e.kind(), crate::ErrorKind::Config, "{e}");
            assert!(e.to_string().contains(want), "{want}: {e}");
        };
        bad(
            Target::builder("h.example").only_given_cas().token("t"),
            "trusts only the CAs given",
        );
        bad(
            Target::builder("h.example")
                .timeout(Duration::ZERO)
                .token("t"),
            "timeout",
        );
        bad(Target::builder("not a host").token("t"), "host");
    }
}
