//! The API's vocabulary offline: `describe`, the call-time checks against the catalogue
//! (warnings, `--strict` in its three forms, batch), the hint when the server does not know a
//! function, and the maintainer's catalogue builder on cPanel's own OpenAPI format.

use crate::common::{have_tool, Fixture};
use crate::emulator::Service;

const CATALOGUE: &str = "(catalogue of cPanel & WHM 138)";

#[test]
fn describe_lists_and_explains_functions_without_a_config_or_a_server() {
    let f = Fixture::new();
    let run = |args: &[&str]| {
        let mut cmd = f.cmd();
        cmd.env("CPCALL_CONFIG", f.path("no-such-config.toml"))
            .args(args);
        f.output(cmd, None)
    };

    let all = run(&["describe", "whm"]);
    all.assert_code(0);
    let line = all.stdout.lines().find(|l| l.starts_with("listaccts "));
    assert!(
        line.is_some_and(|l| l.ends_with("account-management")),
        "{}",
        all.stdout
    );
    assert_eq!(all.stdout.lines().count(), 625, "one line per WHM function");

    // Sections search as they are shown; an empty search is a mistake, not a listing.
    run(&["describe", "--search", "email accounts"])
        .assert_code(0)
        .assert_stdout("add_pop");
    run(&["describe", "--search", " "]).assert_failure(2, "needs a word");

    run(&["describe", "whm", "listaccts"])
        .assert_code(0)
        .assert_stdout("/json-api/listaccts?api.version=1 · POST")
        .assert_stdout("searchmethod  string   one of: exact, regex")
        .assert_stdout("accounts-listaccts.md")
        .assert_stdout(CATALOGUE);
    let createacct = run(&["describe", "whm", "createacct"]);
    // The first parameter, right after "parameters:" (a summary line comes before it when the
    // function has one).
    let first = createacct
        .stdout
        .lines()
        .skip_while(|l| l.trim() != "parameters:")
        .nth(1)
        .unwrap_or_default();
    assert_eq!(
        first.split_whitespace().collect::<Vec<_>>(),
        ["username", "string", "required"],
        "{}",
        createacct.stdout
    );

    let modules = run(&["describe", "cpanel"]);
    modules.assert_code(0);
    assert_eq!(modules.stdout.lines().count(), 101, "{}", modules.stdout);
    run(&["describe", "cpanel", "Email"]).assert_stdout("list_pops ");

    let entry = run(&["describe", "--json", "cpanel", "Email", "add_pop"]);
    entry.assert_code(0);
    let v = entry.json();
    assert_eq!(v["module"], "Email");
    assert_eq!(v["function"], "add_pop");
    let email = &v["params"][0];
    assert_eq!(
        (&email["name"], &email["required"]),
        (&"email".into(), &true.into())
    );
    let welcome = v["params"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "send_welcome_email"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(welcome["enum"], serde_json::json!(["0", "1"]));
    assert_eq!(welcome["default"], "0");

    let found = run(&["describe", "--search", "greylist"]);
    found.assert_code(0);
    assert!(found.stdout.lines().count() >= 10, "{}", found.stdout);
    assert!(
        found.stdout.lines().all(|l| l.contains("greylist")),
        "{}",
        found.stdout
    );

    run(&["describe", "whm", "listacct"]).assert_failure(2, "did you mean listaccts");
    run(&["describe", "cpanel", "Emial"]).assert_failure(2, "did you mean Email");
    run(&["describe", "cpanel", "Email", "list_pop"]).assert_failure(2, "list_pops");
    run(&["describe", "--search", "zzzqqq"]).assert_code(2);
    assert!(f.requests().is_empty(), "describe sends nothing");
}

#[test]
fn an_unknown_parameter_is_a_warning_naming_the_closest_and_the_call_still_goes() {
    let f = Fixture::new();
    f.sends_unknown_params();
    let config = f.root_token("w", "");

    let out = f.call(&config, &["whm", "listaccts", "serach=bob"]);
    out.assert_code(0);
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| !l.contains("chmod 600"))
        .collect();
    assert_eq!(
        warnings,
        [format!(
            "cpcall: warning: serach is not a parameter of listaccts; did you mean search? {CATALOGUE}"
        )],
        "one line"
    );
    let sent = f.last();
    let form = crate::emulator::http::parse_form(&sent.body);
    assert!(
        sent.query().contains("serach=bob")
            || form.iter().any(|(k, v)| k == "serach" && v == "bob"),
        "the server may be newer: sent"
    );

    // A required parameter missing: a warning too.
    f.call(&config, &["whm", "createacct", "domain=new.example"])
        .assert_stderr(&format!(
            "createacct needs username, which is missing {CATALOGUE}"
        ));

    // Never for api.* options, repeated-key forms, or functions the catalogue lacks.
    for args in [
        &[
            "whm",
            "listaccts",
            "api.columns.enable=1",
            "api.columns.a=user",
        ][..],
        &[
            "whm",
            "flush_cphulk_login_history_for_ips",
            "ip-0=192.0.2.1",
            "ip-1=192.0.2.2",
        ],
        &[
            "whm",
            "flush_cphulk_login_history_for_ips",
            "ip=192.0.2.1",
            "ip=192.0.2.2",
        ],
        &["whm", "a_function_newer_than_the_catalogue", "anything=1"],
    ] {
        let out = f.call(&config, args);
        assert!(
            !out.stderr.contains("parameter") && !out.stderr.contains("needs"),
            "{args:?}: {}",
            out.stderr
        );
    }

    // UAPI calls, direct and through WHM for a user, are checked the same way.
    let bob = f.bob_token("b", Service::Cpanel);
    f.call(&bob, &["cpanel", "Email", "list_pops", "regx=^a"])
        .assert_code(0)
        .assert_stderr("regx is not a parameter of Email::list_pops; did you mean regex?");
    f.call(
        &config,
        &["cpanel", "--user", "bob", "Email", "list_pops", "regx=^a"],
    )
    .assert_stderr("regx is not a parameter of Email::list_pops");
}

