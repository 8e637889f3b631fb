//! `cpcall config path | list | show NAME | add NAME`: find, read and extend the config file
//! without opening an editor. Secrets are never printed.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use crate::config::profile::{self, Flags};
use crate::config::{self, AuthKind, Loaded, Service};
use crate::error::{Error, Result};

const SECRET_KEYS: [&str; 4] = ["accesshash", "token", "password", "totp_secret"];

/// The config file in use: `-c`, `CPCALL_CONFIG`, or the platform default.
pub fn path(explicit: Option<&Path>) -> Result<PathBuf> {
    match explicit {
        Some(p) => Ok(config::expand_tilde(p)),
        None => config::default_path()
            .ok_or_else(|| Error::usage("no config directory on this platform: pass -c PATH")),
    }
}

fn load(explicit: Option<&Path>) -> Result<Loaded> {
    let path = path(explicit)?;
    config::load(Some(&path))?
        .ok_or_else(|| Error::usage(format!("no config file at {}", path.display())))
}

/// One line per profile: name, host:port, service, auth; the default marked with `*`.
pub fn list(explicit: Option<&Path>) -> Result<String> {
    let loaded = load(explicit)?;
    let default = loaded.file.select(None).ok().map(|(n, _)| n.to_string());
    let mut rows = vec![vec![
        String::new(),
        "PROFILE".into(),
        "HOST:PORT".into(),
        "SERVICE".into(),
        "AUTH".into(),
    ]];
    for name in loaded.file.profiles.keys() {
        let flags = Flags {
            profile: Some(name.clone()),
            ..Flags::default()
        };
        let mark = if default.as_deref() == Some(name) {
            "*"
        } else {
            ""
        }
        .to_string();
        rows.push(match profile::resolve(&flags, Some(&loaded), &|_| None) {
            Ok(t) => vec![
                mark,
                name.clone(),
                format!("{}:{}", t.host(), t.port()),
                t.service().name().into(),
                t.auth().name().into(),
            ],
            // Unaligned, so one broken profile does not stretch the table.
            Err(e) => vec![mark, name.clone(), format!("error: {e}")],
        });
    }
    let width = |i: usize| {
        rows.iter()
            .filter(|r| r.len() == 5)
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..5).map(width).collect();
    let lines: Vec<String> = rows
        .iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:w$}"))
                .collect();
            cells.join(" ").trim_end().to_string()
        })
        .collect();
    let mut text = lines.join("\n") + "\n";
    // Groups, for --group: each with its profiles.
    if !loaded.file.groups.is_empty() {
        let width = loaded
            .file
            .groups
            .keys()
            .map(|g| g.chars().count())
            .max()
            .unwrap_or(0)
            .max(5);
        text.push_str(&format!("\n{:width$} PROFILES\n", "GROUP"));
        for (group, members) in &loaded.file.groups {
            let members: Vec<String> = members
                .iter()
                .map(|m| match loaded.file.profiles.contains_key(m) {
                    true => m.clone(),
                    false => format!("{m} (no such profile)"),
                })
                .collect();
            text.push_str(&format!("{group:width$} {}\n", members.join(", ")));
        }
    }
    Ok(text)
}

/// The profile's table as written, with secret values replaced by `***`.
pub fn show(explicit: Option<&Path>, name: &str) -> Result<String> {
    let loaded = load(explicit)?;
    loaded.file.select(Some(name))?;
    let text = std::fs::read_to_string(&loaded.path)
        .map_err(|e| Error::usage(format!("cannot read {}: {e}", loaded.path.display())))?;
    let doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| Error::usage(format!("cannot read {}: {e}", loaded.path.display())))?;
    let table = doc
        .get("profiles")
        .and_then(|p| p.get(name))
        .and_then(|t| t.as_table_like())
        .ok_or_else(|| Error::usage(format!("no [profiles.{name}] table")))?;
    let mut out = format!("[profiles.{}]\n", toml_edit::Key::new(name));
    for (key, item) in table.iter() {
        // A command's text may hold the secret itself (`echo TOKEN`), as Debug output knows.
        let value = if SECRET_KEYS.contains(&key) || key.ends_with("_command") {
            "\"***\"".to_string()
        } else {
            item.as_value().map_or_else(
                || item.to_string(),
                |v| v.clone().decorated("", "").to_string(),
            )
        };
        out.push_str(&format!("{} = {value}\n", toml_edit::Key::new(key)));
    }
    Ok(out)
}

