//! cpcall as a library, no binary: `cpcall::Client` against the emulator, with a reporter that
//! keeps what it is told. One test: a process has one reporter.

#[path = "emulator/mod.rs"]
mod emulator;

use std::sync::{Arc, Mutex};

use cpcall::client::report::{self, Reporter};
use cpcall::client::{AuthKind, Call, Client, Exit, Options, Target, Verdict};
use emulator::accounts::{BOB, OPS, ROOT};
use emulator::{Emulator, Service};

/// Everything the client says, as `kind: text`.
struct Keep(Arc<Mutex<Vec<String>>>);

impl Keep {
    fn push(&self, kind: &str, text: &str) {
        self.0.lock().unwrap().push(format!("{kind}: {text}"));
    }
}

impl Reporter for Keep {
    fn traffic(&self, line: &str) {
        self.push("traffic", line);
    }
    fn warning(&self, message: &str) {
        self.push("warning", message);
    }
    fn passthrough(&self, bytes: &[u8]) {
        self.push("passthrough", &String::from_utf8_lossy(bytes));
    }
}

fn whm(function: &str) -> Call {
    Call::Whm {
        function: function.into(),
        params: Vec::new(),
    }
}

#[test]
fn a_library_client_calls_judges_reports_and_keeps_secrets() {
    let said = Arc::new(Mutex::new(Vec::new()));
    assert!(report::install(Box::new(Keep(said.clone()))));
    let dir = tempfile::tempdir().unwrap();
    // Sessions are saved under the state directory: this test's own (one test, one thread yet).
    std::env::set_var("XDG_STATE_HOME", dir.path());
    let server = Emulator::start();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &server.ca_pem).unwrap();
    let whm_port = server.port(Service::Whm, true);
    let root = || {
        Target::builder("127.0.0.1")
            .port(whm_port)
            .ca_file(&ca)
            .token(ROOT.whm_token.unwrap())
    };
    let verbose = Options {
        verbose: true,
        ..Options::default()
    };

    // A call, its verdict and payload; one client shared by threads.
    let client = Client::new(root().build().unwrap(), verbose).unwrap();
    let answer = client.call(&whm("listaccts")).unwrap();
    assert!(matches!(answer.verdict, Verdict::Success { .. }));
    let users = answer.payload().unwrap()["acct"].as_array().unwrap().len();
    assert!(users >= 4, "{users}");
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..5 {
                    assert_eq!(client.call(&whm("version")).unwrap().exit(), Exit::Success);
                }
            });
        }
    });

    // The API's "no", a refused token: answers with their exit codes, not errors.
    let failed = client.call(&whm("no_such_function")).unwrap();
    assert_eq!(failed.exit(), Exit::ApiFailure, "{:?}", failed.verdict);
    let wrong = root()
        .token("WRONGTOKENWRONGTOKENWRONGTOKEN12")
        .build()
        .unwrap();
    let refused = Client::new(wrong, Options::default())
        .unwrap()
        .call(&whm("version"));
    assert_eq!(refused.unwrap().exit(), Exit::Auth);

    // A server that quotes the credential in its refusal: the verdict's words have it masked
    // (a library caller logs them), in any encoding; so do -v lines a reporter gets.
    let echo = Emulator::start_with(emulator::Options {
        echo_credentials: true,
        ..emulator::Options::default()
    });
    let echo_ca = dir.path().join("echo-ca.pem");
    std::fs::write(&echo_ca, &echo.ca_pem).unwrap();
    let quoting = Target::builder("127.0.0.1")
        .port(echo.port(Service::Whm, true))
        .ca_file(&echo_ca)
        .user("opsx")
        .password(OPS.password)
        .build()
        .unwrap();
    let answer = Client::new(quoting, verbose)
        .unwrap()
        .call(&whm("version"))
        .unwrap();
    let Verdict::Refused(why) = &answer.verdict else {
        panic!("{:?}", answer.verdict)
    };
    assert!(why.contains("Authorization: Basic ***"), "{why}");
    let encoded: String = form_urlencoded::byte_serialize(OPS.password.as_bytes()).collect();
    for form in [OPS.password, &encoded, "p%40ss"] {
        assert!(!why.contains(form), "{form} in {why}");
    }

    // A session target logs in once, and logs out.
    let cpanel_port = server.port(Service::Cpanel, true);
    let session = Target::builder("127.0.0.1")
        .name("bob")
        .service(cpcall::client::Service::Cpanel)
        .port(cpanel_port)
        .ca_file(&ca)
        .user("bob")
        .password(BOB.password)
        .auth(AuthKind::Session)
        .build()
        .unwrap();
    let bob = Client::new(session, Options::default()).unwrap();
    let list_pops = Call::Uapi {
        module: "Email".into(),
        function: "list_pops".into(),
        params: Vec::new(),
        via_whm: None,
    };
    for _ in 0..3 {
        assert_eq!(bob.call(&list_pops).unwrap().exit(), Exit::Success);
    }
    assert_eq!(server.logins(), 1, "one login for three calls");
    // A call the service cannot take is refused before sending; a WHM target with a
    // cpanel_user calls UAPI through WHM for that user.
    let sent = server.requests().len();
    let err = bob.call(&whm("listaccts")).unwrap_err();
    assert_eq!(
        (err.exit, server.requests().len()),
        (Exit::Usage, sent),
        "{err}"
    );
    let for_bob = Client::new(
        root().cpanel_user("bob").build().unwrap(),
        Options::default(),
    );
    let answer = for_bob.unwrap().call(&list_pops).unwrap();
    assert_eq!(answer.exit(), Exit::Success, "{:?}", answer.verdict);
    assert_eq!(answer.payload().unwrap()[0]["email"], "info@bob.example");
    // A built target keeps its session in memory: nothing in the state folder the command
    // line uses, and a logout ends it.
    assert!(!dir.path().join("cpcall").exists(), "no session files");
    assert!(matches!(
        bob.logout().unwrap(),
        cpcall::client::LoggedOut::Ended
    ));
    // In a folder it names, it keeps files there (the session and its lock), shared by
    // clients that name the same folder: the second logs in no more.
    let folder = dir.path().join("my-sessions");
    let in_folder = || {
        Target::builder("127.0.0.1")
            .name("bob")
            .service(cpcall::client::Service::Cpanel)
            .port(cpanel_port)
            .ca_file(&ca)
            .user("bob")
            .password(BOB.password)
            .auth(AuthKind::Session)
            .session_dir(&folder)
            .build()
            .unwrap()
    };
    let logins = server.logins();
    for _ in 0..2 {
        let client = Client::new(in_folder(), Options::default()).unwrap();
        assert_eq!(client.call(&list_pops).unwrap().exit(), Exit::Success);
    }
    assert_eq!(server.logins(), logins + 1, "one login for two clients");
    assert_eq!(
        std::fs::read_dir(&folder).unwrap().count(),
        2,
        "the session and its lock"
    );
    assert!(!dir.path().join("cpcall").exists());

    // No certificate check: said once, however many clients.
    for _ in 0..3 {
        Client::new(root().insecure().build().unwrap(), Options::default()).unwrap();
    }
    let said = said.lock().unwrap();
    let warnings: Vec<_> = said.iter().filter(|l| l.starts_with("warning:")).collect();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(warnings[0].contains("verification is off"), "{warnings:#?}");
    assert!(said
        .iter()
        .any(|l| l.starts_with("traffic: ") && l.contains("listaccts")));
    for secret in [ROOT.whm_token.unwrap(), BOB.password, OPS.password] {
        assert!(
            !said.iter().any(|l| l.contains(secret)),
            "{secret} in {said:#?}"
        );
    }
}
