//! `cpcall trust`: pinning on first use. Shows the server's certificate and, once confirmed,
//! writes its SHA-256 as `pin_sha256` into the profile, leaving the rest of the config file —
//! comments and layout included — as it was.

use std::path::Path;

use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use crate::client::tls::{self, Verify};
use crate::config::profile::{self, Target};
use crate::error::{Error, Exit, Result};
use crate::output::stderr;

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
/// the file's mode kept; everything else in the file stays byte for byte.
pub fn write_pin(path: &Path, profile: &str, sha256: &[u8; 32]) -> Result<()> {
    crate::config::files::edit(path, false, |text| {
        let text = text.ok_or_else(|| fail(path, &"the file is gone"))?;
        with_pin(path, &text, profile, sha256)
    })
}

fn fail(path: &Path, e: &dyn std::fmt::Display) -> Error {
    Error::usage(format!("cannot update {}: {e}", path.display()))
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

pub fn command(
    target: &Target,
    config: Option<&std::path::Path>,
    yes: bool,
    expected: Option<&str>,
) -> Result<Exit> {
    // Checked before connecting: a typo must not cost a round trip.
    let expected = expected.map(crate::client::tls::parse_pin).transpose()?;
    let path = match config {
        Some(path) if target.profile != profile::Origin::AdHoc => path,
        _ => {
            return Err(Error::usage(
                "trust writes the pin into a profile: name one with -p (see README)",
            ))
        }
    };
    if !target.tls {
        return Err(Error::usage(format!(
            "{} uses plain HTTP (tls = false): there is no certificate to pin",
            target.describe()
        )));
    }
    let der = crate::client::tls::peer_certificate(target)?;
    let info = crate::commands::trust::describe(&der)?;
    stderr::say(format!(
        "{}:{} presents this certificate:",
        target.host, target.port
    ));
    stderr::lines(&info.to_string());
    // The certificate shown is the one pinned (same connection); --sha256 says which it must be.
    if let Some(expected) = expected {
        if expected != info.sha256 {
            return Err(Error::transport(format!(
                "the server presents SHA-256 {}, not the {} given: nothing changed (a renewed certificate, another server, or an interception)",
                crate::client::tls::fingerprint(&info.sha256),
                crate::client::tls::fingerprint(&expected)
            )));
        }
    }
    if target.verify == Verify::Pin(info.sha256) {
        stderr::say(format!("{} already pins it", target.describe()));
        return Ok(Exit::Success);
    }
    let confirmed = yes
        || expected.is_some()
        || {
            if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                return Err(Error::usage("no terminal to ask: check the fingerprint above on the server, then run again with --sha256 FINGERPRINT (pins only that certificate)"));
            }
            stderr::prompt(&format!(
                "Pin it for {}? Compare the SHA-256 with the server's own first. [y/N] ",
                target.describe()
            ));
            let mut answer = String::new();
            std::io::stdin()
                .read_line(&mut answer)
                .map_err(|e| Error::usage(format!("cannot read the answer: {e}")))?;
            matches!(answer.trim(), "y" | "Y" | "yes")
        };
    if !confirmed {
        stderr::say("nothing changed");
        return Ok(Exit::Usage);
    }
    crate::commands::trust::write_pin(path, &target.profile.to_string(), &info.sha256)?;
    stderr::say(format!(
        "pinned it: pin_sha256 of {} in {}",
        target.describe(),
        path.display()
    ));
    Ok(Exit::Success)
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
            write_pin(&path, "a", &pin).unwrap();
            assert_eq!(
                std::fs::read_to_string(&path).unwrap(),
                after.replace("PIN", &hex),
                "{before}"
            );
        }
        std::fs::write(&path, "[profiles.x]\nhost = \"x\"\n").unwrap();
        assert!(write_pin(&path, "a", &pin)
            .unwrap_err()
            .message()
            .contains("no [profiles.a]"));
    }
}
