//! The settings of one call: a config profile, or the environment, with command-line flags on top.
//!
//! Precedence: flags > profile > defaults. Without `-p` and with `--host`, no config is read at
//! all and credentials come from `CPCALL_*` variables (an "ad-hoc" target).

use std::net::Ipv6Addr;
use std::time::Duration;

use crate::client::tls::{self, Verify};
use crate::config::secret::{Secret, Source};
use crate::config::{AuthKind, Loaded, ProfileConfig, SecretName, Service};
use crate::error::{Error, Result};

/// Command-line settings that override the profile.
#[derive(Debug, Default, Clone)]
pub struct Flags {
    pub profile: Option<String>,
    /// The profile was typed with `-p` for this one call, so `--host` may point it elsewhere;
    /// when it came from `CPCALL_PROFILE`, `--host` elsewhere is refused (its secrets would
    /// follow a variable the user may have forgotten).
    pub profile_typed: bool,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub service: Option<Service>,
    /// `service` came from `CPCALL_SERVICE`, not `--service` (for messages).
    pub service_from_env: bool,
    pub insecure: bool,
    /// `--ca-file`, `--pin-sha256`: they beat the profile's trust settings (`--insecure`
    /// beats them).
    pub ca_file: Option<std::path::PathBuf>,
    pub pin_sha256: Option<String>,
    pub timeout: Option<f64>,
}

pub const DEFAULT_TIMEOUT: f64 = 60.0;
/// Where a target's settings come from: a profile of the config file, or the command line
/// alone (`--host` and `CPCALL_*` variables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A profile (of the config file, or named in [`TargetBuilder::name`]).
    Named(String),
    /// The command line alone (`--host` and `CPCALL_*` variables).
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
    fn whose(&self, host: &str) -> String {
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

/// One server and how to reach and prove oneself to it, resolved and checked: from a profile
/// ([`crate::client::Client::profile`]) or built in code ([`Target::builder`]). Debug output
/// masks its secrets.
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
    /// `strict = true`: calls the catalogue questions are refused.
    pub(crate) strict: bool,
    /// The HTTP proxy to tunnel through, from the environment as curl reads it.
    pub(crate) proxy: Option<crate::client::proxy::Proxy>,
    /// Where an `auth = "session"` target keeps its sessions (only those use one): the state
    /// folder for profiles, memory (or a folder named) for targets built in code.
    pub(crate) sessions: crate::client::store::Store,
    /// The config file its profile came from, when not the default one: commands cpcall
    /// advises name it (`cpcall -c FILE -p NAME trust`).
    pub(crate) config: Option<std::path::PathBuf>,
    /// Where its service came from when not from the profile: `--service`, `$CPCALL_SERVICE`.
    pub(crate) service_from: Option<&'static str>,
}

/// Where each secret of the target comes from; read only when the auth in use needs it.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    pub accesshash: Option<Source>,
    pub token: Option<Source>,
    pub password: Option<Source>,
    pub totp_secret: Option<Source>,
    /// What each `*_command` printed, by key: a command runs once per target (and its
    /// clones), not once per call: a batch of 500 lines asks `pass` or a vault once.
    ran: std::sync::Arc<std::sync::Mutex<Vec<(String, Secret)>>>,
    /// The SHA-256 of each credential header the server refused in this run: never sent again
    /// (cPHulk counts every refusal), by any clone of the target.
    pub(crate) refused: std::sync::Arc<std::sync::Mutex<Vec<[u8; 32]>>>,
}

impl Secrets {
    /// The files secrets are read from (`*_file`).
    pub fn files(&self) -> impl Iterator<Item = &std::path::Path> {
        [
            &self.accesshash,
            &self.token,
            &self.password,
            &self.totp_secret,
        ]
        .into_iter()
        .filter_map(|s| match s {
            Some(Source::File(path)) => Some(path.as_path()),
            _ => None,
        })
    }
}

