//! `--curl`: the curl command that makes the same request, for bug reports, for checking what
//! cpcall sends, and for running it where cpcall is not. Secrets are never read for it: they
//! appear as `$CPCALL_…` variables the runner sets, sensitive parameters too
//! (`$CPCALL_PARAM_PASSWORD`), so the command runs as printed.

use cpanel_client::params::{encode_form, is_sensitive};
use cpanel_client::probe;
use cpanel_client::{
    authorization, Call, CallOptions, Method, Request, SessionInfo, Trust, OTP_HEADER,
};

use crate::config::profile::Target;
use crate::config::{AuthKind, SecretName};
use crate::quote::single;

/// The names of the variables a printed command takes a profile's credentials from:
/// `CPCALL_TOKEN`, or, with several profiles in one script (each needs its own),
/// `CPCALL_TOKEN_WEB1` after profile `web1`.
#[derive(Debug, Clone, Default)]
pub struct Names {
    suffix: String,
}

impl Names {
    /// Names of each profile's own, for a script of several profiles: `$CPCALL_TOKEN_WEB1`.
    /// Profiles whose names make the same suffix (`web-1`, `web.1`, `web_1`; `Web1`, `web1`)
    /// get numbered ones (`_WEB_1`, `_WEB_1_2`…), in order: a variable set for one must never
    /// send its secret to another's host.
    pub fn per_profile<'a>(profiles: impl IntoIterator<Item = &'a str>) -> Vec<Names> {
        let mut taken = std::collections::HashSet::new();
        let mut by_name: Vec<(&str, String)> = Vec::new();
        profiles
            .into_iter()
            .map(|name| {
                if let Some((_, suffix)) = by_name.iter().find(|(n, _)| *n == name) {
                    return Names {
                        suffix: suffix.clone(),
                    };
                }
                let base = format!("_{}", variable_part(name));
                let mut suffix = base.clone();
                let mut n = 2;
                while !taken.insert(suffix.clone()) {
                    suffix = format!("{base}_{n}");
                    n += 1;
                }
                by_name.push((name, suffix.clone()));
                Names { suffix }
            })
            .collect()
    }

    /// `$CPCALL_TOKEN` (with the profile's suffix).
    fn var(&self, base: &str) -> String {
        format!("$CPCALL_{base}{}", self.suffix)
    }
}

pub fn command(
    target: &Target,
    request: &Request,
    session: Option<&SessionInfo>,
    pinned_key: Option<&str>,
    names: &Names,
) -> String {
    let mut request = request.clone();
    // The security token is part of the session, like its cookie: a variable, not the value.
    if session.is_some() {
        request.path = format!("{}{}", names.var("SESSION_TOKEN"), request.path);
    }
    let mut url = format!("{}{}", target.base_url(), request.path);
    let (mut lines, mut args) = start(target, pinned_key);
    let user = target.user().unwrap_or("root").to_string();
    match (session, target.auth()) {
        (Some(s), _) => args.push(format!(
            "-H {}",
            double(&format!(
                "Cookie: {}={}",
                s.cookie_name,
                names.var("SESSION_COOKIE")
            ))
        )),
        (None, kind @ (AuthKind::Token | AuthKind::Accesshash)) => {
            let placeholder = match kind {
                AuthKind::Token => names.var("TOKEN"),
                _ => names.var("ACCESSHASH"),
            };
            let value = authorization(kind, target.service(), &user, &placeholder);
            args.push(format!("-H {}", double(&format!("Authorization: {value}"))));
        }
        (None, AuthKind::Password) => {
            args.push(format!(
                "-u {}",
                double(&format!("{user}:{}", names.var("PASSWORD")))
            ));
            if target
                .secret_sources()
                .iter()
                .any(|(name, _)| *name == SecretName::TotpSecret)
            {
                args.push(format!(
                    "-H {}",
                    double(&format!("{OTP_HEADER}: {}", names.var("OTP")))
                ));
            }
        }
        (None, AuthKind::Session) => {
            lines.push("# no saved session: run cpcall login first".into());
            args.push(format!(
                "-H {}",
                double(&format!(
                    "Cookie: {}={}",
                    target.service().session_cookie(),
                    names.var("SESSION_COOKIE")
                ))
            ));
        }
    }
    // Parameters one by one, in order: as sent, except that a sensitive one's value comes from
    // a variable the caller sets (`--data-urlencode "password=$CPCALL_PARAM_PASSWORD"`), so the
    // command runs as printed and holds no secret. GET puts them in the query (`-G`).
    let params = match request.method {
        Method::Post => {
            // What cpcall sets itself (api.version, cpanel_jsonapi_*): never a secret.
            if !request.query.is_empty() {
                url.push('?');
                url.push_str(&encode_form(pairs(&request.query)));
            }
            &request.form
        }
        _ => {
            args.push("-G".into());
            &request.query
        }
    };
    let mut variables: Vec<String> = Vec::new();
    for (key, value) in params {
        if is_sensitive(key) {
            let mut name = format!("CPCALL_PARAM_{}", variable_part(key));
            if variables.contains(&name) {
                name = format!("{name}_{}", variables.len() + 1);
            }
            lines.push(format!(
                "# set {name} to the value of {key} (export {name}=…)"
            ));
            // curl encodes only what follows the `=`: the name goes encoded already.
            let key = encode_form([(key.as_str(), "")]);
            args.push(format!(
                "--data-urlencode {}",
                double(&format!("{key}${name}"))
            ));
            variables.push(name);
        } else {
            args.push(format!(
                "--data {}",
                single(&encode_form([(key.as_str(), value.as_str())]))
            ));
        }
    }
    if request.method == Method::Post && params.is_empty() {
        // A POST with an empty body, as cpcall sends it.
        args.push("--data ''".into());
    }
    finish(target, lines, args, &url)
}

