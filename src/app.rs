//! One run of cpcall: command line in, exit code out. Only wiring; each step lives in its module.

use std::io::IsTerminal;

use crate::cli::{Cli, Command, ConfigAction, Global};
use crate::client::api::Call;
use crate::client::auth::LoginSecrets;
use crate::client::outcome;
use crate::client::response::Verdict;
use crate::client::session;
use crate::client::tls::Verify;
use crate::commands::configure;
use crate::commands::invoke::{call, command_params, max_body, options, print_bytes, Ctx};
use crate::commands::{batch, fanout};
use crate::config;
use crate::config::profile::{self, Target};
use crate::error::{Error, Exit, Result};
use crate::output::curl::of_call as curl_of;
use crate::output::filter::Filter;
use crate::output::stderr;
use crate::output::{self, Style};

pub fn run(cli: Cli) -> Result<Exit> {
    let g = &cli.global;
    if g.curl && !has_curl_form(&cli.command) {
        return Err(Error::usage(
            "--curl prints the curl command of whm, cpanel, batch, login and logout calls: drop --curl",
        ));
    }
    // Everything that can be checked offline is checked before the first request.
    let jq = g.jq.as_deref().map(Filter::compile).transpose()?;
    let ctx = &Ctx { g, jq: jq.as_ref() };
    if let Command::Completions { shell } = &cli.command {
        let script =
            crate::cli::completion_script(shell).map_err(|e| Error::usage(e.to_string()))?;
        return print_bytes(&script).map(|()| Exit::Success);
    }
    if let Command::Describe {
        api,
        name,
        function,
        search,
        json,
    } = &cli.command
    {
        let text = crate::commands::describe::describe(&crate::commands::describe::Query {
            api: api.as_deref(),
            name: name.as_deref(),
            function: function.as_deref(),
            search: search.as_deref(),
            json: *json,
        })?;
        return print_bytes(text.as_bytes()).map(|()| Exit::Success);
    }
    if let Command::Config(action) = &cli.command {
        return config_command(g, action);
    }
    let loaded = load_config(g)?;
    if let Command::Doctor { json } = &cli.command {
        return doctor(g, loaded.as_ref(), *json);
    }
    if let Some(names) = fanout::selected(g, loaded.as_ref())? {
        let loaded = loaded
            .as_ref()
            .ok_or_else(|| Error::usage("no config file"))?;
        return many(ctx, &cli.command, fanout::targets(&names, g, loaded));
    }
    let target = profile::resolve(&g.flags(), loaded.as_ref(), &|name| {
        std::env::var(name).ok()
    })?;
    let config_path = loaded.map(|l| l.path);
    if !g.curl {
        warn_about_transport(&target);
    }
    match &cli.command {
        Command::Trust { yes, sha256 } => {
            trust(&target, config_path.as_deref(), *yes, sha256.as_deref())
        }
        Command::Login { otp } => login(g, &target, otp.as_deref()),
        Command::Logout => logout(g, &target),
        Command::Batch {
            file,
            stop_on_error,
        } => {
            let name = target.profile.to_string();
            batch::run(
                ctx,
                vec![(name, Ok(target))],
                file.as_deref(),
                *stop_on_error,
                false,
            )
        }
        command => {
            let params = crate::client::params::parse(
                command_params(command),
                &mut std::io::stdin().lock(),
            )?;
            let call = call(command, &target, params)?;
            let options = options(g);
            outcome::check(&call, &options)?;
            crate::commands::invoke::vet(&call, crate::commands::invoke::strict(g, &target)?, "")?;
            if g.curl {
                print_bytes(curl_of(&target, &call, &options)?.as_bytes())?;
                return Ok(Exit::Success);
            }
            // The library's client: the command line adds only how the answer is shown.
            let client = crate::commands::invoke::client(g, &target)?;
            if ctx.jq.is_none() && options.paginate.is_none() {
                let payload = g
                    .data
                    .then(|| crate::client::response::payload_of(call.kind()));
                if let Some(direct) = output::Direct::for_stdout(style(g), color(g), payload) {
                    client.print_as_it_arrives(direct);
                }
            }
            let mut answer = client.call_with(&call, &options)?;
            crate::commands::invoke::unknown_function_hint(&call, &mut answer);
            report(&answer, ctx)
        }
    }
}

/// The subcommands `--curl` can show: the others make no single request (or several kinds).
fn has_curl_form(command: &Command) -> bool {
    matches!(
        command,
        Command::Whm { .. }
            | Command::Cpanel { .. }
            | Command::Batch { .. }
            | Command::Login { .. }
            | Command::Logout
    )
}

