//! Session logins (docs/protocol.md, "Session"): `POST /login/?login_only=1`, the `/cpsessNNNNNNNNNN`
//! security token and the service's cookie, and `/logout/`. Where sessions are kept between
//! calls is `store`'s.
//!
//! A saved session holds the token and the cookie, never the password or the TOTP secret. It
//! is bound to the host, port, service and user it was made for and is ignored for any other.

use serde::{Deserialize, Serialize};

use crate::call::{Method, Request};
use crate::error::{Error, ErrorKind, Result, Term};
use crate::secret::Secret;
use crate::target::{Service, Target};
use crate::transport::{Client, Response};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Session {
    pub host: String,
    pub port: u16,
    pub service: String,
    pub user: String,
    /// `/cpsess` and ten digits.
    pub security_token: String,
    pub cookie_name: String,
    #[serde(with = "secret_string")]
    pub cookie: Secret,
    /// Unix time of the login.
    pub created: u64,
}

/// A saved session as a request made elsewhere needs it ([`crate::Target::saved_session`]):
/// the URL prefix and the cookie. Debug output masks the cookie.
#[non_exhaustive]
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// Whose session it is.
    pub user: String,
    /// The URL path prefix, `/cpsess` and ten digits (itself a secret).
    pub security_token: Secret,
    /// The cookie's name (`cpsession`, `whostmgrsession`, `webmailsession`).
    pub cookie_name: String,
    /// The cookie's value.
    pub cookie: Secret,
}

impl Session {
    /// What a request made elsewhere needs of it.
    pub fn info(&self) -> SessionInfo {
        SessionInfo {
            user: self.user.clone(),
            security_token: Secret::new(self.security_token.clone()),
            cookie_name: self.cookie_name.clone(),
            cookie: self.cookie.clone(),
        }
    }
}

mod secret_string {
    use crate::secret::Secret;
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(s: &Secret, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(s.expose())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
}

pub fn cookie_name(service: Service) -> &'static str {
    match service {
        Service::Whm => "whostmgrsession",
        Service::Cpanel => "cpsession",
        Service::Webmail => "webmailsession",
    }
}

impl Session {
    pub(crate) fn belongs_to(&self, target: &Target, user: &str) -> bool {
        self.host == target.host
            && self.port == target.port
            && self.service == target.service.name()
            && self.user == user
            && self.well_formed()
    }

    /// What a login accepts: a `/cpsess` and ten digits token (it goes into every path, so an
    /// edited file must not make it `/../x`), and a cookie that fits in a header line.
    fn well_formed(&self) -> bool {
        let cookie = self.cookie.expose();
        security_token(&self.security_token).as_deref() == Some(self.security_token.as_str())
            && !cookie.is_empty()
            && cookie.bytes().all(|b| b.is_ascii_graphic())
    }

    /// The request inside the session: the security token first in the path.
    pub fn wrap(&self, mut request: Request) -> Request {
        request.path = format!("{}{}", self.security_token, request.path);
        request
    }

    /// The only credential a session request carries: its cookie.
    pub fn headers(&self) -> Vec<(&'static str, Secret)> {
        vec![(
            "Cookie",
            Secret::new(format!("{}={}", self.cookie_name, self.cookie.expose())),
        )]
    }
}

/// Logs in once. A refusal is final: retrying would feed cPHulk's brute-force counter.
pub fn login(
    client: &Client,
    target: &Target,
    user: &str,
    password: &Secret,
    tfa: Option<&Secret>,
) -> Result<Session> {
    let mut form = vec![
        ("user".to_string(), user.to_string()),
        ("pass".to_string(), password.expose().to_string()),
    ];
    if let Some(code) = tfa {
        form.push(("tfa_token".to_string(), code.expose().to_string()));
    }
    let request = Request {
        method: Method::Post,
        path: "/login/".into(),
        query: vec![("login_only".into(), "1".into())],
        form,
        streamed: false,
        budget: None,
        idempotent: false,
    };
    let response = client.send(&request, &[])?;
    let name = cookie_name(target.service);
    let (token, cookie) = match read_login_answer(&response, name) {
        LoginAnswer::Accepted { token, cookie } => (token, cookie),
        // Not a refusal: nothing is counted against the credentials (no pause, no cPHulk).
        LoginAnswer::NoCookie => {
            return Err(Error::broken(format!(
                "the login answer of {} set no {name} cookie: check that the port is the {} port",
                target.host,
                target.service.name()
            )))
        }
        LoginAnswer::Unreadable => {
            return Err(Error::broken(format!(
                "the login answer of {} (HTTP {}) is neither a session nor a refusal: check that the port is the {} port, or the server's logs",
                target.host,
                response.status,
                target.service.name()
            ))
            .with_status(response.status))
        }
        LoginAnswer::Refused => return Err(refused(target, user, &response)),
    };
    Ok(Session {
        host: target.host.clone(),
        port: target.port,
        service: target.service.name().to_string(),
        user: user.to_string(),
        security_token: token,
        cookie_name: name.to_string(),
        cookie,
        created: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    })
}

