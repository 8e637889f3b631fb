//! Session logins (docs/protocol.md, "Session"): `POST /login/?login_only=1`, the `/cpsessNNNNNNNNNN`
//! security token and the service's cookie, and where a session is kept between runs.
//!
//! A saved session holds the token and the cookie, never the password or the TOTP secret. It
//! is bound to the host, port, service and user it was made for and is ignored for any other.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::client::api::{Method, Request};
use crate::client::transport::{Client, Response};
use crate::config::profile::{Origin, Target};
use crate::config::secret::Secret;
use crate::config::Service;
use crate::error::{Error, Result};

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

mod secret_string {
    use crate::config::secret::Secret;
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
    fn belongs_to(&self, target: &Target, user: &str) -> bool {
        self.host == target.host
            && self.port == target.port
            && self.service == target.service.name()
            && self.user == user
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

/// Where sessions are kept: the platform state (else cache) dir + `cpcall/sessions/`, checked
/// (when it exists) to be a folder nobody but this user or root can change: in another user's
/// folder (root with that user's HOME or XDG_STATE_HOME), a link planted there would make
/// cpcall replace, truncate or create any file.
pub fn dir() -> Result<PathBuf> {
    let dir = dirs::state_dir()
        .or_else(dirs::cache_dir)
        .map(|d| d.join("cpcall").join("sessions"))
        .ok_or_else(|| {
            Error::usage("cannot find a state or cache directory for sessions: set HOME")
        })?;
    crate::config::files::check_folder(&dir, "the sessions folder")?;
    Ok(dir)
}

/// The sessions folder, made (0700) if it is not there yet, and checked once made.
fn made_dir() -> Result<PathBuf> {
    let dir = dir()?;
    crate::config::files::create_private_dir(&dir).map_err(|e| {
        Error::usage(format!(
            "cannot make the sessions folder {}: {e}",
            dir.display()
        ))
    })?;
    crate::config::files::check_folder(&dir, "the sessions folder")?;
    Ok(dir)
}

/// The session file of a target: its profile name, or `user@host:port` without a profile.
pub fn path(target: &Target, user: &str) -> Result<PathBuf> {
    let key = match &target.profile {
        Origin::AdHoc | Origin::Built => format!("{user}@{}_{}", target.host, target.port),
        Origin::Named(name) => name.clone(),
    };
    let safe: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-@".contains(c) {
                c.to_string()
            } else {
                format!("%{:02X}", c as u32)
            }
        })
        .collect();
    // File names end at 255 bytes: a long name keeps its start and gets a digest for the rest.
    let safe = if safe.len() > 160 {
        let digest = crate::client::tls::sha256(safe.as_bytes());
        let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        format!("{}~{hex}", &safe[..120])
    } else {
        safe
    };
    Ok(dir()?.join(format!("{safe}.json")))
}

/// The saved session of the target, if there is one made for this very host, port and user.
pub fn load(target: &Target, user: &str) -> Result<Option<Session>> {
    let path = path(target, user)?;
    let text = match crate::config::files::read_private(&path, 64 << 10) {
        Ok(t) => {
            let dir = path.parent().unwrap_or(&path);
            for message in [
                crate::config::files::loose_mode(dir, 0o700),
                crate::config::files::loose_mode(&path, 0o600),
            ]
            .into_iter()
            .flatten()
            {
                crate::client::report::warning(message);
            }
            t
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::usage(format!(
                "cannot read session file {}: {e}",
                path.display()
            )))
        }
    };
    match serde_json::from_str::<Session>(&text) {
        Ok(s) if s.belongs_to(target, user) => Ok(Some(s)),
        // A damaged file or one for other settings is stale: the next login replaces it.
        _ => Ok(None),
    }
}

/// Writes the session with mode 0600 in a 0700 directory, atomically (temporary file + rename).
pub fn save(target: &Target, session: &Session) -> Result<PathBuf> {
    made_dir()?;
    let path = path(target, &session.user)?;
    let json = serde_json::to_vec_pretty(session)
        .map_err(|e| Error::usage(format!("cannot encode the session: {e}")))?;
    crate::config::files::write_private(&path, &json)?;
    sweep();
    Ok(path)
}

/// While a process logs in for a profile, the others wait here and then use its session: many
/// cron jobs starting at once must not make many logins (cPHulk counts them). The lock is a
/// file beside the session file, locked with `flock`; the kernel releases it if the process
/// dies.
pub struct LoginLock(std::fs::File);

/// Takes the login lock of the target's session, waiting for another process's login at most
/// the target's timeout.
pub fn lock(target: &Target, user: &str) -> Result<LoginLock> {
    made_dir()?;
    let path = path(target, user)?.with_extension("lock");
    let fail = |e: &dyn std::fmt::Display| {
        Error::usage(format!("cannot use lock file {}: {e}", path.display()))
    };
    let file = crate::config::files::open_private(&path, false).map_err(|e| fail(&e))?;
    let deadline = std::time::Instant::now() + target.timeout;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(LoginLock(file)),
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::transport(format!(
                    "another cpcall has been logging in to {} for {:.0} s: try again later",
                    target.describe(),
                    target.timeout.as_secs_f64()
                )))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(fail(&e)),
        }
    }
}

