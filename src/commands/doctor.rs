//! `cpcall doctor`: why a profile does not work, and how to fix it. Checks in order — config,
//! name and route, TLS, clock, service and credentials, privileges, version — one line each.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use cpanel_client::probe::{self as tls, Refused};
use cpanel_client::{
    Answer, Call, Client, ErrorKind, Kind, SecretName, TlsReason as Failure, Trust,
};

use crate::config::files::loose_mode;
use crate::config::profile::{self, Flags, Target};
use crate::config::secret::Source;
use crate::config::{AuthKind, Loaded, Service};
use crate::error::{term_words, words};

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Serialize)]
pub struct Check {
    pub check: &'static str,
    pub status: Status,
    pub found: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub profile: String,
    pub ok: bool,
    pub checks: Vec<Check>,
}

impl Report {
    pub fn text(&self) -> String {
        let mut out = format!("profile {}\n", self.profile);
        for c in &self.checks {
            let mark = match c.status {
                Status::Ok => "✓",
                Status::Warn => "!",
                Status::Fail => "✗",
            };
            // Found text quotes the server (certificate names, version, privileges): escaped,
            // so each check stays one line and nothing acts on the terminal.
            let found = crate::output::stderr::escape(&c.found);
            out.push_str(&format!("{mark} {}: {found}", c.check));
            if let Some(fix) = &c.fix {
                out.push_str(&format!(" — fix: {}", crate::output::stderr::escape(fix)));
            }
            out.push('\n');
        }
        out
    }
}

struct Checks(Vec<Check>);

impl Checks {
    fn add(
        &mut self,
        check: &'static str,
        status: Status,
        found: impl Into<String>,
        fix: Option<String>,
    ) {
        // Found text quotes the server, which may echo the credential it was sent.
        let mask = |text: String| crate::mask::masked(&text).into_owned();
        self.0.push(Check {
            check,
            status,
            found: mask(found.into()),
            fix: fix.map(mask),
        });
    }
    fn ok(&mut self, check: &'static str, found: impl Into<String>) {
        self.add(check, Status::Ok, found, None);
    }
    fn warn(&mut self, check: &'static str, found: impl Into<String>, fix: impl Into<String>) {
        self.add(check, Status::Warn, found, Some(fix.into()));
    }
    fn fail(&mut self, check: &'static str, found: impl Into<String>, fix: impl Into<String>) {
        self.add(check, Status::Fail, found, Some(fix.into()));
    }
}

pub fn run(name: &str, flags: &Flags, loaded: Option<&Loaded>, max_body: u64) -> Report {
    let mut checks = Checks(Vec::new());
    diagnose(&mut checks, flags, loaded, max_body);
    let ok = checks.0.iter().all(|c| c.status != Status::Fail);
    Report {
        profile: name.to_string(),
        ok,
        checks: checks.0,
    }
}

fn diagnose(
    checks: &mut Checks,
    flags: &Flags,
    loaded: Option<&Loaded>,
    max_body: u64,
) -> Option<()> {
    let target = config(checks, flags, loaded)?;
    route(checks, &target)?;
    if target.tls() {
        certificate(checks, &target)?;
    }
    // Its own words are the checks': the client says nothing.
    let options = cpanel_client::Options::default()
        .max_body(max_body)
        .reporter(std::sync::Arc::new(cpanel_client::report::Silent));
    let client = match Client::new(target.clone(), options) {
        Ok(c) => c,
        Err(e) => {
            checks.fail("service", words(&e), "fix the TLS settings above");
            return None;
        }
    };
    let call = Call::harmless(target.service());
    // The clock is read from an unauthenticated request, so it is known even when the
    // credentials are not.
    let skew = tls::server_date(&client).and_then(|(date, took)| clock_skew(&date, took));
    clock(checks, skew, &target);
    let answer = client.call(&call);
    let answer = credentials(checks, &target, &call, answer, skew)?;
    if target.service() == Service::Whm {
        privileges(checks, &client);
        let version = answer
            .json()
            .ok()
            .and_then(|v| v["data"]["version"].as_str().map(str::to_string));
        match version {
            Some(v) => checks.ok("version", format!("cPanel & WHM {v}")),
            None => checks.warn(
                "version",
                "the server did not report its version",
                "nothing to do",
            ),
        }
    }
    Some(())
}

