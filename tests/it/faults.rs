//! Faults: every way a server or network can misbehave ends in one clear line, the
//! documented exit code, nothing on stdout, no panic, and no second request.

use std::time::{Duration, Instant};

use crate::common::Fixture;
use crate::emulator::accounts::ROOT;
use crate::emulator::{Fault, Options, Service};

fn faulty(fault: Fault) -> (Fixture, String) {
    let f = Fixture::with(Options {
        fault: Some(fault),
        ..Options::default()
    });
    let profile = f.profile(
        "p",
        Service::Whm,
        &format!("token = \"{}\"", ROOT.whm_token.unwrap()),
    );
    (f, profile)
}

#[test]
fn a_slow_server_times_out_within_timeout_plus_one_second() {
    let (f, profile) = faulty(Fault::Slow(Duration::from_secs(6)));
    let started = Instant::now();
    let out = f.call(&profile, &["--timeout", "1", "whm", "version"]);
    let elapsed = started.elapsed();
    out.assert_failure(4, "no answer from 127.0.0.1");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    assert_eq!(
        f.requests().len(),
        1,
        "sent once, not repeated after the timeout"
    );
}

#[test]
fn broken_answers_table() {
    let cases = [
        (Fault::CloseBeforeAnswer, "closed the connection"),
        (Fault::CloseMidBody, "closed the connection"),
        (Fault::TruncatedJson, "not valid JSON"),
        (Fault::Status(500), "HTTP 500"),
        (Fault::Status(502), "HTTP 502"),
        (Fault::Status(503), "updating"),
        (Fault::LoginPage200, "HTML login page"),
        (Fault::RandomBytes, "did not answer in HTTP"),
        (Fault::NotUtf8, "UTF-8"),
        (Fault::EmptyBody, "empty body"),
        (Fault::RedirectLoop, "redirect"),
    ];
    for (fault, want) in cases {
        let label = format!("{fault:?}");
        let (f, profile) = faulty(fault);
        let out = f.call(&profile, &["whm", "version"]);
        assert_eq!(out.code, 4, "{label}: {out:#?}");
        out.assert_failure(4, want);
        assert_eq!(f.requests().len(), 1, "{label}: sent once, never repeated");
    }
}

#[test]
fn a_huge_answer_is_capped() {
    let (f, profile) = faulty(Fault::Huge(64 << 20));
    f.call(&profile, &["--max-size", "1M", "whm", "version"])
        .assert_failure(4, "larger than 1048576 bytes");
}

#[test]
fn dns_failure() {
    let f = Fixture::new();
    let profile = "[profiles.p]\nhost = \"cpcall-test.invalid\"\ntoken = \"x\"\n";
    f.call(profile, &["whm", "version"])
        .assert_failure(4, "cannot resolve host \"cpcall-test.invalid\"");
}

#[test]
fn refused_connections_are_tried_three_times_then_fail() {
    let f = Fixture::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let profile = format!("[profiles.p]\nhost = \"127.0.0.1\"\nport = {port}\ntoken = \"x\"\n");
    let out = f.call(&profile, &["-v", "whm", "version"]);
    out.assert_code(4)
        .assert_stderr("try 2 of 3")
        .assert_stderr("try 3 of 3")
        .assert_stderr("connection refused");
    assert!(!out.stderr.contains("try 4"), "{out:#?}");
}

#[test]
fn a_server_that_starts_during_the_backoff_is_reached() {
    let f = Fixture::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    // A plain-HTTP stand-in that starts listening 300 ms after cpcall's first refused try.
    let server = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let _ = std::io::Read::read(&mut stream, &mut buf);
        let body = r#"{"metadata":{"result":1,"reason":"OK"},"data":{}}"#;
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        std::io::Write::write_all(&mut stream, answer.as_bytes()).unwrap();
    });
    let profile =
        format!("[profiles.p]\nhost = \"127.0.0.1\"\nport = {port}\ntls = false\ntoken = \"x\"\n");
    f.call(&profile, &["whm", "version"]).assert_code(0);
    server.join().unwrap();
}
