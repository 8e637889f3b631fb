//! `cpcall trust`: pinning on first use. Shows the server's certificate and, once confirmed,
//! writes its SHA-256 as `pin_sha256` into the profile, leaving the rest of the config file —
//! comments and layout included — as it was.

use std::path::Path;

use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use crate::config::profile::{self, Target};
use crate::config::Loaded;
use crate::error::{Error, Exit, Result};
use crate::output::stderr;
use cpanel_client::probe as tls;

/// What a person needs to recognise a certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    pub names: Vec<String>,
    pub not_before: String,
    pub not_after: String,
    /// Unix time of the end of validity.
    pub expires: i64,
    pub sha256: [u8; 32],
}

pub fn describe(der: &[u8]) -> Result<CertInfo> {
    let (_, cert) = X509Certificate::from_der(der)
        .map_err(|e| Error::transport(format!("the server's certificate cannot be read: {e}")))?;
    let names = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .map(|n| match n {
                    GeneralName::DNSName(d) => d.to_string(),
                    GeneralName::IPAddress(ip) => format_ip(ip),
                    other => format!("{other:?}"),
                })
                .collect()
        })
        .unwrap_or_default();
    let validity = cert.validity();
    Ok(CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        names,
        not_before: validity.not_before.to_string(),
        not_after: validity.not_after.to_string(),
        expires: validity.not_after.timestamp(),
        sha256: tls::sha256(der),
    })
}

fn format_ip(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => std::net::Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string(),
        16 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(bytes);
            std::net::Ipv6Addr::from(octets).to_string()
        }
        _ => format!("{bytes:02x?}"),
    }
}

/// Shown one field a line; every field the certificate's maker chose is escaped, so a name
/// cannot add a line of its own (a fake `SHA-256:`) to what the user confirms.
impl std::fmt::Display for CertInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::output::stderr::escape;
        writeln!(f, "  subject: {}", escape(&self.subject))?;
        writeln!(f, "  names:   {}", escape(&self.names.join(", ")))?;
        writeln!(f, "  issuer:  {}", escape(&self.issuer))?;
        writeln!(f, "  valid:   {} to {}", self.not_before, self.not_after)?;
        write!(f, "  SHA-256: {}", tls::fingerprint(&self.sha256))
    }
}

/// Writes `pin_sha256 = "HEX"` into `[profiles.NAME]` of the config file, atomically and with
/// the file's mode and owner kept; everything else in the file stays byte for byte. Under the
/// edit lock the profile's pin must still be `was` (what the user saw and confirmed): one
/// changed meanwhile by another process is not overwritten.
pub fn write_pin(path: &Path, profile: &str, sha256: &[u8; 32], was: Option<&str>) -> Result<()> {
    crate::config::files::edit(path, false, |text| {
        let text = text.ok_or_else(|| fail(path, &"the file is gone"))?;
        let now = pin_in(&text, profile);
        if now.as_deref() != was {
            return Err(Error::usage(format!(
                "the pin of profile \"{profile}\" in {} changed while trust ran (now {}): nothing changed; run trust again",
                path.display(),
                now.as_deref().unwrap_or("none")
            )));
        }
        with_pin(path, &text, profile, sha256)
    })
}

fn fail(path: &Path, e: &dyn std::fmt::Display) -> Error {
    Error::usage(format!("cannot update {}: {e}", path.display()))
}

/// The `pin_sha256` of `[profiles.NAME]` in a config text, as written.
fn pin_in(text: &str, profile: &str) -> Option<String> {
    let doc: toml_edit::DocumentMut = text.parse().ok()?;
    let pin = doc.get("profiles")?.get(profile)?.get("pin_sha256")?;
    pin.as_str().map(str::to_string)
}

/// The config text with `pin_sha256` set in `[profiles.NAME]`, everything else as it was.
fn with_pin(path: &Path, text: &str, profile: &str, sha256: &[u8; 32]) -> Result<String> {
    let fail = |e: &dyn std::fmt::Display| fail(path, e);
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| fail(&e))?;
    let table = doc
        .get_mut("profiles")
        .and_then(|p| p.get_mut(profile))
        .and_then(|t| t.as_table_like_mut())
        .ok_or_else(|| {
            fail(&format!(
                "no [profiles.{profile}] table to write the pin into"
            ))
        })?;
    let hex: String = sha256.iter().map(|b| format!("{b:02x}")).collect();
    // Replacing an old pin keeps its comment and spacing.
    match table
        .get_mut("pin_sha256")
        .and_then(|item| item.as_value_mut())
    {
        Some(old) => {
            let decor = old.decor().clone();
            *old = hex.into();
            *old.decor_mut() = decor;
        }
        None => {
            table.insert("pin_sha256", toml_edit::value(hex));
        }
    }
    Ok(doc.to_string())
}

/// What `cpcall trust` was asked: `--yes`, `--sha256 FINGERPRINT`, `--replace`, and whether
/// `--host` or `--port` point the profile elsewhere.
pub struct Asked<'a> {
    pub yes: bool,
    pub expected: Option<&'a str>,
    pub replace: bool,
    pub retargeted: bool,
}

