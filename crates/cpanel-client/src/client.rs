//! The library's door: [`Client`] for a [`Target`], [`Call`] in, [`Answer`] out.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::answer::{self, Answer, CallOptions};
use crate::auth::{self, LoginSecrets};
use crate::call::Call;
use crate::error::{Error, Result};
use crate::report::{Reporter, Stderr};
use crate::sink::{Printer, Sink};
use crate::target::Target;
use crate::{session, store, tls, transport};

/// What [`Client::logout`] did.
#[non_exhaustive]
#[derive(Debug)]
pub enum LoggedOut {
    /// There was no saved session.
    NoSession {
        /// Sessions a killed login had left behind, ended now.
        swept: usize,
    },
    /// Ended on the server and removed here.
    Ended,
    /// Removed here; the server could not be told.
    HereOnly(Error),
}

/// How a [`Client`] reads answers and where its words go.
#[non_exhaustive]
#[derive(Clone)]
pub struct Options {
    /// The request and response as traffic lines to the reporter, secrets masked.
    pub verbose: bool,
    /// The largest answer read, in bytes (256 MiB by default); a larger one is
    /// [`crate::ErrorKind::TooLarge`].
    pub max_body: u64,
    /// Where warnings, traffic lines and `*_command` stderr go ([`crate::report::Stderr`] by
    /// default; [`crate::report::Silent`] says nothing).
    pub reporter: Arc<dyn Reporter>,
    /// Where answers over 8 MiB wait (the system's temporary folder by default).
    pub spool_dir: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            verbose: false,
            max_body: transport::DEFAULT_MAX_BODY,
            reporter: Arc::new(Stderr),
            spool_dir: None,
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("verbose", &self.verbose)
            .field("max_body", &self.max_body)
            .field("spool_dir", &self.spool_dir)
            .finish_non_exhaustive()
    }
}

impl Options {
    /// Traffic lines on.
    pub fn verbose(mut self, verbose: bool) -> Self {
        self.verbose = verbose;
        self
    }
    /// The largest answer read.
    pub fn max_body(mut self, bytes: u64) -> Self {
        self.max_body = bytes;
        self
    }
    /// Where the client's words go.
    pub fn reporter(mut self, reporter: Arc<dyn Reporter>) -> Self {
        self.reporter = reporter;
        self
    }
    /// Where answers over 8 MiB wait.
    pub fn spool_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.spool_dir = Some(dir.into());
        self
    }
}

/// One server, ready for calls: tokens, access hashes, 2FA codes, sessions (logged in when
/// needed, once), TLS with pinning and proxies. Connections are kept alive between calls.
/// `Send + Sync`: share it between threads in an `Arc`.
///
/// ```no_run
/// use cpanel_client::{Call, Client, Options, Target};
///
/// let target = Target::builder("server.example.com").token("EXAMPLETOKEN").build()?;
/// let client = Client::new(target, Options::default())?;
/// #[derive(serde::Deserialize)]
/// struct Acct { user: String }
/// #[derive(serde::Deserialize)]
/// struct Accts { acct: Vec<Acct> }
/// let accts: Accts = client.call(&Call::whm("listaccts"))?.payload_as()?;
/// for a in accts.acct {
///     println!("{}", a.user);
/// }
/// # Ok::<(), cpanel_client::Error>(())
/// ```
pub struct Client {
    target: Target,
    transport: transport::Client,
    /// One streamed call at a time: the sink is the client's while it lasts.
    streaming: Mutex<()>,
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
    /// The target of a profile of cpcall's config file (`CPCALL_CONFIG`, else the default
    /// place): `name`, else `CPCALL_PROFILE`, else the file's default profile. Other `CPCALL_*`
    /// variables are the command line's and are not read; proxies come from the environment
    /// as for curl, sessions from the state folder (for `auth = "session"` only).
    #[cfg(feature = "profiles")]
    pub fn profile(name: Option<&str>) -> Result<Target> {
        let set = |var: &str| std::env::var(var).ok().filter(|v| !v.is_empty());
        let path = set("CPCALL_CONFIG").map(PathBuf::from);
        let name = name.map(str::to_string).or_else(|| set("CPCALL_PROFILE"));
        Client::profile_in(path.as_deref(), name.as_deref())
    }

    /// The target of a profile of the config file at `path` (the default place for `None`).
    #[cfg(feature = "profiles")]
    pub fn profile_in(path: Option<&std::path::Path>, name: Option<&str>) -> Result<Target> {
        let loaded = crate::profiles::load(path)?.ok_or_else(|| {
            Error::config(match path {
                Some(p) => format!("no config file at {}", p.display()),
                None => "no config file: create one (see the README's Configuration)".into(),
            })
        })?;
        let (name, profile) = loaded.file.select(name)?;
        Target::from_profile(Some(name), profile).build()
    }

    /// A client for `target`: its TLS trust (pin, CA file or bytes, system store) and proxy
    /// set up; nothing is sent yet. Its words go to `options.reporter`.
    pub fn new(target: Target, options: Options) -> Result<Client> {
        if let Some(dir) = &options.spool_dir {
            if !dir.is_dir() {
                return Err(Error::config(format!(
                    "the spool folder {} is not a folder: give Options::spool_dir a folder that exists",
                    dir.display()
                )));
            }
        }
        let mut target = target;
        target.voice = target.voice.speaking_to(options.reporter, options.verbose);
        let transport = transport::Client::new(&target, options.max_body, options.spool_dir)
            .map_err(|e| e.masked(target.voice.mask()))?;
        warn_about_transport(&target);
        Ok(Client {
            target,
            transport,
            streaming: Mutex::new(()),
        })
    }

