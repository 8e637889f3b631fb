//! Reports people read: `--jq` as complete as jq for everyday filters (checked beside the
//! system jq on the same input), and filters that never end stopped cleanly.

use crate::common::Fixture;

/// A filter that recurses without end, or loops, ends the run with exit 2 and one line, and
/// leaves no `-o` temporary file or half-written output behind.
#[test]
fn endless_filters_end_cleanly() {
    let f = Fixture::new();
    let out = f.path("report.json");
    std::fs::write(&out, "yesterday\n").unwrap();
    let config = f.root_token("w", "");
    for (filter, says) in [
        ("def f: [f]; f", "recursed too deep"),
        ("def f: f; f", "still running after 2 s"),
        ("[range(1e15)] | length", "still running after 2 s"),
    ] {
        f.call(
            &config,
            &["--timeout", "2", "whm", "version", "--jq", filter, "-o"]
                .into_iter()
                .chain([out.to_str().unwrap()])
                .collect::<Vec<_>>(),
        )
        .assert_failure(2, says);
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "yesterday\n");
        let left: Vec<_> = std::fs::read_dir(f.dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".cpcall-") && n.ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "{filter}: left {left:?}");
    }
}

/// A listing with what reports trip on: quotes, commas, tabs and line breaks in strings,
/// non-ASCII, nulls, booleans, numbers as numbers and as strings, nesting.
const LISTING: &str = r#"{"metadata":{"version":1,"reason":"OK","result":1,"command":"listaccts"},"data":{"acct":[{"user":"bob","domain":"bob.example","plan":"gold \"VIP\", yearly","diskused":"120M","disklimit":"unlimited","suspended":0,"ip":"192.0.2.10","email":"bob@bob.example","owner":"root","notes":"line one\nline two\ttabbed \\ slash","startdate":1700000000,"tags":["a","b"]},{"user":"amy","domain":"élan.example","plan":"default","diskused":"2048M","disklimit":"5000M","suspended":1,"ip":null,"email":"amy@élan.example","owner":"reseller","notes":"","startdate":1600000000,"tags":[]}]}}"#;

/// The everyday filters of a report, each run by `cpcall --jq` on the emulator's answer and by
/// the system jq (`jq -c -r`, the same variables) on the same bytes: the outputs must match.
#[test]
fn jq_features_match_the_system_jq() {
    if !crate::common::have_tool("jq", "the system jq is the reference for --jq") {
        return;
    }
    let f = Fixture::with(crate::emulator::Options {
        canned: vec![(
            "listaccts".into(),
            std::sync::Arc::new(LISTING.as_bytes().to_vec()),
        )],
        ..Default::default()
    });
    let config = f.root_token("w", "");
    let filters = [
        ".data.acct[] | [.user, .domain, .plan, .suspended, .ip] | @csv",
        ".data.acct[] | [.user, .notes, .suspended, .ip] | @tsv",
        ".data.acct[] | [.user, .domain] | @sh",
        r#".data.acct[] | @sh "echo \(.user) \(.plan)""#,
        ".data.acct[].email | @base64",
        ".data.acct[].email | @base64 | @base64d",
        ".data.acct[].plan | @uri",
        r#".data.acct[] | @uri "https://x.example/?u=\(.user)&p=\(.plan)""#,
        ".data.acct[0] | @html",
        ".data.acct[0].tags | @json",
        "$ENV.HOME",
        "env.HOME",
        "$u, $n + 1, $ARGS.named.u",
        ".data.acct[] | select(.user == $u) | .domain",
        "getpath([\"data\", \"acct\", 0, \"user\"])",
        "getpath([\"nope\", \"deeper\"])",
        ".data.acct[].diskused | ltrimstr(\"1\") | rtrimstr(\"M\")",
        "[.data.acct[0].notes | splits(\"\\\\s+\")]",
        "[.data.acct[1] | tostream] | length",
        "[.data.acct[0].tags | tostream]",
        "fromstream(.data.acct[0] | tostream) == .data.acct[0]",
        "[.data.acct[] | {user, used: (.diskused | rtrimstr(\"M\") | tonumber)}] | sort_by(-.used) | .[0].user",
        ".data.acct | map(select(.suspended == 1)) | length",
        ".data.acct | group_by(.owner) | map({owner: .[0].owner, n: length})",
        "[.data.acct[].startdate | todate]",
        ".data.acct[] | \"\\(.user)\\t\\(.domain)\"",
        "[paths(type == \"number\")] | length",
        "[leaf_paths] | length",
        ".data.acct | to_entries | map(.key)",
        "[.data.acct[] | .user | ascii_upcase]",
        "[limit(1; .data.acct[])] | length",
        ".data.acct | map(.tags | length) | add",
        "[.data.acct[] | .domain | test(\"^é\")]",
        "[.data.acct[].user | sub(\"b\"; \"B\")]",
        ".data.acct | map(.user) | join(\", \")",
        "null | setpath([\"a\", 1, \"b\"]; 5)",
        ".data.acct[0] | with_entries(select(.value | type == \"string\")) | keys",
        "[.data.acct[] | .ip // \"none\"]",
        ".metadata | tojson | fromjson | .command",
        "[splits(\"x\")?] | length",
        "[inputs] | length",
    ];
    let answer = f
        .call(&config, &["whm", "listaccts"])
        .assert_code(0)
        .stdout
        .clone();
    let mut wrong = Vec::new();
    for filter in filters {
        let ours = f.call(
            &config,
            &[
                "whm",
                "listaccts",
                "--arg",
                "u",
                "bob",
                "--argjson",
                "n",
                "41",
                "--jq",
                filter,
            ],
        );
        let mut jq = std::process::Command::new("jq");
        jq.args([
            "-c",
            "-r",
            "--arg",
            "u",
            "bob",
            "--argjson",
            "n",
            "41",
            filter,
        ])
        .env("HOME", f.dir.path());
        let theirs = f.output(jq, Some(&answer));
        if (ours.code, &ours.stdout) != (theirs.code, &theirs.stdout) {
            wrong.push(format!(
                "{filter}\n  cpcall ({}): {:?} {}\n  jq ({}): {:?}",
                ours.code, ours.stdout, ours.stderr, theirs.code, theirs.stdout
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // What jq cannot be beside: `input` has nothing after the one answer, and $ENV never shows
    // a credential cpcall knows.
    f.call(&config, &["whm", "listaccts", "--jq", "input"])
        .assert_failure(2, "no more inputs");
    let by_env = f.profile(
        "e",
        crate::emulator::Service::Whm,
        "token_env = \"ROOT_TOK\"",
    );
    let mut cmd = f.cmd();
    cmd.env(
        "ROOT_TOK",
        crate::emulator::accounts::ROOT.whm_token.unwrap(),
    )
    .env("CPCALL_OTP", "123456")
    .arg("-c")
    .arg(f.private_config(&by_env))
    .args([
        "whm",
        "listaccts",
        "--jq",
        "[$ENV, env] | map(has(\"ROOT_TOK\"), has(\"CPCALL_OTP\"), has(\"HOME\"))",
    ]);
    f.output(cmd, None)
        .assert_code(0)
        .assert_stdout("[false,false,true,false,false,true]");
}
