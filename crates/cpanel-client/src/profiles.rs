//! cpcall's TOML config file (feature `profiles`): where it is, what it may hold, and picking
//! a profile from it. The file is read only when asked ([`load`], [`crate::Client::profile`]);
//! a file or folder someone else can change is refused or kept from this machine's secrets,
//! as ssh treats its config.
//!
//! ```no_run
//! use cpanel_client::{profiles, Client, Options, Target};
//!
//! let loaded = profiles::load(None)?.expect("no config file");
//! let (name, profile) = loaded.file.select(Some("prod"))?;
//! let client = Client::new(Target::from_profile(Some(name), profile).build()?, Options::default())?;
//! # Ok::<(), cpanel_client::Error>(())
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::target::{expand_tilde, Profile, SecretName};

/// The whole file, as written.
#[non_exhaustive]
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The profile used when none is named.
    pub default_profile: Option<String>,
    /// `[profiles.NAME]` tables, by name.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    /// `[groups] web = ["a", "b"]`: names for several profiles at once.
    #[serde(default)]
    pub groups: BTreeMap<String, Vec<String>>,
}

/// The platform's config directory + `cpcall/config.toml` (`~/.config/cpcall/config.toml` on Linux).
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("cpcall").join("config.toml"))
}

/// A config file as read, with where it was and who else can change it.
#[non_exhaustive]
pub struct Loaded {
    /// Where it was read from.
    pub path: PathBuf,
    /// What it holds.
    pub file: ConfigFile,
    /// Who besides the runner (and root) can change the file, when someone can: its profiles
    /// then read no secret from this machine (files, variables, commands), which a stranger's
    /// host would receive.
    pub others_can_write: Option<String>,
}

impl Loaded {
    /// A config file's text already parsed ([`parse`]), as read from `path`, with nobody else
    /// able to change it.
    pub fn new(path: PathBuf, file: ConfigFile) -> Loaded {
        Loaded {
            path,
            file,
            others_can_write: None,
        }
    }

    /// Whether any profile writes a secret's value in the file itself.
    pub fn holds_secrets(&self) -> bool {
        self.file.profiles.values().any(|p| {
            p.accesshash.is_some()
                || p.token.is_some()
                || p.password.is_some()
                || p.totp_secret.is_some()
        })
    }
}

/// A config file larger than this is not one (`-c /dev/urandom`).
pub const MAX_CONFIG: u64 = 4 << 20;

/// Reads the config. An explicit path must exist; the default one may be absent (`Ok(None)`).
pub fn load(explicit: Option<&Path>) -> Result<Option<Loaded>> {
    let (path, required) = match explicit {
        Some(p) => (expand_tilde(p), true),
        None => match default_path() {
            Some(p) => (p, false),
            None => return Ok(None),
        },
    };
    let text = match crate::files::read_text(&path, MAX_CONFIG) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(None),
        Err(e) => {
            return Err(Error::config(format!(
                "cannot read config file {}: {e}",
                path.display()
            )))
        }
    };
    // Whoever can change the folder can change the file: hosts, secrets' sources, commands.
    check_folder_of(&path)?;
    let file = parse(&text, &path)?;
    let others_can_write = crate::files::writable_by_others(&path);
    if let Some(who) = &others_can_write {
        refuse_local_secrets(&file, &path, who)?;
    }
    Ok(Some(Loaded {
        path,
        file,
        others_can_write,
    }))
}

/// The config file's folder, and the folder of the file a link points to, must be safe.
fn check_folder_of(path: &Path) -> Result<()> {
    let what = "the config file's folder";
    let parent = |p: &Path| {
        p.parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map(Path::to_path_buf)
    };
    let mut folders: Vec<PathBuf> = parent(path).into_iter().collect();
    if let Some(real) = std::fs::canonicalize(path).ok().as_deref().and_then(parent) {
        folders.push(real);
    }
    if folders.is_empty() {
        folders.push(PathBuf::from("."));
    }
    folders
        .iter()
        .try_for_each(|dir| crate::files::check_folder(dir, what))
}

