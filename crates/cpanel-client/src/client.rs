//! The request path, from a call to a judged answer, and the library's public API: [`Client`]
//! for a [`Target`], [`Call`] in, [`Answer`] out, words through [`report`].
//!
//! Inside (private to the crate): what is sent (`api`, `params`), with which credentials
//! (`auth`, `session`, `totp`), over which connection (`transport`, `tls`, `proxy`), and what
//! came back (`body`, `json`, `response`, `paginate`, `outcome`). Nothing here reads the
//! command line.

pub(crate) mod api;
pub(crate) mod auth;
pub(crate) mod body;
pub(crate) mod json;
pub(crate) mod mask;
pub(crate) mod outcome;
pub(crate) mod paginate;
pub(crate) mod params;
pub(crate) mod proxy;
pub mod report;
pub(crate) mod response;
pub(crate) mod session;
pub(crate) mod store;
pub(crate) mod tls;
pub(crate) mod tls_failure;
pub(crate) mod totp;
pub(crate) mod transport;

use std::path::PathBuf;

pub use crate::api::{Call, Method};
pub use crate::auth::LoginSecrets;
pub use crate::outcome::{Answer, Options as CallOptions};
pub use crate::response::{Kind, Verdict};
use crate::config::profile::Flags;
pub use crate::config::profile::{Origin, Target, TargetBuilder};
pub use crate::target::{AuthKind, Service};
pub use crate::error::{Error, Exit, Result};
/// The JSON values answers are read into ([`Answer::json`], [`Answer::payload`]).
pub use serde_json::Value;

/// What [`Client::logout`] did.
#[derive(Debug)]
pub enum LoggedOut {
    /// There was no saved session (`swept`: sessions a killed login left, ended now).
    NoSession {
        /// Sessions a killed login had left behind, ended now.
        swept: usize,
    },
    /// Ended on the server and removed here.
    Ended,
    /// Removed here; the server could not be told.
    HereOnly(Error),
}

/// How a [`Client`] reads answers and whether it shows its traffic.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The request and response on stderr, secrets masked (`-v`).
    pub verbose: bool,
    /// The largest answer read (`--max-size`).
    pub max_body: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            verbose: false,
            max_body: transport::DEFAULT_MAX_BODY,
        }
    }
}

/// One server as a profile describes it, ready for calls: tokens, access hashes, 2FA codes,
/// sessions (logged in when needed, once), TLS with pinning and proxies, all as the command
/// line does them. Connections are kept alive between calls.
///
/// ```no_run
/// use cpcall::client::{Call, Client, Options};
///
/// // The profile "prod" of the config file (~/.config/cpcall/config.toml, or CPCALL_CONFIG).
/// let client = Client::new(Client::profile(Some("prod"))?, Options::default())?;
/// let answer = client.call(&Call::Whm {
///     function: "listaccts".into(),
///     params: vec![("searchtype".into(), "user".into())],
/// })?;
/// println!("exit {:?}: {}", answer.exit(), answer.payload()?);
/// # Ok::<(), cpcall::client::Error>(())
/// ```
pub struct Client {
    target: Target,
    transport: transport::Client,
}

