//! `cpcall login` and `cpcall logout`: a session made and saved, or ended and removed.

use std::io::IsTerminal;

use crate::cli::Global;
use cpanel_client::{LoggedOut, LoginSecrets, Secret};

use crate::commands::invoke::print_bytes;
use crate::config::profile::Target;
use crate::config::AuthKind;
use crate::error::{Exit, Result};
use crate::output::stderr;

pub fn login(g: &Global, target: &Target, otp: Option<&str>) -> Result<Exit> {
    if g.curl {
        let tfa = otp.is_some()
            || target
                .secret_sources()
                .iter()
                .any(|(name, _)| *name == crate::config::SecretName::TotpSecret);
        print_bytes(format!("{}\n", crate::output::curl::login(target, tfa)).as_bytes())?;
        return Ok(Exit::Success);
    }
    // Without a profile no later call would use the session (they take the CPCALL_*
    // credentials): nothing to log in for.
    if *target.profile() == crate::config::profile::Origin::AdHoc {
        return Err(crate::error::Error::usage(
            "login keeps a session for a profile's later calls, and --host alone names no profile (its calls send the CPCALL_* credentials): add a profile with auth = \"session\", then cpcall -p NAME login",
        ));
    }
    // Only auth = "session" profiles call through a session: said before anything is asked,
    // so nobody expects the token profile's calls to change.
    if target.auth() != AuthKind::Session {
        stderr::warn(format!(
            "{} calls with its {} (auth = \"{}\"), not through a session: this login makes a session, but the profile's calls keep using the {}; set auth = \"session\" in the profile to call through sessions",
            target.describe(),
            credential(target.auth()),
            target.auth().name(),
            credential(target.auth()),
        ));
    }
    let secrets = match std::io::stdin().is_terminal() {
        true => LoginSecrets::asking(target, otp, &mut |question| {
            let typed = crate::signals::hidden_prompt(question).map_err(|e| e.to_string())?;
            crate::mask::hide(&typed);
            Ok(Secret::new(typed))
        })?,
        false => LoginSecrets::from_target(target, otp)?,
    };
    let path = crate::commands::invoke::client(g, target)?.login(&secrets)?;
    let kept = path.map_or_else(String::new, |p| {
        format!("; session saved in {}", p.display())
    });
    stderr::info(format!(
        "logged in to {}:{} as {}{kept}",
        target.host(),
        target.port(),
        secrets.user(),
    ));
    Ok(Exit::Success)
}

fn credential(auth: AuthKind) -> &'static str {
    match auth {
        AuthKind::Token => "API token",
        AuthKind::Accesshash => "access hash",
        AuthKind::Password | AuthKind::Session => "password",
    }
}

pub fn logout(g: &Global, target: &Target) -> Result<Exit> {
    if g.curl {
        // The curl form names the saved session's token; the library's logout reads it itself.
        let saved = target.saved_session()?;
        print_bytes(
            format!("{}\n", crate::output::curl::logout(target, saved.as_ref())).as_bytes(),
        )?;
        return Ok(Exit::Success);
    }
    match crate::commands::invoke::client(g, target)?.logout()? {
        LoggedOut::NoSession { swept: 0 } => {
            stderr::info(format!("no saved session for {}", target.describe()));
            return Ok(Exit::Success);
        }
        LoggedOut::NoSession { .. } => return Ok(Exit::Success),
        LoggedOut::HereOnly(e) => {
            stderr::warn(format!(
                "could not end the session on the server: {}",
                crate::error::words(&e)
            ));
        }
        _ => {}
    }
    stderr::info(format!("logged out of {}:{}", target.host(), target.port()));
    Ok(Exit::Success)
}

/// `cpcall login-url USER`: a one-time login link made by WHM's `create_user_session`, printed
/// alone on stdout (or opened in a browser). The link is a secret: it is masked in everything
/// else cpcall says, and `--open` hands it to the browser in a private file, not as an
/// argument other users could read in `ps`.
pub fn login_url(
    g: &Global,
    target: &Target,
    user: &str,
    service: crate::config::Service,
    open: bool,
) -> Result<Exit> {
    use crate::config::Service;
    check_user(user)?;
    if target.service() != Service::Whm {
        return Err(crate::error::Error::usage(format!(
            "login-url makes the link through WHM (create_user_session), and {} is a {} profile: use a WHM profile (root or the account's reseller)",
            target.describe(),
            target.service().name()
        )));
    }
    let daemon = match service {
        Service::Whm => "whostmgrd",
        Service::Webmail => "webmaild",
        _ => "cpaneld",
    };
    let call = cpanel_client::Call::whm("create_user_session")
        .param("user", user)
        .param("service", daemon);
    crate::commands::invoke::admit(&call, g, target, "")?;
    let client = crate::commands::invoke::client(g, target)?;
    let shown =
        crate::commands::invoke::fetch(g, &client, &call, &crate::commands::invoke::options(g))?;
    if let Some(reasons) = &shown.reasons {
        return Err(crate::error::Error::new(
            Exit::ApiFailure,
            format!("WHM made no login link for {user}: {}", reasons.join("; ")),
        ));
    }
    let data = shown.answer.payload()?;
    let Some(url) = data["url"]
        .as_str()
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
    else {
        return Err(crate::error::Error::transport(
            "create_user_session answered without a login URL (data.url): the server may be older than 11.40",
        ));
    };
    crate::mask::hide(url);
    if let Some(session) = data["session"].as_str() {
        crate::mask::hide(session);
    }
    if !open {
        print_bytes(format!("{url}\n").as_bytes())?;
        return Ok(Exit::Success);
    }
    if let Err(e) = open_in_browser(url) {
        // The link is made (and works once): hand it over rather than waste it.
        stderr::warn(format!("{e}; the link is printed instead"));
        print_bytes(format!("{url}\n").as_bytes())?;
        return Ok(Exit::Success);
    }
    stderr::info(format!("opened a login link for {user} in the browser"));
    Ok(Exit::Success)
}