/// `doctor`: each named profile (one, or all of a fan-out) checked in turn.
fn doctor(g: &Global, loaded: Option<&config::Loaded>, json: bool) -> Result<Exit> {
    let names = match fanout::selected(g, loaded)? {
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

/// The same command against several profiles at once (`-p a,b`, `--all`, `--group`).
fn many(ctx: &Ctx, command: &Command, targets: Vec<(String, Result<Target>)>) -> Result<Exit> {
    let g = ctx.g;
    match command {
        Command::Batch {
            file,
            stop_on_error,
        } => batch::run(ctx, targets, file.as_deref(), *stop_on_error, true),
        Command::Whm { .. } | Command::Cpanel { .. } => {
            // Parameters are read once (KEY=@- included) and sent to every profile.
            let parsed = crate::client::params::parse(
                command_params(command),
                &mut std::io::stdin().lock(),
            )?;
            let options = options(g);
            // A profile that does not fit fails alone; a call that cannot be made (a bad name,
            // a reserved parameter) stops the run before anything is sent.
            let calls: Vec<Result<Call>> = targets
                .iter()
                .map(|(_, target)| {
                    call(
                        command,
                        target.as_ref().map_err(Error::clone)?,
                        parsed.clone(),
                    )
                })
                .collect();
            for (call, (_, target)) in calls.iter().zip(&targets) {
                if let (Ok(call), Ok(target)) = (call, target) {
                    outcome::check(call, &options)?;
                    crate::commands::invoke::vet(
                        call,
                        crate::commands::invoke::strict(g, target)?,
                        "",
                    )?;
                }
            }
            if g.curl {
                return curl_many(&targets, &calls, &options);
            }
            let mut tally = fanout::Tally::new(targets.len(), g.verbose);
            let jobs: Vec<usize> = (0..targets.len()).collect();
            let run_one = |&i: &usize| -> outcome::JsonLine {
                let (name, target) = &targets[i];
                let result = calls[i].clone().and_then(|call| {
                    let target = target.as_ref().map_err(Error::clone)?;
                    let mut answer =
                        crate::commands::invoke::client(g, target)?.call_with(&call, &options)?;
                    crate::commands::invoke::unknown_function_hint(&call, &mut answer);
                    Ok(answer)
                });
                let host = target.as_ref().ok().map(|t| t.host.as_str());
                let tag = outcome::Tag {
                    line: None,
                    profile: Some(name),
                    host,
                };
                outcome::json_line(tag, result, g.data, ctx.jq)
            };
            fanout::parallel(&jobs, g.jobs.unwrap_or(16) as usize, run_one, |i, line| {
                tally.record(&targets[i].0, &line);
                true
            });
            Ok(tally.finish("profiles"))
        }
        _ => Err(Error::usage(
            "login, logout, trust and completions work on one profile at a time: name one with -p",
        )),
    }
}

/// `--curl` on several profiles: each profile's command under a `# profile NAME` line.
fn curl_many(
    targets: &[(String, Result<Target>)],
    calls: &[Result<Call>],
    options: &outcome::Options,
) -> Result<Exit> {
    let mut worst = Exit::Success;
    let mut text = String::new();
    for ((name, target), call) in targets.iter().zip(calls) {
        let command = target
            .as_ref()
            .map_err(Error::clone)
            .and_then(|t| curl_of(t, call.as_ref().map_err(Error::clone)?, options));
        match command {
            Ok(command) => text.push_str(&format!("# profile {name}\n{command}")),
            Err(e) => {
                stderr::say(format!("profile \"{name}\": {e}"));
                worst = worst.max(e.exit);
            }
        }
    }
    print_bytes(text.as_bytes())?;
    Ok(worst)
}

fn login(g: &Global, target: &Target, otp: Option<&str>) -> Result<Exit> {
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

fn logout(g: &Global, target: &Target) -> Result<Exit> {
    let saved = match target.user.as_deref() {
        Some(user) => session::load(target, user)?,
        None => None,
    };
    if g.curl {
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

/// The target of this run, and the config file it came from.
fn config_command(g: &Global, action: &ConfigAction) -> Result<Exit> {
    let explicit = g.config.as_deref();
    let text = match action {
        ConfigAction::Path => format!("{}\n", configure::path(explicit)?.display()),
        ConfigAction::List => configure::list(explicit)?,
        ConfigAction::Show { name } => configure::show(explicit, name)?,
        ConfigAction::Add { name } => return add_profile(g, name),
    };
    print_bytes(text.as_bytes()).map(|()| Exit::Success)
}

/// `config add`: ask, test with a harmless call, then save; nothing is saved if the test fails.
fn add_profile(g: &Global, name: &str) -> Result<Exit> {
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
    let mut new = configure::ask_profile(&mut asker)?;
    let origin = profile::Origin::Named(name.to_string());
    let mut target = profile::build(origin.clone(), &new.config, &g.flags())?;
    if let Some(sha256) = first_contact(&target, name, &mut asker)? {
        new.pin(&sha256);
        target = profile::build(origin, &new.config, &g.flags())?;
    }
    let call = Call::harmless(target.service);
    let verdict = crate::commands::invoke::client(g, &target)?
        .call(&call)?
        .verdict;
    if let Some(e) = verdict.error("; nothing saved") {
        return Err(e);
    }
    if let Verdict::Failed { reasons } = &verdict {
        return Err(Error::new(
            verdict.exit(),
            format!(
                "the test call failed ({}); nothing saved",
                reasons.join("; ")
            ),
        ));
    }
    configure::save_profile(&path, name, new.table)?;
    stderr::say(format!(
        "the test call worked; profile \"{name}\" saved in {} (mode 600)",
        path.display()
    ));
    Ok(Exit::Success)
}

/// First contact with a server whose certificate this machine does not trust (a new cPanel
/// box is self-signed): show the certificate and offer to pin it, as `cpcall trust` does. The
/// SHA-256 to pin, when the person agrees; an error naming the ways out otherwise.
fn first_contact(
    target: &Target,
    name: &str,
    asker: &mut configure::Asker,
) -> Result<Option<[u8; 32]>> {
    if !target.tls || !matches!(target.verify, Verify::Roots { .. }) {
        return Ok(None);
    }
    let Err(refusal) = crate::client::tls::handshake(
        &target.host,
        target.port,
        target.timeout,
        target.proxy.as_ref(),
        &target.verify,
    ) else {
        return Ok(None);
    };
    // No certificate at all (no TLS, no server): the test call will say what is wrong.
    let Ok(der) = crate::client::tls::peer_certificate(
        &target.host,
        target.port,
        target.timeout,
        target.proxy.as_ref(),
    ) else {
        return Ok(None);
    };
    let info = crate::commands::trust::describe(&der)?;
    stderr::say(format!(
        "{}:{} presents a certificate this machine does not trust ({}):",
        target.host,
        target.port,
        refusal.message().rsplit(": ").next().unwrap_or_default()
    ));
    stderr::lines(&info.to_string());
    let ways_out = format!(
        "give ca_file the CA that signed it or the server's own certificate file; or run cpcall config add {name} at a terminal, which offers to pin it (as cpcall trust does)"
    );
    if !asker.is_interactive() {
        return Err(Error::transport(format!(
            "the server's certificate is not trusted; nothing saved: {ways_out}"
        )));
    }
    if asker.confirm("Pin it for this profile? Compare the SHA-256 with the server's own first.")? {
        Ok(Some(info.sha256))
    } else {
        Err(Error::transport(format!(
            "the server's certificate is not trusted; nothing saved: {ways_out}"
        )))
    }
}

/// The config file, unless `--host` without `-p` makes the target from flags and environment.
fn load_config(g: &Global) -> Result<Option<config::Loaded>> {
    if g.profile.is_none() && g.host.is_some() && !g.all && g.group.is_none() {
        return Ok(None);
    }
    let loaded = config::load(g.config.as_deref())?;
    if let Some(loaded) = loaded.as_ref().filter(|l| l.holds_secrets()) {
        if let Some(message) = crate::config::files::loose_mode(&loaded.path, 0o600) {
            stderr::warn(message);
        }
    }
    Ok(loaded)
}

fn trust(
    target: &Target,
    config: Option<&std::path::Path>,
    yes: bool,
    expected: Option<&str>,
) -> Result<Exit> {
    // Checked before connecting: a typo must not cost a round trip.
    let expected = expected.map(crate::client::tls::parse_pin).transpose()?;
    let path = match config {
        Some(path) if target.profile != profile::Origin::AdHoc => path,
        _ => {
            return Err(Error::usage(
                "trust writes the pin into a profile: name one with -p (see README)",
            ))
        }
    };
    if !target.tls {
        return Err(Error::usage(format!(
            "{} uses plain HTTP (tls = false): there is no certificate to pin",
            target.describe()
        )));
    }
    let der = crate::client::tls::peer_certificate(
        &target.host,
        target.port,
        target.timeout,
        target.proxy.as_ref(),
    )?;
    let info = crate::commands::trust::describe(&der)?;
    stderr::say(format!(
        "{}:{} presents this certificate:",
        target.host, target.port
    ));
    stderr::lines(&info.to_string());
    // The certificate shown is the one pinned (same connection); --sha256 says which it must be.
    if let Some(expected) = expected {
        if expected != info.sha256 {
            return Err(Error::transport(format!(
                "the server presents SHA-256 {}, not the {} given: nothing changed (a renewed certificate, another server, or an interception)",
                crate::client::tls::fingerprint(&info.sha256),
                crate::client::tls::fingerprint(&expected)
            )));
        }
    }
    if target.verify == Verify::Pin(info.sha256) {
        stderr::say(format!("{} already pins it", target.describe()));
        return Ok(Exit::Success);
    }
    let confirmed = yes
        || expected.is_some()
        || {
            if !std::io::stdin().is_terminal() {
                return Err(Error::usage("no terminal to ask: check the fingerprint above on the server, then run again with --sha256 FINGERPRINT (pins only that certificate)"));
            }
            stderr::prompt(&format!(
                "Pin it for {}? Compare the SHA-256 with the server's own first. [y/N] ",
                target.describe()
            ));
            let mut answer = String::new();
            std::io::stdin()
                .read_line(&mut answer)
                .map_err(|e| Error::usage(format!("cannot read the answer: {e}")))?;
            matches!(answer.trim(), "y" | "Y" | "yes")
        };
    if !confirmed {
        stderr::say("nothing changed");
        return Ok(Exit::Usage);
    }
    crate::commands::trust::write_pin(path, &target.profile.to_string(), &info.sha256)?;
    stderr::say(format!(
        "pinned it: pin_sha256 of {} in {}",
        target.describe(),
        path.display()
    ));
    Ok(Exit::Success)
}

/// Unverified TLS and plain HTTP are allowed, but never silently.
fn warn_about_transport(target: &Target) {
    if target.tls && target.verify == Verify::Insecure {
        stderr::warn(format!(
            "TLS certificate verification is off for {} (insecure): the connection can be intercepted; prefer pin_sha256",
            target.host
        ));
    }
    let loopback = target.host == "localhost"
        || target
            .host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !target.tls && !loopback {
        stderr::warn(format!(
            "credentials go to {} over plain HTTP (tls = false): anyone on the network path can read them",
            target.host
        ));
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
fn report(answer: &outcome::Answer, ctx: &Ctx) -> Result<Exit> {
    let g = ctx.g;
    let body = answer.shown(g.data);
    if let Some(e) = answer.verdict.error("") {
        return Err(e);
    }
    let exit = answer.exit();
    let lines: Vec<String> = match &answer.verdict {
        Verdict::Success { notes } => notes.clone(),
        Verdict::Failed { reasons } => reasons.iter().map(|r| format!("API error: {r}")).collect(),
        Verdict::Refused(_) | Verdict::Broken(_) => Vec::new(),
    };
    let printed = match ctx.jq {
        // Written to stdout as it arrived (stdout is a file): nothing more to print.
        _ if answer.body.printed() => Ok(()),
        Some(filter) => filter.print(
            &body,
            style(g) == Style::Pretty,
            std::io::stdout().is_terminal(),
            &mut std::io::stdout().lock(),
        ),
        None => print_json(&body, style(g), color(g)),
    };
    for line in lines {
        stderr::say(line);
    }
    for hint in &answer.hints {
        stderr::say(format!("hint: {hint}"));
    }
    match printed {
        // The API's failure decides the exit code; a filter that could not handle the failed
        // answer (`.data.acct[]` of null) is said, not counted.
        Err(e) if exit == Exit::ApiFailure => {
            stderr::say(e);
            Ok(exit)
        }
        Err(e) => Err(e),
        Ok(()) => Ok(exit),
    }
}

/// Colour on a terminal, unless NO_COLOR says no (https://no-color.org) or --color decides.
fn color(g: &Global) -> bool {
    match g.color {
        crate::cli::Color::Always => true,
        crate::cli::Color::Never => false,
        crate::cli::Color::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

fn print_json(body: &crate::client::body::View, style: Style, color: bool) -> Result<()> {
    match output::write_json(&mut std::io::stdout().lock(), body, style, color) {
        // A reader that stops early (`| head`) is not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::usage(format!(
            "cannot write the answer to standard output: {e}"
        ))),
        _ => Ok(()),
    }
}