pub fn command(target: &Target, loaded: Option<&Loaded>, asked: &Asked) -> Result<Exit> {
    // Checked before connecting: a typo must not cost a round trip.
    let expected = asked.expected.map(tls::parse_pin).transpose()?;
    let (path, name) = match (loaded, target.profile()) {
        (Some(loaded), profile::Origin::Named(name)) => (loaded.path.as_path(), name.as_str()),
        _ => {
            return Err(Error::usage(
                "trust writes the pin into a profile: name one with -p (see README)",
            ))
        }
    };
    if asked.retargeted {
        return Err(Error::usage(format!(
            "trust pins the certificate of profile \"{name}\"'s own server: with --host or --port it would write another server's certificate into it; drop them (or add a profile for that server)"
        )));
    }
    if !target.tls() {
        return Err(Error::usage(format!(
            "{} uses plain HTTP (tls = false): there is no certificate to pin",
            target.describe()
        )));
    }
    // What the file says now, whatever --insecure makes of it for this run.
    let was = loaded.and_then(|l| l.file.profiles.get(name)?.pin_sha256.clone());
    let der = tls::peer_certificate(target).map_err(|r| crate::error::Error::from(r.error))?;
    let info = crate::commands::trust::describe(&der)?;
    stderr::say(format!(
        "{}:{} presents this certificate:",
        target.host(),
        target.port()
    ));
    stderr::lines(&info.to_string());
    let presented = tls::fingerprint(&info.sha256);
    // The certificate shown is the one pinned (same connection); --sha256 says which it must be.
    if let Some(expected) = expected {
        if expected != info.sha256 {
            return Err(Error::transport(format!(
                "the server presents SHA-256 {presented}, not the {} given: nothing changed (a renewed certificate, another server, or an interception)",
                tls::fingerprint(&expected)
            )));
        }
    }
    let old = was.as_deref().map(|w| match tls::parse_pin(w) {
        Ok(pin) => (Some(pin), tls::fingerprint(&pin)),
        Err(_) => (None, w.to_string()),
    });
    if let Some((Some(pin), _)) = &old {
        if *pin == info.sha256 {
            stderr::info(format!("{} already pins it", target.describe()));
            return Ok(Exit::Success);
        }
    }
    let interactive = !asked.yes && expected.is_none();
    let confirmed = match &old {
        // Another certificate than the pinned one: never replaced without being told so.
        Some((_, pinned)) if !asked.replace && !interactive => {
            return Err(Error::auth(format!(
                "profile \"{name}\" pins SHA-256 {pinned}, but the server presents {presented}: nothing changed (a renewed certificate, another server, or an interception); check the new fingerprint on the server, then run again with --replace"
            )))
        }
        Some((_, pinned)) if interactive => ask(&format!(
            "Profile \"{name}\" pins SHA-256 {pinned}; the server now presents {presented}. Replace the pin? Compare the new SHA-256 with the server's own first. [y/N] "
        ))?,
        None if interactive => ask(&format!(
            "Pin it for {}? Compare the SHA-256 with the server's own first. [y/N] ",
            target.describe()
        ))?,
        _ => true,
    };
    if !confirmed {
        stderr::say("nothing changed");
        return Ok(Exit::Usage);
    }
    write_pin(path, name, &info.sha256, was.as_deref())?;
    let replaced = match &old {
        Some((_, pinned)) => format!(" (was {pinned})"),
        None => String::new(),
    };
    stderr::info(format!(
        "pinned it: pin_sha256 of {} in {}{replaced}",
        target.describe(),
        path.display()
    ));
    Ok(Exit::Success)
}

/// A yes/no question at the terminal; without one, the way to answer in a script.
fn ask(question: &str) -> Result<bool> {
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(Error::usage("no terminal to ask: check the fingerprint above on the server, then run again with --sha256 FINGERPRINT (pins only that certificate)"));
    }
    stderr::prompt(question);
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Error::usage(format!("cannot read the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pin_goes_into_the_profile_and_nothing_else_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        let cases = [
            (
                "# fleet\n[profiles.a]\nhost = \"a\"   # primary\n\n[profiles.b]\nhost = \"b\"\n",
                "# fleet\n[profiles.a]\nhost = \"a\"   # primary\npin_sha256 = \"PIN\"\n\n[profiles.b]\nhost = \"b\"\n",
            ),
            (
                "[profiles.a]\nhost = \"a\"\npin_sha256 = \"old\" # was\n",
                "[profiles.a]\nhost = \"a\"\npin_sha256 = \"PIN\" # was\n",
            ),
            ("profiles.a.host = \"a\"\n", "profiles.a.host = \"a\"\nprofiles.a.pin_sha256 = \"PIN\"\n"),
        ];
        let pin = tls::sha256(b"test");
        let hex: String = pin.iter().map(|b| format!("{b:02x}")).collect();
        for (before, after) in cases {
            std::fs::write(&path, before).unwrap();
            write_pin(&path, "a", &pin, pin_in(before, "a").as_deref()).unwrap();
            assert_eq!(
                std::fs::read_to_string(&path).unwrap(),
                after.replace("PIN", &hex),
                "{before}"
            );
        }
        std::fs::write(&path, "[profiles.x]\nhost = \"x\"\n").unwrap();
        assert!(write_pin(&path, "a", &pin, None)
            .unwrap_err()
            .message()
            .contains("no [profiles.a]"));
    }
}
