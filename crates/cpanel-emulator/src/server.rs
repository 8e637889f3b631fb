//! What cpsrvd does with a request: authentication (headers or session), the service/port rules,
//! and the answer shapes of WHM API 1, UAPI, cPanel API 2 and the WHM `cpanel` proxy.
//! Strict on purpose: what a real server refuses, this refuses too (the rule: mod.rs).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde_json::{json, Value};

use super::accounts::{self, Account, MAILBOXES};
use super::http::{parse_form, Request, Response};
use super::{Service, Session, State};

// protocol.md, "Answers": credentials refused, 403, sent as text/plain.
const ACCESS_DENIED: &str = r#"{"cpanelresult":{"apiversion":"2","error":"Access denied","data":{"reason":"Access denied","result":"0"},"type":"text"}}"#;
// protocol.md, "Answers": a Basic-auth call without a good X-CPANEL-OTP, 403.
const TFA_FAILED: &str = r#"{"data":{"reason":"TwoFactorAuth check failed","result":"0"},"error":"TwoFactorAuth check failed","type":"text"}"#;
// protocol.md, "Answers": a cPanel token on anything but UAPI or API 2, 403.
const TOKEN_UAPI_ONLY: &str = r#"{"cpanelresult":{"apiversion":"2","error":"Token authentication allows access to UAPI or API 2 calls only.","data":{"reason":"Token authentication allows access to UAPI or API 2 calls only.","result":"0"},"type":"text"}}"#;
// protocol.md, "Session" 4 and "Answers": no or dead session, an HTML login page.
pub const LOGIN_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>cPanel Login</title></head><body><form action=\"/login/\" method=\"post\"><input name=\"user\"><input name=\"pass\" type=\"password\"></form></body></html>\n";

/// The WHM API 1 functions the emulator implements (each in the catalogue: emulator_rules.rs).
pub const WHM_FUNCTIONS: [&str; 8] = [
    "api_token_list",
    "applist",
    "create_user_session",
    "createacct",
    "listaccts",
    "myprivs",
    "uapi_cpanel",
    "version",
];

/// The UAPI functions the emulator implements.
pub const UAPI_FUNCTIONS: [(&str, &str); 5] = [
    ("Email", "add_pop"),
    ("Email", "list_pops"),
    ("Ftp", "list_ftp"),
    ("Mysql", "list_databases"),
    ("Variables", "get_user_information"),
];

/// Who a request acts as, once authenticated.
#[derive(Clone)]
pub enum Who {
    /// Root or a reseller, on WHM.
    Whm(&'static Account),
    /// A cPanel account; `token` when it came with a cPanel API token.
    Cpanel {
        account: &'static Account,
        token: bool,
    },
    /// A Webmail user (e-mail address) and the cPanel account that owns the mailbox.
    Mail {
        email: &'static str,
        owner: &'static str,
    },
}

pub struct Ctx {
    pub service: Service,
    pub tls: bool,
    pub port: u16,
    pub state: Arc<State>,
}

fn text(status: u16, body: &str) -> Response {
    // Real servers label their JSON errors text/plain: clients must not trust Content-Type.
    Response::new(status, "text/plain; charset=utf-8", body)
}

/// A refusal that quotes what the request carried (Options::echo_credentials): no vendor does
/// this on purpose, but proxies, debug modules and error pages have been seen to repeat the
/// request; cpcall must mask whatever comes back, in whatever encoding.
fn echo_refusal(req: &Request) -> Response {
    let mut quoted = Vec::new();
    for name in ["Authorization", "Cookie"] {
        for value in req.headers_named(name) {
            quoted.push(format!("{name}: {value}"));
            // As a framework that decodes cookies before quoting them would show it.
            if name == "Cookie" {
                let escaped = format!("v={}", value.replace('+', "%2B").replace('&', "%26"));
                let decoded: String = form_urlencoded::parse(escaped.as_bytes())
                    .map(|(_, v)| v.into_owned())
                    .collect();
                quoted.push(format!("decoded cookie: {decoded}"));
            }
            // As a debug page might show a token's or hash's header: the base64 of the value,
            // and of what follows its scheme (`user:secret`, as a Basic header carries it).
            if name == "Authorization" && !value.starts_with("Basic ") {
                let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
                quoted.push(format!("header base64: {}", b64(value)));
                if let Some((_, pair)) = value.split_once(' ') {
                    quoted.push(format!("pair base64: {}", b64(pair)));
                }
            }
            if let Some(b64) = value.strip_prefix("Basic ") {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                quoted.push(format!("decoded: {decoded}"));
            }
        }
    }
    let body = String::from_utf8_lossy(&req.body).into_owned();
    quoted.push(format!("body: {body}"));
    for (key, value) in parse_form(&req.body) {
        // As a PHP or Perl error page might print them: JSON with escaped slashes and
        // non-ASCII as \uXXXX, and percent-encoded with %20 in lower-case hex.
        let json: String = serde_json::to_string(&value)
            .unwrap_or_default()
            .chars()
            .map(|c| match c {
                '/' => "\\/".to_string(),
                c if c.is_ascii() => c.to_string(),
                c => c
                    .encode_utf16(&mut [0; 2])
                    .iter()
                    .map(|u| format!("\\u{u:04x}"))
                    .collect(),
            })
            .collect();
        let url: String = value
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                b => format!("%{b:02x}"),
            })
            .collect();
        quoted.push(format!("{key} as JSON: {json}; as URL: {url}"));
    }
    let reason = format!("Access denied ({})", quoted.join("; "));
    let body = json!({"cpanelresult":{"apiversion":"2","error":reason,"data":{"reason":reason,"result":"0"},"type":"text"}});
    text(403, &body.to_string())
}