/// An account name WHM could take: letters, digits and `. _ - @ +`, not starting with `.` or
/// `-`, at most 128 bytes (anything else would only earn a server-side error after sending).
fn check_user(user: &str) -> Result<()> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+');
    if user.is_empty()
        || user.len() > 128
        || !user.chars().all(allowed)
        || user.starts_with(['.', '-'])
    {
        return Err(crate::error::Error::usage(format!(
            "login-url needs an account name (letters, digits, . _ - @ +), and {user:?} is not one: name the cPanel (or WHM) user, e.g. cpcall -p prod login-url bob"
        )));
    }
    Ok(())
}

/// How long the page file waits for the browser to read it before it is removed.
const PAGE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Opens `url` in the browser through a private HTML file that redirects to it: the URL never
/// becomes a command-line argument. The file (0600, in a 0700 folder) is removed as soon as
/// the browser has read it, or after [`PAGE_WAIT`]: the live link does not outlive the run.
fn open_in_browser(url: &str) -> std::result::Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("cpcall-login-")
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
        .map_err(|e| format!("cannot make a folder for the browser's page: {e}"))?;
    let page = dir.path().join("login.html");
    // A signal (Ctrl-C while the browser starts) removes the page and its folder too.
    crate::signals::track_temp(dir.path());
    crate::signals::track_temp(&page);
    let opened = write_page(&page, url)
        .map_err(|e| format!("cannot write the browser's page: {e}"))
        .and_then(|()| open_page(&page));
    crate::signals::forget_temp(&page);
    crate::signals::forget_temp(dir.path());
    opened
}

/// Hands `page` to the first opener that takes it and reads it.
fn open_page(page: &std::path::Path) -> std::result::Result<(), String> {
    let read_before = accessed(page);
    let mut failures = Vec::new();
    for opener in openers()? {
        match run_opener(&opener, page) {
            Ok(()) if wait_until_read(page, read_before) => return Ok(()),
            Ok(()) => failures.push(format!(
                "{} did not read the page within {} s",
                opener[0],
                PAGE_WAIT.as_secs()
            )),
            Err(e) => failures.push(e),
        }
    }
    Err(format!("cannot open the browser: {}", failures.join("; ")))
}

fn write_page(page: &std::path::Path, url: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let html = format!(
        "<!doctype html><meta http-equiv=\"refresh\" content=\"0;url={0}\"><a href=\"{0}\">log in</a>\n",
        url.replace('&', "&amp;").replace('"', "&quot;")
    );
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(page)?;
    file.write_all(html.as_bytes())
}

/// The commands to try, as `$BROWSER` means them: a `:`-separated list of commands, each
/// with arguments split as a shell splits them, `%s` standing for the page (appended when
/// absent).
fn openers() -> std::result::Result<Vec<Vec<String>>, String> {
    let browser = std::env::var("BROWSER").unwrap_or_default();
    let mut listed = Vec::new();
    for command in browser.split(':').filter(|c| !c.trim().is_empty()) {
        let words = shlex::split(command)
            .ok_or_else(|| format!("$BROWSER {command:?} has an unclosed quote"))?;
        if !words.is_empty() {
            listed.push(words);
        }
    }
    if !listed.is_empty() {
        return Ok(listed);
    }
    let default = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    Ok(vec![vec![default.to_string()]])
}

fn run_opener(opener: &[String], page: &std::path::Path) -> std::result::Result<(), String> {
    let page = page.to_string_lossy();
    let mut words: Vec<String> = opener.iter().map(|w| w.replace("%s", &page)).collect();
    if !opener.iter().any(|w| w.contains("%s")) {
        words.push(page.to_string());
    }
    let status = std::process::Command::new(&words[0])
        .args(&words[1..])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("{}: {e}", opener[0]))?;
    match status.success() {
        true => Ok(()),
        false => Err(format!("{} exited with {status}", opener[0])),
    }
}

fn accessed(page: &std::path::Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(page).and_then(|m| m.accessed()).ok()
}

/// Openers such as xdg-open return before the browser has read the page: wait until its
/// access time moves (relatime updates it on a first read), at most [`PAGE_WAIT`]. Whether
/// it was read (or cannot be told: no access time).
fn wait_until_read(page: &std::path::Path, before: Option<std::time::SystemTime>) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < PAGE_WAIT {
        if before.is_none() || accessed(page) != before {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    false
}
