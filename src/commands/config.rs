//! `cpcall config path|list|show|add`; `add` asks, tests with a harmless call, and saves.

use cpanel_client::{probe, Call, ErrorKind, Trust};

use crate::cli::{ConfigAction, Global};
use crate::commands::configure;
use crate::commands::invoke::print_bytes;
use crate::config;
use crate::config::profile::{self, Target};
use crate::error::{Error, Exit, Result};
use crate::output::stderr;

/// `config path`, `list`, `show` and `add`.
pub fn config_command(g: &Global, action: &ConfigAction) -> Result<Exit> {
    let explicit = g.config.as_deref();
    let text = match action {
        ConfigAction::Path => format!("{}\n", configure::path(explicit)?.display()),
        ConfigAction::List => configure::list(explicit)?,
        ConfigAction::Show { name } => configure::show(explicit, name)?,
        ConfigAction::Add { name } => return add_profile(g, name),
    };
    // Text for people: a profile named with escape sequences must not drive their terminal.
    print_bytes(stderr::escape_for_terminal(&text).as_bytes()).map(|()| Exit::Success)
}

/// `config add`: ask, test with a harmless call, then save; nothing is saved if the test fails.
pub fn add_profile(g: &Global, name: &str) -> Result<Exit> {
    let path = configure::path(g.config.as_deref())?;
    if let Some(loaded) = config::load(Some(&path)).ok().flatten() {
        if loaded.file.profiles.contains_key(name) {
            return Err(Error::usage(format!(
                "profile \"{name}\" exists already in {}",
                path.display()
            )));
        }
    }
    let mut asker = configure::Asker::new();
    let mut new = configure::ask_profile(&mut asker, &g.flags())?;
    new.keep_trust_flags(&g.flags());
    let origin = profile::Origin::Named(name.to_string());
    let mut target = profile::build(origin.clone(), &new.config, &g.flags())?;
    if let Some(sha256) = first_contact(&target, name, &mut asker)? {
        new.pin(&sha256);
        target = profile::build(origin, &new.config, &g.flags())?;
    }
    let call = Call::harmless(target.service());
    match crate::commands::invoke::client(g, &target)?.call(&call) {
        Ok(_) => {}
        Err(e) if *e.kind() == ErrorKind::ApiFailure => {
            return Err(Error::new(
                Exit::ApiFailure,
                format!(
                    "the test call failed ({}); nothing saved",
                    e.reasons().join("; ")
                ),
            ))
        }
        // The server's answer was no API answer: said as such, and that nothing was saved.
        Err(e)
            if e.status().is_some()
                && matches!(
                    e.kind(),
                    ErrorKind::Refused | ErrorKind::Broken | ErrorKind::HttpStatus(_)
                ) =>
        {
            let words = format!("{}; nothing saved", crate::error::words(&e));
            return Err(Error::new(Exit::of(e.kind()), words));
        }
        Err(e) => return Err(e.into()),
    }
    configure::save_profile(&path, name, new.table)?;
    stderr::say(format!(
        "the test call worked; profile \"{name}\" saved in {}",
        path.display()
    ));
    Ok(Exit::Success)
}

/// First contact with a server whose certificate this machine does not trust (a new cPanel
/// box is self-signed): show the certificate and offer to pin it, as `cpcall trust` does. The
/// SHA-256 to pin, when the person agrees; an error naming the ways out otherwise.
pub fn first_contact(
    target: &Target,
    name: &str,
    asker: &mut configure::Asker,
) -> Result<Option<[u8; 32]>> {
    if !target.tls() || !matches!(target.trust(), Trust::Roots { .. }) {
        return Ok(None);
    }
    let Err(refusal) = probe::handshake(target) else {
        return Ok(None);
    };
    // No certificate at all (no TLS, no server): the test call will say what is wrong.
    let Ok(der) = probe::peer_certificate(target) else {
        return Ok(None);
    };
    let info = crate::commands::trust::describe(&der)?;
    stderr::say(format!(
        "{}:{} presents a certificate this machine does not trust ({}):",
        target.host(),
        target.port(),
        refusal.failure.as_ref().map_or_else(
            || crate::error::words(&refusal.error),
            |f| f.reason_with(&crate::error::term_words)
        )
    ));
    stderr::lines(&info.to_string());
    let ways_out = format!(
        "give ca_file the CA that signed it or the server's own certificate file; or run cpcall config add {name} at a terminal, which offers to pin it (as cpcall trust does)"
    );
    let pin = asker.is_interactive()
        && asker
            .confirm("Pin it for this profile? Compare the SHA-256 with the server's own first.")?;
    if pin {
        return Ok(Some(info.sha256));
    }
    Err(Error::transport(format!(
        "the server's certificate is not trusted; nothing saved: {ways_out}"
    )))
}