/// A config someone else can change may hold its own secrets, but may not read any of this
/// machine's: a `*_command` would run whatever they put there, and a `*_file` or `*_env`
/// would send the runner's file or variable (`/root/.accesshash`, `AWS_SECRET_ACCESS_KEY`) to
/// the host they put there. Refused, as ssh refuses such a config.
fn refuse_local_secrets(file: &ConfigFile, path: &Path, who: &str) -> Result<()> {
    let local = file.profiles.iter().find_map(|(name, p)| {
        SecretName::ALL.into_iter().find_map(|secret| {
            let (_, file, env, command) = p.spellings(secret);
            let key = secret.key();
            match (file, env, command) {
                (_, _, Some(_)) => Some((name, format!("{key}_command"), "run commands as you")),
                (Some(_), _, _) => {
                    Some((name, format!("{key}_file"), "send that file to any host"))
                }
                (_, Some(_), _) => {
                    Some((name, format!("{key}_env"), "send that variable to any host"))
                }
                _ => None,
            }
        })
    });
    match local {
        Some((name, key, harm)) => Err(Error::config(format!(
            "config file {} has {key} in profile \"{name}\" but {who}: whoever can write it could {harm}; make it yours and run chmod 600 {}",
            path.display(),
            path.display()
        ))),
        None => Ok(()),
    }
}

/// Reads config file text (`path` names it in messages), checking every key and value.
pub fn parse(text: &str, path: &Path) -> Result<ConfigFile> {
    let mut file: ConfigFile = toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map(|span| {
                let (line, col) = line_col(text, span.start);
                format!(":{line}:{col}")
            })
            .unwrap_or_default();
        // The value that is wrong stays out of the message (`token = 12345678901` is a
        // secret of the wrong type): the line and column point at it.
        let message = without_quoted_values(&e.message().trim().replace('\n', " "));
        Error::config(format!("config {}{at}: {message}", path.display()))
    })?;
    // Paths in the file are relative to the file, not to wherever cpcall runs (cron: `/`).
    let dir = path.parent().unwrap_or(Path::new(""));
    for profile in file.profiles.values_mut() {
        for p in [
            &mut profile.ca_file,
            &mut profile.accesshash_file,
            &mut profile.token_file,
            &mut profile.password_file,
            &mut profile.totp_secret_file,
        ]
        .into_iter()
        .flatten()
        {
            *p = dir.join(expand_tilde(p));
        }
    }
    Ok(file)
}

