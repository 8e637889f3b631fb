//! One run of cpcall: command line in, exit code out. Only wiring; each step lives in its module.

use std::process::ExitCode;

use crate::cli::{Cli, Command, Global};
use crate::commands::call::{color, many, report, style};
use crate::commands::config::config_command;
use crate::commands::invoke::{call, command_params, options, print_bytes, Ctx};
use crate::commands::login::{login, logout};
use crate::commands::{batch, doctor, fanout, trust};
use crate::config;
use crate::config::profile;
use crate::error::{Error, Exit, Result};
use crate::output;
use crate::output::curl::of_call as curl_of;
use crate::output::filter::Filter;
use crate::output::stderr;

/// The `cpcall` program: the environment read, signals and the stderr reporter installed, the
/// command line parsed and run, the error (if any) said in one line.
pub fn main() -> ExitCode {
    open_standard_fds();
    prepare_environment();
    // `COMPLETE=bash cpcall -- …` is the shell asking for completions (see `cpcall completions`).
    clap_complete::CompleteEnv::with_factory(<Cli as clap::CommandFactory>::command)
        .completer("cpcall")
        .complete();
    crate::signals::install();
    ExitCode::from(match Cli::parse_args() {
        Ok(cli) => finish(run(cli)),
        Err(e) => clap_said(&e),
    })
}

/// Help, a version or a usage error, printed by clap; help that cannot be written is a
/// failure like any unwritable stdout (exit 2, or 141 when the reader left).
fn clap_said(e: &clap::Error) -> u8 {
    let code = e.exit_code() as u8;
    let printed = e
        .print()
        .and_then(|()| std::io::Write::flush(&mut std::io::stdout()));
    match printed {
        Ok(()) => code,
        Err(_) if e.use_stderr() => code,
        Err(io) if io.kind() == std::io::ErrorKind::BrokenPipe => output::READER_GONE_EXIT,
        Err(io) => {
            stderr::say(format!("cannot write to standard output: {io}"));
            Exit::Usage.code()
        }
    }
}

/// One command line run in this process (examples/demo.rs): its exit code, errors on stderr.
pub fn run_args<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match <Cli as clap::Parser>::try_parse_from(args) {
        Ok(cli) => finish(run(cli)),
        Err(e) => {
            stderr::say(e.to_string().trim_end());
            Exit::Usage.code()
        }
    }
}

fn finish(result: Result<Exit>) -> u8 {
    // Whoever read stdout went away: no error to say, the status of a SIGPIPE death.
    if output::stdout_closed() {
        return output::READER_GONE_EXIT;
    }
    match result {
        Ok(exit) => exit.code(),
        Err(e) => {
            stderr::say(&e);
            e.exit.code()
        }
    }
}

/// A standard descriptor closed at start (`>&-`, `2>&-`) is opened on /dev/null, before any
/// file is: the first file cpcall opened would otherwise get that number, and what is meant for
/// stdout would be written into a session file or a spool.
fn open_standard_fds() {
    use rustix::fd::AsRawFd;
    for fd in 0..3 {
        // SAFETY: only asks whether the descriptor number is open; no ownership is taken.
        let borrowed = unsafe { rustix::fd::BorrowedFd::borrow_raw(fd) };
        if rustix::io::fcntl_getfd(borrowed).is_ok() {
            continue;
        }
        let Ok(null) = rustix::fs::open(
            "/dev/null",
            rustix::fs::OFlags::RDWR,
            rustix::fs::Mode::empty(),
        ) else {
            return;
        };
        // The lowest free number is the closed one; keep it open for the process's life.
        if null.as_raw_fd() == fd {
            std::mem::forget(null);
        }
    }
}

/// Before any thread starts: a `CPCALL_*` variable set but empty means unset (as for most
/// tools), and a completion request reads the config file the command line names with `-c`.
fn prepare_environment() {
    for name in ["CPCALL_CONFIG", "CPCALL_PROFILE", "CPCALL_SERVICE"] {
        if std::env::var_os(name).is_some_and(|v| v.is_empty()) {
            std::env::remove_var(name);
        }
    }
    if std::env::var_os("COMPLETE").is_some() {
        let args: Vec<String> = std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        crate::cli::complete::remember(&args);
        if let Some(path) = crate::cli::config_in_args(&args) {
            std::env::set_var("CPCALL_CONFIG", path);
        }
    }
}