/// Answers to `config add`'s questions: from a person at a terminal, else one per line of stdin.
pub struct Asker {
    interactive: bool,
    lines: std::io::Lines<std::io::StdinLock<'static>>,
}

impl Asker {
    pub fn new() -> Self {
        Asker {
            interactive: std::io::stdin().is_terminal(),
            lines: std::io::stdin().lock().lines(),
        }
    }

    pub fn is_interactive(&self) -> bool {
        self.interactive
    }

    /// A yes/no question; no unless the answer is y or yes.
    pub fn confirm(&mut self, question: &str) -> Result<bool> {
        let answer = self.ask(&format!("{question} [y/N]"), Some(""))?;
        Ok(matches!(answer.to_ascii_lowercase().as_str(), "y" | "yes"))
    }

    fn ask(&mut self, question: &str, default: Option<&str>) -> Result<String> {
        let hint = default
            .filter(|d| !d.is_empty())
            .map(|d| format!(" [{d}]"))
            .unwrap_or_default();
        // Read from a pipe under -q, questions are not said: a person at a terminal needs them.
        let say = self.interactive || !crate::output::stderr::quiet();
        if say {
            crate::output::stderr::prompt(&format!("{question}{hint}: "));
        }
        let line = match self.lines.next() {
            Some(Ok(line)) => line.trim().to_string(),
            _ if default.is_some() => String::new(),
            _ => return Err(Error::usage(format!("no answer for \"{question}\""))),
        };
        if !self.interactive && say {
            crate::output::stderr::line("");
        }
        match (line.is_empty(), default) {
            (true, Some(d)) => Ok(d.to_string()),
            (true, None) => Err(Error::usage(format!("\"{question}\" needs an answer"))),
            (false, _) => Ok(line),
        }
    }

    /// Hidden at a terminal; a line of stdin otherwise (never echoed).
    fn ask_secret(&mut self, question: &str, optional: bool) -> Result<Option<String>> {
        let answer = if self.interactive {
            crate::signals::hidden_prompt(&format!("{question}: "))?
        } else {
            if !crate::output::stderr::quiet() {
                crate::output::stderr::line(&format!("{question}: (read from standard input)"));
            }
            match self.lines.next() {
                Some(Ok(line)) => line.trim_end_matches(['\r', '\n']).to_string(),
                _ => String::new(),
            }
        };
        match (answer.is_empty(), optional) {
            (true, true) => Ok(None),
            (true, false) => Err(Error::usage(format!("\"{question}\" needs an answer"))),
            (false, _) => Ok(Some(answer)),
        }
    }
}

impl Default for Asker {
    fn default() -> Self {
        Self::new()
    }
}

/// The new profile's settings, as `config add` gathers them.
pub struct NewProfile {
    pub table: toml_edit::Table,
    pub config: config::Profile,
}

impl NewProfile {
    /// The run's trust flags (`--ca-file`, `--pin-sha256`, `--insecure`), kept in the profile
    /// where the answers said nothing of trust: the test call trusts what they say, so the
    /// saved profile must too, or its first call is refused.
    pub fn keep_trust_flags(&mut self, flags: &crate::config::profile::Flags) {
        let asked = self.config.ca_file.is_some();
        if asked {
            return;
        }
        if flags.insecure {
            self.table.insert("insecure", toml_edit::value(true));
            self.config.insecure = Some(true);
        } else if let Some(pin) = &flags.pin_sha256 {
            self.table
                .insert("pin_sha256", toml_edit::value(pin.clone()));
            self.config.pin_sha256 = Some(pin.clone());
        } else if let Some(path) = &flags.ca_file {
            let path = std::path::absolute(config::expand_tilde(path)).unwrap_or(path.clone());
            let text = path.display().to_string();
            self.table.insert("ca_file", toml_edit::value(text));
            self.config.ca_file = Some(path);
        }
    }

    /// Pins the server's certificate (first contact with a self-signed server).
    pub fn pin(&mut self, sha256: &[u8; 32]) {
        let hex: String = sha256.iter().map(|b| format!("{b:02x}")).collect();
        self.table
            .insert("pin_sha256", toml_edit::value(hex.clone()));
        self.config.pin_sha256 = Some(hex);
    }
}

