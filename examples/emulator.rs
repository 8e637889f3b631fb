//! `cargo run --example emulator -- [--ca PATH] [--listaccts-mb N] [--delay-ms N]
//! [--extra-records N] [--string-counts] [--page-cap N] [--announce-extra N] [--connection-close]
//! [--idle-close-ms N] [--wrong-port-json] [--self-signed] [--string-flags]
//! [--echo-credentials] [--endless-listing N] [--cert-valid-in-days N] [--cert-days-left N]
//! [--fault-status CODE | --fault-close] [--fault-from N] [--fault-until N]`: the test
//! emulator as a standalone server on loopback, for trying cpcall by hand and for `bench/`.
//! The switches turn on the behaviours of real servers that the tests exercise (see `Options`).
//! Prints shell assignments on stdout (WHM_PORT=…, CPANEL_PORT=…, …, READY=1), and on stderr
//! the accounts with their credentials and a config file for cpcall, ready to paste; runs
//! until killed.

use cpanel_emulator as emulator;

use std::sync::Arc;
use std::time::Duration;

use emulator::{Emulator, Fault, Options, Service};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let number = |flag: &str| value(flag).and_then(|v| v.parse::<u64>().ok());
    let mut options = Options::default();
    if let Some(mb) = number("--listaccts-mb") {
        let body = emulator::big_listaccts(mb as usize * 1_000_000);
        eprintln!("listaccts answers with {} bytes", body.len());
        options.canned.push(("listaccts".into(), Arc::new(body)));
    }
    if let Some(ms) = number("--delay-ms") {
        options.fault = Some(Fault::Slow(Duration::from_millis(ms)));
    }
    let flag = |name: &str| args.iter().any(|a| a == name);
    // A server that fails for a while (a restart's 503s, connections dropped), then answers.
    if let Some(code) = number("--fault-status") {
        options.fault = Some(Fault::Status(code as u16));
    }
    if flag("--fault-close") {
        options.fault = Some(Fault::CloseBeforeAnswer);
    }
    options.fault_from = number("--fault-from").unwrap_or(0) as usize;
    options.fault_until = number("--fault-until").unwrap_or(0) as usize;
    options.extra_records = number("--extra-records").unwrap_or(0) as usize;
    options.string_counts = flag("--string-counts");
    options.page_cap = number("--page-cap").map(|n| n as usize);
    options.announce_extra = number("--announce-extra").unwrap_or(0) as usize;
    options.connection_close = flag("--connection-close");
    options.idle_close = number("--idle-close-ms").map(Duration::from_millis);
    options.wrong_port_json = flag("--wrong-port-json");
    options.self_signed = flag("--self-signed");
    options.string_flags = flag("--string-flags");
    options.echo_credentials = flag("--echo-credentials");
    options.endless_listing = number("--endless-listing");
    options.cert_valid_in_days = number("--cert-valid-in-days").map(|n| n as i64);
    options.cert_days_left = number("--cert-days-left").map(|n| n as i64);
    let emu = Emulator::start_with(options);
    let ca = value("--ca").unwrap_or_else(|| {
        std::env::temp_dir()
            .join("cpcall-emulator-ca.pem")
            .display()
            .to_string()
    });
    std::fs::write(&ca, &emu.ca_pem)?;
    eprint!("{}", emu.guide(&ca));
    for (name, service) in [
        ("WHM", Service::Whm),
        ("CPANEL", Service::Cpanel),
        ("WEBMAIL", Service::Webmail),
    ] {
        println!("{name}_PORT={}", emu.port(service, true));
        println!("{name}_PLAIN_PORT={}", emu.port(service, false));
    }
    println!("PIN_SHA256={}", emu.pin_hex());
    println!("READY=1");
    use std::io::Write;
    std::io::stdout().flush()?;
    loop {
        std::thread::park();
    }
}
