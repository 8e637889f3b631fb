//! The settings of one call: a config profile, or the environment, with command-line flags on
//! top, built into the library's [`Target`].
//!
//! Precedence: flags > profile > defaults. Without `-p` and with `--host`, no config is read at
//! all and credentials come from `CPCALL_*` variables (an "ad-hoc" target).

use cpanel_client::probe::parse_pin;
pub use cpanel_client::{Origin, Target};
use cpanel_client::{ProxySetting, SessionStore};

use crate::config::{Loaded, Profile as ProfileConfig, SecretName, Service};
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

pub fn resolve(
    flags: &Flags,
    config: Option<&Loaded>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Target> {
    // A pin from the environment is checked where it is read, so the message names it.
    if let Some(pin) = env("CPCALL_PIN_SHA256") {
        parse_pin(&pin).map_err(|e| {
            Error::usage(format!("$CPCALL_PIN_SHA256: {}", crate::error::words(&e)))
        })?;
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
    // A config other than the default is named in the advice cpcall gives (`-c FILE`).
    if let Some(path) = config
        .map(|l| l.path.clone())
        .filter(|path| Some(path) != crate::config::default_path().as_ref())
    {
        crate::error::config_named(path);
    }
    let target = build(name, &profile, flags)?;
    crate::mask::register(target.mask());
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
    let mut p = ProfileConfig::default();
    p.user = env("CPCALL_USER");
    p.accesshash_env = var("CPCALL_ACCESSHASH");
    p.token_env = var("CPCALL_TOKEN");
    p.password_env = var("CPCALL_PASSWORD");
    p.totp_secret_env = var("CPCALL_TOTP_SECRET");
    p.ca_file = env("CPCALL_CA_FILE").map(absolute);
    p.pin_sha256 = env("CPCALL_PIN_SHA256");
    p
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
    let mut profile = profile;
    profile.ca_file = ca_file.map(absolute);
    profile.pin_sha256 = pin;
    Ok(profile)
}

/// A path from the environment, relative to where cpcall runs, made whole.
fn absolute(path: String) -> std::path::PathBuf {
    let path = std::path::PathBuf::from(path);
    std::path::absolute(&path).unwrap_or(path)
}

/// The target a profile describes, with `flags` on top: the flags are put into a copy of the
/// profile (checked first, so their messages name the flag), and the library builds it.
pub fn build(origin: Origin, p: &ProfileConfig, flags: &Flags) -> Result<Target> {
    let mut p = p.clone();
    if let Some(host) = &flags.host {
        p.host = Some(host.clone());
    }
    if let Some(port) = flags.port {
        p.port = Some(port);
    }
    // The profile's own service wins: --service (CPCALL_SERVICE) is for those that say none.
    let service_from = match (p.service, flags.service, flags.service_from_env) {
        (Some(_), _, _) | (None, None, _) => None,
        (None, Some(_), false) => Some("--service"),
        (None, Some(_), true) => Some("$CPCALL_SERVICE"),
    };
    p.service = p.service.or(flags.service);
    // --insecure beats everything, then --pin-sha256 and --ca-file; in the file, a pin beats
    // `insecure = true`.
    let flag_trust = flags.insecure || flags.pin_sha256.is_some() || flags.ca_file.is_some();
    if flag_trust {
        p.insecure = None;
        p.pin_sha256 = None;
        p.ca_file = None;
    }
    if flags.insecure {
        p.insecure = Some(true);
    } else if let Some(pin) = &flags.pin_sha256 {
        parse_pin(pin).map_err(|e| {
            let why = crate::error::words(&e);
            Error::usage(format!(
                "--pin-sha256 {}",
                why.trim_start_matches("pin_sha256 ")
            ))
        })?;
        p.pin_sha256 = Some(pin.clone());
    } else if let Some(path) = &flags.ca_file {
        // Relative to where cpcall runs, as a shell would read it; shown whole in messages.
        let path = crate::config::expand_tilde(path);
        p.ca_file = Some(std::path::absolute(&path).unwrap_or(path));
    }
    if let Some(t) = flags.timeout {
        crate::config::check_timeout(t).map_err(|e| Error::usage(format!("--{e}")))?;
        p.timeout = Some(t);
    }
    let name = match &origin {
        Origin::Named(name) => Some(name.as_str()),
        _ => None,
    };
    let mut builder = Target::from_profile(name, &p)
        .sessions(SessionStore::StateFolder)
        .proxy(ProxySetting::FromEnv);
    if let Some(from) = service_from {
        builder = builder.service_from(from);
    }
    Ok(builder.build()?)
}

/// The command line that names a target's profile (`cpcall -p prod`, `cpcall -c FILE -p prod`),
/// for advice such as "run cpcall -p prod trust"; `None` without a profile.
pub fn invocation(target: &Target) -> Option<String> {
    target.profile().name().map(crate::error::invocation)
}

/// Whether the calls of the target's profile are held to the catalogue (`strict = true`).
pub fn strict(target: &Target) -> bool {
    target.settings().strict.unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::secret::Source;
    use crate::config::AuthKind;
    use std::collections::HashMap;
    use std::path::Path;
    use std::time::Duration;

    fn token_source(t: &Target) -> Option<Source> {
        t.secret_sources()
            .into_iter()
            .find(|(name, _)| *name == SecretName::Token)
            .map(|(_, s)| s.clone())
    }

    fn loaded(text: &str) -> Loaded {
        Loaded::new(
            "cfg.toml".into(),
            crate::config::parse(text, Path::new("cfg.toml")).unwrap(),
        )
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
            assert_eq!((t.port(), t.tls()), (port, tls), "{extra}");
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
        assert_eq!(t.host(), "b.example");
        assert_eq!(t.port(), 9999);
        assert_eq!(t.trust(), cpanel_client::Trust::Insecure);
        assert_eq!(t.timeout(), Duration::from_millis(1500));
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
        assert_eq!(t.profile(), &Origin::AdHoc);
        assert_eq!(t.auth(), AuthKind::Token);
        assert_eq!(t.user(), Some("bob"));
        assert_eq!(token_source(&t), Some(Source::Env("CPCALL_TOKEN".into())));
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
        assert_eq!(token_source(&t), Some(Source::Env("CPCALL_TOKEN".into())));
        assert_eq!(t.auth(), AuthKind::Token);
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
        assert_eq!(t.host(), "xn--bcher-kva.example");
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
