//! `cargo run --example demo`: cpcall against a cPanel & WHM emulator on loopback, no server needed.
//!
//! Starts the test emulator (real sockets, real TLS with a fresh CA), writes a temporary config
//! with one profile per credential kind, and runs real cpcall command lines against it.

use cpanel_emulator as emulator;

use emulator::accounts::{self, BOB, CPTEST, ROOT};
use emulator::{Emulator, Service};

fn main() -> std::io::Result<()> {
    let emu = Emulator::start();
    let dir = tempfile::tempdir()?;
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &emu.ca_pem)?;
    let hash = dir.path().join("accesshash");
    std::fs::write(&hash, accounts::ROOT_ACCESSHASH)?;
    let config = dir.path().join("config.toml");
    let profile = |name: &str, service: Service, rest: String| {
        format!(
            "[profiles.{name}]\nhost = \"127.0.0.1\"\nport = {}\nservice = \"{}\"\nca_file = \"{}\"\n{rest}\n\n",
            emu.port(service, true),
            service.name(),
            ca.display()
        )
    };
    let text = [
        "default_profile = \"whm\"\n\n".to_string(),
        profile(
            "whm",
            Service::Whm,
            format!(
                "user = \"root\"\ntoken = \"{}\"",
                ROOT.whm_token.unwrap_or_default()
            ),
        ),
        profile(
            "hash",
            Service::Whm,
            format!(
                "auth = \"accesshash\"\naccesshash_file = \"{}\"",
                hash.display()
            ),
        ),
        profile(
            "bob",
            Service::Cpanel,
            format!(
                "user = \"bob\"\ntoken = \"{}\"",
                BOB.cpanel_token.unwrap_or_default()
            ),
        ),
        profile(
            "tfa",
            Service::Cpanel,
            format!(
                "user = \"cptest\"\npassword = \"{}\"\ntotp_secret = \"{}\"",
                CPTEST.password,
                CPTEST.totp.unwrap_or_default()
            ),
        ),
    ]
    .concat();
    std::fs::write(&config, text)?;
    #[cfg(unix)]
    std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    println!(
        "emulator: WHM on 127.0.0.1:{}, cPanel on 127.0.0.1:{}",
        emu.port(Service::Whm, true),
        emu.port(Service::Cpanel, true)
    );
    println!(
        "config:   {} (profiles whm, hash, bob, tfa)\n",
        config.display()
    );

    let runs: &[&[&str]] = &[
        &["whm", "version"],
        &[
            "-p",
            "hash",
            "whm",
            "listaccts",
            "search=bob",
            "searchtype=user",
        ],
        &[
            "whm",
            "createacct",
            "username=carol",
            "domain=carol.example",
        ],
        &["-p", "bob", "cpanel", "Email", "list_pops"],
        &["-p", "tfa", "cpanel", "Ftp", "list_ftp"],
        &[
            "--compact",
            "whm",
            "createacct",
            "username=carol",
            "domain=carol.example",
        ],
    ];
    for args in runs {
        println!("$ cpcall {}", args.join(" "));
        let style = if args.contains(&"--compact") {
            "--compact"
        } else {
            "--pretty"
        };
        let config_arg = config.display().to_string();
        let mut argv = vec!["cpcall", style, "-c", &config_arg];
        argv.extend(args.iter().filter(|a| **a != "--compact"));
        let code = cpcall::internal::run_args(argv);
        println!("(exit {code})\n");
    }
    Ok(())
}
