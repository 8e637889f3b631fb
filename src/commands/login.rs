//! `cpcall login` and `cpcall logout`: a session made and saved, or ended and removed.

use std::io::IsTerminal;

use crate::cli::Global;
use crate::client::auth::LoginSecrets;
use crate::client::session;
use crate::commands::invoke::print_bytes;
use crate::config::profile::Target;
use crate::error::{Exit, Result};
use crate::output::stderr;

pub fn login(g: &Global, target: &Target, otp: Option<&str>) -> Result<Exit> {
    if g.curl {
        let tfa = otp.is_some() || target.secrets.totp_secret.is_some();
        print_bytes(format!("{}\n", crate::output::curl::login(target, tfa)).as_bytes())?;
        return Ok(Exit::Success);
    }
    let secrets = LoginSecrets::gather(target, otp, std::io::stdin().is_terminal())?;
    let path = crate::commands::invoke::client(g, target)?.login(&secrets)?;
    stderr::say(format!(
        "logged in to {}:{} as {}; session saved in {}",
        target.host,
        target.port,
        secrets.user,
        path.display()
    ));
    Ok(Exit::Success)
}

pub fn logout(g: &Global, target: &Target) -> Result<Exit> {
    if g.curl {
        // The curl form names the saved session's token; the library's logout reads it itself.
        let saved = match target.user.as_deref() {
            Some(user) => session::load(target, user)?,
            None => None,
        };
        print_bytes(
            format!("{}\n", crate::output::curl::logout(target, saved.as_ref())).as_bytes(),
        )?;
        return Ok(Exit::Success);
    }
    match crate::commands::invoke::client(g, target)?.logout()? {
        crate::client::LoggedOut::NoSession { swept: 0 } => {
            stderr::say(format!("no saved session for {}", target.describe()));
            return Ok(Exit::Success);
        }
        crate::client::LoggedOut::NoSession { .. } => return Ok(Exit::Success),
        crate::client::LoggedOut::Ended => {}
        crate::client::LoggedOut::HereOnly(e) => {
            stderr::warn(format!("could not end the session on the server: {e}"));
        }
    }
    stderr::say(format!("logged out of {}:{}", target.host, target.port));
    Ok(Exit::Success)
}