fn config(checks: &mut Checks, flags: &Flags, loaded: Option<&Loaded>) -> Option<Target> {
    let target = match profile::resolve(flags, loaded, &|v| std::env::var(v).ok()) {
        Ok(t) => t,
        Err(e) => {
            checks.fail(
                "config",
                e.message().to_string(),
                "correct the config file as the message says (README, \"Config file\")",
            );
            return None;
        }
    };
    checks.ok(
        "config",
        format!(
            "{} resolves: {}:{} {} auth={}",
            target.describe(),
            target.host(),
            target.port(),
            target.service().name(),
            target.auth().name()
        ),
    );
    let mut readable = Vec::new();
    for (name, source) in target.secret_sources() {
        let key = name.key();
        match target.read_secret_now(name) {
            Ok(Some(secret)) if name == SecretName::TotpSecret => {
                match tls::totp_code(secret.expose()) {
                    Ok(_) => readable.push(format!("{key} from {}", source.describe())),
                    Err(e) => checks.fail(
                        "secrets",
                        words(&e),
                        "paste the base32 secret shown when 2FA was set up",
                    ),
                }
            }
            Ok(_) => readable.push(format!("{key} from {}", source.describe())),
            Err(e) => checks.fail("secrets", words(&e), fix_for_source(source)),
        }
    }
    if !readable.is_empty() {
        checks.ok("secrets", format!("readable: {}", readable.join(", ")));
    }
    file_modes(checks, loaded, &target);
    Some(target)
}

