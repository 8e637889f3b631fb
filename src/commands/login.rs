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