/// What a login's answer says.
#[derive(Debug, PartialEq)]
pub enum LoginAnswer {
    /// A session: its security token and cookie.
    Accepted {
        /// `/cpsess` and ten digits.
        token: String,
        /// The session cookie's value.
        cookie: Secret,
    },
    /// A security token but no session cookie: not a login answer of this service.
    NoCookie,
    /// The login was refused: 401 or 403, or a JSON answer with `status` 0.
    Refused,
    /// Neither: a 5xx, an HTML page, a redirect elsewhere (a proxy, a wrong port).
    Unreadable,
}

/// What a `/login/` answer says: the security token from the JSON (`login_only=1`) or from the
/// redirect's `Location`, and the session cookie. Any bytes in, a verdict out.
pub fn read_login_answer(response: &Response, cookie: &str) -> LoginAnswer {
    let token = match response.status {
        200 => response.bytes().ok().and_then(|body| login_json(&body)),
        300..=399 => response.header("location").and_then(security_token),
        _ => None,
    };
    match (token, set_cookie(response, cookie)) {
        (Some(token), Some(cookie)) => LoginAnswer::Accepted { token, cookie },
        (Some(_), None) => LoginAnswer::NoCookie,
        (None, _) if matches!(response.status, 401 | 403) => LoginAnswer::Refused,
        (None, _) if response.status == 200 && says_status_0(response) => LoginAnswer::Refused,
        (None, _) => LoginAnswer::Unreadable,
    }
}

/// A JSON login answer whose `status` is 0 (or "0"): cPanel's "no".
fn says_status_0(response: &Response) -> bool {
    let Ok(body) = response.bytes() else {
        return false;
    };
    serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("status").cloned())
        .is_some_and(|s| s == 0 || s == "0")
}

/// `{"status":1,"security_token":"/cpsess…"}` → the token.
fn login_json(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct LoginAnswer {
        status: serde_json::Value,
        security_token: Option<String>,
    }
    let answer: LoginAnswer = serde_json::from_slice(body).ok()?;
    let ok = answer.status == 1 || answer.status == "1";
    ok.then_some(answer.security_token?)
        .and_then(|t| security_token(&t))
}

/// The `/cpsessNNNNNNNNNN` at the start of a path or URL (`https://h:2083/cpsess…/x` too).
pub fn security_token(text: &str) -> Option<String> {
    let path = match text.find("://") {
        Some(i) => &text[i + 3..][text[i + 3..].find('/')?..],
        None => text,
    };
    let segment = path.strip_prefix('/')?.split(['/', '?']).next()?;
    let digits = segment.strip_prefix("cpsess")?;
    (digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("/{segment}"))
}

/// The value of cookie `name` among the response's `Set-Cookie` headers.
pub fn set_cookie(response: &Response, name: &str) -> Option<Secret> {
    response
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, v)| v.split(';').next()?.trim().split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| Secret::new(v))
}

fn refused(target: &Target, user: &str, response: &Response) -> Error {
    #[derive(Deserialize)]
    struct Refusal {
        message: Option<String>,
    }
    let code = response
        .bytes()
        .ok()
        .and_then(|body| serde_json::from_slice::<Refusal>(&body).ok())
        .and_then(|r| r.message)
        .unwrap_or_default();
    let why = if code.contains("tfa") || code.contains("two") {
        format!(
            "the two-factor code was refused: check totp_secret or {} and this machine's clock",
            Term::Otp
        )
    } else if code.is_empty() {
        format!("HTTP {}", response.status)
    } else {
        format!("{code}: wrong user or password, or the account is locked")
    };
    Error::refused(format!(
        "login as {user} on {}:{} refused ({why}); not retried, since repeated failures lock the account (cPHulk)",
        target.host, target.port
    )).with_status(response.status)
}