/// Asks for a new profile's settings, except those the run's flags already give (`--host`,
/// `--port`, `--service`, and trust: `--ca-file`, `--pin-sha256`, `--insecure`, which
/// [`NewProfile::keep_trust_flags`] keeps).
pub fn ask_profile(asker: &mut Asker, flags: &crate::config::profile::Flags) -> Result<NewProfile> {
    let host = match &flags.host {
        Some(host) => host.clone(),
        None => asker.ask("Host name or address of the server", None)?,
    };
    let service = match flags.service {
        Some(service) => service.name().to_string(),
        None => asker.ask("Service (whm, cpanel, webmail)", Some("whm"))?,
    };
    let service_value: Service = toml::Value::String(service.clone())
        .try_into()
        .map_err(|_| {
            Error::usage(format!(
                "service \"{service}\" is not whm, cpanel or webmail"
            ))
        })?;
    let port = match flags.port {
        Some(port) => port.to_string(),
        None => asker.ask("Port (Enter for the service's default)", Some(""))?,
    };
    let default_user = (service_value == Service::Whm).then_some("root");
    let user = asker.ask("User name (an e-mail address for Webmail)", default_user)?;
    let default_auth = if service_value == Service::Whm {
        "token"
    } else {
        "password"
    };
    let auth = asker.ask(
        "Authentication (token, password, accesshash, session)",
        Some(default_auth),
    )?;
    let auth_value: AuthKind = toml::Value::String(auth.clone()).try_into().map_err(|_| {
        Error::usage(format!(
            "auth \"{auth}\" is not token, password, accesshash or session"
        ))
    })?;
    let secret_key = match auth_value {
        AuthKind::Token => "token",
        AuthKind::Accesshash => "accesshash",
        AuthKind::Password | AuthKind::Session => "password",
    };
    let secret = asker
        .ask_secret(&format!("The {secret_key} (hidden)"), false)?
        .unwrap_or_default();
    let totp = match auth_value {
        AuthKind::Password | AuthKind::Session => {
            asker.ask_secret("TOTP secret for 2FA (hidden; Enter if none)", true)?
        }
        _ => None,
    };
    let trust_given = flags.insecure || flags.ca_file.is_some() || flags.pin_sha256.is_some();
    let ca_file = match trust_given {
        true => String::new(),
        false => asker.ask(
            "CA certificate file (Enter to use the public CAs)",
            Some(""),
        )?,
    };

    let mut text = format!(
        "host = {}\nservice = {}\nuser = {}\nauth = {}\n",
        quote(&host),
        quote(&service),
        quote(&user),
        quote(&auth)
    );
    if !port.is_empty() {
        let n: u16 = port.parse().map_err(|_| {
            Error::usage(format!("port \"{port}\" is not a number from 1 to 65535"))
        })?;
        text.push_str(&format!("port = {n}\n"));
    }
    text.push_str(&format!("{secret_key} = {}\n", quote(&secret)));
    if let Some(totp) = &totp {
        text.push_str(&format!("totp_secret = {}\n", quote(totp)));
    }
    if !ca_file.is_empty() {
        text.push_str(&format!("ca_file = {}\n", quote(&ca_file)));
    }
    let config: config::Profile = toml::from_str(&text)
        .map_err(|e| Error::usage(format!("invalid answer: {}", e.message())))?;
    let table: toml_edit::Table = text
        .parse::<toml_edit::DocumentMut>()
        .map_err(|e| Error::usage(format!("invalid answer: {e}")))?
        .as_table()
        .clone();
    Ok(NewProfile { table, config })
}

fn quote(s: &str) -> String {
    toml_edit::Value::from(s).to_string()
}

/// Appends `[profiles.NAME]` to the config file (created if missing: mode 0600; else its mode
/// and owner kept),
/// under the edit lock: a profile another process added meanwhile is kept, and a name it took
/// meanwhile is an error, never a silent overwrite.
pub fn save_profile(path: &Path, name: &str, table: toml_edit::Table) -> Result<()> {
    crate::config::files::edit(path, false, |text| {
        let mut doc: toml_edit::DocumentMut = text
            .unwrap_or_default()
            .parse()
            .map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))?;
        let profiles = doc
            .entry("profiles")
            .or_insert_with(|| {
                let mut t = toml_edit::Table::new();
                t.set_implicit(true);
                toml_edit::Item::Table(t)
            })
            .as_table_like_mut()
            .ok_or_else(|| {
                Error::usage(format!("{}: `profiles` is not a table", path.display()))
            })?;
        if profiles.contains_key(name) {
            return Err(Error::usage(format!(
                "profile \"{name}\" exists already in {}",
                path.display()
            )));
        }
        profiles.insert(name, toml_edit::Item::Table(table.clone()));
        Ok(doc.to_string())
    })
}