fn run(cli: Cli) -> Result<Exit> {
    if cli.global.quiet {
        stderr::set_quiet();
    }
    let pending = output_file(&cli)?;
    let result = dispatch(cli);
    // Only a whole success replaces the file; otherwise the old one stays as it was.
    if let (Some(pending), Ok(Exit::Success)) = (pending, &result) {
        std::io::Write::flush(&mut std::io::stdout())
            .map_err(|e| Error::usage(format!("cannot write the output file: {e}")))?;
        pending.commit_last()?;
    }
    result
}

/// `-o FILE`: stdout becomes a temporary file beside FILE, which replaces FILE on exit 0
/// (crate::config::files::Pending). Everything that writes stdout — a call's answer as it
/// arrives, JSON lines, `--curl` — goes there unchanged.
fn output_file(cli: &Cli) -> Result<Option<crate::config::files::Pending>> {
    let Some(path) = cli.global.output.as_deref() else {
        return Ok(None);
    };
    if path == std::path::Path::new("-") {
        return Ok(None);
    }
    let silent = matches!(
        cli.command,
        Command::Login { .. }
            | Command::Logout
            | Command::LoginUrl { open: true, .. }
            | Command::Trust { .. }
            | Command::Config(crate::cli::ConfigAction::Add { .. })
    ) && !cli.global.curl;
    if silent {
        return Err(Error::usage(
            "-o writes what a command prints on stdout, and this one prints nothing there: drop -o",
        ));
    }
    let fail =
        |e: &dyn std::fmt::Display| Error::usage(format!("cannot write {}: {e}", path.display()));
    // A link is written through to its file (`latest.json -> …`), as config edits are.
    let real = crate::config::files::follow_links(path).map_err(|e| fail(&e))?;
    match std::fs::metadata(&real) {
        Ok(meta) if meta.is_dir() => {
            return Err(Error::usage(format!(
                "-o {} is a folder: name a file in it",
                path.display()
            )))
        }
        // /dev/null, a FIFO, a terminal: written straight to, as `>` would; nothing to keep.
        Ok(meta) if !meta.is_file() => {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(&real)
                .map_err(|e| fail(&e))?;
            rustix::stdio::dup2_stdout(&file).map_err(|e| fail(&e))?;
            return Ok(None);
        }
        // A file someone else owns keeps its owner and mode when replaced: what cpcall writes
        // (root's listing, a new token, a login link) would be theirs to read.
        Ok(meta) => {
            use std::os::unix::fs::MetadataExt;
            if cpanel_client::files::foreign(meta.uid()) {
                return Err(Error::usage(format!(
                    "-o {} belongs to user {}, who could read what cpcall writes into it: remove it, or name a file of your own",
                    path.display(),
                    meta.uid()
                )));
            }
        }
        Err(_) => {}
    }
    // The folder too: in one others can write (and that is not sticky /tmp), the file could
    // be swapped between our write and their read.
    if let Some(dir) = real.parent().filter(|d| !d.as_os_str().is_empty()) {
        cpanel_client::files::check_folder(dir, "the folder of -o")
            .map_err(|e| Error::usage(crate::error::words(&e)))?;
    }
    let mut pending = crate::config::files::Pending::beside(&real, false)?;
    rustix::stdio::dup2_stdout(&*pending.file()).map_err(|e| fail(&e))?;
    output::set_output_file(path);
    Ok(Some(pending))
}

/// The flags that shape what is printed go with what they shape: `--arg`/`-r` with `--jq`,
/// `--columns` with `--format`, both only on calls; login-url prints a link, no answer.
fn output_flags_fit(cli: &Cli, named: bool) -> Result<()> {
    use crate::output::table::Format;
    let g = &cli.global;
    if g.jq.is_none() && (named || g.raw_output) {
        return Err(Error::usage(
            "--arg, --argjson and -r go with --jq FILTER: add the filter, or drop them",
        ));
    }
    if matches!(cli.command, Command::LoginUrl { .. }) && (g.jq.is_some() || g.data) {
        return Err(Error::usage(
            "--jq and -d shape an API answer, and login-url prints only the link: drop them",
        ));
    }
    let calls_only = matches!(cli.command, Command::Whm { .. } | Command::Cpanel { .. });
    if (g.format != Format::Json || g.columns.is_some()) && !calls_only {
        return Err(Error::usage(
            "--format and --columns show the records of a whm or cpanel call (on one profile or several): drop them here",
        ));
    }
    if g.columns.is_some() && g.format == Format::Json {
        return Err(Error::usage(
            "--columns picks the fields of --format table, csv or tsv: add --format table",
        ));
    }
    Ok(())
}

