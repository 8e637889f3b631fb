use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // `COMPLETE=bash cpcall -- …` is the shell asking for completions (see `cpcall completions`).
    clap_complete::CompleteEnv::with_factory(<cpcall::cli::Cli as clap::CommandFactory>::command)
        .completer("cpcall")
        .complete();
    let cli = cpcall::cli::Cli::parse();
    match cpcall::app::run(cli) {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(e) => {
            eprintln!("cpcall: {e}");
            ExitCode::from(e.exit.code())
        }
    }
}
