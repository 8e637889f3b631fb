//! `cargo run --example emulator [CA_PEM_PATH]`: the test emulator as a standalone server on
//! loopback, for trying cpcall by hand or benchmarking. Prints its ports; runs until killed.

#[path = "../tests/emulator/mod.rs"]
mod emulator;

use emulator::{Emulator, Service};

fn main() -> std::io::Result<()> {
    let emu = Emulator::start();
    if let Some(path) = std::env::args().nth(1) {
        std::fs::write(&path, &emu.ca_pem)?;
        eprintln!("CA certificate written to {path}");
    }
    for service in [Service::Whm, Service::Cpanel, Service::Webmail] {
        println!(
            "{}: tls {} plain {}",
            service.name(),
            emu.port(service, true),
            emu.port(service, false)
        );
    }
    println!("pin_sha256: {}", emu.pin_hex());
    loop {
        std::thread::park();
    }
}