/// A parameter name as the tail of a shell variable's name: `PASSWORD`, `NEW_PASS`.
fn variable_part(key: &str) -> String {
    key.chars()
        .map(|c| match c.is_ascii_alphanumeric() {
            true => c.to_ascii_uppercase(),
            false => '_',
        })
        .collect()
}

fn pairs(params: &[cpanel_client::params::Param]) -> impl Iterator<Item = (&str, &str)> {
    params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// The login `cpcall login` makes: `user`, `pass` and (2FA) `tfa_token` posted to
/// `/login/?login_only=1`; the answer holds the security token, its `Set-Cookie` the session.
pub fn login(target: &Target, tfa: bool) -> String {
    let (mut lines, mut args) = start(target, None);
    lines.push(format!(
        "# the answer's security_token goes first in later paths; its Set-Cookie {} (curl -D -) is the session",
        target.service().session_cookie()
    ));
    let user = target.user().unwrap_or("$CPCALL_USER");
    args.push(format!(
        "--data-urlencode {}",
        double(&format!("user={user}"))
    ));
    args.push(format!(
        "--data-urlencode {}",
        double("pass=$CPCALL_PASSWORD")
    ));
    if tfa {
        args.push(format!(
            "--data-urlencode {}",
            double("tfa_token=$CPCALL_OTP")
        ));
    }
    finish(
        target,
        lines,
        args,
        &format!("{}/login/?login_only=1", target.base_url()),
    )
}

/// The logout `cpcall logout` makes: `/logout/` with the session's cookie.
pub fn logout(target: &Target, saved: Option<&SessionInfo>) -> String {
    let (mut lines, mut args) = start(target, None);
    if saved.is_none() {
        lines.push(format!(
            "# no saved session for {}: nothing to end",
            target.describe()
        ));
    }
    args.push(format!(
        "-H {}",
        double(&format!(
            "Cookie: {}=$CPCALL_SESSION_COOKIE",
            target.service().session_cookie()
        ))
    ));
    finish(
        target,
        lines,
        args,
        &format!("{}/logout/", target.base_url()),
    )
}

/// Comment lines and the first arguments: how curl trusts the server, the time limit, and
/// `-f` (an HTTP error is a failing exit status, as it is for cpcall). With a pin, curl pins
/// the certificate's public key (`--pinnedpubkey`, the only pin curl has): `pinned_key` is its
/// `sha256//BASE64`, read from the pinned certificate.
fn start(target: &Target, pinned_key: Option<&str>) -> (Vec<String>, Vec<String>) {
    let mut lines = Vec::new();
    let mut args = vec!["curl -sSf".to_string()];
    match target.trust() {
        Trust::Roots {
            ca_file: Some(path),
            ..
        } if target.tls() => args.push(format!("--cacert {}", single(&path.display().to_string()))),
        Trust::Pin(pin) if target.tls() => {
            lines.push(format!(
                "# cpcall accepts only the certificate with SHA-256 {}: curl pins its public key instead (-k skips the CA check, as the pin does)",
                probe::fingerprint(&pin)
            ));
            args.push("-k".into());
            if let Some(key) = pinned_key {
                args.push(format!("--pinnedpubkey {}", single(key)));
            }
        }
        Trust::Insecure if target.tls() => args.push("-k".into()),
        _ => {}
    }
    args.push(format!("--max-time {}", target.timeout().as_secs_f64()));
    (lines, args)
}

/// The `Referer` cpcall sends, the URL, and the whole command after its comment lines.
fn finish(target: &Target, mut lines: Vec<String>, mut args: Vec<String>, url: &str) -> String {
    args.push(format!(
        "-H {}",
        single(&format!("Referer: {}/", target.base_url()))
    ));
    args.push(match url.contains("$CPCALL_") {
        true => double(url),
        false => single(url),
    });
    lines.push(args.join(" \\\n  "));
    lines.join("\n")
}

/// `"…"` for the shell, so the `$CPCALL_…` variables expand and nothing else does.
fn double(s: &str) -> String {
    let mut out = String::from("\"");
    for (i, c) in s.char_indices() {
        let variable = c == '$' && s[i + 1..].starts_with("CPCALL_");
        if matches!(c, '"' | '\\' | '`') || (c == '$' && !variable) {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The curl command of a call on `target` (with the saved session it would use: only a session
/// target uses one), and a comment when `--paginate` would make more requests than this one.
/// With a pin, one TLS handshake reads the pinned certificate's public key for curl's pin
/// (nothing is sent over it); a server that presents another certificate is refused, as a call
/// would be.
pub fn of_call(
    target: &Target,
    call: &Call,
    options: &CallOptions,
    names: &Names,
) -> crate::error::Result<String> {
    let saved = match target.auth() {
        AuthKind::Session => target.saved_session()?,
        _ => None,
    };
    let pinned_key = pinned_key(target)?;
    let mut text = String::new();
    let request = match options.paginate {
        Some(size) => {
            text.push_str(&format!(
                "# --paginate: the first page; cpcall asks for the next {size} records until the total\n"
            ));
            call.first_page(size)?.to_request(options.method)?
        }
        None => call.to_request(options.method)?,
    };
    text.push_str(&command(
        target,
        &request,
        saved.as_ref(),
        pinned_key.as_deref(),
        names,
    ));
    text.push('\n');
    Ok(text)
}

/// `sha256//BASE64` of the pinned certificate's public key, from a handshake that checks the
/// pin; `None` without a pin.
fn pinned_key(target: &Target) -> crate::error::Result<Option<String>> {
    use base64::Engine;
    if !target.tls() || !matches!(target.trust(), Trust::Pin(_)) {
        return Ok(None);
    }
    let (der, _) = probe::handshake(target).map_err(|refused| {
        crate::error::Error::transport(format!(
            "--curl reads the pinned certificate's public key for curl's --pinnedpubkey, and {}",
            crate::error::words(&refused.error)
        ))
    })?;
    let spki = probe::public_key_info(&der)?;
    let digest = probe::sha256(&spki);
    Ok(Some(format!(
        "sha256//{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_table() {
        let cases = [
            (single("a b"), "'a b'"),
            (single("it's"), r"'it'\''s'"),
            (double("x:$CPCALL_TOKEN"), "\"x:$CPCALL_TOKEN\""),
            (double("a\"b$HOME`c`\\"), r#""a\"b\$HOME\`c\`\\""#),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }
}
