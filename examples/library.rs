//! `cargo run --example library`: cpcall as a library. Lists the accounts of a WHM server
//! through `cpcall::client::Client` alone — no command line involved. The server here is the
//! test emulator, started in this process; against a real one, take the target from a profile
//! with `Client::profile(Some("prod"))`, or build it with
//! `Target::builder` as here.

#[path = "../tests/emulator/mod.rs"]
mod emulator;

use cpcall::client::report::{self, Reporter};
use cpcall::client::{Call, Client, Options, Target, Verdict};

/// Where the client's warnings and `-v` lines go: this program's own log format.
struct Log;

impl Reporter for Log {
    fn traffic(&self, line: &str) {
        eprintln!("[traffic] {line}");
    }
    fn warning(&self, message: &str) {
        eprintln!("[warning] {message}");
    }
    fn passthrough(&self, bytes: &[u8]) {
        eprintln!("[tool] {}", String::from_utf8_lossy(bytes).trim_end());
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Before the first call: the first word said without a reporter fixes the default.
    assert!(
        report::install(Box::new(Log)),
        "a reporter was already installed"
    );
    let server = emulator::Emulator::start();
    let ca =
        std::env::temp_dir().join(format!("cpcall-library-example-{}.pem", std::process::id()));
    std::fs::write(&ca, &server.ca_pem)?;

    // The target as a profile would describe it; the token is the emulator's root token.
    let target = Target::builder("127.0.0.1")
        .port(server.port(emulator::Service::Whm, true))
        .ca_file(&ca)
        .user("root")
        .token(emulator::accounts::ROOT.whm_token.unwrap_or_default())
        .build()?;

    let client = Client::new(
        target,
        Options {
            verbose: true,
            ..Options::default()
        },
    )?;
    let answer = client.call(&Call::Whm {
        function: "listaccts".into(),
        params: Vec::new(),
    })?;
    match &answer.verdict {
        Verdict::Success { .. } => {
            for account in answer.payload()?["acct"].as_array().into_iter().flatten() {
                let field = |name: &str| account[name].as_str().unwrap_or_default().to_string();
                println!("{}\t{}", field("user"), field("domain"));
            }
        }
        other => eprintln!("listaccts did not work: {other:?}"),
    }
    println!(
        "{}",
        client
            .curl(&Call::Whm {
                function: "version".into(),
                params: Vec::new()
            })?
            .trim()
    );
    std::fs::remove_file(&ca)?;
    std::process::exit(answer.exit().code().into());
}