#[test]
fn strict_refuses_before_sending_from_the_flag_the_variable_and_the_profile() {
    let f = Fixture::new();
    let plain = f.root_token("w", "");
    let strict_profile = f.root_token("s", "strict = true\n");

    let flag = f.call(&plain, &["--strict", "whm", "listaccts", "serach=bob"]);
    flag.assert_failure(
        2,
        "serach is not a parameter of listaccts; did you mean search?",
    )
    .assert_stderr("nothing sent (strict)");

    let mut cmd = f.cmd();
    cmd.env("CPCALL_STRICT", "1")
        .arg("-c")
        .arg(f.config(&plain))
        .args(["whm", "createacct", "domain=new.example"]);
    f.output(cmd, None)
        .assert_failure(2, "createacct needs username");

    f.call(&strict_profile, &["whm", "listaccts", "serach=bob"])
        .assert_failure(2, "serach");
    assert!(f.requests().is_empty(), "strict sends nothing");

    // A clean call passes strict; so does a function the catalogue does not know.
    f.call(&plain, &["--strict", "whm", "listaccts", "search=bob"])
        .assert_code(0);
    assert_eq!(f.requests().len(), 1);

    // CPCALL_STRICT: empty is unset, 0 relaxes a strict profile for one run, garbage is named.
    let with_env = |value: &str, config: &str, args: &[&str]| {
        let mut cmd = f.cmd();
        cmd.env("CPCALL_STRICT", value)
            .arg("-c")
            .arg(f.config(config))
            .args(args);
        f.output(cmd, None)
    };
    with_env("", &plain, &["whm", "version"]).assert_code(0);
    with_env("", &plain, &["describe", "whm", "version"]).assert_code(0);
    f.sends_unknown_params();
    with_env("0", &strict_profile, &["whm", "listaccts", "serach=bob"])
        .assert_code(0)
        .assert_stderr("serach is not a parameter of listaccts");
    with_env("maybe", &plain, &["whm", "listaccts", "serach=bob"])
        .assert_failure(2, "CPCALL_STRICT=maybe is neither 1 nor 0");
}

#[test]
fn batch_checks_every_line_against_the_catalogue_first() {
    let f = Fixture::new();
    f.sends_unknown_params();
    let config = f.root_token("w", "");
    let calls = f.write(
        "calls.txt",
        "whm createacct username=first domain=first.example\nwhm listaccts serach=bob\n",
    );
    let calls = calls.to_str().unwrap_or_default();

    f.call(&config, &["--strict", "batch", calls])
        .assert_failure(2, "line 2")
        .assert_stderr("serach is not a parameter of listaccts");
    assert!(f.requests().is_empty(), "line 1 did not run");

    let out = f.call(&config, &["batch", calls]);
    out.assert_code(0)
        .assert_stderr("batch line 2: serach is not a parameter of listaccts");
    assert_eq!(out.lines().len(), 2, "both ran: {}", out.stdout);
}

