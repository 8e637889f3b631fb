//! Answers bigger than what cpcall keeps in memory (8 MiB, then an unlinked temporary file):
//! every output style prints the same JSON as a reference parser would, and an answer that
//! turns out broken near its end puts nothing on stdout.

use crate::common::{Fixture, Out};
use crate::emulator::{big_listaccts, Fault, Options};

/// A listing well past the in-memory part, with escapes and an indented tail, so strings,
/// escapes and whitespace cross the pieces the answer is read and written in.
fn big_body() -> Vec<u8> {
    let mut body = big_listaccts(9_500_000);
    let tail = br#", "note" : "quote \" backslash \\ unicode \u00e9 \ud83d\ude00 end",
  "empty" : { } , "list" : [ ] }"#;
    body.truncate(body.len() - 1);
    body.extend_from_slice(tail);
    body
}

fn fixture(body: Vec<u8>) -> (Fixture, String) {
    let f = Fixture::with(Options::default().answering("listaccts", body));
    let config = f.root_token("big", "");
    (f, config)
}

/// cpcall with the config and `args`, its stdout the file given.
fn writing_to(
    f: &Fixture,
    config: &str,
    args: &[&str],
    file: std::fs::File,
) -> std::process::Command {
    let mut cmd = f.cmd();
    cmd.arg("-c").arg(f.config(config)).args(args).stdout(file);
    cmd
}

fn value(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("cpcall printed JSON")
}

#[test]
fn a_big_answer_prints_as_a_reference_parser_would_in_every_style() {
    let body = big_body();
    let reference: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let (f, config) = fixture(body.clone());
    let run = |args: &[&str]| -> Out {
        let mut all = vec!["-p", "big"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["whm", "listaccts"]);
        let out = f.call(&config, &all);
        out.assert_code(0);
        out
    };

    let plain = run(&[]);
    assert!(
        plain.stdout.as_bytes() == [&body[..], b"\n"].concat(),
        "not as received"
    );

    // Escapes stay as the server wrote them, so the text is compared by value and by layout.
    let compact = run(&["--compact"]);
    assert_eq!(value(&compact.stdout), reference);
    assert_eq!(compact.stdout.lines().count(), 1);

    let pretty = run(&["--pretty"]);
    assert_eq!(value(&pretty.stdout), reference);
    let indents = |text: &str| -> Vec<usize> {
        text.lines()
            .map(|l| l.len() - l.trim_start().len())
            .collect()
    };
    let want = serde_json::to_string_pretty(&reference).unwrap();
    assert!(
        indents(&pretty.stdout) == indents(&want),
        "--pretty lays out unlike serde_json"
    );

    let data = run(&["-d", "--compact"]);
    assert_eq!(value(&data.stdout), reference["data"]);

    let colour = run(&["--color", "always", "--compact"]);
    let stripped = colour
        .stdout
        .replace("\x1b[0m", "")
        .replace("\x1b[1;34m", "")
        .replace("\x1b[32m", "")
        .replace("\x1b[36m", "")
        .replace("\x1b[33m", "")
        .replace("\x1b[90m", "");
    assert!(
        stripped == compact.stdout,
        "colours change more than colours"
    );

    let jq = run(&["--jq", ".data.acct | length"]);
    let count = reference["data"]["acct"].as_array().unwrap().len();
    assert_eq!(jq.stdout.trim(), count.to_string());

    // JSON lines embed the answer on one line, whole.
    let batch = f.write("calls.txt", "whm listaccts\n");
    let lines = f.call(&config, &["-p", "big", "batch", batch.to_str().unwrap()]);
    lines.assert_code(0);
    assert_eq!(lines.stdout.lines().count(), 1);
    assert_eq!(lines.lines()[0]["response"], reference);
}

