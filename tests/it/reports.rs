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

/// An emulator whose `listaccts` answers [`LISTING`], and a root profile for it.
fn listing_server() -> (Fixture, String) {
    let f = Fixture::with(crate::emulator::Options {
        canned: vec![(
            "listaccts".into(),
            std::sync::Arc::new(LISTING.as_bytes().to_vec()),
        )],
        ..Default::default()
    });
    let config = f.root_token("w", "");
    (f, config)
}

/// The variables both jq's get: `$u` given twice (the first wins), `$n` as JSON.
const VARIABLES: [&str; 9] = [
    "--arg",
    "u",
    "bob",
    "--arg",
    "u",
    "amy",
    "--argjson",
    "n",
    "41",
];

/// The everyday filters of a report, each run by `cpcall --jq` on the emulator's answer and by
/// the system jq (`jq -c -r`, the same variables) on the same bytes: the outputs must match.
#[test]
fn jq_features_match_the_system_jq() {
    if !crate::common::have_tool("jq", "the system jq is the reference for --jq") {
        return;
    }
    let (f, config) = listing_server();
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
        "[.data.acct[] | [.user, .ip, .suspended] | join(\",\")]",
        "[.data.acct[].ip | ltrimstr(\"192.\") | rtrimstr(\".10\")]",
        "[.data.acct[].tags | ltrimstr(\"a\")]",
        "\"YWJj\", \"YWI\" | @base64d",
        ".data.acct | INDEX(.user) | keys",
        "[.data.acct[] | select(.owner | IN(\"root\", \"nobody\")) | .user]",
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
            &[&["whm", "listaccts"][..], &VARIABLES, &["--jq", filter]].concat(),
        );
        let mut jq = std::process::Command::new("jq");
        jq.args(["-c", "-r"])
            .args(VARIABLES)
            .arg(filter)
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

/// Runs python3's csv module over `text` (RFC 4180 as spreadsheets read it): the rows.
fn parsed_csv(f: &Fixture, text: &str) -> Vec<Vec<String>> {
    let mut py = std::process::Command::new("python3");
    py.args([
        "-c",
        "import csv, io, json, sys; print(json.dumps(list(csv.reader(io.StringIO(sys.stdin.read(), newline='')))))",
    ]);
    let out = f.output(py, Some(text));
    out.assert_code(0);
    serde_json::from_str(&out.stdout).unwrap()
}