    /// The connection pool, for probes.
    pub(crate) fn transport(&self) -> &transport::Client {
        &self.transport
    }

    /// Where the calls go, as resolved.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Sends one call and judges its answer: `Ok` for the API's success only. The API's "no"
    /// is an error of kind [`crate::ErrorKind::ApiFailure`] with its reasons and answer.
    pub fn call(&self, call: &Call) -> Result<Answer> {
        self.call_with(call, &CallOptions::default())
    }

    /// Every page of a long listing (WHM `api.chunk`, UAPI `api.paginate`), merged into one
    /// answer; a count that does not add up is an error, never a partial listing. The pages
    /// share one timeout and one size cap, as one call would.
    pub fn call_all_pages(&self, call: &Call, page_size: usize) -> Result<Answer> {
        self.call_with(call, &CallOptions::default().paginate(page_size))
    }

    /// A call sent as GET or POST, paged or not. A UAPI or API 2 call without `via_whm` to a
    /// WHM target goes through WHM for its `cpanel_user`; a call the target's service cannot
    /// take is refused before anything is sent.
    pub fn call_with(&self, call: &Call, options: &CallOptions) -> Result<Answer> {
        let call = call.fit_to(&self.target)?;
        answer::fetch(&self.transport, &self.target, &call, options)
            .map_err(|e| e.masked(self.target.voice.mask()))
    }

    /// Everything that can be known of a call without sending it: its names, its parameters,
    /// whether it can be paged and whether the target's service takes it.
    pub fn check(&self, call: &Call, options: &CallOptions) -> Result<()> {
        call.check(&self.target, options)
    }

    /// A call whose answer goes to `sink` as it arrives (all of it, or with `payload_only`
    /// the payload alone), for an answer too big to wait in memory: what was written is taken
    /// back ([`Sink::undo`]) when the answer turns out not to be the API's. The answer
    /// returned holds no bytes ([`Answer::streamed`]). Streamed calls of one client take
    /// turns.
    pub fn stream_to(
        &self,
        call: &Call,
        options: &CallOptions,
        sink: Box<dyn Sink>,
        payload_only: bool,
    ) -> Result<Answer> {
        let call = call.fit_to(&self.target)?;
        let _turn = self.streaming.lock().unwrap_or_else(|e| e.into_inner());
        let payload = payload_only.then(|| crate::response::payload_of(call.kind()));
        self.transport
            .print_as_it_arrives(Printer::new(sink, payload));
        let result = answer::fetch(&self.transport, &self.target, &call, options);
        // The sink was finished when the answer was whole (or taken back when it was not).
        drop(self.transport.stop_printing());
        result.map_err(|e| e.masked(self.target.voice.mask()))
    }

    /// Logs in with a password (and a 2FA code) and keeps the session where the target keeps
    /// them (memory for a built target, unless it names a folder; the state folder for a
    /// profile); the session file's path, for files. The user must be the target's. Only an
    /// `auth = "session"` target's calls use a session.
    pub fn login(&self, secrets: &LoginSecrets) -> Result<Option<PathBuf>> {
        if self.target.user.as_deref() != Some(secrets.user()) {
            return Err(Error::config(format!(
                "{} calls as {}, not {}: log in as that user, or use a target for {}",
                self.target.describe(),
                self.target.user.as_deref().unwrap_or("no user"),
                secrets.user(),
                secrets.user()
            )));
        }
        auth::login(&self.transport, &self.target, secrets)
            .map(|(_, path)| path)
            .map_err(|e| e.masked(self.target.voice.mask()))
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
            auth::hide_session(&self.target.voice, &dead);
            let _ = session::end(&self.transport, &dead);
            store::discard(&path);
        }
        let Some(saved) = saved else {
            return Ok(LoggedOut::NoSession { swept });
        };
        auth::hide_session(&self.target.voice, &saved);
        let ended = session::end(&self.transport, &saved);
        store::remove(&self.target, &saved.user)?;
        Ok(match ended {
            Ok(()) => LoggedOut::Ended,
            Err(e) => LoggedOut::HereOnly(e.masked(self.target.voice.mask())),
        })
    }

    /// Before several calls at once on an `auth = "session"` target: log in once now, so the
    /// calls do not each log in (and feed cPHulk).
    pub fn ensure_session(&self) -> Result<()> {
        auth::ensure_session(&self.transport, &self.target)
            .map_err(|e| e.masked(self.target.voice.mask()))
    }
}

/// Credentials that anyone on the path could read: said (through the reporter) when a
/// client is made for such a target.
fn warn_about_transport(target: &Target) {
    if target.tls && target.verify == tls::Verify::Insecure {
        target.voice.warning(format!(
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
        target.voice.warning(format!(
            "credentials go to {} over plain HTTP (tls = false): anyone on the network path can read them",
            target.host
        ));
    }
}

#[cfg(all(test, feature = "profiles"))]
mod tests {
    use super::*;
    use crate::AuthKind;

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
        assert_eq!(target.host(), "x.example");
        assert!(profile_of(text, "nope").is_err());
        let client = Client::new(target, Options::default()).unwrap();
        let err = client
            .call_all_pages(&Call::whm("listaccts"), 0)
            .err()
            .unwrap();
        assert_eq!(*err.kind(), crate::ErrorKind::InvalidCall);
        assert!(err.never_sent());
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
        assert_eq!(*err.kind(), crate::ErrorKind::Config);
        assert!(err.to_string().contains("calls as bob, not alice"), "{err}");
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