impl Drop for LoginLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// A refused login leaves a mark beside the session file (`PROFILE.refused`): automatic logins
/// of the profile then stop for [`REFUSAL_PAUSE`], so that neither the processes that waited
/// for the lock nor the next cron runs feed cPHulk (5 failures in 15 minutes lock the IP).
pub fn note_refusal(target: &Target, user: &str) {
    let Ok(path) = made_dir().and_then(|_| path(target, user)) else {
        return;
    };
    // Written, not just opened: the mark's time is what counts.
    let _ = crate::config::files::open_private(&path.with_extension("refused"), true)
        .and_then(|mut file| std::io::Write::write_all(&mut file, b"refused\n"));
}

pub const REFUSAL_PAUSE: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// How long ago an automatic login of the target was refused, within [`REFUSAL_PAUSE`], and
/// the file that says so.
pub fn recent_refusal(target: &Target, user: &str) -> Option<(std::time::Duration, PathBuf)> {
    let mark = path(target, user).ok()?.with_extension("refused");
    let ago = std::fs::metadata(&mark)
        .ok()?
        .modified()
        .ok()?
        .elapsed()
        .unwrap_or_default();
    (ago < REFUSAL_PAUSE).then_some((ago, mark))
}

pub fn clear_refusal(target: &Target, user: &str) {
    if let Ok(path) = path(target, user) {
        let _ = std::fs::remove_file(path.with_extension("refused"));
    }
}

/// Removes the saved session if it is still `dead` (another process may have replaced it).
pub fn remove_if(target: &Target, dead: &Session) -> Result<()> {
    let _lock = lock(target, &dead.user)?;
    if load(target, &dead.user)?.as_ref() == Some(dead) {
        remove(target, &dead.user)?;
    }
    Ok(())
}

/// Sessions in temporary files of interrupted saves (`.tmp…` in the sessions directory) made
/// for this target: `logout` ends them too.
pub fn leftovers(target: &Target) -> Result<Vec<(PathBuf, Session)>> {
    let Some(user) = target.user.as_deref() else {
        return Ok(Vec::new());
    };
    Ok(temporary_files()?
        .into_iter()
        .filter_map(|(path, _)| {
            let text = crate::config::files::read_private(&path, 64 << 10).ok()?;
            let session: Session = serde_json::from_str(&text).ok()?;
            session.belongs_to(target, user).then_some((path, session))
        })
        .collect())
}

/// Deletes a leftover; a file that cannot be deleted stays for the next sweep.
pub fn discard(path: &std::path::Path) {
    let _ = std::fs::remove_file(path);
}

/// Temporary files older than a minute are debris of a process that was killed mid-write
/// (a signal is cleaned up; a power cut or SIGKILL is not): they go.
fn sweep() {
    let Ok(files) = temporary_files() else { return };
    for (path, age) in files {
        if age > std::time::Duration::from_secs(60) {
            discard(&path);
        }
    }
}

/// The `.tmp…` files of the sessions directory, with their age.
fn temporary_files() -> Result<Vec<(PathBuf, std::time::Duration)>> {
    let Ok(entries) = std::fs::read_dir(dir()?) else {
        return Ok(Vec::new());
    };
    Ok(entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
        .map(|e| {
            let age = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .unwrap_or_default();
            (e.path(), age)
        })
        .collect())
}

pub fn remove(target: &Target, user: &str) -> Result<bool> {
    let path = path(target, user)?;
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::usage(format!(
            "cannot remove session file {}: {e}",
            path.display()
        ))),
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
    };
    let response = client.send(&request, &[])?;
    let name = cookie_name(target.service);
    let (token, cookie) = match read_login_answer(&response, name) {
        LoginAnswer::Accepted { token, cookie } => (token, cookie),
        LoginAnswer::NoCookie => {
            return Err(Error::auth(format!(
                "the login answer of {} set no {name} cookie: check that the port is the {} port",
                target.host,
                target.service.name()
            )))
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

#[derive(Debug, PartialEq)]
pub enum LoginAnswer {
    Accepted {
        token: String,
        cookie: Secret,
    },
    /// A security token but no session cookie: not a login answer of this service.
    NoCookie,
    Refused,
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
        (None, _) => LoginAnswer::Refused,
    }
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
        "the two-factor code was refused: check totp_secret or --otp and this machine's clock"
            .to_string()
    } else if code.is_empty() {
        format!("HTTP {}", response.status)
    } else {
        format!("{code}: wrong user or password, or the account is locked")
    };
    Error::auth(format!(
        "login as {user} on {}:{} refused ({why}); not retried, since repeated failures lock the account (cPHulk)",
        target.host, target.port
    ))
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
    };
    let response = client.send(&request, &session.headers())?;
    match response.status {
        200..=399 | 401 => Ok(()),
        status => Err(Error::transport(format!(
            "the server answered /logout/ with HTTP {status}"
        ))),
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