fn json_ok(v: &Value) -> Response {
    Response::new(200, "application/json", v.to_string())
}

fn login_page(status: u16) -> Response {
    Response::new(status, "text/html; charset=utf-8", LOGIN_PAGE)
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// RFC 6238 code, computed independently of cpcall's implementation.
pub fn totp_at(secret: &str, unix: u64) -> String {
    let key = data_encoding::BASE32_NOPAD
        .decode(secret.as_bytes())
        .expect("emulator secrets are base32");
    let tag = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &key),
        &(unix / 30).to_be_bytes(),
    );
    let h = tag.as_ref();
    let offset = (h[19] & 0xf) as usize;
    let bin = u32::from_be_bytes([
        h[offset] & 0x7f,
        h[offset + 1],
        h[offset + 2],
        h[offset + 3],
    ]);
    format!("{:06}", bin % 1_000_000)
}

impl Ctx {
    fn now(&self) -> u64 {
        (unix_now() as i64 + self.state.options.clock_skew_secs) as u64
    }

    /// The previous, current and next 30-second step are accepted, as on a real server.
    fn totp_ok(&self, secret: &str, code: Option<&str>) -> bool {
        let Some(code) = code else { return false };
        let now = self.now();
        [now.saturating_sub(30), now, now + 30]
            .iter()
            .any(|t| totp_at(secret, *t) == code)
    }

    fn flag(&self, ok: bool) -> Value {
        match (self.state.options.string_flags, ok) {
            (true, true) => json!("1"),
            (true, false) => json!("0"),
            (false, true) => json!(1),
            (false, false) => json!(0),
        }
    }

    pub fn handle(&self, req: &Request) -> Response {
        let response = self.answer(req);
        if self.state.options.echo_credentials && matches!(response.status, 401 | 403) {
            return echo_refusal(req);
        }
        response
    }

    fn answer(&self, req: &Request) -> Response {
        let path = req.path();
        if path == "/login" || path == "/login/" {
            return self.login(req);
        }
        if path == "/logout" || path == "/logout/" {
            return self.logout(req);
        }
        let params = match params(req) {
            Ok(p) => p,
            Err(r) => return r,
        };
        let (who, path) = match path.strip_prefix("/cpsess") {
            Some(_) => match self.session(req) {
                Ok(found) => found,
                Err(r) => return r,
            },
            None => match self.authenticate(req) {
                Ok(who) => (who, path.to_string()),
                Err(r) => return r,
            },
        };
        self.route(&who, &path, &params)
    }

    fn route(&self, who: &Who, path: &str, params: &Params) -> Response {
        let token_uapi_only = matches!(who, Who::Cpanel { token: true, .. });
        match (self.service, path) {
            (Service::Whm, "/json-api/cpanel") => self.whm_proxy(who, params),
            (Service::Whm, p) if p.starts_with("/json-api/") => {
                if params.get("api.version") != Some("1") {
                    return text(
                        400,
                        r#"{"error":"emulator: WHM API calls must send api.version=1"}"#,
                    );
                }
                self.whm_api1(who, &p["/json-api/".len()..], params)
            }
            (Service::Cpanel | Service::Webmail, p) if p.starts_with("/execute/") => {
                let rest = &p["/execute/".len()..];
                match rest.split_once('/') {
                    Some((module, func)) if !func.contains('/') => {
                        json_ok(&self.uapi(who, module, func, params))
                    }
                    _ => Response::new(404, "text/html", "<html><body>Not Found</body></html>"),
                }
            }
            (Service::Cpanel, "/json-api/cpanel") => {
                if params.get("cpanel_jsonapi_apiversion") != Some("2") {
                    return text(
                        400,
                        r#"{"error":"emulator: cpanel_jsonapi_apiversion=2 is required on this port"}"#,
                    );
                }
                let (module, func) = (
                    params.get("cpanel_jsonapi_module").unwrap_or(""),
                    params.get("cpanel_jsonapi_func").unwrap_or(""),
                );
                json_ok(&json!({ "cpanelresult": self.api2(who, module, func, params) }))
            }
            _ if token_uapi_only => text(403, TOKEN_UAPI_ONLY),
            // A function on the wrong port: protocol.md, "Services and ports" ("Permission
            // denied" or "Function not found", JSON or HTML; the exact status is unconfirmed,
            // so both forms are here: 403/404 by default, HTTP 200 with JSON on request).
            (Service::Cpanel | Service::Webmail, p) if p.starts_with("/json-api/") => text(
                if self.state.options.wrong_port_json {
                    200
                } else {
                    403
                },
                r#"{"cpanelresult":{"apiversion":"2","error":"Permission denied","data":{"reason":"Permission denied","result":"0"},"type":"text"}}"#,
            ),
            (Service::Whm, p)
                if p.starts_with("/execute/") && self.state.options.wrong_port_json =>
            {
                text(
                    200,
                    r#"{"error":"Function not found","data":{"reason":"Function not found","result":"0"},"type":"text"}"#,
                )
            }
            _ => Response::new(404, "text/html", "<html><body>Not Found</body></html>"),
        }
    }

