//! Issue 5: at home in the shell: --data, --jq, colour, completions, config commands.

use crate::common::Fixture;
use crate::emulator::accounts::ROOT;
use crate::emulator::Service;

fn root(f: &Fixture, extra: &str) -> String {
    f.profile(
        "w",
        Service::Whm,
        &format!("token = \"{}\"\n{extra}", ROOT.whm_token.unwrap()),
    )
}

#[test]
fn data_prints_only_the_payload_of_every_api() {
    let f = Fixture::new();
    let bob = f.bob_token("b", Service::Cpanel);
    let cases: Vec<(String, Vec<&str>, serde_json::Value)> = vec![
        (
            root(&f, ""),
            vec!["whm", "version"],
            serde_json::json!({"version": "11.130.0.5"}),
        ),
        (
            bob.clone(),
            vec!["cpanel", "Variables", "get_user_information"],
            serde_json::json!({"user": "bob", "domain": "bob.example", "contact_email": "admin@bob.example"}),
        ),
        (
            root(&f, ""),
            vec!["cpanel", "--user", "bob", "Ftp", "list_ftp"],
            serde_json::json!([{"user": "bob", "type": "main"}, {"user": "anonymous", "type": "anonymous"}]),
        ),
        (
            bob.clone(),
            vec!["cpanel", "--api2", "Email", "listpopswithdisk"],
            serde_json::json!([{"email": "info@bob.example", "diskused": "0"}]),
        ),
        (
            root(&f, ""),
            vec![
                "whm",
                "uapi_cpanel",
                "cpanel.user=bob",
                "cpanel.module=Variables",
                "cpanel.function=get_user_information",
            ],
            serde_json::json!({"user": "bob", "domain": "bob.example", "contact_email": "admin@bob.example"}),
        ),
    ];
    for (config, args, want) in cases {
        let out = f.call(&config, &[&["--data"], &args[..]].concat());
        out.assert_code(0);
        assert_eq!(out.json(), want, "{args:?}");
    }
    // Success is still judged on the whole answer.
    let out = f.call(&root(&f, ""), &["-d", "whm", "createacct"]);
    out.assert_code(1).assert_stderr("API error");
    assert_eq!(out.stdout.trim(), "null");
}

#[test]
fn jq_filters_in_process() {
    let f = Fixture::new();
    let out = f.call(
        &root(&f, ""),
        &[
            "--jq",
            ".data.acct[] | select(.owner == \"root\") | .user",
            "whm",
            "listaccts",
        ],
    );
    out.assert_code(0);
    assert_eq!(out.stdout, "reseller\ncptest\nasder\n");
    let out = f.call(
        &root(&f, ""),
        &[
            "-d",
            "--jq",
            "[.acct[].domain] | length",
            "whm",
            "listaccts",
        ],
    );
    assert_eq!(out.stdout, "4\n");
    f.call(&root(&f, ""), &["--jq", ".data[", "whm", "version"])
        .assert_failure(2, "invalid --jq filter");
    f.call(
        &root(&f, ""),
        &["--jq", ".data.version + 1", "whm", "version"],
    )
    .assert_failure(2, "jq filter error");
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let f = Fixture::new();
    let piped = f.call(&root(&f, ""), &["whm", "version"]);
    assert!(!piped.stdout.contains('\x1b'), "no colour when piped");
    let always = f.call(&root(&f, ""), &["--color", "always", "whm", "version"]);
    assert!(
        always.stdout.contains("\x1b[1;34m\"metadata\"\x1b[0m"),
        "{always:#?}"
    );
    let never = f.call(
        &root(&f, ""),
        &["--color", "never", "--pretty", "whm", "version"],
    );
    assert!(!never.stdout.contains('\x1b'));
    f.call(&root(&f, ""), &["--color", "sometimes", "whm", "version"])
        .assert_code(2);
}