impl Target {
    /// A target made in code rather than read from a config file: `host`, with the same
    /// defaults and checks a profile gets (WHM on 2087 over verified TLS, 60 s).
    ///
    /// ```
    /// use cpcall::client::{AuthKind, Service, Target};
    ///
    /// let target = Target::builder("server.example.com")
    ///     .service(Service::Cpanel)
    ///     .user("bob")
    ///     .token("EXAMPLETOKEN")
    ///     .build()?;
    /// assert_eq!(target.port(), 2083);
    /// assert_eq!(target.auth(), AuthKind::Token);
    /// assert!(!format!("{target:?}").contains("EXAMPLETOKEN"));
    /// # Ok::<(), cpcall::client::Error>(())
    /// ```
    pub fn builder(host: impl Into<String>) -> TargetBuilder {
        TargetBuilder {
            name: None,
            profile: ProfileConfig {
                host: Some(host.into()),
                ..ProfileConfig::default()
            },
            session_dir: None,
        }
    }

    /// The profile it came from, or [`Origin::AdHoc`].
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

    /// The user it calls as, when one is set.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// How it proves who it is.
    pub fn auth(&self) -> AuthKind {
        self.auth
    }

    /// Reads one of the target's secrets (`key` names it in messages), a command within the
    /// target's timeout.
    pub(crate) fn read_secret(&self, source: &Source, key: &str) -> Result<Secret> {
        let read = || source.resolve(&format!("{key} of {}", self.describe()), self.timeout);
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
    pub(crate) fn describe(&self) -> String {
        self.profile.whose(&self.host)
    }

    /// ` (its service comes from $CPCALL_SERVICE)` when the service was not the profile's own:
    /// a variable left set explains a refusal that names the service.
    pub(crate) fn service_note(&self) -> String {
        self.service_from.map_or_else(String::new, |from| {
            format!(" (its service comes from {from})")
        })
    }

    /// The command line that names this profile (`cpcall -p prod`, `cpcall -c FILE -p prod`),
    /// for advice such as "run cpcall -p prod trust"; `None` without a profile.
    pub(crate) fn invocation(&self) -> Option<String> {
        let name = self.profile.name()?;
        let name = crate::quote::shell_word(name);
        Some(match &self.config {
            Some(path) => format!(
                "cpcall -c {} -p {name}",
                crate::quote::shell_word(&path.display().to_string())
            ),
            None => format!("cpcall -p {name}"),
        })
    }

    /// How to make this target trust a certificate it refused: `trust` for a profile, the
    /// flags (or variables) for the command line, the builder for code.
    pub(crate) fn trust_advice(&self, fingerprint: &str) -> String {
        match (&self.profile, self.invocation()) {
            (Origin::Named(_), Some(cpcall)) => format!(
                "check that fingerprint on the server, then run {cpcall} trust (pins it), or set ca_file in the profile to the CA that signed it or that very certificate"
            ),
            (Origin::Built, _) => "pin it with .pin_sha256(\"…\") once you have checked that fingerprint on the server, or give .ca_file(…) the CA that signed it or that very certificate".to_string(),
            _ => format!(
                "check that fingerprint on the server, then pass --pin-sha256 {fingerprint} (or set CPCALL_PIN_SHA256), or --ca-file FILE (CPCALL_CA_FILE) with the CA that signed it or that very certificate; a profile can keep either (cpcall trust)"
            ),
        }
    }
}

pub fn resolve(
    flags: &Flags,
    config: Option<&Loaded>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Target> {
    // A pin from the environment is checked where it is read, so the message names it.
    if let Some(pin) = env("CPCALL_PIN_SHA256") {
        tls::parse_pin(&pin).map_err(|e| Error::usage(format!("$CPCALL_PIN_SHA256: {e}")))?;
    }
    let (name, profile) = if flags.profile.is_none() && flags.host.is_some() {
        (Origin::AdHoc, from_env(env))
    } else {
        let loaded = config.ok_or_else(|| {
            let path = crate::config::default_path()
                .map_or_else(|| "the config file".to_string(), |p| p.display().to_string());
            Error::usage(match &flags.profile {
                Some(name) => format!(
                    "profile \"{name}\" is looked up in the config file {path}, which does not exist: write it (see README), or name another with -c FILE (CPCALL_CONFIG)"
                ),
                None => format!(
                    "no profile to use: write {path} (see README), or pass --host with CPCALL_USER and CPCALL_TOKEN set"
                ),
            })
        })?;
        let (name, profile) = loaded.file.select(flags.profile.as_deref())?;
        check_retarget(name, profile, flags)?;
        let filled = with_env_credentials(name, profile, env)?;
        // A variable of this machine's filling in a profile someone else can change would go
        // to whatever host they put there.
        if let (Some(who), true) = (
            &loaded.others_can_write,
            filled.token_env != profile.token_env
                || filled.accesshash_env != profile.accesshash_env
                || filled.password_env != profile.password_env
                || filled.totp_secret_env != profile.totp_secret_env,
        ) {
            return Err(Error::usage(format!(
                "the CPCALL_* credential variables would fill in profile \"{name}\" of {}, but {who}: whoever can write it could send them to any host; unset them, or make the file yours (chmod 600)",
                loaded.path.display()
            )));
        }
        let profile = with_env_trust(name, filled, env)?;
        (Origin::Named(name.to_string()), profile)
    };
    let mut target = build(name, &profile, flags)?;
    // A config other than the default is named in the advice cpcall gives (`-c FILE`).
    target.config = config
        .map(|l| l.path.clone())
        .filter(|path| Some(path) != crate::config::default_path().as_ref());
    Ok(target)
}

/// `--host` on a profile chosen by `CPCALL_PROFILE`: the profile's credentials would go to a
/// host it does not name, which only `-p NAME --host HOST` typed together may ask for.
fn check_retarget(name: &str, profile: &ProfileConfig, flags: &Flags) -> Result<()> {
    let (Some(host), Some(own)) = (&flags.host, &profile.host) else {
        return Ok(());
    };
    if flags.profile_typed || host.eq_ignore_ascii_case(own) {
        return Ok(());
    }
    Err(Error::usage(format!(
        "--host {host}, and $CPCALL_PROFILE names profile \"{name}\" (host {own}): its credentials would go to {host}; unset CPCALL_PROFILE for --host with CPCALL_* credentials, or type -p {name} --host {host} to mean it"
    )))
}

/// The `CPCALL_*` credential variables.
const CREDENTIAL_VARS: [&str; 4] = [
    "CPCALL_TOKEN",
    "CPCALL_ACCESSHASH",
    "CPCALL_PASSWORD",
    "CPCALL_TOTP_SECRET",
];

/// A profile, with the `CPCALL_*` credentials of the environment where it has none. A
/// credential given explicitly is never dropped in silence: when the profile has credentials
/// of its own, or another user, the variables and the file disagree, and that is an error
/// naming both (else the profile's secret could go where the variables were meant to).
fn with_env_credentials(
    name: &str,
    profile: &ProfileConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ProfileConfig> {
    // A variable the profile itself names (`token_env = "CPCALL_TOKEN"`) is the profile's own.
    let named = [
        &profile.token_env,
        &profile.accesshash_env,
        &profile.password_env,
        &profile.totp_secret_env,
    ];
    let set: Vec<&str> = CREDENTIAL_VARS
        .into_iter()
        .filter(|v| env(v).is_some())
        .filter(|v| !named.iter().any(|n| n.as_deref() == Some(*v)))
        .collect();
    let user = env("CPCALL_USER");
    if set.is_empty() && user.is_none() {
        return Ok(profile.clone());
    }
    let own: Vec<&str> = [
        SecretName::Token,
        SecretName::Accesshash,
        SecretName::Password,
        SecretName::TotpSecret,
    ]
    .into_iter()
    .filter(|s| profile.secret_source(*s).ok().flatten().is_some())
    .map(SecretName::key)
    .collect();
    if let (Some(var), Some(key)) = (set.first(), own.first()) {
        return Err(Error::usage(format!(
            "${var} is set, and profile \"{name}\" has its own {key} in the config file: unset {var}, or leave out the profile (--host alone takes credentials from the environment)"
        )));
    }
    let mut merged = profile.clone();
    match (&profile.user, user) {
        (Some(theirs), Some(ours)) if *theirs != ours => {
            return Err(Error::usage(format!(
                "$CPCALL_USER is {ours}, and profile \"{name}\" says user = \"{theirs}\": unset CPCALL_USER, or leave out the profile"
            )))
        }
        // The profile's own secret under another user's name would be the wrong pair.
        (None, Some(ours)) if !own.is_empty() => {
            return Err(Error::usage(format!(
                "$CPCALL_USER is {ours}, and profile \"{name}\" has its own {} without a user: unset CPCALL_USER, or add user = \"{ours}\" to the profile",
                own[0]
            )))
        }
        (None, Some(ours)) => merged.user = Some(ours),
        _ => {}
    }
    let fill = from_env(env);
    merged.token_env = merged.token_env.or(fill.token_env);
    merged.accesshash_env = merged.accesshash_env.or(fill.accesshash_env);
    merged.password_env = merged.password_env.or(fill.password_env);
    merged.totp_secret_env = merged.totp_secret_env.or(fill.totp_secret_env);
    Ok(merged)
}

/// The ad-hoc profile: credentials named by `CPCALL_*` variables, read when needed.
fn from_env(env: &dyn Fn(&str) -> Option<String>) -> ProfileConfig {
    let var = |name: &str| env(name).map(|_| name.to_string());
    ProfileConfig {
        user: env("CPCALL_USER"),
        accesshash_env: var("CPCALL_ACCESSHASH"),
        token_env: var("CPCALL_TOKEN"),
        password_env: var("CPCALL_PASSWORD"),
        totp_secret_env: var("CPCALL_TOTP_SECRET"),
        ca_file: env("CPCALL_CA_FILE").map(absolute),
        pin_sha256: env("CPCALL_PIN_SHA256"),
        ..ProfileConfig::default()
    }
}

/// `CPCALL_CA_FILE` and `CPCALL_PIN_SHA256` fill in a profile that says nothing of whom to
/// trust; set while the profile has its own trust setting, they are an error naming both (as
/// credential variables are): the profile's would otherwise decide in silence.
fn with_env_trust(
    name: &str,
    profile: ProfileConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ProfileConfig> {
    let (ca_file, pin) = (env("CPCALL_CA_FILE"), env("CPCALL_PIN_SHA256"));
    if ca_file.is_none() && pin.is_none() {
        return Ok(profile);
    }
    let own = [
        (profile.pin_sha256.is_some(), "pin_sha256"),
        (profile.ca_file.is_some(), "ca_file"),
        (profile.insecure == Some(true), "insecure = true"),
    ];
    if let Some((_, key)) = own.iter().find(|(has, _)| *has) {
        let var = if pin.is_some() {
            "CPCALL_PIN_SHA256"
        } else {
            "CPCALL_CA_FILE"
        };
        return Err(Error::usage(format!(
            "${var} is set, and profile \"{name}\" has its own {key}: unset {var}, or use --pin-sha256 / --ca-file for one run"
        )));
    }
    Ok(ProfileConfig {
        ca_file: ca_file.map(absolute),
        pin_sha256: pin,
        ..profile
    })
}

/// A path from the environment, relative to where cpcall runs, made whole.
fn absolute(path: String) -> std::path::PathBuf {
    let path = std::path::PathBuf::from(path);
    std::path::absolute(&path).unwrap_or(path)
}

/// The target a profile describes, with `flags` on top.
pub fn build(origin: Origin, p: &ProfileConfig, flags: &Flags) -> Result<Target> {
    let ad_hoc = origin == Origin::AdHoc;
    let whose = origin.whose(p.host.as_deref().unwrap_or_default());
    let host = flags
        .host
        .clone()
        .or_else(|| p.host.clone())
        .ok_or_else(|| {
            Error::usage(format!(
                "{whose} has no host: add host = \"server.example.com\""
            ))
        })?;
    let host = check_host(&host)?;
    // The profile's own service wins: --service (CPCALL_SERVICE) is for those that say none.
    let service = p.service.or(flags.service).unwrap_or(Service::Whm);
    let port = flags.port.or(p.port);
    if port == Some(0) {
        return Err(Error::usage(format!(
            "{whose}: port 0 is not a port; use 1-65535"
        )));
    }
    let tls = p
        .tls
        .unwrap_or_else(|| !port.is_some_and(Service::is_plain_port));
    let port = port.unwrap_or_else(|| service.default_port(tls));

    // --insecure beats everything, then --pin-sha256 and --ca-file; in the file, a pin beats
    // `insecure = true`.
    let verify = if flags.insecure {
        Verify::Insecure
    } else if let Some(pin) = &flags.pin_sha256 {
        Verify::Pin(tls::parse_pin(pin).map_err(|e| {
            let why = e.message().trim_start_matches("pin_sha256 ");
            Error::usage(format!("--pin-sha256 {why}"))
        })?)
    } else if let Some(path) = &flags.ca_file {
        // Relative to where cpcall runs, as a shell would read it; shown whole in messages.
        let path = crate::config::expand_tilde(path);
        Verify::Roots {
            ca_file: Some(std::path::absolute(&path).unwrap_or(path)),
        }
    } else if let Some(pin) = &p.pin_sha256 {
        Verify::Pin(tls::parse_pin(pin)?)
    } else if p.insecure == Some(true) {
        Verify::Insecure
    } else {
        Verify::Roots {
            ca_file: p.ca_file.as_deref().map(crate::config::expand_tilde),
        }
    };

    if let Some(t) = flags.timeout {
        crate::config::check_timeout(t).map_err(|e| Error::usage(format!("--{e}")))?;
    }
    // A config file's is checked where it is read (with its line); a built target's, here.
    if let Some(t) = p.timeout {
        crate::config::check_timeout(t).map_err(Error::usage)?;
    }
    let timeout = flags.timeout.or(p.timeout).unwrap_or(DEFAULT_TIMEOUT);

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

    let proxy = crate::client::proxy::for_host(&host, tls, &|k| std::env::var(k).ok())?;
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
        strict: p.strict.unwrap_or(false),
        proxy,
        sessions: crate::client::store::Store::default(),
        config: None,
        service_from: match (p.service, flags.service, flags.service_from_env) {
            (Some(_), _, _) | (None, None, _) => None,
            (None, Some(_), false) => Some("--service"),
            (None, Some(_), true) => Some("$CPCALL_SERVICE"),
        },
    })
}

/// A [`Target`] made in code ([`Target::builder`]): each method sets what a profile's key of the
/// same name sets, and [`TargetBuilder::build`] checks it all as a profile is checked.
#[derive(Debug, Clone)]
pub struct TargetBuilder {
    name: Option<String>,
    profile: ProfileConfig,
    session_dir: Option<std::path::PathBuf>,
}

impl TargetBuilder {
    /// Keeps the target's sessions (`auth = "session"`) as files in `dir`, shared with other
    /// processes that name the same folder (and with `cpcall` when it is the state folder,
    /// `$XDG_STATE_HOME/cpcall/sessions`). Without it they live in memory, shared by the
    /// target's clones and gone with them.
    pub fn session_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.session_dir = Some(dir.into());
        self
    }

    /// A name for messages and for its session's file name (as a profile's name is).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
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

    /// Certificates (PEM) to trust besides the system's; the server's own self-signed one
    /// is accepted, as curl's `--cacert` accepts it.
    pub fn ca_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.profile.ca_file = Some(path.into());
        self
    }