    // ---- authentication -------------------------------------------------------------------

    fn authenticate(&self, req: &Request) -> Result<Who, Response> {
        let values = req.headers_named("Authorization");
        let value = match values.as_slice() {
            [] => return Err(login_page(401)),
            [one] => *one,
            _ => return Err(text(403, ACCESS_DENIED)),
        };
        let (scheme, rest) = value
            .split_once(' ')
            .ok_or_else(|| text(403, ACCESS_DENIED))?;
        if rest.is_empty() || rest.starts_with(' ') || rest.ends_with(' ') {
            return Err(text(403, ACCESS_DENIED));
        }
        match (scheme.to_ascii_lowercase().as_str(), self.service) {
            ("whm", Service::Whm) => {
                let (user, secret) = rest
                    .split_once(':')
                    .ok_or_else(|| text(403, ACCESS_DENIED))?;
                let account = accounts::find(user)
                    .filter(|a| a.whm)
                    .ok_or_else(|| text(403, ACCESS_DENIED))?;
                let hash_ok = user == "root" && secret == accounts::root_accesshash_joined();
                if hash_ok || account.whm_token == Some(secret) {
                    Ok(Who::Whm(account))
                } else {
                    Err(text(403, ACCESS_DENIED))
                }
            }
            ("cpanel", Service::Cpanel | Service::Webmail) => {
                let (user, secret) = rest
                    .split_once(':')
                    .ok_or_else(|| text(403, ACCESS_DENIED))?;
                match accounts::find(user) {
                    Some(account) if account.cpanel && account.cpanel_token == Some(secret) => {
                        Ok(Who::Cpanel {
                            account,
                            token: true,
                        })
                    }
                    _ => Err(text(403, ACCESS_DENIED)),
                }
            }
            ("basic", _) => {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(rest)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| text(403, ACCESS_DENIED))?;
                let (user, password) = decoded
                    .split_once(':')
                    .ok_or_else(|| text(403, ACCESS_DENIED))?;
                let (who, totp) = self
                    .check_password(user, password)
                    .ok_or_else(|| text(403, ACCESS_DENIED))?;
                if let Some(secret) = totp {
                    if self.state.options.tfa_for_api
                        && !self.totp_ok(secret, req.header("X-CPANEL-OTP"))
                    {
                        return Err(text(403, TFA_FAILED));
                    }
                }
                Ok(who)
            }
            _ => Err(text(403, ACCESS_DENIED)),
        }
    }

    /// The account a user name and password log into on this service, and its TOTP secret.
    fn check_password(&self, user: &str, password: &str) -> Option<(Who, Option<&'static str>)> {
        if self.service == Service::Webmail {
            if let Some((email, _, owner)) = MAILBOXES
                .iter()
                .find(|(e, p, _)| *e == user && *p == password)
            {
                return Some((Who::Mail { email, owner }, None));
            }
        }
        let account = accounts::find(user).filter(|a| a.password == password)?;
        let who = match self.service {
            Service::Whm if account.whm => Who::Whm(account),
            Service::Cpanel | Service::Webmail if account.cpanel => Who::Cpanel {
                account,
                token: false,
            },
            _ => return None,
        };
        Some((who, account.totp))
    }

    // ---- sessions -------------------------------------------------------------------------

    fn cookie_name(&self) -> &'static str {
        match self.service {
            Service::Whm => "whostmgrsession",
            Service::Cpanel => "cpsession",
            Service::Webmail => "webmailsession",
        }
    }

    /// protocol.md, "Authentication" → "Session" 1–2: `POST /login/`, JSON with `login_only=1`
    /// (401 JSON refusal), else a 301 to `/cpsess…/` (401 login page refusal); the cookie per
    /// service. seeds/two-factor-authentication.txt: `tfa_token` for 2FA accounts.
    fn login(&self, req: &Request) -> Response {
        self.state.count_login();
        let login_only = !self.state.options.login_redirects
            && parse_form(req.query().as_bytes())
                .iter()
                .any(|(k, v)| k == "login_only" && v == "1");
        let refuse = |message: &str| {
            if login_only {
                text(401, &json!({"status": 0, "message": message}).to_string())
            } else {
                login_page(401)
            }
        };
        if req.method != "POST" {
            return login_page(200);
        }
        let form = match body_fields(req) {
            Ok(form) => form,
            Err(refusal) => return refusal,
        };
        let get = |k: &str| {
            form.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        let (Some(user), Some(pass)) = (get("user"), get("pass")) else {
            return refuse("invalid_login");
        };
        let Some((who, totp)) = self.check_password(user, pass) else {
            return refuse("invalid_login");
        };
        if let Some(secret) = totp {
            if !self.totp_ok(secret, get("tfa_token")) {
                return refuse("invalid_tfa_token");
            }
        }
        let (token, cookie) = self.state.new_session(self.service, who, self.tls);
        let cookie_header = format!(
            "{}={}; HttpOnly; path=/; port={}{}",
            self.cookie_name(),
            cookie,
            self.port,
            if self.tls { "; secure" } else { "" }
        );
        let landing = format!("{token}/frontend/jupiter/index.html?login=1");
        if login_only {
            let body = json!({"status": 1, "security_token": token, "redirect": landing});
            Response::new(200, "application/json", body.to_string())
                .with_header("Set-Cookie", cookie_header)
        } else {
            Response::new(301, "text/html", "<html><body>Moved</body></html>")
                .with_header("Location", landing)
                .with_header("Set-Cookie", cookie_header)
        }
    }

    fn session_cookie<'r>(&self, req: &'r Request) -> Option<&'r str> {
        req.headers_named("Cookie")
            .into_iter()
            .flat_map(|h| h.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(k, _)| *k == self.cookie_name())
            .map(|(_, v)| v)
    }

    /// protocol.md, "Session" 3–4: the cookie and the `/cpsess` token, both, of this service;
    /// a dead session is the login page (401), a wrong token "Security Token Failure".
    fn session(&self, req: &Request) -> Result<(Who, String), Response> {
        let denied = || {
            Response::new(
                401,
                "text/html",
                "<html><body>Access Denied: Security Token Failure</body></html>",
            )
        };
        let path = req.path();
        let (token, rest) = match path[1..].split_once('/') {
            Some((t, r)) => (format!("/{t}"), format!("/{r}")),
            None => return Err(denied()),
        };
        let digits = &token["/cpsess".len()..];
        if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(denied());
        }
        let cookie = self.session_cookie(req).ok_or_else(|| login_page(401))?;
        let lifetime = self.state.options.session_idle;
        let mut sessions = self.state.sessions.lock().unwrap();
        let session: &mut Session = sessions.get_mut(cookie).ok_or_else(|| login_page(401))?;
        if session.service != self.service || session.last_used.elapsed() > lifetime {
            return Err(login_page(401));
        }
        if session.token != token {
            return Err(denied());
        }
        session.last_used = std::time::Instant::now();
        Ok((session.who.clone(), rest))
    }

    /// protocol.md, "Session" 5: `/logout/` with the cookie ends it.
    fn logout(&self, req: &Request) -> Response {
        if let Some(cookie) = self.session_cookie(req) {
            self.state.sessions.lock().unwrap().remove(cookie);
        }
        Response::new(
            200,
            "text/html",
            "<html><body>You have logged out.</body></html>",
        )
        .with_header(
            "Set-Cookie",
            format!(
                "{}=closed; path=/; expires=Thu, 01 Jan 1970 00:00:01 GMT",
                self.cookie_name()
            ),
        )
    }

    // ---- WHM API 1 ------------------------------------------------------------------------

    /// protocol.md, "Answers" (WHM API 1): `metadata.result`/`reason`, HTTP 200 for API
    /// outcomes; an unknown function is `result: 0` with WHM's "Unknown app" reason.
    /// Notes every parameter a test sent to an implemented function that the catalogue does not
    /// know for it: the tests must call functions as cPanel documents them (fixture checks).
    fn note_unknown_params(&self, module: Option<&str>, function: &str, params: &Params) {
        let Some(catalogue) = crate::CATALOGUE.get() else {
            return;
        };
        let own = |k: &str| {
            ["api.", "cpanel_jsonapi_", "cpanel."]
                .iter()
                .any(|p| k.starts_with(p))
        };
        for (key, _) in params.0.iter().filter(|(k, _)| !own(k)) {
            if catalogue.knows(module, function, key) == Some(false) {
                self.state
                    .unknown_params
                    .lock()
                    .unwrap()
                    .push(format!("{function} {key}"));
            }
        }
    }

    fn whm_api1(&self, who: &Who, function: &str, params: &Params) -> Response {
        if WHM_FUNCTIONS.contains(&function) && function != "uapi_cpanel" {
            self.note_unknown_params(None, function, params);
        }
        let Who::Whm(caller) = who else {
            return text(403, ACCESS_DENIED);
        };
        let ok = |data: Value, reason: &str| {
            json_ok(
                &json!({"metadata": {"version": 1, "command": function, "result": self.flag(true), "reason": reason}, "data": data}),
            )
        };
        let fail = |reason: &str| {
            json_ok(
                &json!({"metadata": {"version": 1, "command": function, "result": self.flag(false), "reason": reason}}),
            )
        };
        if let Some((_, body)) = self
            .state
            .options
            .canned
            .iter()
            .find(|(n, _)| n == function)
        {
            return Response::new(200, "application/json", body.as_slice());
        }
        match function {
            "api_token_list" => {
                let acls = if caller.user == "root" {
                    json!(["all"])
                } else {
                    json!(["list-accts", "create-acct"])
                };
                ok(
                    json!({"tokens": {"cpcall": {"name": "cpcall", "create_time": 1_700_000_000, "acls": acls}}}),
                    "OK",
                )
            }
            "version" => ok(json!({"version": "11.130.0.5"}), "OK"),
            // WHM API 1 create_user_session: a one-time login URL for a cPanel, Webmail or WHM
            // session of `user` (session/session-create_user_session.md: `data.url`,
            // `data.session`, `data.cp_security_token`, `data.expires`; 2083/2096/2087 by
            // service). A reseller makes links for its own accounts only.
            "create_user_session" => {
                let (Some(user), Some(service)) = (params.get("user"), params.get("service"))
                else {
                    return fail("The “user” and “service” parameters are required.");
                };
                let port = match service {
                    "cpaneld" => 2083,
                    "webmaild" => 2096,
                    "whostmgrd" => 2087,
                    other => return fail(&format!("“{other}” is not a valid service.")),
                };
                let owned = self
                    .state
                    .cpanel_accounts()
                    .into_iter()
                    .any(|(u, _, owner)| {
                        u == user && (caller.user == "root" || owner == caller.user)
                    });
                let whm_user =
                    service == "whostmgrd" && (user == caller.user || caller.user == "root");
                if !owned && !whm_user {
                    return fail(&format!(
                        "You do not have access to an account named “{user}”."
                    ));
                }
                let token = "/cpsess7462516803";
                let session = format!(
                    "{user}:Zx3kQ9pLmN2vB7tY:create_user_session,5f2a9c0e1b7d4a8e6c3f0a1b2c3d4e5f"
                );
                let encoded: String = form_urlencoded::byte_serialize(session.as_bytes()).collect();
                ok(
                    json!({
                        "url": format!("https://server.example.com:{port}{token}/login/?session={encoded}"),
                        "session": session,
                        "cp_security_token": token,
                        "expires": 1_900_000_000,
                        "service": service,
                    }),
                    "OK",
                )
            }
            "applist" => ok(
                json!({"app": ["listaccts", "createacct", "version", "myprivs", "applist", "uapi_cpanel"]}),
                "OK",
            ),
            "myprivs" => {
                let privileges = if caller.user == "root" {
                    json!([{"all": 1}])
                } else {
                    json!([{"list-accts": 1, "create-acct": 1}])
                };
                ok(json!({"privileges": privileges}), "OK")
            }
            "listaccts" if self.state.options.endless_listing.is_some() => {
                self.endless_listing(params)
            }
            "listaccts" => {
                let (search, by) = (
                    params.get("search"),
                    params.get("searchtype").unwrap_or("user"),
                );
                let accts: Vec<Value> = self
                    .state
                    .cpanel_accounts()
                    .into_iter()
                    .filter(|(_, _, owner)| caller.user == "root" || owner == caller.user)
                    .filter(|(user, domain, owner)| match (search, by) {
                        (None, _) => true,
                        (Some(s), "domain") => domain.contains(s),
                        (Some(s), "owner") => owner.contains(s),
                        (Some(s), _) => user.contains(s),
                    })
                    .map(|(user, domain, owner)| {
                        json!({"user": user, "domain": domain, "owner": owner, "email": format!("admin@{domain}"), "plan": "default", "suspended": 0})
                    })
                    .collect();
                match self.chunk(&accts, params) {
                    Some((page, meta)) => {
                        let mut metadata = json!({"version": 1, "command": function, "result": self.flag(true), "reason": "OK"});
                        if let Some(meta) = meta {
                            metadata["chunk"] = meta;
                        }
                        json_ok(&json!({"metadata": metadata, "data": {"acct": page}}))
                    }
                    None => ok(json!({"acct": accts}), "OK"),
                }
            }
            "createacct" => match (params.get("username"), params.get("domain")) {
                (Some(user), Some(domain)) if !user.is_empty() && !domain.is_empty() => {
                    if self
                        .state
                        .cpanel_accounts()
                        .iter()
                        .any(|(u, _, _)| u == user)
                    {
                        return fail(&format!(
                            "Sorry, a group for that username already exists. ({user})"
                        ));
                    }
                    self.state.created.lock().unwrap().push((
                        user.to_string(),
                        domain.to_string(),
                        caller.user.to_string(),
                    ));
                    ok(
                        json!({"user": user, "domain": domain, "ip": "192.0.2.10"}),
                        "Account Creation Ok",
                    )
                }
                _ => fail("You must specify a “username” and a “domain”."),
            },
            "uapi_cpanel" => {
                let (Some(user), Some(module), Some(func)) = (
                    params.get("cpanel.user"),
                    params.get("cpanel.module"),
                    params.get("cpanel.function"),
                ) else {
                    return fail(
                        "You must specify “cpanel.user”, “cpanel.module” and “cpanel.function”.",
                    );
                };
                match self.owned_account(caller, user) {
                    Some(account) => ok(
                        json!({"uapi": self.uapi(&Who::Cpanel { account, token: false }, module, func, params)}),
                        "OK",
                    ),
                    None => fail(&format!(
                        "The user “{user}” does not exist or is not yours."
                    )),
                }
            }
            other => fail(&format!(
                "Unknown app (\"{other}\") requested for this version (1) of the API."
            )),
        }
    }

    fn owned_account(&self, caller: &Account, user: &str) -> Option<&'static Account> {
        accounts::find(user)
            .filter(|a| a.cpanel && (caller.user == "root" || a.owner == caller.user))
    }

    /// `/json-api/cpanel` on WHM: UAPI (apiversion 3) or API 2 for a cPanel user.
    /// protocol.md, "URL forms" (calls through WHM) and "Answers": the UAPI body wrapped in
    /// `result`; the proxy's own errors as `{error, data, type}`, in `cpanelresult` for API 2.
    fn whm_proxy(&self, who: &Who, params: &Params) -> Response {
        let Who::Whm(caller) = who else {
            return text(403, ACCESS_DENIED);
        };
        let version = params.get("cpanel_jsonapi_apiversion").unwrap_or("");
        let (module, func) = (
            params.get("cpanel_jsonapi_module").unwrap_or(""),
            params.get("cpanel_jsonapi_func").unwrap_or(""),
        );
        let user = params.get("cpanel_jsonapi_user").unwrap_or("");
        let account = match self.owned_account(caller, user) {
            Some(a) => a,
            None => {
                let msg = if user.is_empty() {
                    "User parameter is invalid or was not supplied".to_string()
                } else {
                    format!("User “{user}” does not exist or you do not own it.")
                };
                let err =
                    json!({"error": msg, "data": {"reason": msg, "result": "0"}, "type": "text"});
                return json_ok(&if version == "2" {
                    json!({ "cpanelresult": err })
                } else {
                    err
                });
            }
        };
        let as_user = Who::Cpanel {
            account,
            token: false,
        };
        match version {
            "3" => json_ok(
                &json!({"apiversion": 3, "module": module, "func": func, "result": self.uapi(&as_user, module, func, params)}),
            ),
            "2" => json_ok(&json!({"cpanelresult": self.api2(&as_user, module, func, params)})),
            _ => text(
                400,
                r#"{"error":"emulator: cpanel_jsonapi_apiversion must be 2 or 3"}"#,
            ),
        }
    }

    // ---- UAPI and API 2 -------------------------------------------------------------------

    /// protocol.md, "Answers" (UAPI): `status`, `errors`, `warnings`, `messages`, HTTP 200
    /// either way; an unknown module or function "Failed to load module".
    fn uapi(&self, who: &Who, module: &str, func: &str, params: &Params) -> Value {
        if UAPI_FUNCTIONS.contains(&(module, func)) {
            self.note_unknown_params(Some(module), func, params);
        }
        let (user, domain) = match who {
            Who::Cpanel { account, .. } => (account.user.to_string(), account.domain.to_string()),
            Who::Mail { email, owner } => (
                email.to_string(),
                accounts::find(owner).map_or("", |a| a.domain).to_string(),
            ),
            Who::Whm(a) => (a.user.to_string(), a.domain.to_string()),
        };
        let ok = |data: Value| json!({"status": self.flag(true), "data": data, "errors": null, "warnings": null, "messages": null, "metadata": {}});
        let fail = |error: String| json!({"status": self.flag(false), "data": null, "errors": [error], "warnings": null, "messages": null, "metadata": {}});
        match (module, func) {
            ("Variables", "get_user_information") => ok(
                json!({"user": user, "domain": domain, "contact_email": format!("admin@{domain}")}),
            ),
            ("Email", "list_pops") => {
                let mut pops = vec![
                    json!({"email": format!("info@{domain}"), "login": format!("info@{domain}")}),
                ];
                pops.extend((1..=self.state.options.extra_records).map(|i| json!({"email": format!("box{i:05}@{domain}"), "login": format!("box{i:05}@{domain}")})));
                pops.push(json!({"email": user, "login": "Main Account"}));
                match self.paginate(&pops, params) {
                    Some((page, meta)) => {
                        let mut answer = ok(json!(page));
                        answer["metadata"] = json!({"paginate": meta});
                        answer
                    }
                    None => ok(json!(pops)),
                }
            }
            ("Email", "add_pop") => match (params.get("email"), params.get("password")) {
                (Some(email), Some(_)) if !email.is_empty() => {
                    ok(json!(format!("{email}+{domain}")))
                }
                _ => fail("You must specify the “email” and “password” parameters.".into()),
            },
            ("Ftp", "list_ftp") => ok(
                json!([{"user": user, "type": "main"}, {"user": "anonymous", "type": "anonymous"}]),
            ),
            ("Mysql", "list_databases") => {
                let mut data = ok(json!([{"database": format!("{user}_wp")}]));
                data["warnings"] = json!(["The database list may be incomplete."]);
                data
            }
            _ => fail(format!(
                "Failed to load module “{module}” or function “{func}”."
            )),
        }
    }

    /// protocol.md, "Answers" (cPanel API 2): `cpanelresult` with `event.result` and `error`.
    fn api2(&self, who: &Who, module: &str, func: &str, params: &Params) -> Value {
        let user = match who {
            Who::Cpanel { account, .. } => account.user,
            _ => "",
        };
        let base = json!({"apiversion": 2, "module": module, "func": func});
        let with = |mut v: Value, extra: Value| {
            if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
                o.extend(e.clone());
            }
            v
        };
        match (module, func) {
            ("Email", "listpopswithdisk") => with(
                base,
                json!({"event": {"result": 1}, "data": [{"email": format!("info@{user}.example"), "diskused": "0"}]}),
            ),
            ("Email", "addpop") if params.get("email").is_none() => with(
                base,
                json!({"event": {"result": 0}, "error": "You must specify an email address.", "data": [{"result": 0, "reason": "You must specify an email address."}]}),
            ),
            ("Email", "addpop") => with(
                base,
                json!({"event": {"result": 1}, "data": [{"result": 1, "reason": ""}]}),
            ),
            _ => with(
                base,
                json!({"event": {"result": 0}, "error": format!("Could not find function '{func}' in module '{module}'"), "data": []}),
            ),
        }
    }
}