#[test]
fn a_function_the_server_does_not_know_gets_the_closest_catalogue_names() {
    let f = Fixture::new();
    let root = f.root_token("w", "");
    f.call(&root, &["whm", "listacct"])
        .assert_code(1)
        .assert_stdout("Unknown app")
        .assert_stderr(
            "cpcall: hint: listacct is not a WHM API 1 function; did you mean listaccts",
        );

    let bob = f.bob_token("b", Service::Cpanel);
    f.call(&bob, &["cpanel", "Emial", "list_pops"])
        .assert_code(1)
        .assert_stderr("hint: Emial is not a UAPI module; did you mean Email");
    f.call(&bob, &["cpanel", "Email", "list_pop"])
        .assert_code(1)
        .assert_stderr("hint: Email has no UAPI function list_pop; did you mean list_pops");

    // In JSON lines (fan-out, batch) the hint travels with the line.
    let calls = f.write("calls.txt", "whm listacct\n");
    let out = f.call(&root, &["batch", calls.to_str().unwrap_or_default()]);
    out.assert_code(1);
    let line = &out.lines()[0];
    assert!(
        line.to_string().contains("did you mean listaccts"),
        "{line}"
    );
}

/// The maintainer's script, on a trimmed official UAPI document (cPanel 11.125): the facts it
/// extracts are the catalogue's, and the first versions the trimmed document lacks are kept
/// from the previous catalogue.
#[test]
fn the_catalogue_builder_reads_cpanels_openapi_documents() {
    if !have_tool("python3", "the catalogue builder is a Python script") {
        return;
    }
    let f = Fixture::new();
    let yaml = std::process::Command::new("python3")
        .args(["-c", "import yaml"])
        .status();
    if !yaml.is_ok_and(|s| s.success()) {
        crate::common::skipped("PyYAML missing: the catalogue builder is not tested");
        assert!(std::env::var_os("CI").is_none(), "CI must install PyYAML");
        return;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = f.path("catalog.json");
    let status = std::process::Command::new("python3")
        .arg(root.join("catalog/build.py"))
        .arg("--uapi")
        .arg(root.join("catalog/testdata/openapi-uapi-sample.yml"))
        .arg("--previous")
        .arg(root.join("catalog/catalog.json"))
        .arg("--out")
        .arg(&out)
        .status();
    assert!(status.is_ok_and(|s| s.success()));
    let read = |p: &std::path::Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap_or_default()).unwrap_or_default()
    };
    let built = read(&out);
    let ours = read(&root.join("catalog/catalog.json"));
    assert_eq!(built["source"]["cpanel_version"], "125");
    assert_eq!(built["whm"], ours["whm"], "the WHM half is kept");
    let mut compared = 0;
    for (module, functions) in built["uapi"].as_object().into_iter().flatten() {
        for (name, entry) in functions.as_object().into_iter().flatten() {
            let known = &ours["uapi"][module][name];
            for fact in ["method", "params", "since", "deprecated"] {
                assert_eq!(entry[fact], known[fact], "{module}::{name} {fact}");
            }
            // The page is the operation's id; 11.125's ids lacked the module prefix that
            // 138's pages carry, so the section and the name are what must agree.
            let page = entry["docs"].as_str().unwrap_or_default();
            let (section, file) = page.rsplit_once('/').unwrap_or_default();
            let known_page = known["docs"].as_str().unwrap_or_default();
            assert!(
                known_page.starts_with(&format!("{section}/")),
                "{page} vs {known_page}"
            );
            assert!(file.ends_with(&format!("{name}.md")), "{page}");
            compared += 1;
        }
    }
    assert_eq!(compared, 5, "the sample's five operations");
    // Prose defaults ("The cPanel account's main domain.") are not facts: dropped.
    let add_pop = &built["uapi"]["Email"]["add_pop"]["params"];
    let domain = add_pop
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "domain"))
        .cloned()
        .unwrap_or_default();
    assert!(domain.get("default").is_none(), "{domain}");
}

/// Functions documented with a placeholder instead of names ("feature name" of
/// update_featurelist) or that hand their keys on (uapi_cpanel) take any key, even under
/// --strict; their placeholders are not offered at TAB.
#[test]
fn functions_that_take_keys_of_the_callers_choosing_are_not_questioned() {
    let f = Fixture::new();
    f.sends_unknown_params();
    let config = f.root_token("w", "");
    let out = f.call(
        &config,
        &[
            "--strict",
            "whm",
            "update_featurelist",
            "featurelist=default",
            "addoncgi=1",
        ],
    );
    assert!(!out.stderr.contains("nothing sent"), "{}", out.stderr);
    assert!(!out.stderr.contains("not a parameter"), "{}", out.stderr);
    assert_eq!(f.requests().len(), 1, "the call went out");

    let mut cmd = f.cmd();
    cmd.env("COMPLETE", "fish")
        .args(["--", "cpcall", "whm", "update_featurelist", ""]);
    let offered = f.output(cmd, None);
    assert!(
        offered.stdout.contains("featurelist="),
        "{}",
        offered.stdout
    );
    assert!(
        !offered.stdout.contains("feature name"),
        "{}",
        offered.stdout
    );
}