/// The target it calls (secrets masked); the connection pool is not shown.
impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// The target of a profile of the config file (`CPCALL_CONFIG`, else the default place):
    /// `name`, else `CPCALL_PROFILE`, else the file's default profile, with the `CPCALL_*`
    /// variables applied as the command line applies them.
    pub fn profile(name: Option<&str>) -> Result<Target> {
        let set = |var: &str| std::env::var(var).ok().filter(|v| !v.is_empty());
        let path = set("CPCALL_CONFIG").map(PathBuf::from);
        let name = name.map(str::to_string).or_else(|| set("CPCALL_PROFILE"));
        Client::profile_in(path.as_deref(), name.as_deref())
    }

    /// The target of a profile of the config file at `path` (the default place for `None`).
    pub fn profile_in(path: Option<&std::path::Path>, name: Option<&str>) -> Result<Target> {
        let loaded = crate::config::load(path)?;
        let flags = Flags {
            profile: name.map(str::to_string),
            ..Flags::default()
        };
        crate::config::profile::resolve(&flags, loaded.as_ref(), &|k| std::env::var(k).ok())
    }

    /// A client for `target`: its TLS trust (pin, `ca_file`, system store) and proxy set up;
    /// nothing is sent yet.
    pub fn new(target: Target, options: Options) -> Result<Client> {
        let transport = transport::Client::new(&target, options.verbose, options.max_body)?;
        warn_about_transport(&target);
        Ok(Client { target, transport })
    }

    /// Where the calls go, as resolved.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Sends one call and judges its answer. An API's "no" is an [`Answer`] whose verdict
    /// is [`Verdict::Failed`]; a refusal or a broken answer is one too, with exit 3 or 4.
    pub fn call(&self, call: &Call) -> Result<Answer> {
        self.fetch(call, None)
    }

    /// Every page of a long listing (WHM `api.chunk`, UAPI `api.paginate`), merged into one
    /// answer; a count that does not add up is an error, never a partial listing.
    pub fn call_all_pages(&self, call: &Call, page_size: usize) -> Result<Answer> {
        if page_size == 0 {
            return Err(Error::usage(
                "a page holds at least one record: give page_size >= 1",
            ));
        }
        self.fetch(call, Some(page_size))
    }

    fn fetch(&self, call: &Call, paginate: Option<usize>) -> Result<Answer> {
        let options = CallOptions {
            method: Method::Post,
            paginate,
        };
        self.call_with(call, &options)
    }

    /// Logs in with a password (and a 2FA code) and keeps the session where the target keeps
    /// them (memory for a built target, unless it names a folder; the state folder for a
    /// profile, where `cpcall login` saves them); the session file's path, for files. The user
    /// must be the target's: its calls and [`Client::logout`] use that user's session. Only an
    /// `auth = "session"` target's calls use a session.
    pub fn login(&self, secrets: &LoginSecrets) -> Result<Option<PathBuf>> {
        if self.target.user.as_deref() != Some(secrets.user.as_str()) {
            return Err(Error::usage(format!(
                "{} calls as {}, not {}: log in as that user, or use a target for {}",
                self.target.describe(),
                self.target.user.as_deref().unwrap_or("no user"),
                secrets.user,
                secrets.user
            )));
        }
        auth::login(&self.transport, &self.target, secrets).map(|(_, path)| path)
    }

    /// Ends the saved session on the server and removes it here, with any a killed login left
    /// behind. The local copy goes even when the server cannot be reached (it would only expire
    /// there): that is [`LoggedOut::HereOnly`].
    pub fn logout(&self) -> Result<LoggedOut> {
        let saved = match self.target.user.as_deref() {
            Some(user) => store::load(&self.target, user)?,
            None => None,
        };
        let leftovers = store::leftovers(&self.target)?;
        let swept = leftovers.len();
        for (path, dead) in leftovers {
            let _ = session::end(&self.transport, &dead);
            store::discard(&path);
        }
        let Some(saved) = saved else {
            return Ok(LoggedOut::NoSession { swept });
        };
        let ended = session::end(&self.transport, &saved);
        store::remove(&self.target, &saved.user)?;
        Ok(match ended {
            Ok(()) => LoggedOut::Ended,
            Err(e) => LoggedOut::HereOnly(e),
        })
    }

    /// Before several calls at once on an `auth = "session"` profile: log in once now, so the
    /// calls do not each log in (and feed cPHulk).
    pub fn ensure_session(&self) -> Result<()> {
        auth::ensure_session(&self.transport, &self.target)
    }

    /// The equivalent curl command, secrets as `$CPCALL_…` variables.
    pub fn curl(&self, call: &Call) -> Result<String> {
        let options = outcome::Options {
            method: Method::Post,
            paginate: None,
        };
        crate::output::curl::of_call(&self.target, call, &options, &Default::default())
    }

    /// A call sent as GET or POST, paged or not (`--get`, `--paginate`). A UAPI or API 2
    /// call without `via_whm` to a WHM target goes through WHM for its `cpanel_user`; a call
    /// the target's service cannot take is refused before anything is sent.
    pub fn call_with(&self, call: &Call, options: &CallOptions) -> Result<Answer> {
        let call = call.fit_to(&self.target, "via_whm")?;
        outcome::fetch(&self.transport, &self.target, &call, options)
    }

    /// Single calls of the command line: the answer goes to stdout as it arrives, when stdout
    /// is a regular file (`output::Direct`).
    pub(crate) fn print_as_it_arrives(&self, direct: crate::output::Direct) {
        self.transport.print_as_it_arrives(direct);
    }
}

/// Credentials that anyone on the path could read: said (through the [`report::Reporter`])
/// when a client is made for such a target, once a process for each host.
pub(crate) fn warn_about_transport(target: &Target) {
    if target.tls && target.verify == tls::Verify::Insecure {
        report::warning(format!(
            "TLS certificate verification is off for {} (insecure): the connection can be intercepted; prefer pin_sha256",
            target.host
        ));
    }
    let loopback = target.host == "localhost"
        || target
            .host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !target.tls && !loopback {
        report::warning(format!(
            "credentials go to {} over plain HTTP (tls = false): anyone on the network path can read them",
            target.host
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The target of profile `name` of a config file holding `text`.
    fn profile_of(text: &str, name: &str) -> Result<Target> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        Client::profile_in(Some(&path), Some(name))
    }

    /// A profile from a named config file; a page size of 0 is refused before anything is sent.
    #[test]
    fn profiles_from_a_given_file_and_no_empty_pages() {
        let text = "[profiles.x]\nhost = \"x.example\"\ntoken = \"T\"\n\n[profiles.prod]\nhost = \"prod.example\"\ntoken = \"T\"\n";
        let target = profile_of(text, "x").unwrap();
        assert_eq!(target.host, "x.example");
        assert!(profile_of(text, "nope").is_err());
        let client = Client::new(target, Options::default()).unwrap();
        let call = Call::Whm {
            function: "listaccts".into(),
            params: Vec::new(),
        };
        let err = client.call_all_pages(&call, 0).err().unwrap();
        assert_eq!(err.exit, Exit::Usage);
    }

    /// A login as someone other than the target's user would leave a session its calls and
    /// logout never use: refused before anything is sent.
    #[test]
    fn login_is_as_the_targets_user() {
        let target = Target::builder("192.0.2.1")
            .user("bob")
            .auth(AuthKind::Session);
        let client =
            Client::new(target.password("P").build().unwrap(), Options::default()).unwrap();
        let err = client
            .login(&LoginSecrets::new("alice", "P", None))
            .unwrap_err();
        assert_eq!(err.exit, Exit::Usage);
        assert!(err.message().contains("calls as bob, not alice"), "{err}");
    }

    /// Debug output shows no secret: not a password, not a command's text that may hold one.
    #[test]
    fn debug_output_masks_secrets() {
        let text =
            "[profiles.c]\nhost = \"h.example\"\ntoken_command = \"echo SEKRET-IN-COMMAND\"\n";
        let target = profile_of(text, "c").unwrap();
        let client = Client::new(target, Options::default()).unwrap();
        let secrets = LoginSecrets::new("bob", "SEKRET-PASSWORD", Some("123456".into()));
        let shown = format!("{client:?} {secrets:?}");
        for secret in ["SEKRET-IN-COMMAND", "SEKRET-PASSWORD", "123456"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
}