impl Ctx {
    /// A paging count as the server sends it: a number, or (`string_counts`) a string of
    /// digits, as real servers send many numbers (protocol.md, "Answers").
    fn count(&self, n: usize) -> Value {
        if self.state.options.string_counts {
            json!(n.to_string())
        } else {
            json!(n)
        }
    }

    /// Options::endless_listing: the page asked for, made up, and a total that never ends.
    fn endless_listing(&self, params: &Params) -> Response {
        let number = |k: &str| {
            params
                .get(k)
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(1)
        };
        let (start, size) = (
            number("api.chunk.start"),
            number("api.chunk.size").min(5000),
        );
        let mut body = format!(
            r#"{{"metadata":{{"version":1,"command":"listaccts","result":1,"reason":"OK","chunk":{{"start":{start},"size":{size},"records":{}}}}},"data":{{"acct":["#,
            self.state.options.endless_listing.unwrap_or(0)
        );
        for i in start..start + size {
            if i > start {
                body.push(',');
            }
            body.push_str(&format!(
                r#"{{"user":"u{i:09}","domain":"site{i:09}.example","owner":"root","email":"admin@site{i:09}.example","plan":"default","suspended":0,"note":"{}"}}"#,
                "x".repeat(100)
            ));
        }
        body.push_str("]}}");
        Response::new(200, "application/json", body)
    }

