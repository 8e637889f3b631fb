//! One run of cpcall: command line in, exit code out. Only wiring; each step lives in its module.

use std::io::{IsTerminal, Write};

use crate::api::{Call, Method};
use crate::auth::Credentials;
use crate::cli::{Cli, Command, Global};
use crate::config::{self, Service};
use crate::error::{Error, Exit, Result};
use crate::output::{self, Style};
use crate::profile::{self, Flags, Target};
use crate::response::{self, Verdict};
use crate::tls::Verify;
use crate::transport::Client;

pub fn run(cli: Cli) -> Result<Exit> {
    let g = &cli.global;
    let target = target(g)?;
    warn_about_transport(&target);
    let call = call(&cli.command, &target)?;
    let credentials = Credentials::resolve(&target)?;
    let method = if g.get { Method::Get } else { Method::Post };
    let request = call.request(method)?;
    let client = Client::new(&target, g.verbose)?;
    let response = client.send(&request, &credentials.headers(target.service))?;
    let verdict = response::judge(call.kind(), response.status, &response.body);
    report(verdict, &response.body, style(g))
}

fn target(g: &Global) -> Result<Target> {
    let flags = Flags {
        profile: g.profile.clone(),
        host: g.host.clone(),
        port: g.port,
        service: g.service,
        insecure: g.insecure,
        timeout: g.timeout,
    };
    let loaded = if flags.profile.is_none() && flags.host.is_some() {
        None
    } else {
        config::load(g.config.as_deref())?
    };
    profile::resolve(&flags, loaded.as_ref(), &|name| std::env::var(name).ok())
}

fn call(command: &Command, target: &Target) -> Result<Call> {
    let mut stdin = std::io::stdin().lock();
    match command {
        Command::Whm { function, params } => {
            if target.service != Service::Whm {
                return Err(Error::usage(format!(
                    "WHM API calls need WHM credentials, but {} is a {} profile: use a profile with service = \"whm\"",
                    target.describe(),
                    target.service.name()
                )));
            }
            Ok(Call::Whm {
                function: function.clone(),
                params: crate::params::parse(params, &mut stdin)?,
            })
        }
        Command::Cpanel {
            module,
            function,
            params,
        } => {
            if target.service == Service::Whm {
                return Err(Error::usage(format!(
                    "UAPI calls go to the cPanel port, but {} is a WHM profile: use a profile with service = \"cpanel\" or \"webmail\"",
                    target.describe()
                )));
            }
            Ok(Call::Uapi {
                module: module.clone(),
                function: function.clone(),
                params: crate::params::parse(params, &mut stdin)?,
            })
        }
    }
}

/// Unverified TLS and plain HTTP are allowed, but never silently.
fn warn_about_transport(target: &Target) {
    if target.tls && target.verify == Verify::Insecure {
        eprintln!(
            "cpcall: warning: TLS certificate verification is off for {} (insecure): the connection can be intercepted; prefer pin_sha256",
            target.host
        );
    }
    let loopback = target.host == "localhost"
        || target
            .host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !target.tls && !loopback {
        eprintln!(
            "cpcall: warning: credentials go to {} over plain HTTP (tls = false): anyone on the network path can read them",
            target.host
        );
    }
}

fn style(g: &Global) -> Style {
    if g.pretty {
        Style::Pretty
    } else if g.compact {
        Style::Compact
    } else if std::io::stdout().is_terminal() {
        Style::Pretty
    } else {
        Style::AsReceived
    }
}

/// Prints the answer and the API's own words, and picks the exit code.
fn report(verdict: Verdict, body: &[u8], style: Style) -> Result<Exit> {
    let (exit, lines) = match verdict {
        Verdict::Success { notes } => (Exit::Success, notes),
        Verdict::Failed { reasons } => (
            Exit::ApiFailure,
            reasons
                .into_iter()
                .map(|r| format!("API error: {r}"))
                .collect(),
        ),
        Verdict::Refused(message) => return Err(Error::auth(message)),
        Verdict::Broken(message) => return Err(Error::transport(message)),
    };
    print_json(body, style)?;
    let mut err = std::io::stderr().lock();
    for line in lines {
        let _ = writeln!(err, "cpcall: {line}");
    }
    Ok(exit)
}

fn print_json(body: &[u8], style: Style) -> Result<()> {
    match output::write_json(&mut std::io::stdout().lock(), body, style) {
        // A reader that stops early (`| head`) is not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::usage(format!(
            "cannot write the answer to standard output: {e}"
        ))),
        _ => Ok(()),
    }
}
