//! `cargo run -p cpanel-client --example library`: the accounts of a WHM server, listed with
//! the library alone. The server here is the test emulator, started in this process; against a
//! real one, take the target from a profile with `Client::profile(Some("prod"))`, or build it
//! with `Target::builder` as here.

use std::sync::Arc;

use cpanel_client::{Call, Client, ErrorKind, Options, Reporter, Target};

/// Where the client's warnings and traffic lines go: this program's own log format.
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

#[derive(serde::Deserialize)]
struct Account {
    user: String,
    domain: String,
}

#[derive(serde::Deserialize)]
struct Accounts {
    acct: Vec<Account>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = cpanel_emulator::Emulator::start();
    // The target as a profile would describe it; the token is the emulator's root token.
    let target = Target::builder("127.0.0.1")
        .port(server.port(cpanel_emulator::Service::Whm, true))
        .ca_pem(server.ca_pem.as_bytes().to_vec())
        .user("root")
        .token(
            cpanel_emulator::accounts::ROOT
                .whm_token
                .unwrap_or_default(),
        )
        .build()?;
    let client = Client::new(
        target,
        Options::default().verbose(true).reporter(Arc::new(Log)),
    )?;
    match client.call(&Call::whm("listaccts")) {
        Ok(answer) => {
            let accounts: Accounts = answer.payload_as()?;
            for a in accounts.acct {
                println!("{}\t{}", a.user, a.domain);
            }
        }
        Err(e) if *e.kind() == ErrorKind::ApiFailure => eprintln!("the API said no: {e}"),
        Err(e) => {
            eprintln!(
                "listaccts did not work: {e} (may have run: {})",
                e.may_have_run()
            );
            std::process::exit(1);
        }
    }
    Ok(())
}