#[test]
fn a_big_answer_broken_near_its_end_prints_nothing() {
    let good = big_body();
    let cut = good[..good.len() - 3].to_vec();
    let mut bad_utf8 = good.clone();
    // Inside the last string.
    let at = bad_utf8.windows(7).rposition(|w| w == b"unicode").unwrap();
    bad_utf8[at] = 0xff;
    let mut control = good.clone();
    control[at] = 0x07;
    let cases: [(&str, Vec<u8>, &str); 3] = [
        ("truncated", cut, "not valid JSON"),
        ("bad UTF-8", bad_utf8, "not valid UTF-8"),
        ("control character", control, "raw control character"),
    ];
    for (what, body, message) in cases {
        let (f, config) = fixture(body);
        for style in [&[][..], &["-d"], &["--jq", "."]] {
            let mut args = vec!["-p", "big"];
            args.extend_from_slice(style);
            args.extend_from_slice(&["whm", "listaccts"]);
            let out = f.call(&config, &args);
            assert_eq!(out.code, 4, "{what} {style:?}: {}", out.stderr);
            assert!(out.stdout.is_empty(), "{what} {style:?}: something printed");
            assert!(
                out.stderr.contains(message),
                "{what} {style:?}: {}",
                out.stderr
            );
        }
    }
}

#[test]
fn an_answer_over_max_size_prints_nothing() {
    let (f, config) = fixture(big_body());
    let out = f.call(
        &config,
        &["-p", "big", "--max-size", "6M", "whm", "listaccts"],
    );
    out.assert_failure(4, "larger than 6291456 bytes (--max-size)");
}

#[test]
fn without_a_usable_temporary_folder_the_answer_is_kept_in_memory_with_a_warning() {
    let body = big_body();
    let (f, config) = fixture(body.clone());
    let mut cmd = f.cmd();
    cmd.env("TMPDIR", f.path("no-such-folder"))
        .arg("-c")
        .arg(f.config(&config))
        .args(["-p", "big", "whm", "listaccts"]);
    let out = f.output(cmd, None);
    out.assert_code(0)
        .assert_stderr("keeping the whole answer in memory; set TMPDIR");
    assert!(out.stdout.as_bytes() == [&body[..], b"\n"].concat());
}

/// With stdout a regular file (`> listing.json`), the answer goes there as it arrives; one
/// that turns out broken is cut off again, leaving the file as it was (appended to or not).
#[test]
fn into_a_file_a_good_answer_is_whole_and_a_broken_one_is_taken_back() {
    let good = big_body();
    let reference: serde_json::Value = serde_json::from_slice(&good).unwrap();
    let (f, config) = fixture(good.clone());
    let into_file = |f: &Fixture, config: &str, args: &[&str], append: bool| -> (Out, Vec<u8>) {
        let path = f.path("out.json");
        std::fs::write(&path, b"earlier\n").unwrap();
        let file = std::fs::OpenOptions::new()
            .append(append)
            .write(!append)
            .truncate(!append)
            .open(&path)
            .unwrap();
        let mut cmd = writing_to(f, config, args, file);
        let out = cmd.stderr(std::process::Stdio::piped()).output().unwrap();
        let out = Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::new(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        (out, std::fs::read(&path).unwrap())
    };
    let (out, written) = into_file(&f, &config, &["-p", "big", "whm", "listaccts"], false);
    out.assert_code(0);
    assert!(written == [&good[..], b"\n"].concat(), "not as received");
    let (out, written) = into_file(&f, &config, &["-p", "big", "whm", "listaccts"], true);
    out.assert_code(0);
    assert!(
        written == [&b"earlier\n"[..], &good, b"\n"].concat(),
        "appended"
    );
    let (_, written) = into_file(&f, &config, &["-p", "big", "-d", "whm", "listaccts"], false);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&written).unwrap(),
        reference["data"]
    );
    let (_, written) = into_file(
        &f,
        &config,
        &["-p", "big", "--pretty", "whm", "listaccts"],
        false,
    );
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&written).unwrap(),
        reference
    );
    let (_, written) = into_file(&f, &config, &["-p", "big", "-d", "whm", "version"], false);
    assert_eq!(
        written, b"{\"version\":\"11.130.0.5\"}\n",
        "a small answer, directly"
    );

    let (f, config) = fixture(good[..good.len() - 3].to_vec());
    for append in [false, true] {
        let (out, written) = into_file(&f, &config, &["-p", "big", "whm", "listaccts"], append);
        out.assert_failure(4, "not valid JSON");
        let want: &[u8] = if append { b"earlier\n" } else { b"" };
        assert!(
            written == want,
            "append {append}: {} bytes left",
            written.len()
        );
    }
}