/// `--format csv|tsv|table` of a listing with quotes, commas, line breaks, tabs, non-ASCII and
/// nulls: CSV that a CSV reader reads back field for field, TSV escaped as @tsv, a table
/// within the width, `--columns` in the order asked.
#[test]
fn listings_as_csv_tsv_and_tables() {
    if !crate::common::have_tool("python3", "its csv module reads the CSV back") {
        return;
    }
    let (f, config) = listing_server();
    let listing: serde_json::Value = serde_json::from_str(LISTING).unwrap();
    let accts = listing["data"]["acct"].as_array().unwrap();
    let csv = f.call(&config, &["whm", "listaccts", "--format", "csv"]);
    csv.assert_code(0);
    assert!(
        csv.stdout.contains("\r\n"),
        "RFC 4180 ends records with CRLF"
    );
    let rows = parsed_csv(&f, &csv.stdout);
    let header: Vec<String> = accts[0].as_object().unwrap().keys().cloned().collect();
    assert_eq!(rows[0], header, "the first record's keys, in order");
    assert_eq!(rows.len(), 1 + accts.len());
    for (row, acct) in rows[1..].iter().zip(accts) {
        for (field, key) in row.iter().zip(&header) {
            let want = match &acct[key] {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            assert_eq!(field, &want, "{key}");
        }
    }
    let tsv = f.call(
        &config,
        &[
            "whm",
            "listaccts",
            "--format",
            "tsv",
            "--columns",
            "notes,user,ip",
        ],
    );
    tsv.assert_code(0);
    assert_eq!(
        tsv.stdout,
        "notes\tuser\tip\nline one\\nline two\\ttabbed \\\\ slash\tbob\t192.0.2.10\n\tamy\t\n"
    );
    let mut cmd = f.cmd();
    cmd.env("COLUMNS", "50")
        .arg("-c")
        .arg(f.config(&config))
        .args(["whm", "listaccts", "--format", "table"]);
    let table = f.output(cmd, None);
    table
        .assert_code(0)
        .assert_stderr("columns to fit 50 columns (left out: ");
    assert_eq!(table.stdout.lines().count(), 3, "{}", table.stdout);
    for line in table.stdout.lines() {
        assert!(line.chars().count() <= 50, "{line:?}");
        assert!(!line.contains('\t') && !line.contains('\n'));
    }
    assert!(table.stdout.starts_with("user"), "{}", table.stdout);
    // The filter's objects are the records.
    let picked = f.call(
        &config,
        &[
            "whm",
            "listaccts",
            "--format",
            "csv",
            "--jq",
            ".data.acct[] | {user, disk: .diskused}",
        ],
    );
    picked.assert_code(0);
    assert_eq!(picked.stdout, "user,disk\r\nbob,120M\r\namy,2048M\r\n");
    // Not a listing, a column no record has, --columns without --format: exit 2 and the fix.
    for (args, says) in [
        (
            &[
                "whm",
                "listaccts",
                "--format",
                "csv",
                "--jq",
                ".data.acct[].user",
            ][..],
            "pick the records with --jq",
        ),
        (
            &["whm", "listaccts", "--format", "csv", "--columns", "usr"],
            "no record has \"usr\"",
        ),
        (
            &["whm", "listaccts", "--columns", "user"],
            "add --format table",
        ),
        (&["--format", "csv", "batch", "-"], "drop them here"),
    ] {
        f.call(&config, args).assert_failure(2, says);
    }
}

/// `--paginate` merges every page before the rows are made; several profiles make one sheet
/// with a profile column, a failing profile said on stderr and in the exit code.
#[test]
fn sheets_of_every_page_and_every_profile() {
    let f = Fixture::with(crate::emulator::Options {
        extra_records: 250,
        page_cap: Some(100),
        string_counts: true,
        ..Default::default()
    });
    let root = f.root_token("w", "");
    let paged = f.call(
        &root,
        &[
            "--paginate",
            "whm",
            "listaccts",
            "--format",
            "tsv",
            "--columns",
            "user",
        ],
    );
    paged.assert_code(0);
    let users: Vec<&str> = paged.stdout.lines().collect();
    assert_eq!(users.len(), 1 + 254, "every page's records and the header");
    assert_eq!(users[0], "user");
    assert_eq!(users[254], "user00250");
    // The night nothing matches: a header with --columns, nothing without, exit 0.
    f.call(
        &root,
        &[
            "whm",
            "listaccts",
            "search=zzz",
            "--format",
            "csv",
            "--columns",
            "user,domain",
        ],
    )
    .assert_code(0)
    .assert_stdout("user,domain\r\n");
    let empty = f.call(
        &root,
        &["whm", "listaccts", "search=zzz", "--format", "csv"],
    );
    empty.assert_code(0);
    assert_eq!(empty.stdout, "");
    let fleet = format!(
        "{}{}{}",
        f.root_token("a", ""),
        f.root_token("b", ""),
        f.bob_token("c", crate::emulator::Service::Cpanel)
    );
    let out = f.call(
        &fleet,
        &["-p", "a,b,c", "whm", "version", "--format", "csv"],
    );
    out.assert_code(2)
        .assert_stderr("profile c: ")
        .assert_stderr("1 failed");
    assert_eq!(
        out.stdout, "profile,version\r\na,11.130.0.5\r\nb,11.130.0.5\r\n",
        "rows in the profiles' order, whatever finished first"
    );
}
