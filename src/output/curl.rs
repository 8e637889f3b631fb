//! `--curl`: the curl command that makes the same request, for bug reports and for checking
//! what cpcall sends. Secrets are never read for it: they appear as `$CPCALL_…` variables, and
//! sensitive parameters as `***`.

use crate::client::api::{Method, Request};
use crate::client::auth::{authorization, OTP_HEADER};
use crate::client::params::masked_form;
use crate::client::session::{self, Session};
use crate::client::tls::{self, Verify};
use crate::config::profile::Target;
use crate::config::AuthKind;

pub fn command(target: &Target, request: &Request, session: Option<&Session>) -> String {
    let request = match session {
        Some(s) => s.wrap(request.clone()),
        None => request.clone(),
    };
    let mut url = format!("{}{}", target.base_url(), request.path);
    if !request.query.is_empty() {
        url.push('?');
        url.push_str(&masked_form(&request.query));
    }
    let (mut lines, mut args) = start(target);
    let user = target.user.clone().unwrap_or_else(|| "root".into());
    match (session, target.auth) {
        (Some(s), _) => args.push(format!(
            "-H {}",
            double(&format!("Cookie: {}=$CPCALL_SESSION_COOKIE", s.cookie_name))
        )),
        (None, kind @ (AuthKind::Token | AuthKind::Accesshash)) => {
            let placeholder = match kind {
                AuthKind::Token => "$CPCALL_TOKEN",
                _ => "$CPCALL_ACCESSHASH",
            };
            let value = authorization(kind, target.service, &user, placeholder);
            args.push(format!("-H {}", double(&format!("Authorization: {value}"))));
        }
        (None, AuthKind::Password) => {
            args.push(format!(
                "-u {}",
                double(&format!("{user}:$CPCALL_PASSWORD"))
            ));
            if target.secrets.totp_secret.is_some() {
                args.push(format!(
                    "-H {}",
                    double(&format!("{OTP_HEADER}: $CPCALL_OTP"))
                ));
            }
        }
        (None, AuthKind::Session) => {
            lines.push("# no saved session: run cpcall login first".into());
            args.push(format!(
                "-H {}",
                double(&format!(
                    "Cookie: {}=$CPCALL_SESSION_COOKIE",
                    session::cookie_name(target.service)
                ))
            ));
        }
    }
    if request.method == Method::Post {
        args.push(format!("--data {}", single(&masked_form(&request.form))));
    }
    finish(target, lines, args, &url)
}

/// The login `cpcall login` makes: `user`, `pass` and (2FA) `tfa_token` posted to
/// `/login/?login_only=1`; the answer holds the security token, its `Set-Cookie` the session.
pub fn login(target: &Target, tfa: bool) -> String {
    let (mut lines, mut args) = start(target);
    lines.push(format!(
        "# the answer's security_token goes first in later paths; its Set-Cookie {} (curl -D -) is the session",
        session::cookie_name(target.service)
    ));
    let user = target.user.as_deref().unwrap_or("$CPCALL_USER");
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
pub fn logout(target: &Target, saved: Option<&Session>) -> String {
    let (mut lines, mut args) = start(target);
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
            session::cookie_name(target.service)
        ))
    ));
    finish(
        target,
        lines,
        args,
        &format!("{}/logout/", target.base_url()),
    )
}

/// Comment lines and the first arguments: how curl trusts the server, and the time limit.
fn start(target: &Target) -> (Vec<String>, Vec<String>) {
    let mut lines = Vec::new();
    let mut args = vec!["curl -sS".to_string()];
    match &target.verify {
        Verify::Roots {
            ca_file: Some(path),
        } if target.tls => args.push(format!("--cacert {}", single(&path.display().to_string()))),
        Verify::Pin(pin) if target.tls => {
            lines.push(format!(
                "# cpcall accepts only the certificate with SHA-256 {}; curl cannot pin that, so -k: check the fingerprint yourself",
                tls::fingerprint(pin)
            ));
            args.push("-k".into());
        }
        Verify::Insecure if target.tls => args.push("-k".into()),
        _ => {}
    }
    args.push(format!("--max-time {}", target.timeout.as_secs_f64()));
    (lines, args)
}

/// The `Referer` cpcall sends, the URL, and the whole command after its comment lines.
fn finish(target: &Target, mut lines: Vec<String>, mut args: Vec<String>, url: &str) -> String {
    args.push(format!(
        "-H {}",
        single(&format!("Referer: {}/", target.base_url()))
    ));
    args.push(single(url));
    lines.push(args.join(" \\\n  "));
    lines.join("\n")
}

/// `'…'` for the shell: nothing inside is expanded.
fn single(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
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

/// The curl command of a call on `target` (with the saved session it would use), and a
/// comment when `--paginate` would make more requests than this one.
pub fn of_call(
    target: &crate::config::profile::Target,
    call: &crate::client::api::Call,
    options: &crate::client::outcome::Options,
) -> crate::error::Result<String> {
    let saved = match target.user.as_deref() {
        Some(user) => crate::client::store::load(target, user)?,
        None => None,
    };
    let mut text = String::new();
    if let Some(size) = options.paginate {
        text.push_str(&format!(
            "# --paginate: the first page; cpcall asks for the next {size} records until the total\n"
        ));
        let first = call.with_params(crate::client::paginate::page_params(call.kind(), 1, size)?);
        text.push_str(&command(
            target,
            &first.request(options.method)?,
            saved.as_ref(),
        ));
    } else {
        text.push_str(&command(
            target,
            &call.request(options.method)?,
            saved.as_ref(),
        ));
    }
    text.push('\n');
    Ok(text)
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