/// The config file (when it holds secrets) and every secret file must be its owner's alone:
/// the same rule every call warns about.
fn file_modes(checks: &mut Checks, loaded: Option<&Loaded>, target: &Target) {
    let mut files: Vec<&std::path::Path> = loaded
        .filter(|l| l.holds_secrets())
        .map(|l| l.path.as_path())
        .into_iter()
        .collect();
    let sources = target.secret_sources();
    files.extend(sources.iter().filter_map(|(_, source)| match source {
        Source::File(path) => Some(path.as_path()),
        _ => None,
    }));
    // The saved session and its directory, as every call checks them.
    let session = target.session_file().ok().flatten().filter(|p| p.exists());
    let session_dir = session
        .as_ref()
        .and_then(|p| p.parent().map(|d| d.to_path_buf()));
    files.extend(session.as_deref());
    if files.is_empty() {
        return;
    }
    let loose: Vec<String> = files
        .iter()
        .filter_map(|path| loose_mode(path, 0o600))
        .chain(session_dir.and_then(|d| loose_mode(&d, 0o700)))
        .collect();
    match loose.as_slice() {
        [] => checks.ok(
            "file modes",
            format!(
                "only the owner can read {}",
                files
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        many => {
            let (found, fix): (Vec<&str>, Vec<&str>) = many
                .iter()
                .map(|m| m.split_once(": run ").unwrap_or((m, "")))
                .unzip();
            checks.warn(
                "file modes",
                found.join("; "),
                format!("run {}", fix.join("; ")),
            );
        }
    }
}

fn fix_for_source(source: &Source) -> String {
    match source {
        Source::File(p) => format!("create {} or point the _file key elsewhere", p.display()),
        Source::Env(v) => format!("export {v} before running cpcall"),
        Source::Command(c) => format!("run `{c}` by hand and make it print the secret"),
        _ => "put the secret in the profile".into(),
    }
}

fn connect(addr: &std::net::SocketAddr, timeout: Duration) -> Result<Duration, std::io::Error> {
    let started = Instant::now();
    TcpStream::connect_timeout(addr, timeout).map(|_| started.elapsed())
}

/// Through a proxy, the route is the proxy's tunnel: the proxy resolves the name, and only
/// the configured port is tried.
fn route_via_proxy(checks: &mut Checks, t: &Target, proxy: &str) -> Option<()> {
    let started = Instant::now();
    let timeout = t.timeout().min(Duration::from_secs(5));
    match tls::proxy_tunnel(t, timeout)? {
        Ok(()) => {
            checks.ok(
                "route",
                format!(
                    "the proxy {} tunnels to {}:{} ({} ms)",
                    proxy,
                    t.host(),
                    t.port(),
                    started.elapsed().as_millis()
                ),
            );
            Some(())
        }
        Err(e) => {
            checks.fail(
                "route",
                e.to_string(),
                "check the proxy variable (https_proxy, no_proxy) and that the proxy allows CONNECT to this port",
            );
            None
        }
    }
}

fn route(checks: &mut Checks, t: &Target) -> Option<()> {
    if let Some(proxy) = t.proxy() {
        return route_via_proxy(checks, t, &proxy);
    }
    let addrs: Vec<std::net::SocketAddr> = match (t.host(), t.port()).to_socket_addrs() {
        Ok(a) => a.collect(),
        Err(e) => {
            checks.fail(
                "name",
                format!("{} does not resolve ({e})", t.host()),
                "check the host name, or use the server's IP address",
            );
            return None;
        }
    };
    let list: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
    checks.ok(
        "name",
        format!("{} resolves to {}", t.host(), list.join(", ")),
    );
    let timeout = t.timeout().min(Duration::from_secs(5));
    let first = addrs.first()?;
    match connect(first, timeout) {
        Ok(took) => {
            let others: Vec<String> = [
                t.service().default_port(true),
                t.service().default_port(false),
            ]
            .into_iter()
            .filter(|p| *p != t.port())
            .map(
                |p| match connect(&std::net::SocketAddr::new(first.ip(), p), timeout) {
                    Ok(d) => format!("{p} answers ({} ms)", d.as_millis()),
                    Err(_) => format!("{p} does not"),
                },
            )
            .collect();
            checks.ok(
                "route",
                format!(
                    "TCP port {} answers ({} ms); {}",
                    t.port(),
                    took.as_millis(),
                    others.join(", ")
                ),
            );
            Some(())
        }
        Err(e) => {
            let others: Vec<(u16, bool)> = [
                (t.service().default_port(true), true),
                (t.service().default_port(false), false),
            ]
            .into_iter()
            .filter(|(p, _)| *p != t.port())
            .collect();
            let answering = others.iter().find(|(p, _)| {
                connect(&std::net::SocketAddr::new(first.ip(), *p), timeout).is_ok()
            });
            match answering {
                Some((p, tls)) => checks.fail(
                    "route",
                    format!("{} refuses ({e}); {p} answers", t.port()),
                    format!(
                        "set port = {p}{}",
                        if *tls {
                            " (tls = true)"
                        } else {
                            " and tls = false?"
                        }
                    ),
                ),
                None => checks.fail(
                    "route",
                    format!(
                        "port {} does not answer ({e}); nor do {}",
                        t.port(),
                        others
                            .iter()
                            .map(|(p, _)| p.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    "check that cPanel runs there and that a firewall lets this machine in",
                ),
            }
            None
        }
    }
}

fn certificate(checks: &mut Checks, t: &Target) -> Option<()> {
    let der = match tls::peer_certificate(t) {
        Ok(d) => d,
        // A weak key fails even unverified, but the certificate is there to show.
        Err(Refused {
            failure: Some(Failure::WeakKey(_)),
            der: Some(der),
            ..
        }) => der,
        Err(refused) => {
            tls_unusable(checks, t, &refused);
            return None;
        }
    };
    let info = match crate::commands::trust::describe(&der) {
        Ok(i) => i,
        Err(e) => {
            checks.fail(
                "tls",
                e.message().to_string(),
                "check that this is a cPanel server",
            );
            return None;
        }
    };
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let days = (info.expires - now).div_euclid(86_400);
    let validity = if days < 0 {
        format!("expired {} days ago", -days)
    } else {
        format!("expires in {days} days")
    };
    let what = format!(
        "{} (names {}), issued by {}, {validity}, SHA-256 {}",
        info.subject,
        info.names.join(", "),
        info.issuer,
        tls::fingerprint(&info.sha256)
    );
    if t.trust() == Trust::Insecure {
        checks.warn(
            "tls",
            format!("{what}; verification is OFF (insecure)"),
            format!(
                "pin it instead: {} trust",
                profile::invocation(t).unwrap_or_else(|| "cpcall -p NAME".into())
            ),
        );
        return Some(());
    }
    // The same verifier a call uses, so doctor names the trust that really decided.
    let trust_advice = |fp: &str| crate::error::trust_advice(t.profile().name(), fp);
    let how = match tls::handshake(t) {
        Ok((_, store)) => store.describe(),
        Err(refused) => {
            let failure = refused
                .failure
                .unwrap_or(Failure::Other(words(&refused.error)));
            let fix = match (&failure, t.trust()) {
                (f, _) if f.server_fix().is_some() => f.server_fix_with(&term_words).unwrap_or_default(),
                (_, Trust::Pin(_)) => format!("if the certificate was renewed on purpose, run {} trust --replace; otherwise the connection may be intercepted", profile::invocation(t).unwrap_or_else(|| "cpcall -p NAME".into())),
                // Trusted, but for other names: the host is what is wrong.
                (Failure::WrongName, _) => format!(
                    "connect by a name the certificate is for ({}: set host to one), or {}",
                    info.names.join(", "),
                    trust_advice(&tls::fingerprint(&info.sha256))
                ),
                _ => trust_advice(&tls::fingerprint(&info.sha256)),
            };
            checks.fail(
                "tls",
                format!(
                    "{what}; does not verify ({})",
                    failure.reason_with(&term_words)
                ),
                fix,
            );
            return None;
        }
    };
    match days {
        // A pin accepts the exact certificate whatever its dates, and so do calls.
        d if d < 0 && matches!(t.trust(), Trust::Pin(_)) => checks.warn(
            "tls",
            format!("{what}; {how}, so calls accept it"),
            "renew it on the server (WHM » Manage AutoSSL), then pin the new one with cpcall trust",
        ),
        d if d < 0 => checks.fail(
            "tls",
            format!("{what}; expired"),
            "renew it on the server (WHM » Manage AutoSSL)",
        ),
        d if d < 14 => checks.warn(
            "tls",
            format!("{what}; {how}"),
            "renew it soon (WHM » Manage AutoSSL)",
        ),
        _ => checks.ok("tls", format!("{what}; {how}")),
    }
    Some(())
}

/// No TLS session at all: what the server offers instead, and what to do. Only a port that
/// does not speak TLS is told to try `tls = false`.
fn tls_unusable(checks: &mut Checks, t: &Target, refused: &Refused) {
    let found = words(&refused.error);
    match &refused.failure {
        Some(Failure::OldProtocol) => {
            let offered = tls::legacy_versions(t);
            let offers = match offered.as_slice() {
                [] => "no TLS version cpcall can use (none of 1.0 to 1.3 was accepted)".to_string(),
                versions => format!("only {} (not 1.2 or 1.3)", versions.join(" and ")),
            };
            checks.fail(
                "tls",
                format!(
                    "{}:{} offers {offers}; cpcall refuses TLS older than 1.2",
                    t.host(),
                    t.port()
                ),
                Failure::OldProtocol
                    .server_fix_with(&term_words)
                    .unwrap_or_default(),
            );
        }
        Some(Failure::NotTls) | None if !found.contains("Connection refused") => checks.fail(
            "tls",
            found,
            format!(
                "the port may not speak TLS: for {} use tls = false",
                t.port()
            ),
        ),
        Some(failure) => checks.fail(
            "tls",
            found,
            failure.server_fix_with(&term_words).unwrap_or_else(|| {
                "check the server's TLS settings (WHM » Service Configuration)".to_string()
            }),
        ),
        None => checks.fail("tls", found, "check that cPanel runs there"),
    }
}

/// Server clock minus ours, in seconds, from the `Date` header (taken mid-request).
fn clock_skew(date: &str, took: Duration) -> Option<i64> {
    let server = httpdate::parse_http_date(date).ok()?;
    let now = SystemTime::now() - took / 2;
    let secs = |t: SystemTime| {
        t.duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    };
    Some(secs(server) - secs(now))
}

fn clock(checks: &mut Checks, skew: Option<i64>, t: &Target) {
    let uses_totp = t
        .secret_sources()
        .iter()
        .any(|(name, _)| *name == SecretName::TotpSecret);
    match skew {
        None => checks.warn(
            "clock",
            "the server sent no Date header; skew unknown",
            "nothing to do unless 2FA codes fail",
        ),
        Some(s) if s.abs() > 30 => {
            let side = if s > 0 { "ahead of" } else { "behind" };
            let found = |effect: &str| {
                format!(
                    "the server's clock is {} s {side} this machine's: {effect}",
                    s.abs()
                )
            };
            let fix = "set both clocks right (NTP: timedatectl set-ntp true) before suspecting the secret";
            // Only 2FA codes care about the clock: a profile without one works regardless.
            if uses_totp {
                checks.fail(
                    "clock",
                    found("every 2FA code from totp_secret will be refused"),
                    fix,
                );
            } else {
                checks.warn(
                    "clock",
                    found(
                        "calls work, but 2FA codes typed for cpcall login --otp would be refused",
                    ),
                    fix,
                );
            }
        }
        Some(s) => checks.ok(
            "clock",
            format!("{s:+} s from this machine (TOTP allows ±30 s)"),
        ),
    }
}

fn credentials(
    checks: &mut Checks,
    t: &Target,
    call: &Call,
    answer: cpanel_client::Result<Answer>,
    skew: Option<i64>,
) -> Option<Answer> {
    let what = match call.kind() {
        Kind::Whm => "WHM version",
        _ => "UAPI Variables get_user_information",
    };
    let user = t.user().unwrap_or("root");
    let e = match answer {
        Ok(answer) => {
            checks.ok(
                "credentials",
                format!("{what} accepted for {user} ({})", t.auth().name()),
            );
            return Some(answer);
        }
        Err(e) => e,
    };
    let m = words(&e);
    // An answer came (a status): the server's verdict on the credentials or the port.
    match (e.kind(), e.status()) {
        (ErrorKind::ApiFailure, _) => {
            let reasons = e.reasons();
            let fix = if reasons.iter().any(|r| tls::wrong_port_telltale(r)) {
                tls::wrong_port_advice(t)
            } else {
                "the service answered but refused the harmless call: check the account's features"
                    .to_string()
            };
            checks.fail("credentials", reasons.join("; "), fix);
        }
        (ErrorKind::Refused, Some(_)) => {
            let fix = if m.contains("two-factor") {
                match skew {
                    Some(s) if s.abs() > 30 => "fix the clock first (see clock)".to_string(),
                    _ => "2FA required or code refused: set totp_secret to the account's base32 secret, or log in with cpcall login --otp".to_string(),
                }
            } else if m.contains("HTML") {
                "the port answered with a login page: check port and service, or the session expired (cpcall login)".to_string()
            } else if tls::wrong_port_telltale(&m) {
                tls::wrong_port_advice(t)
            } else if t.service() == Service::Whm && t.auth() == AuthKind::Token {
                format!("check user ({user}) and the token; a cPanel token does not work on WHM (service = \"cpanel\")")
            } else {
                format!(
                    "check user ({user}) and the {}; wrong service for this port also refuses",
                    t.auth().name()
                )
            };
            checks.fail("credentials", m, fix);
        }
        (ErrorKind::Broken | ErrorKind::HttpStatus(_), Some(_)) => {
            let fix = if m.contains("404") || m.contains("not a") {
                format!(
                    "wrong service for port {}: {} is served on {}",
                    t.port(),
                    t.service().name(),
                    t.service().default_port(t.tls())
                )
            } else {
                "see the message; `cpcall -v` shows the exchange".to_string()
            };
            checks.fail("credentials", m, fix);
        }
        (kind, _) => {
            // cpcall's messages end in what to do, after their last `; `: that is the fix.
            let (found, fix) = match m.rsplit_once("; ") {
                Some((found, fix)) => (found.to_string(), fix.to_string()),
                None => (
                    m.clone(),
                    match crate::error::Exit::of(kind) {
                        crate::error::Exit::Auth => format!(
                            "check the user and the secret{}",
                            match (t.auth(), profile::invocation(t)) {
                                (AuthKind::Session, Some(cpcall)) =>
                                    format!(", or run {cpcall} login"),
                                _ => String::new(),
                            }
                        ),
                        crate::error::Exit::Usage => "fix what the message names".to_string(),
                        _ => "cpcall -v shows the exchange".to_string(),
                    },
                ),
            };
            checks.fail("credentials", found, fix);
        }
    }
    None
}

fn privileges(checks: &mut Checks, client: &Client) {
    let t = client.target();
    let fetch = |function: &str| -> Option<serde_json::Value> {
        client.call(&Call::whm(function)).ok()?.json().ok()
    };
    let privs: Vec<String> = fetch("myprivs")
        .and_then(|v| {
            v["data"]["privileges"]
                .get(0)
                .and_then(|p| p.as_object())
                .cloned()
        })
        .map(|o| {
            o.into_iter()
                .filter(|(_, v)| v == 1 || v == "1")
                .map(|(k, _)| k)
                .collect()
        })
        .unwrap_or_default();
    let tokens: Vec<String> = fetch("api_token_list")
        .and_then(|v| v["data"]["tokens"].as_object().cloned())
        .map(|o| {
            o.iter()
                .map(|(name, tok)| {
                    let acls: Vec<String> = tok["acls"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                    format!("{name} [{}]", acls.join(","))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut found = if privs.is_empty() {
        "privileges not reported".to_string()
    } else {
        format!("privileges: {}", privs.join(", "))
    };
    if !tokens.is_empty() {
        found.push_str(&format!("; API tokens: {}", tokens.join(", ")));
    }
    if t.auth() == AuthKind::Accesshash {
        checks.warn(
            "privileges",
            format!("{found}; uses an access hash, which cPanel deprecated"),
            "create an API token (WHM » Manage API Tokens) and use token = … instead",
        );
    } else {
        checks.ok("privileges", found);
    }
}

/// `doctor`: each named profile (one, or all of a fan-out) checked in turn.
pub fn command(
    g: &crate::cli::Global,
    loaded: Option<&crate::config::Loaded>,
    json: bool,
) -> crate::error::Result<crate::error::Exit> {
    use crate::commands::invoke::{max_body, print_bytes};
    use crate::config::profile;
    use crate::error::{Error, Exit};
    let names = match crate::commands::fanout::selected(g, loaded)? {
        Some(names) => names.into_iter().map(profile::Origin::Named).collect(),
        None => vec![match (&g.profile, loaded) {
            (Some(p), _) => profile::Origin::Named(p.clone()),
            (None, Some(l)) if g.host.is_none() => profile::Origin::Named(
                l.file
                    .select(None)
                    .map(|(n, _)| n.to_string())
                    .unwrap_or_default(),
            ),
            _ => profile::Origin::AdHoc,
        }],
    };
    let mut worst = Exit::Success;
    for origin in names {
        let name = origin.to_string();
        let mut flags = g.flags();
        if let profile::Origin::Named(name) = &origin {
            flags.profile = Some(name.clone());
        }
        let report = crate::commands::doctor::run(&name, &flags, loaded, max_body(g));
        if !report.ok {
            worst = Exit::ApiFailure.max(worst);
        }
        let text = if json {
            serde_json::to_string(&report).map_err(|e| Error::usage(e.to_string()))? + "\n"
        } else {
            report.text()
        };
        print_bytes(text.as_bytes())?;
    }
    Ok(worst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_marks_and_fixes() {
        let report = Report {
            profile: "p".into(),
            ok: false,
            checks: vec![
                Check {
                    check: "a",
                    status: Status::Ok,
                    found: "fine".into(),
                    fix: None,
                },
                Check {
                    check: "b",
                    status: Status::Warn,
                    found: "hm".into(),
                    fix: Some("do x".into()),
                },
                Check {
                    check: "c",
                    status: Status::Fail,
                    found: "bad".into(),
                    fix: Some("do y".into()),
                },
            ],
        };
        assert_eq!(
            report.text(),
            "profile p\n✓ a: fine\n! b: hm — fix: do x\n✗ c: bad — fix: do y\n"
        );
    }
}