/// The server's way of saying a session is gone: 401, or an HTML page where JSON was due.
/// Either way the API function did not run, so the call may be repeated after a new login.
pub fn is_gone(response: &Response) -> bool {
    let head = &response.checked.head;
    let body = &head[..head.len().min(2048)];
    let html = String::from_utf8_lossy(body).to_ascii_lowercase();
    response.status == 401
        || (response.status != 403 && html.trim_start().starts_with('<') && html.contains("login"))
}

/// `/logout/` with the session's cookie. A session the server no longer knows (401, its login
/// page) is as good as ended; a server error is not.
pub fn end(client: &Client, session: &Session) -> Result<()> {
    let request = Request {
        method: Method::Get,
        path: "/logout/".into(),
        query: Vec::new(),
        form: Vec::new(),
        streamed: false,
        budget: None,
        idempotent: false,
    };
    let response = client.send(&request, &session.headers())?;
    match response.status {
        200..=399 | 401 => Ok(()),
        status => Err(Error::new(
            ErrorKind::HttpStatus(status),
            format!("the server answered /logout/ with HTTP {status}"),
        )
        .with_status(status)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_token_table() {
        let cases = [
            ("/cpsess5542387976", Some("/cpsess5542387976")),
            (
                "/cpsess5542387976/frontend/jupiter/index.html",
                Some("/cpsess5542387976"),
            ),
            ("/cpsess5542387976?login=1", Some("/cpsess5542387976")),
            (
                "https://h.example:2083/cpsess0123456789/x",
                Some("/cpsess0123456789"),
            ),
            ("/cpsess123", None),
            ("/cpsess12345678901", None),
            ("/cpsessabcdefghij/", None),
            ("cpsess5542387976", None),
            ("/frontend/cpsess5542387976", None),
            ("https://h.example", None),
            ("", None),
        ];
        for (input, want) in cases {
            assert_eq!(security_token(input).as_deref(), want, "{input:?}");
        }
    }

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response::from_bytes(
            status,
            headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body.as_bytes().to_vec(),
        )
    }

    #[test]
    fn set_cookie_table() {
        let cases = [
            (
                vec![("Set-Cookie", "cpsession=abc%3a123; HttpOnly; path=/")],
                Some("abc%3a123"),
            ),
            (
                vec![("set-cookie", "other=1"), ("set-cookie", "cpsession=v")],
                Some("v"),
            ),
            (vec![("Set-Cookie", "cpsession=; path=/")], None),
            (vec![("Set-Cookie", "cpsessionx=v")], None),
            (vec![("Set-Cookie", "garbage")], None),
            (vec![], None),
        ];
        for (headers, want) in cases {
            let got = set_cookie(&response(200, &headers, ""), "cpsession");
            assert_eq!(got.as_ref().map(|s| s.expose()), want, "{headers:?}");
        }
    }

    #[test]
    fn gone_table() {
        let cases = [
            (
                401,
                "<html>Access Denied: Security Token Failure</html>",
                true,
            ),
            (401, "{}", true),
            (200, "<!DOCTYPE html><html><form action=/login/>", true),
            (200, "{\"status\":1}", false),
            (403, "<html>login</html>", false),
            (500, "<html>error</html>", false),
        ];
        for (status, body, want) in cases {
            assert_eq!(
                is_gone(&response(status, &[], body)),
                want,
                "{status} {body}"
            );
        }
    }

    #[test]
    fn login_json_table() {
        let cases = [
            (
                r#"{"status":1,"security_token":"/cpsess5542387976","redirect":"/x"}"#,
                Some("/cpsess5542387976"),
            ),
            (
                r#"{"status":"1","security_token":"/cpsess5542387976"}"#,
                Some("/cpsess5542387976"),
            ),
            (r#"{"status":0,"message":"invalid_login"}"#, None),
            (r#"{"status":1,"security_token":"/nope"}"#, None),
            ("not json", None),
        ];
        for (body, want) in cases {
            assert_eq!(login_json(body.as_bytes()).as_deref(), want, "{body}");
        }
    }
}