    /// Trust exactly the certificate with this SHA-256 fingerprint (hex, colons allowed).
    pub fn pin_sha256(mut self, fingerprint: impl Into<String>) -> Self {
        self.profile.pin_sha256 = Some(fingerprint.into());
        self
    }

    /// Do not verify the server's certificate. Anyone on the path can then read the
    /// credentials: prefer [`TargetBuilder::pin_sha256`] or [`TargetBuilder::ca_file`].
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
    /// credential (or an `auth` choosing), a pin that is a fingerprint, a timeout in range; and
    /// since the secrets are already here, they are checked too (present, one line, a user
    /// where one is needed, a TOTP secret that is base32). The `ca_file` is read by
    /// [`crate::client::Client::new`].
    pub fn build(self) -> Result<Target> {
        let origin = match self.name {
            Some(name) => Origin::Named(name),
            None => Origin::Built,
        };
        let mut target = build(origin, &self.profile, &Flags::default())?;
        target.sessions = match self.session_dir {
            Some(dir) => crate::client::store::Store::Files(Some(dir)),
            None => crate::client::store::Store::memory(),
        };
        match target.auth {
            AuthKind::Session if target.user.is_none() => Err(Error::usage(format!(
                "{} has no user to log in as: add .user(\"NAME\")",
                target.describe()
            ))),
            AuthKind::Session => Ok(target),
            _ => crate::client::auth::Credentials::resolve(&target).map(|_| target),
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
        ([], true) => Err(Error::usage(
            "no credentials: set CPCALL_TOKEN, CPCALL_ACCESSHASH or CPCALL_PASSWORD (and CPCALL_USER)",
        )),
        ([], false) => Err(Error::usage(format!(
            "{whose} has no credentials: add token, accesshash or password (or their _file, _env, _command forms)"
        ))),
        (_, true) => Err(Error::usage(
            "more than one of CPCALL_TOKEN, CPCALL_ACCESSHASH, CPCALL_PASSWORD is set: unset all but one",
        )),
        (_, false) => Err(Error::usage(format!(
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
        return Err(Error::usage(format!(
            "host \"{host}\" is not a host name or address: give only the name, e.g. host = \"server.example.com\", and the port separately"
        )));
    }
    if host.is_ascii() {
        return Ok(host.to_string());
    }
    // An international name (bücher.example) goes on the wire and into TLS in its ASCII form.
    idna::domain_to_ascii(host).map_err(|_| {
        Error::usage(format!(
            "host \"{host}\" is not a valid international domain name: check its spelling, or give its ASCII (xn--) form"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::path::Path;

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
            assert_eq!(e.exit, crate::error::Exit::Usage, "{what}: {e}");
            let m = e.message();
            assert!(
                !m.contains("CPCALL_") && !m.contains("command line"),
                "{what}: {m}"
            );
        }
    }

    fn loaded(text: &str) -> Loaded {
        Loaded {
            path: "cfg.toml".into(),
            file: crate::config::parse(text, Path::new("cfg.toml")).unwrap(),
            others_can_write: None,
        }
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn ports_and_tls_follow_the_service() {
        let cases = [
            ("service='whm'", 2087, true),
            ("service='cpanel'", 2083, true),
            ("service='webmail'", 2096, true),
            ("service='whm'\ntls=false", 2086, false),
            ("service='cpanel'\ntls=false", 2082, false),
            ("service='webmail'\ntls=false", 2095, false),
            ("port=2086", 2086, false),
            ("port=2082\ntls=true", 2082, true),
            ("port=8443", 8443, true),
            ("", 2087, true),
        ];
        for (extra, port, tls) in cases {
            let cfg = loaded(&format!(
                "[profiles.p]\nhost='h.example'\ntoken='t'\n{extra}\n"
            ));
            let t = resolve(&Flags::default(), Some(&cfg), &no_env).unwrap();
            assert_eq!((t.port, t.tls), (port, tls), "{extra}");
        }
    }

    #[test]
    fn flags_override_the_profile() {
        let cfg = loaded("[profiles.p]\nhost='a.example'\nport=2087\ntoken='t'\ntimeout=5\npin_sha256='9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'\n");
        let flags = Flags {
            profile: Some("p".into()),
            profile_typed: true,
            host: Some("b.example".into()),
            port: Some(9999),
            insecure: true,
            timeout: Some(1.5),
            ..Flags::default()
        };
        let t = resolve(&flags, Some(&cfg), &no_env).unwrap();
        assert_eq!(t.host, "b.example");
        assert_eq!(t.port, 9999);
        assert_eq!(t.verify, Verify::Insecure);
        assert_eq!(t.timeout, Duration::from_millis(1500));
        assert_eq!(t.base_url(), "https://b.example:9999");
    }

    #[test]
    fn ad_hoc_target_from_environment() {
        let env: HashMap<&str, &str> = [("CPCALL_USER", "bob"), ("CPCALL_TOKEN", "tok")].into();
        let lookup = |k: &str| env.get(k).map(|v| v.to_string());
        let flags = Flags {
            host: Some("::1".into()),
            ..Flags::default()
        };
        let t = resolve(&flags, None, &lookup).unwrap();
        assert_eq!(t.profile, Origin::AdHoc);
        assert_eq!(t.auth, AuthKind::Token);
        assert_eq!(t.user.as_deref(), Some("bob"));
        assert_eq!(t.secrets.token, Some(Source::Env("CPCALL_TOKEN".into())));
        assert_eq!(t.base_url(), "https://[::1]:2087");
    }

    #[test]
    fn resolution_errors_table() {
        let cases: &[(&str, Flags, &str)] = &[
            ("[profiles.p]\ntoken='t'\n", Flags::default(), "has no host"),
            (
                "[profiles.p]\nhost='https://h.example:2087'\ntoken='t'\n",
                Flags::default(),
                "not a host name",
            ),
            (
                "[profiles.p]\nhost='h.example:2087'\ntoken='t'\n",
                Flags::default(),
                "not a host name",
            ),
            (
                "[profiles.p]\nhost='h'\n",
                Flags::default(),
                "has no credentials",
            ),
            (
                "[profiles.p]\nhost='h'\ntoken='t'\npassword='p'\n",
                Flags::default(),
                "auth = \"token\"",
            ),
            (
                "[profiles.p]\nhost='h'\ntoken='t'\npin_sha256='abc'\n",
                Flags::default(),
                "64 hex digits",
            ),
            (
                "[profiles.p]\nhost='h'\ntoken='t'\n",
                Flags {
                    timeout: Some(0.0),
                    ..Flags::default()
                },
                "--timeout 0 is out of range: give a number of seconds above 0 and at most 86400",
            ),
            (
                "[profiles.p]\nhost='bad name.example'\ntoken='t'\n",
                Flags::default(),
                "not a host name",
            ),
            (
                "[profiles.p]\nhost='exa%mple.com'\ntoken='t'\n",
                Flags::default(),
                "not a host name",
            ),
            (
                "[profiles.p]\nhost='a\\\\b'\ntoken='t'\n",
                Flags::default(),
                "not a host name",
            ),
            (
                "[profiles.p]\nhost='h'\ntoken='t'\nport=0\n",
                Flags::default(),
                "port 0",
            ),
        ];
        for (text, flags, want) in cases {
            let err = resolve(flags, Some(&loaded(text)), &no_env).unwrap_err();
            assert!(err.message().contains(want), "{text:?}: {err}");
            assert_eq!(err.exit, crate::error::Exit::Usage);
        }
    }

    #[test]
    fn environment_credentials_fill_a_profile_or_clash_with_it() {
        let env: HashMap<&str, &str> = [("CPCALL_TOKEN", "tok")].into();
        let lookup = |k: &str| env.get(k).map(|v| v.to_string());
        let bare = loaded("[profiles.p]\nhost='h.example'\nuser='bob'\n");
        let t = resolve(&Flags::default(), Some(&bare), &lookup).unwrap();
        assert_eq!(t.secrets.token, Some(Source::Env("CPCALL_TOKEN".into())));
        assert_eq!(t.auth, AuthKind::Token);
        let own = loaded("[profiles.p]\nhost='h.example'\ntoken='mine'\n");
        let flags = Flags {
            profile: Some("p".into()),
            profile_typed: true,
            host: Some("other.example".into()),
            ..Flags::default()
        };
        let err = resolve(&flags, Some(&own), &lookup).unwrap_err();
        assert!(
            err.message()
                .contains("$CPCALL_TOKEN is set, and profile \"p\" has its own token"),
            "{err}"
        );
        let env: HashMap<&str, &str> = [("CPCALL_USER", "amy")].into();
        let lookup = |k: &str| env.get(k).map(|v| v.to_string());
        let err = resolve(&Flags::default(), Some(&bare), &lookup).unwrap_err();
        assert!(err.message().contains("$CPCALL_USER is amy"), "{err}");
    }

    #[test]
    fn a_profiles_secrets_follow_host_only_when_asked_for_and_env_pairs_stay_whole() {
        let own = loaded("[profiles.p]\nhost='h.example'\ntoken='mine'\n");
        let named = loaded("[profiles.p]\nhost='h.example'\ntoken_env='CPCALL_TOKEN'\n");
        let flags = |host: Option<&str>, typed: bool| Flags {
            profile: Some("p".into()),
            profile_typed: typed,
            host: host.map(str::to_string),
            ..Flags::default()
        };
        // (config, flags, environment, the error it must give or None)
        type Case<'a> = (&'a Loaded, Flags, &'a [(&'a str, &'a str)], Option<&'a str>);
        let cases: [Case; 7] = [
            (
                &own,
                flags(Some("evil.example"), false),
                &[],
                Some("$CPCALL_PROFILE names profile \"p\""),
            ),
            (&own, flags(Some("evil.example"), true), &[], None),
            (&own, flags(Some("H.example"), false), &[], None),
            (
                &own,
                flags(None, false),
                &[("CPCALL_USER", "bob")],
                Some("$CPCALL_USER is bob, and profile \"p\" has its own token"),
            ),
            (&named, flags(None, false), &[("CPCALL_TOKEN", "t")], None),
            (
                &own,
                flags(None, false),
                &[("CPCALL_TOKEN", "t")],
                Some("$CPCALL_TOKEN is set"),
            ),
            (
                &named,
                flags(None, false),
                &[("CPCALL_TOKEN", "t"), ("CPCALL_ACCESSHASH", "a")],
                Some("$CPCALL_ACCESSHASH is set"),
            ),
        ];
        for (i, (cfg, flags, vars, want)) in cases.into_iter().enumerate() {
            let env: HashMap<&str, &str> = vars.iter().copied().collect();
            let lookup = |k: &str| env.get(k).map(|v| v.to_string());
            match (resolve(&flags, Some(cfg), &lookup), want) {
                (Ok(_), None) => {}
                (Err(e), Some(w)) => assert!(e.message().contains(w), "case {i}: {e}"),
                (Ok(_), Some(w)) => panic!("case {i}: expected an error with {w}"),
                (Err(e), None) => panic!("case {i}: {e}"),
            }
        }
    }

    #[test]
    fn international_host_names_become_ascii() {
        let cfg = loaded("[profiles.p]\nhost='Bücher.example'\ntoken='t'\n");
        let t = resolve(&Flags::default(), Some(&cfg), &no_env).unwrap();
        assert_eq!(t.host, "xn--bcher-kva.example");
    }

    #[test]
    fn no_config_and_no_host_says_what_to_do() {
        let err = resolve(&Flags::default(), None, &no_env).unwrap_err();
        assert!(err.message().contains("--host"), "{err}");
        let env = |k: &str| {
            (!matches!(k, "CPCALL_USER" | "CPCALL_CA_FILE" | "CPCALL_PIN_SHA256"))
                .then(|| "x".to_string())
        };
        let flags = Flags {
            host: Some("h".into()),
            ..Flags::default()
        };
        let err = resolve(&flags, None, &env).unwrap_err();
        assert!(
            err.message().contains("more than one of CPCALL_TOKEN"),
            "{err}"
        );
    }
}