/// `--strict` refuses what the catalogue does not know — a WHM function, a UAPI module or
/// function — and a value outside a parameter's listed set, with the closest names; without it
/// each is a warning and the call goes (the server may be newer).
#[test]
fn strict_refuses_unknown_names_and_values_outside_their_set() {
    let f = Fixture::new();
    f.sends_unknown_params();
    let config = f.config(&format!(
        "{}{}",
        f.root_token("w", ""),
        f.bob_token("b", crate::emulator::Service::Cpanel)
    ));
    let cases: [(&[&str], &str); 5] = [
        (&["-p", "w", "whm", "listacct"], "listacct is not a WHM API 1 function; did you mean listaccts"),
        (&["-p", "b", "cpanel", "Emial", "list_pops"], "Emial is not a UAPI module; did you mean Email"),
        (&["-p", "b", "cpanel", "Email", "list_pop"], "Email has no UAPI function list_pop; did you mean list_pops"),
        (
            &["-p", "w", "whm", "create_user_session", "user=bob", "service=cpanel"],
            "service=cpanel is not a value create_user_session takes for service: one of cpaneld, whostmgrd, webmaild; did you mean cpaneld?",
        ),
        (
            &["-p", "w", "whm", "listaccts", "searchmethod=fuzzy"],
            "searchmethod=fuzzy is not a value listaccts takes for searchmethod",
        ),
    ];
    for (args, says) in cases {
        let sent = f.requests().len();
        f.run(&[&["-c", &config, "--strict"], args].concat())
            .assert_failure(2, says)
            .assert_stderr("nothing sent (strict)");
        assert_eq!(f.requests().len(), sent, "{args:?}: nothing sent");
        let out = f.run(&[&["-c", &config], args].concat());
        out.assert_stderr(&format!("warning: {says}"));
        assert_eq!(
            f.requests().len(),
            sent + 1,
            "{args:?}: sent without --strict"
        );
    }
    // A catalogued older spelling stands for the parameter it replaced: removeacct user=.
    let out = f.run(&[
        "-c",
        &config,
        "-p",
        "w",
        "--strict",
        "whm",
        "removeacct",
        "user=bob",
    ]);
    assert!(!out.stderr.contains("needs username"), "{out:#?}");
    assert_ne!(out.code, 2, "{out:#?}");
    f.run(&["-c", &config, "-p", "w", "--strict", "whm", "removeacct"])
        .assert_failure(2, "removeacct needs username");
}

/// A strict batch sends nothing when any line is questioned (line 2 stops line 1); `batch
/// --check` reports every line's problem and sends nothing, whatever the lines say.
#[test]
fn strict_batches_and_batch_check_send_nothing() {
    let f = Fixture::new();
    let config = f.config(&f.root_token("w", ""));
    let calls = f.write(
        "calls.txt",
        "whm version\nwhm listacct\nwhm listaccts searchmethod=fuzzy\nwhm createacct domain=x.example\nwhm version api.version=2\n",
    );
    let calls = calls.to_str().unwrap();
    f.run(&["-c", &config, "--strict", "batch", calls])
        .assert_failure(2, "batch line 2: listacct is not a WHM API 1 function");
    assert!(f.requests().is_empty(), "line 1 was not sent");
    let out = f.run(&["-c", &config, "--strict", "batch", "--check", calls]);
    out.assert_code(2)
        .assert_stderr("batch line 2: listacct is not")
        .assert_stderr("batch line 3: searchmethod=fuzzy")
        .assert_stderr("batch line 4: createacct needs username")
        .assert_stderr("batch line 5: api.version is set by cpcall")
        .assert_stderr("checked 5 calls: 4 with problems; nothing sent");
    // Without --strict only the line cpcall cannot send at all is a problem.
    let out = f.run(&["-c", &config, "batch", "--check", calls]);
    out.assert_code(2)
        .assert_stderr("checked 5 calls: 1 with problems");
    assert!(out.stdout.is_empty());
    let good = f.write("good.txt", "whm version\nwhm listaccts search=bob\n");
    f.run(&["-c", &config, "batch", "--check", good.to_str().unwrap()])
        .assert_code(0)
        .assert_stderr("checked 2 calls: nothing sent");
    assert!(f.requests().is_empty(), "--check never sends");
}
