//! Proxies, as curl reads them from the environment: `https_proxy`/`HTTPS_PROXY`,
//! `http_proxy` (lower case only), `all_proxy`, `no_proxy`; CONNECT tunnels, so TLS and its
//! verification stay end to end; proxy credentials never shown.

use crate::common::Fixture;
use crate::emulator::proxy::ConnectProxy;
use crate::emulator::Service;

#[test]
fn calls_trust_and_doctor_go_through_the_proxy() {
    let f = Fixture::new();
    let proxy = ConnectProxy::start(None);
    let config = f.config(&f.root_token("w", ""));
    let whm = format!("127.0.0.1:{}", f.emu.port(Service::Whm, true));
    let run = |args: &[&str], env: &[(&str, String)]| {
        let mut cmd = f.cmd();
        cmd.arg("-c").arg(&config).args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        f.output(cmd, None)
    };
    let via = [("https_proxy", proxy.url())];
    run(&["whm", "version"], &via).assert_code(0);
    assert_eq!(proxy.tunnels(), std::slice::from_ref(&whm));
    run(&["-v", "whm", "version"], &via).assert_stderr("* through the proxy 127.0.0.1:");
    run(&["doctor"], &via)
        .assert_code(0)
        .assert_stdout("✓ route: the proxy 127.0.0.1:");
    let tunnels = proxy.tunnels().len();
    run(&["trust", "--yes"], &via).assert_code(0);
    assert!(
        proxy.tunnels().len() > tunnels,
        "trust looks at the certificate through the proxy"
    );
    let calls = f.write("calls.txt", &"whm version\n".repeat(10));
    let before = proxy.tunnels().len();
    run(&["batch", calls.to_str().unwrap()], &via).assert_code(0);
    assert_eq!(
        proxy.tunnels().len() - before,
        1,
        "a batch keeps its one tunnel alive"
    );

    // Not for hosts in no_proxy, and not from variables curl ignores for https.
    let before = proxy.tunnels().len();
    for env in [
        vec![
            ("https_proxy", proxy.url()),
            ("no_proxy", "localhost,127.0.0.1".to_string()),
        ],
        vec![("HTTPS_PROXY", proxy.url()), ("NO_PROXY", "*".to_string())],
        vec![("http_proxy", proxy.url())],
    ] {
        run(&["whm", "version"], &env).assert_code(0);
    }
    assert_eq!(proxy.tunnels().len(), before);
    run(
        &["whm", "version"],
        &[("https_proxy", "socks5://127.0.0.1:9".into())],
    )
    .assert_failure(2, "socks5:// proxies are not supported");
}

#[test]
fn proxy_credentials_are_sent_and_never_shown() {
    let f = Fixture::new();
    let proxy = ConnectProxy::start(Some("alice:Pr0xy-S3cret"));
    let config = f.config(&f.root_token("w", ""));
    let with = |url: String| {
        let mut cmd = f.cmd();
        cmd.arg("-c")
            .arg(&config)
            .args(["-v", "whm", "version"])
            .env("HTTPS_PROXY", url);
        f.output(cmd, None)
    };
    let out = with(format!(
        "http://alice:Pr0xy-S3cret@127.0.0.1:{}",
        proxy.port
    ));
    out.assert_code(0);
    assert!(
        !out.stderr.contains("Pr0xy-S3cret") && !out.stdout.contains("Pr0xy-S3cret"),
        "{out:#?}"
    );
    let refused = with(format!("http://alice:wrong@127.0.0.1:{}", proxy.port));
    refused
        .assert_failure(4, "did not open a tunnel")
        .assert_stderr("it refused the user and password in the proxy URL (HTTP 407); check them");
    assert!(!refused.stderr.contains("wrong@"), "{refused:#?}");
    with(format!("http://127.0.0.1:{}", proxy.port))
        .assert_failure(4, "it wants credentials (HTTP 407)")
        .assert_stderr("give its user and password in the proxy URL");
}

/// A proxy that is down or cannot be resolved is named as the culprit, not the cPanel server
/// (and its credentials stay out of the message).
#[test]
fn a_dead_proxy_is_blamed_not_the_server() {
    let f = Fixture::new();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(1);
    let config = f.config(&f.root_token("w", ""));
    for (proxy, want) in [
        (
            format!("http://u:pw-secret@127.0.0.1:{closed}"),
            format!("cannot reach the proxy 127.0.0.1:{closed} (from $HTTPS_PROXY)"),
        ),
        (
            "http://u:pw-secret@nonexistent.invalid:3128".to_string(),
            "cannot reach the proxy nonexistent.invalid:3128".to_string(),
        ),
    ] {
        let mut cmd = f.cmd();
        cmd.arg("-c")
            .arg(&config)
            .args(["whm", "version"])
            .env("HTTPS_PROXY", &proxy);
        let out = f.output(cmd, None);
        out.assert_failure(4, &want);
        assert!(!out.stderr.contains("pw-secret"), "{}", out.stderr);
    }
}

/// A proxy that hangs, hangs up, answers garbage or refuses the tunnel: each is named as the
/// proxy's fault (exit 4), never as the server's.
#[test]
fn a_broken_proxy_is_blamed_not_the_server() {
    use crate::emulator::proxy::{ConnectProxy, ProxyFault};
    let f = Fixture::new();
    let config = f.config(&f.root_token("w", ""));
    for (fault, says) in [
        (ProxyFault::Hang, "within 2.0 s: it may be overloaded"),
        (ProxyFault::Close, "closed the connection without an answer"),
        (ProxyFault::Garbage, "did not answer CONNECT in HTTP"),
        (
            ProxyFault::Status(502),
            "it could not reach the server (HTTP 502)",
        ),
        (
            ProxyFault::Status(403),
            "it answered HTTP 403; ask its admin",
        ),
    ] {
        let proxy = ConnectProxy::broken(fault);
        let mut cmd = f.cmd();
        cmd.arg("-c")
            .arg(&config)
            .args(["--timeout", "2", "whm", "version"])
            .env("HTTPS_PROXY", proxy.url());
        let out = f.output(cmd, None);
        out.assert_failure(4, &format!("proxy 127.0.0.1:{}", proxy.port))
            .assert_stderr(says);
        assert!(
            !out.stderr.contains("no answer from"),
            "{fault:?}: {out:#?}"
        );
        // doctor's own tunnel says the same in its route check.
        let mut cmd = f.cmd();
        cmd.arg("-c")
            .arg(&config)
            .args(["--timeout", "2", "doctor"])
            .env("HTTPS_PROXY", proxy.url());
        let doctor = f.output(cmd, None);
        doctor.assert_code(1);
        let route = doctor
            .stdout
            .lines()
            .find(|l| l.contains("route:"))
            .unwrap_or_default()
            .to_string();
        assert!(
            route.starts_with("✗ route: the proxy 127.0.0.1:"),
            "{fault:?}: {doctor:#?}"
        );
        assert!(!route.contains("os error"), "{fault:?}: {route}");
    }
    assert!(f.requests().is_empty());
}