/// A parser's message with the values it quotes in backticks after "invalid type: integer",
/// "invalid value: string"… left out; field and variant names (`hots`, `oauth`) stay.
fn without_quoted_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find("invalid ") {
        let (before, after) = rest.split_at(i);
        out.push_str(before);
        // "invalid type: integer `12345678901`, expected a string"
        match after.find(['`', ',']) {
            Some(j) if after.as_bytes()[j] == b'`' => {
                out.push_str(after[..j].trim_end());
                let tail = &after[j + 1..];
                rest = tail.find('`').map_or("", |k| &tail[k + 1..]);
            }
            _ => {
                out.push_str("invalid ");
                rest = &after["invalid ".len()..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

impl ConfigFile {
    /// The profile to use: the named one, else `default_profile`, else "default", else the only one.
    pub fn select(&self, name: Option<&str>) -> Result<(&str, &Profile)> {
        let wanted = match name.or(self.default_profile.as_deref()) {
            Some(n) => n,
            None if self.profiles.contains_key("default") => "default",
            None if self.profiles.len() == 1 => {
                return self
                    .profiles
                    .iter()
                    .next()
                    .map(|(n, p)| (n.as_str(), p))
                    .ok_or_else(|| Error::config("no profiles"))
            }
            None if self.profiles.is_empty() => {
                return Err(Error::config(
                    "the config file has no profiles: add a [profiles.NAME] table (see README)",
                ))
            }
            None => {
                return Err(Error::config(format!(
                    "several profiles and no default: {} (one of {}) or set default_profile",
                    crate::Term::ChooseProfile,
                    self.names()
                )))
            }
        };
        self.profiles
            .get_key_value(wanted)
            .map(|(n, p)| (n.as_str(), p))
            .ok_or_else(|| {
                Error::config(format!(
                    "no profile named \"{wanted}\" in the config file; known profiles: {}",
                    self.names()
                ))
            })
    }

    fn names(&self) -> String {
        if self.profiles.is_empty() {
            return "(none)".into();
        }
        self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Service, Source};

    fn parse_str(text: &str) -> Result<ConfigFile> {
        parse(text, Path::new("cfg.toml"))
    }

    #[test]
    fn full_example_parses() {
        let cfg = parse_str(
            r#"
default_profile = "prod"
[profiles.prod]
host = "server.example.com"
port = 2087
service = "whm"
user = "root"
auth = "accesshash"
accesshash_file = "/root/.accesshash"
tls = true
insecure = false
ca_file = "/etc/ssl/my-ca.pem"
pin_sha256 = "9f86d0"
timeout = 30
[profiles.shop]
host = "shop.example.com"
service = "cpanel"
user = "shop"
token_env = "SHOP_TOKEN"
"#,
        )
        .unwrap();
        let (name, prod) = cfg.select(None).unwrap();
        assert_eq!(name, "prod");
        assert_eq!(prod.port, Some(2087));
        assert_eq!(prod.timeout, Some(30.0));
        assert_eq!(
            prod.secret_source(SecretName::Accesshash).unwrap(),
            Some(Source::File("/root/.accesshash".into()))
        );
        let (_, shop) = cfg.select(Some("shop")).unwrap();
        assert_eq!(shop.service, Some(Service::Cpanel));
        assert_eq!(
            shop.secret_source(SecretName::Token).unwrap(),
            Some(Source::Env("SHOP_TOKEN".into()))
        );
    }

    #[test]
    fn errors_name_the_key_and_the_line() {
        let cases = [
            ("[profiles.a]\nhots = \"x\"\n", "cfg.toml:2:1", "hots"),
            (
                "[profiles.a]\nhost = \"x\"\nport = \"2087\"\n",
                "cfg.toml:3:8",
                "invalid type",
            ),
            ("[profiles.a]\nport = 70000\n", "cfg.toml:2:8", ""),
            (
                "[profiles.a]\nservice = \"whmm\"\n",
                "cfg.toml:2:11",
                "whmm",
            ),
            ("[profiles.a]\nauth = \"oauth\"\n", "cfg.toml:2:8", "oauth"),
            ("[profiles.a\n", "cfg.toml:1:", ""),
            ("colour = 1\n", "cfg.toml:1:1", "colour"),
            (
                "[profiles.a]\ntoken = 12345678901\n",
                "cfg.toml:2:9",
                "invalid type: integer, expected a string",
            ),
            (
                "[profiles.a]\nhost = \"x\"\ntimeout = 0\n",
                "cfg.toml:3:11",
                "timeout 0 is out of range: give a number of seconds above 0",
            ),
        ];
        for (text, at, word) in cases {
            let err = parse_str(text).unwrap_err();
            assert!(!err.to_string().contains("12345678901"), "{err}");
            assert!(err.to_string().contains(at), "{text:?}: {err}");
            assert!(err.to_string().contains(word), "{text:?}: {err}");
            assert!(!err.to_string().contains('\n'), "one line: {err}");
        }
    }

    #[test]
    fn selection_table() {
        let two = "[profiles.a]\nhost='a'\n[profiles.b]\nhost='b'\n";
        let cases: &[(&str, Option<&str>, std::result::Result<&str, &str>)] = &[
            ("[profiles.only]\nhost='h'\n", None, Ok("only")),
            (
                "[profiles.default]\nhost='h'\n[profiles.x]\nhost='x'\n",
                None,
                Ok("default"),
            ),
            (
                "default_profile='b'\n[profiles.a]\nhost='a'\n[profiles.b]\nhost='b'\n",
                None,
                Ok("b"),
            ),
            (two, Some("a"), Ok("a")),
            (two, None, Err("name one (one of a, b)")),
            (two, Some("c"), Err("known profiles: a, b")),
            (
                "default_profile='zz'\n[profiles.a]\nhost='a'\n",
                None,
                Err("no profile named \"zz\""),
            ),
            ("", None, Err("no profiles")),
        ];
        for (text, name, want) in cases {
            let cfg = parse_str(text).unwrap();
            match (cfg.select(*name), want) {
                (Ok((got, _)), Ok(w)) => assert_eq!(got, *w),
                (Err(e), Err(w)) => assert!(e.to_string().contains(w), "{e}"),
                (got, want) => panic!("{text:?}: got {:?}, want {want:?}", got.map(|g| g.0)),
            }
        }
    }

    #[test]
    fn paths_are_relative_to_the_config_file() {
        let text = "[profiles.a]\nhost='h'\ntoken_file='tok'\nca_file='/etc/ca.pem'\n";
        let cfg = parse(text, Path::new("/home/u/.config/cpcall/config.toml")).unwrap();
        let a = &cfg.profiles["a"];
        assert_eq!(
            a.token_file.as_deref(),
            Some(Path::new("/home/u/.config/cpcall/tok"))
        );
        assert_eq!(a.ca_file.as_deref(), Some(Path::new("/etc/ca.pem")));
    }

    #[test]
    fn two_spellings_of_one_secret_are_refused() {
        let cfg = parse_str("[profiles.a]\nhost='h'\ntoken='t'\ntoken_env='T'\n").unwrap();
        let err = cfg.profiles["a"]
            .secret_source(SecretName::Token)
            .unwrap_err();
        assert!(err.to_string().contains("`token` and `token_env`"), "{err}");
    }

    #[test]
    fn debug_of_a_profile_hides_secrets() {
        let cfg = parse_str("[profiles.a]\nhost='h'\npassword='hunter2'\n").unwrap();
        assert!(!format!("{cfg:?}").contains("hunter2"));
    }
}