/// Only a file written at its end is written as the answer arrives: a file in append mode
/// (other writers may share it) or opened read-write in its middle (`1<> file`) gets the
/// answer once judged, and a broken answer leaves either exactly as it was.
#[test]
fn files_others_share_or_that_hold_text_after_the_answer_are_never_cut() {
    let good = big_body();
    let (f, config) = fixture(good[..good.len() - 3].to_vec());
    let path = f.path("shared.txt");
    let before = b"LINE1\nLINE2\nLINE3\n".to_vec();
    for (what, append) in [("read-write from the start", false), ("append", true)] {
        std::fs::write(&path, &before).unwrap();
        let file = std::fs::OpenOptions::new()
            .read(!append)
            .write(!append)
            .append(append)
            .open(&path)
            .unwrap();
        let mut cmd = writing_to(&f, &config, &["-p", "big", "whm", "listaccts"], file);
        let out = cmd.stderr(std::process::Stdio::piped()).output().unwrap();
        assert_eq!(out.status.code(), Some(4), "{what}");
        assert!(
            std::fs::read(&path).unwrap() == before,
            "{what}: the file changed"
        );
    }
}

/// A signal that ends cpcall mid-answer leaves no half answer in the file.
#[test]
fn a_signal_mid_answer_leaves_the_file_as_it_was() {
    let mut options = Options::default().answering("listaccts", big_body());
    options.fault = Some(Fault::StallMidBody);
    let f = Fixture::with(options);
    let config = f.root_token("big", "");
    let path = f.path("out.json");
    let file = std::fs::File::create(&path).unwrap();
    let mut cmd = writing_to(&f, &config, &["-p", "big", "whm", "listaccts"], file);
    let mut child = cmd.stderr(std::process::Stdio::null()).spawn().unwrap();
    let waited = std::time::Instant::now();
    while std::fs::metadata(&path).unwrap().len() == 0 {
        assert!(waited.elapsed().as_secs() < 15, "nothing was written");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        0,
        "half an answer was left"
    );
}

/// `--paginate` against a server that announces a billion records and makes up every page:
/// the run ends within `--timeout` (all pages together) or at `--max-size` (all pages
/// together), exit 4, nothing on stdout; and the records on their way spool rather than
/// pile up in memory.
#[test]
fn paginate_is_bounded_by_timeout_and_max_size_as_a_whole() {
    let f = Fixture::with(Options {
        endless_listing: Some(1_000_000_000),
        ..Options::default()
    });
    let started = std::time::Instant::now();
    f.as_root(&[
        "--paginate",
        "--timeout",
        "2",
        "--max-size",
        "2G",
        "whm",
        "listaccts",
    ])
    .assert_failure(4, "did not finish within 2 s")
    .assert_stderr("--timeout, for all pages together");
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_secs(4), "{took:?}");
    f.as_root(&["--paginate", "--max-size", "3M", "whm", "listaccts"])
        .assert_failure(4, "pages together are larger than --max-size");

    // Peak memory while 48 MB of records go by: the spool keeps it flat (the merged tree
    // took several times the records).
    let mut cmd = f.cmd();
    cmd.arg("-c")
        .arg(f.config(&f.root_token("w", "")))
        .args([
            "--paginate",
            "--page-size",
            "5000",
            "--max-size",
            "48M",
            "whm",
            "listaccts",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    while child.try_wait().unwrap().is_none() {
        if let Ok(text) = std::fs::read_to_string(&status) {
            let hwm = text.lines().find_map(|l| l.strip_prefix("VmHWM:"));
            if let Some(kib) = hwm.and_then(|v| v.trim().trim_end_matches(" kB").parse().ok()) {
                peak_kib = peak_kib.max(kib);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("larger than --max-size"), "{stderr}");
    assert!(peak_kib > 0, "the peak was read");
    assert!(
        peak_kib < 40 << 10,
        "peak RSS {peak_kib} KiB for 48 MB of pages"
    );
}