    /// The page size the server hands out: what was asked, cut to `page_cap` (servers cap).
    fn page_size(&self, asked: usize) -> usize {
        self.state
            .options
            .page_cap
            .map_or(asked, |cap| asked.min(cap))
    }

    /// The listing's announced size: its length (plus `announce_extra`), or `total_as`.
    fn total(&self, all: &[Value]) -> Value {
        let options = &self.state.options;
        options
            .total_as
            .clone()
            .unwrap_or_else(|| self.count(all.len() + options.announce_extra))
    }

    /// WHM's `api.chunk.*` (protocol.md, "Sorting, filtering, paging"): the page of `all`
    /// asked for, and `metadata.chunk` only when `api.chunk.verbose=1` asks for it.
    fn chunk(&self, all: &[Value], params: &Params) -> Option<(Vec<Value>, Option<Value>)> {
        if params.get("api.chunk.enable") != Some("1") {
            return None;
        }
        let asked: usize = params
            .get("api.chunk.size")
            .and_then(|s| s.parse().ok())
            .filter(|s| *s > 0)
            .unwrap_or(100);
        let size = self.page_size(asked);
        let start: usize = params
            .get("api.chunk.start")
            .and_then(|s| s.parse().ok())
            .filter(|s| *s > 0)
            .filter(|_| !self.state.options.ignore_start)
            .unwrap_or(1);
        let page: Vec<Value> = all.iter().skip(start - 1).take(size).cloned().collect();
        let meta = (params.get("api.chunk.verbose") == Some("1")).then(|| {
            json!({"start": self.count(start), "size": self.count(size), "records": self.total(all),
                   "current": self.count((start - 1) / size + 1), "chunks": self.count(all.len().div_ceil(size))})
        });
        Some((page, meta))
    }

