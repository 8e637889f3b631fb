use std::process::ExitCode;

fn main() -> ExitCode {
    prepare_environment();
    // `COMPLETE=bash cpcall -- …` is the shell asking for completions (see `cpcall completions`).
    clap_complete::CompleteEnv::with_factory(<cpcall::cli::Cli as clap::CommandFactory>::command)
        .completer("cpcall")
        .complete();
    cpcall::signals::install();
    // The request path's -v lines, warnings and notices: to stderr, escaped and masked.
    let _ = cpcall::client::report::install(Box::new(cpcall::client::report::Stderr));
    let cli = cpcall::cli::Cli::parse_args();
    match cpcall::app::run(cli) {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(e) => {
            cpcall::output::stderr::say(&e);
            ExitCode::from(e.exit.code())
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
        cpcall::commands::complete::remember(&args);
        if let Some(path) = cpcall::cli::config_in_args(&args) {
            std::env::set_var("CPCALL_CONFIG", path);
        }
    }
}
