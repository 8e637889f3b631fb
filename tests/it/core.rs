//! The core: WHM API 1 and UAPI calls with every credential kind, profiles, TLS modes, output
//! and exit codes.

use crate::common::Fixture;
use crate::emulator::accounts::{self, ASDER, BOB, CPTEST, RESELLER, ROOT};
use crate::emulator::{Options, Service};

fn token_profile(f: &Fixture) -> String {
    f.profile(
        "prod",
        Service::Whm,
        &format!("token = \"{}\"", ROOT.whm_token.unwrap()),
    )
}

fn auth_header(f: &Fixture) -> String {
    let last = f.requests().pop().expect("a request");
    last.request
        .header("Authorization")
        .expect("Authorization")
        .to_string()
}

#[test]
fn whm_call_with_root_token_posts_form_and_prints_json() {
    let f = Fixture::new();
    let out = f.call(
        &token_profile(&f),
        &["whm", "listaccts", "search=bob", "searchtype=user"],
    );
    out.assert_code(0);
    let json = out.json();
    assert_eq!(json["metadata"]["result"], 1);
    assert_eq!(json["data"]["acct"][0]["user"], "bob");
    assert_eq!(json["data"]["acct"].as_array().unwrap().len(), 1);
    let req = f.last();
    assert_eq!(req.method, "POST");
    assert_eq!(req.target, "/json-api/listaccts?api.version=1");
    assert_eq!(req.body, b"search=bob&searchtype=user");
    assert_eq!(
        req.header("Content-Type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        auth_header(&f),
        format!("whm root:{}", ROOT.whm_token.unwrap())
    );
}

#[test]
fn get_puts_every_parameter_in_the_query() {
    let f = Fixture::new();
    f.call(
        &token_profile(&f),
        &["--get", "whm", "listaccts", "search=a b&c"],
    )
    .assert_code(0);
    let req = f.last();
    assert_eq!(req.method, "GET");
    assert_eq!(
        req.target,
        "/json-api/listaccts?api.version=1&search=a+b%26c"
    );
    assert!(req.body.is_empty());
}

#[test]
fn repeated_keys_files_and_stdin_are_sent_in_order() {
    let f = Fixture::new();
    // Keys made up to show the encoding, not cPanel's parameters.
    f.sends_unknown_params();
    let pw = f.write("pw.txt", "from-a-file\n");
    let mut cmd = f.cmd();
    cmd.arg("-c").arg(f.config(&token_profile(&f))).args([
        "whm",
        "createacct",
        "username=carol",
        "domain=carol.example",
        "k=1",
        "k=2",
        "k=1",
    ]);
    cmd.arg(format!("password=@{}", pw.display()))
        .arg("note=@-")
        .arg("lit=\\@x");
    f.output(cmd, Some("from stdin\n")).assert_code(0);
    let req = f.last();
    assert_eq!(
        String::from_utf8(req.body).unwrap(),
        "username=carol&domain=carol.example&k=1&k=2&k=1&password=from-a-file&note=from+stdin&lit=%40x"
    );
    let out = f.call(&token_profile(&f), &["whm", "listaccts", "search=carol"]);
    assert_eq!(out.json()["data"]["acct"][0]["domain"], "carol.example");
}

#[test]
fn accesshash_from_a_multi_line_file() {
    let f = Fixture::new();
    let hash = f.write("accesshash", accounts::ROOT_ACCESSHASH);
    let profile = f.profile(
        "prod",
        Service::Whm,
        &format!(
            "auth = \"accesshash\"\naccesshash_file = \"{}\"",
            hash.display()
        ),
    );
    f.call(&profile, &["whm", "version"]).assert_code(0);
    assert_eq!(
        auth_header(&f),
        format!("WHM root:{}", accounts::root_accesshash_joined())
    );
}

#[test]
fn reseller_token_sees_only_its_accounts() {
    let f = Fixture::new();
    let profile = f.profile(
        "r",
        Service::Whm,
        "user = \"reseller\"\ntoken_env = \"RESELLER_TOKEN\"",
    );
    let mut cmd = f.cmd();
    cmd.arg("-c")
        .arg(f.config(&profile))
        .args(["whm", "listaccts"])
        .env("RESELLER_TOKEN", RESELLER.whm_token.unwrap());
    let out = f.output(cmd, None);
    out.assert_code(0);
    let users: Vec<_> = out.json()["data"]["acct"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["user"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(users, ["bob"]);
}

#[test]
fn uapi_with_cpanel_token() {
    let f = Fixture::new();
    let profile = f.profile(
        "bob",
        Service::Cpanel,
        &format!(
            "user = \"bob\"\ntoken_command = \"printf {}\"",
            BOB.cpanel_token.unwrap()
        ),
    );
    let out = f.call(&profile, &["cpanel", "Email", "list_pops"]);
    out.assert_code(0);
    assert_eq!(out.json()["data"][0]["email"], "info@bob.example");
    let req = f.last();
    assert_eq!(req.target, "/execute/Email/list_pops");
    assert_eq!(
        req.header("Authorization").unwrap(),
        format!("cpanel bob:{}", BOB.cpanel_token.unwrap())
    );
}

#[test]
fn uapi_with_password() {
    let f = Fixture::new();
    let profile = f.password_profile("bob", Service::Cpanel, &BOB);
    let out = f.call(&profile, &["cpanel", "Variables", "get_user_information"]);
    out.assert_code(0);
    assert_eq!(out.json()["data"]["user"], "bob");
    assert!(auth_header(&f).starts_with("Basic "));
}

#[test]
fn password_with_totp_sends_a_valid_otp_and_without_it_is_refused() {
    let f = Fixture::new();
    let base = format!("user = \"cptest\"\npassword = \"{}\"", CPTEST.password);
    let with_totp = f.profile(
        "c",
        Service::Cpanel,
        &format!("{base}\ntotp_secret = \"qsar bvkl zhyh lj3m\""),
    );
    f.call(&with_totp, &["cpanel", "Ftp", "list_ftp"])
        .assert_code(0);
    assert!(f.last().header("X-CPANEL-OTP").is_some());

    let without = f.profile("c", Service::Cpanel, &base);
    f.call(&without, &["cpanel", "Ftp", "list_ftp"])
        .assert_failure(3, "two-factor");
    assert_eq!(f.requests().len(), 2, "a refused 2FA call is not retried");
}

#[test]
fn whm_password_with_2fa_for_a_reseller() {
    let f = Fixture::new();
    let profile = f.tfa_profile("a", Service::Whm, &ASDER, "");
    let out = f.call(&profile, &["whm", "applist"]);
    out.assert_code(0);
    assert_eq!(out.json()["metadata"]["command"], "applist");
}

#[test]
fn refused_credentials_exit_3_with_nothing_on_stdout() {
    let f = Fixture::new();
    let cases = [
        (Service::Whm, "token = \"WRONGTOKEN\"", "whm"),
        (
            Service::Cpanel,
            "user = \"bob\"\ntoken = \"WRONGTOKEN\"",
            "cpanel",
        ),
        (
            Service::Cpanel,
            "user = \"bob\"\npassword = \"wrong\"",
            "cpanel",
        ),
    ];
    for (service, creds, sub) in cases {
        let profile = f.profile("p", service, creds);
        let args: &[&str] = if sub == "whm" {
            &["whm", "version"]
        } else {
            &["cpanel", "Email", "list_pops"]
        };
        f.call(&profile, args).assert_failure(3, "access denied");
    }
}

#[test]
fn whm_token_on_the_cpanel_port_is_refused() {
    let f = Fixture::new();
    let profile = format!(
        "{}port = {}\n",
        token_profile(&f).replace(&format!("port = {}\n", f.emu.port(Service::Whm, true)), ""),
        f.emu.port(Service::Cpanel, true)
    );
    f.call(&profile, &["whm", "version"])
        .assert_failure(3, "access denied");
}

#[test]
fn whm_calls_on_a_cpanel_profile_and_uapi_on_whm_are_usage_errors() {
    let f = Fixture::new();
    let cpanel = f.profile("c", Service::Cpanel, "user = \"bob\"\ntoken = \"x\"");
    f.call(&cpanel, &["whm", "version"])
        .assert_failure(2, "WHM API calls need WHM credentials");
    f.call(&token_profile(&f), &["cpanel", "Email", "list_pops"])
        .assert_failure(2, "WHM profile");
    assert!(f.requests().is_empty(), "nothing was sent");
}

#[test]
fn api_failures_exit_1_and_still_print_the_json() {
    let f = Fixture::new();
    let out = f.call(
        &token_profile(&f),
        &["whm", "createacct", "username=bob", "domain=x.example"],
    );
    out.assert_code(1)
        .assert_stderr("API error: Sorry, a group for that username already exists");
    assert_eq!(out.json()["metadata"]["result"], 0);

    let bob = f.bob_token("b", Service::Cpanel);
    let out = f.call(&bob, &["cpanel", "Email", "add_pop", "email=x"]);
    out.assert_code(1)
        .assert_stderr("API error: You must specify");
    assert_eq!(out.json()["status"], 0);

    let out = f.call(&token_profile(&f), &["whm", "nosuchfunction"]);
    out.assert_code(1).assert_stderr("Unknown app");
}

#[test]
fn uapi_warnings_go_to_stderr_on_success() {
    let f = Fixture::new();
    let bob = f.bob_token("b", Service::Cpanel);
    f.call(&bob, &["cpanel", "Mysql", "list_databases"])
        .assert_code(0)
        .assert_stderr("warning: The database list may be incomplete.");
}

#[test]
fn string_flags_are_understood() {
    let f = Fixture::with(Options {
        string_flags: true,
        ..Options::default()
    });
    let out = f.call(&token_profile(&f), &["whm", "version"]);
    out.assert_code(0);
    assert_eq!(out.json()["metadata"]["result"], "1");
    f.call(&token_profile(&f), &["whm", "createacct"])
        .assert_code(1);
    let bob = f.bob_token("b", Service::Cpanel);
    f.call(&bob, &["cpanel", "Email", "list_pops"])
        .assert_code(0);
    f.call(&bob, &["cpanel", "Email", "add_pop"]).assert_code(1);
}

#[test]
fn tls_modes() {
    let f = Fixture::new();
    let token = format!("token = \"{}\"", ROOT.whm_token.unwrap());
    let port = f.emu.port(Service::Whm, true);
    let base = format!("[profiles.p]\nhost = \"127.0.0.1\"\nport = {port}\n{token}\n");

    let out = f.call(&base, &["whm", "version"]);
    out.assert_failure(4, "not signed by a trusted CA");
    assert!(
        out.stderr
            .contains(&crate::emulator::accounts::fingerprint_hint(
                &f.emu.pin_hex()
            )),
        "{out:#?}"
    );

    f.call(
        &format!("{base}ca_file = \"{}\"\n", f.ca_file().display()),
        &["whm", "version"],
    )
    .assert_code(0);
    f.call(
        &format!(
            "[profiles.p]\nhost = \"localhost\"\nport = {port}\n{token}\nca_file = \"{}\"\n",
            f.ca_file().display()
        ),
        &["whm", "version"],
    )
    .assert_code(0);

    let pin = f.emu.pin_hex();
    f.call(
        &format!("{base}pin_sha256 = \"{pin}\"\n"),
        &["whm", "version"],
    )
    .assert_code(0);
    let colons: Vec<String> = pin
        .as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).to_uppercase())
        .collect();
    f.call(
        &format!("{base}pin_sha256 = \"{}\"\n", colons.join(":")),
        &["whm", "version"],
    )
    .assert_code(0);

    let wrong = format!(
        "{}{}",
        &pin[..63],
        if pin.ends_with('0') { "1" } else { "0" }
    );
    f.call(
        &format!("{base}pin_sha256 = \"{wrong}\"\n"),
        &["whm", "version"],
    )
    .assert_failure(4, "does not match the pin of profile \"p\"")
    .assert_stderr("-p p trust --replace");

    let out = f.call(&format!("{base}insecure = true\n"), &["whm", "version"]);
    out.assert_code(0)
        .assert_stderr("warning: TLS certificate verification is off");
    let out = f.call(&base, &["--insecure", "whm", "version"]);
    out.assert_code(0)
        .assert_stderr("warning: TLS certificate verification is off");
    assert_eq!(
        f.requests().len(),
        6,
        "refused handshakes never reach the server"
    );
}

#[test]
fn plain_http_ports() {
    let f = Fixture::new();
    let profile = format!(
        "[profiles.p]\nhost = \"127.0.0.1\"\nport = {}\ntls = false\ntoken = \"{}\"\n",
        f.emu.port(Service::Whm, false),
        ROOT.whm_token.unwrap()
    );
    f.call(&profile, &["whm", "version"]).assert_code(0);
    assert!(!f.requests().pop().unwrap().tls);
    // TLS spoken to a plain port, and plain HTTP to a TLS port, fail with a hint.
    let tls_to_plain = profile.replace("tls = false\n", "insecure = true\n");
    f.call(&tls_to_plain, &["whm", "version"])
        .assert_failure(4, "tls = false");
    let plain_to_tls = profile.replace(
        &f.emu.port(Service::Whm, false).to_string(),
        &f.emu.port(Service::Whm, true).to_string(),
    );
    f.call(&plain_to_tls, &["whm", "version"]).assert_code(4);
}

#[test]
fn no_config_file_needed_with_host_and_environment() {
    let f = Fixture::new();
    let port = f.emu.port(Service::Whm, true).to_string();
    let mut cmd = f.cmd();
    cmd.args([
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--insecure",
        "whm",
        "version",
    ])
    .env("CPCALL_USER", "root")
    .env("CPCALL_TOKEN", ROOT.whm_token.unwrap());
    f.output(cmd, None).assert_code(0);

    let cport = f.emu.port(Service::Cpanel, true).to_string();
    let mut cmd = f.cmd();
    cmd.args([
        "--host",
        "127.0.0.1",
        "--port",
        &cport,
        "--service",
        "cpanel",
        "--insecure",
        "cpanel",
        "Ftp",
        "list_ftp",
    ])
    .env("CPCALL_USER", "cptest")
    .env("CPCALL_PASSWORD", CPTEST.password)
    .env("CPCALL_TOTP_SECRET", CPTEST.totp.unwrap());
    f.output(cmd, None).assert_code(0);
}

#[test]
fn default_config_path_and_default_profile() {
    let f = Fixture::new();
    let dir = f.path("xdg-config/cpcall");
    std::fs::create_dir_all(&dir).unwrap();
    let text = format!(
        "default_profile = \"b\"\n{}{}",
        f.profile("a", Service::Whm, "token = \"WRONG\""),
        token_profile(&f).replace("profiles.prod", "profiles.b")
    );
    std::fs::write(dir.join("config.toml"), text).unwrap();
    f.run(&["whm", "version"]).assert_code(0);
    f.run(&["-p", "a", "whm", "version"]).assert_code(3);
    let mut cmd = f.cmd();
    cmd.args(["whm", "version"]).env("CPCALL_PROFILE", "nope");
    f.output(cmd, None)
        .assert_failure(2, "known profiles: a, b");
    // Set but empty is unset, as with most tools.
    let mut cmd = f.cmd();
    cmd.args(["whm", "version"])
        .env("CPCALL_CONFIG", "")
        .env("CPCALL_PROFILE", "")
        .env("CPCALL_SERVICE", "");
    f.output(cmd, None).assert_code(0);
}

#[test]
fn international_host_names_are_sent_in_ascii() {
    let f = Fixture::new();
    let mut cmd = f.cmd();
    cmd.args(["--host", "bücher.invalid", "whm", "version"])
        .env("CPCALL_TOKEN", "x");
    f.output(cmd, None)
        .assert_failure(4, "cannot resolve host \"xn--bcher-kva.invalid\"");
}

#[test]
fn output_styles() {
    let f = Fixture::new();
    let piped = f.call(&token_profile(&f), &["whm", "version"]);
    assert_eq!(
        piped.stdout.lines().count(),
        1,
        "piped output is as received"
    );
    let pretty = f.call(&token_profile(&f), &["--pretty", "whm", "version"]);
    assert!(pretty.stdout.starts_with("{\n  \""), "{pretty:?}");
    assert_eq!(pretty.json(), piped.json());
    let compact = f.call(&token_profile(&f), &["whm", "version", "--compact"]);
    assert_eq!(compact.stdout.lines().count(), 1);
    assert_eq!(compact.json(), piped.json());
}

#[test]
fn verbose_shows_the_exchange_with_secrets_masked() {
    let f = Fixture::new();
    let out = f.call(
        &token_profile(&f),
        &[
            "-v",
            "whm",
            "createacct",
            "username=dave",
            "domain=dave.example",
            "password=Sup3r-Secret-Value",
        ],
    );
    out.assert_code(0)
        .assert_stderr("> POST /json-api/createacct?api.version=1")
        .assert_stderr("> Authorization: ***")
        .assert_stderr("password=***")
        .assert_stderr("< HTTP 200");
    assert!(!out.stderr.contains("Sup3r-Secret-Value"), "{out:#?}");
}

#[test]
fn configuration_errors_exit_2_with_one_line() {
    let f = Fixture::new();
    let cases = [
        ("[profiles.p]\nhots = \"x\"\n", "config.toml:2:1"),
        (
            "[profiles.p]\nhost = \"h\"\nport = \"x\"\n",
            "config.toml:3:8",
        ),
        (
            "[profiles.p]\nhost = \"h\"\nauth = \"kerberos\"\ntoken = \"t\"\n",
            "kerberos",
        ),
        (
            "[profiles.p]\nhost = \"h\"\ntoken_file = \"/nonexistent/tok\"\n",
            "/nonexistent/tok",
        ),
        (
            "[profiles.p]\nhost = \"h\"\ntoken_env = \"CPCALL_TEST_UNSET\"\n",
            "$CPCALL_TEST_UNSET",
        ),
        (
            "[profiles.p]\nhost = \"h\"\ntoken_command = \"exit 7\"\n",
            "status 7",
        ),
        (
            "[profiles.p]\nhost = \"h\"\nuser = \"u\"\npassword = \"p\"\ntotp_secret = \"!!\"\n",
            "base32",
        ),
        (
            "[profiles.p]\nhost = \"h\"\ntoken = \"t\"\npin_sha256 = \"zz\"\n",
            "64 hex digits",
        ),
        (
            "[profiles.p]\nhost = \"h\"\ntoken = \"t\"\nca_file = \"/nonexistent/ca.pem\"\n",
            "/nonexistent/ca.pem",
        ),
    ];
    for (text, want) in cases {
        f.call(text, &["whm", "version"]).assert_failure(2, want);
    }
    let ok = token_profile(&f);
    f.call(&ok, &["whm", "version", "user"])
        .assert_failure(2, "has no `=`");
    f.call(&ok, &["whm", "version", "a=@/nonexistent/file"])
        .assert_failure(2, "/nonexistent/file");
    f.call(&ok, &["--port", "70000", "whm", "version"])
        .assert_code(2);
    f.run(&["-c", "/nonexistent/cpcall.toml", "whm", "version"])
        .assert_failure(2, "/nonexistent/cpcall.toml");
    assert!(f.requests().is_empty());
}

#[test]
fn connection_refused_is_a_transport_failure() {
    let f = Fixture::new();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let profile = format!("[profiles.p]\nhost = \"127.0.0.1\"\nport = {port}\ntoken = \"x\"\n");
    f.call(&profile, &["whm", "version"])
        .assert_failure(4, "connection refused");
}

/// A credential given explicitly is never dropped: CPCALL_* variables fill a profile that has
/// none, and clash (exit 2, naming both) with one that has its own.
#[test]
fn environment_credentials_and_profiles() {
    let f = Fixture::new();
    let bare = f.profile("bare", Service::Whm, "user = \"root\"");
    let mut cmd = f.cmd();
    cmd.arg("-c")
        .arg(f.config(&format!("{bare}{}", f.root_token("own", ""))))
        .args(["-p", "bare", "whm", "version"])
        .env("CPCALL_TOKEN", ROOT.whm_token.unwrap());
    f.output(cmd, None).assert_code(0);
    let mut cmd = f.cmd();
    cmd.arg("-c")
        .arg(f.path("config.toml"))
        .args(["--host", "other.example", "whm", "version"])
        .env("CPCALL_PROFILE", "own")
        .env("CPCALL_TOKEN", "meant-for-other");
    f.output(cmd, None)
        .assert_failure(2, "$CPCALL_PROFILE names profile \"own\"");
    // A profile's secrets never follow --host by accident: not from CPCALL_PROFILE (with or
    // without credentials in the environment), not to every profile at once, and a user name
    // from the environment never pairs with a profile's own secret.
    for (args, vars, want) in [
        (
            &["--host", "other.example", "whm", "version"][..],
            &[("CPCALL_PROFILE", "own")][..],
            "$CPCALL_PROFILE names profile",
        ),
        (
            &["--all", "--host", "other.example", "whm", "version"],
            &[],
            "cannot go with several profiles",
        ),
        (
            &["-p", "own", "whm", "version"],
            &[("CPCALL_USER", "bob")],
            "$CPCALL_USER is bob",
        ),
        (
            &["-p", "own", "whm", "version"],
            &[("CPCALL_TOKEN", "meant-for-other")],
            "$CPCALL_TOKEN is set, and profile \"own\" has its own token",
        ),
    ] {
        let mut cmd = f.cmd();
        cmd.arg("-c").arg(f.path("config.toml")).args(args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        f.output(cmd, None).assert_failure(2, want);
    }
    assert_eq!(f.requests().len(), 1);
}

/// A function on the wrong port answers "Permission denied" / "Function not found" (as a
/// status or as JSON): cpcall's message names the port that was likely meant.
#[test]
fn the_wrong_port_is_named() {
    for json_form in [false, true] {
        let f = Fixture::with(crate::emulator::Options {
            wrong_port_json: json_form,
            ..Default::default()
        });
        let cpanel_port = f.emu.port(Service::Cpanel, true);
        let whm_on_cpanel = format!(
            "[profiles.p]\nhost = \"127.0.0.1\"\nport = {cpanel_port}\nservice = \"whm\"\nca_file = \"{}\"\nuser = \"bob\"\npassword = \"{}\"\n",
            f.ca_file().display(),
            crate::emulator::accounts::BOB.password
        );
        let out = f.call(&whm_on_cpanel, &["whm", "listaccts"]);
        assert!(out.code == 1 || out.code == 3, "{out:#?}");
        out.assert_stderr(&format!(
            "is {cpanel_port} the whm port? (its default is 2087"
        ));
        let root_password = f
            .profile(
                "r",
                Service::Cpanel,
                &format!("user = \"root\"\npassword = \"{}\"", ROOT.password),
            )
            .replace(
                &format!("port = {cpanel_port}"),
                &format!("port = {}", f.emu.port(Service::Whm, true)),
            );
        let out = f.call(&root_password, &["cpanel", "Email", "list_pops"]);
        assert!(out.code != 0, "{out:#?}");
        out.assert_stderr("the cpanel port? (its default is 2083");
        // doctor gives the same advice, in either form of the answer.
        f.call(&whm_on_cpanel, &["doctor"])
            .assert_code(1)
            .assert_stdout(&format!("is {cpanel_port} the whm port?"));
        if json_form {
            // A hint, not one of the API's reasons.
            let out = f.call(&whm_on_cpanel, &["whm", "listaccts"]);
            out.assert_stderr("cpcall: hint: is ");
        }
    }
}