    /// UAPI's `api.paginate_*`: the page of `all` asked for, and `metadata.paginate`.
    fn paginate(&self, all: &[Value], params: &Params) -> Option<(Vec<Value>, Value)> {
        let asked: usize = params
            .get("api.paginate_size")?
            .parse()
            .ok()
            .filter(|s| *s > 0)?;
        let size = self.page_size(asked);
        let start: usize = params
            .get("api.paginate_start")
            .and_then(|s| s.parse().ok())
            .filter(|s| *s > 0)
            .filter(|_| !self.state.options.ignore_start)
            .unwrap_or(1);
        let page: Vec<Value> = all.iter().skip(start - 1).take(size).cloned().collect();
        let meta = json!({"total_results": self.total(all), "total_pages": self.count(all.len().div_ceil(size)),
                          "start_result": self.count(start), "results_per_page": self.count(size),
                          "current_page": self.count((start - 1) / size + 1)});
        Some((page, meta))
    }
}

/// Request parameters: query first, then the body; repeats kept in order.
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Query parameters, then the body's fields (protocol.md, "URL forms": the server reads both,
/// query first).
fn params(req: &Request) -> Result<Params, Response> {
    let mut all = parse_form(req.query().as_bytes());
    all.extend(body_fields(req)?);
    Ok(Params(all))
}

