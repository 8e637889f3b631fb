use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cpcall::cli::Cli::parse();
    match cpcall::app::run(cli) {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(e) => {
            eprintln!("cpcall: {e}");
            ExitCode::from(e.exit.code())
        }
    }
}