fn dispatch(cli: Cli) -> Result<Exit> {
    let g = &cli.global;
    if g.curl && !has_curl_form(&cli.command) {
        return Err(Error::usage(
            "--curl prints the curl command of whm, cpanel, batch, login and logout calls: drop --curl",
        ));
    }
    // Everything that can be checked offline is checked before the first request.
    let budget =
        std::time::Duration::from_secs_f64(g.timeout.unwrap_or(cpanel_client::DEFAULT_TIMEOUT));
    let named = crate::output::filter::named_args(&g.jq_arg, &g.jq_argjson)?;
    output_flags_fit(&cli, !named.is_empty())?;
    let jq = match g.jq.as_deref() {
        Some(code) => Some(Filter::compile(code, budget, named)?),
        None => None,
    };
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
        return doctor::command(g, loaded.as_ref(), *json);
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
    match &cli.command {
        Command::Trust {
            yes,
            sha256,
            replace,
        } => trust::command(
            &target,
            loaded.as_ref(),
            &trust::Asked {
                yes: *yes,
                expected: sha256.as_deref(),
                replace: *replace,
                retargeted: retargeted(g, &target, loaded.as_ref()),
            },
        ),
        Command::Login { otp } => login(g, &target, otp.as_deref()),
        Command::Logout => logout(g, &target),
        Command::LoginUrl { user, to, open } => {
            crate::commands::login::login_url(g, &target, user, (*to).into(), *open)
        }
        Command::Batch {
            file,
            stop_on_error,
            check,
        } => {
            let name = target.profile().to_string();
            batch::run(
                ctx,
                vec![(name, Ok(target))],
                &batch::Asked {
                    file: file.as_deref(),
                    stop_on_error: *stop_on_error,
                    check: *check,
                    tag_profiles: false,
                },
            )
        }
        command => {
            let params =
                crate::params::parse(command_params(command), &mut std::io::stdin().lock())?;
            let call = call(command, &target, params)?;
            let options = options(g);
            call.check(&target, &options)?;
            crate::commands::invoke::admit(&call, g, &target, "")?;
            if g.curl {
                print_bytes(curl_of(&target, &call, &options, &Default::default())?.as_bytes())?;
                return Ok(Exit::Success);
            }
            // The library's client: the command line adds only how the answer is shown.
            let client = crate::commands::invoke::client(g, &target)?;
            let options = crate::commands::invoke::for_class(&call, &options);
            let streams = ctx.jq.is_none()
                && options.paginate.is_none()
                && g.format == crate::output::table::Format::Json;
            // To stdout's file as it arrives where it can be taken back; each try starts over.
            let shown = crate::commands::invoke::fetch_by(g, &target, &call, || {
                match streams
                    .then(|| output::Direct::for_stdout(style(g), color(g)))
                    .flatten()
                {
                    Some(direct) => client.stream_to(&call, &options, Box::new(direct), g.data),
                    None => client.call_with(&call, &options),
                }
            })?;
            report(&shown, ctx)
        }
    }
}

/// Whether `--host`, `--port` or `--service` (or `CPCALL_SERVICE`) point the profile at
/// another server or port than its own: `trust` would pin that one's certificate into it.
fn retargeted(g: &Global, target: &profile::Target, loaded: Option<&config::Loaded>) -> bool {
    if g.host.is_some() || g.port.is_some() {
        return true;
    }
    let own = profile::Flags {
        profile: g.profile.clone(),
        profile_typed: true,
        ..profile::Flags::default()
    };
    match profile::resolve(&own, loaded, &|_| None) {
        Ok(own) => (own.host(), own.port()) != (target.host(), target.port()),
        Err(_) => true,
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