/// The fields of a request body, by its media type. cpsrvd reads form bodies with or without
/// a `charset` parameter, multipart forms (the vendor's PHP example posts its login that way:
/// curl with an array of fields), and JSON objects (issue 11 review: also with a charset,
/// which protocol.md's "exactly application/json" does not allow — the server wins). Other
/// types are refused here; what cpsrvd does with them is unconfirmed.
pub fn body_fields(req: &Request) -> Result<Vec<(String, String)>, Response> {
    if req.body.is_empty() {
        return Ok(Vec::new());
    }
    let content_type = req.header("Content-Type").unwrap_or("");
    let mut parts = content_type.split(';').map(str::trim);
    let media = parts.next().unwrap_or("").to_ascii_lowercase();
    let param = |name: &str| {
        content_type
            .split(';')
            .skip(1)
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().trim_matches('"').to_string())
    };
    match media.as_str() {
        "application/x-www-form-urlencoded" => Ok(parse_form(&req.body)),
        "application/json" => {
            let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&req.body) else {
                return Err(text(400, r#"{"error":"The JSON body must be an object."}"#));
            };
            Ok(map
                .into_iter()
                .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                .collect())
        }
        "multipart/form-data" => match param("boundary") {
            Some(boundary) => Ok(multipart(&req.body, &boundary)),
            None => Err(text(
                400,
                r#"{"error":"multipart body without a boundary"}"#,
            )),
        },
        other => Err(text(
            400,
            &json!({"error": format!("emulator: unsupported body Content-Type {other:?}")})
                .to_string(),
        )),
    }
}

/// The fields of a `multipart/form-data` body (RFC 7578): each part's `name` and content.
fn multipart(body: &[u8], boundary: &str) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    let delimiter = format!("--{boundary}");
    text.split(delimiter.as_str())
        .filter_map(|part| {
            let part = part.strip_prefix("\r\n")?;
            let (head, value) = part.split_once("\r\n\r\n")?;
            let name = head
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?
                .split(';')
                .filter_map(|p| p.trim().strip_prefix("name="))
                .next()?
                .trim_matches('"')
                .to_string();
            Some((
                name,
                value.strip_suffix("\r\n").unwrap_or(value).to_string(),
            ))
        })
        .collect()
}

pub fn session_idle_default() -> Duration {
    Duration::from_secs(15 * 60)
}
