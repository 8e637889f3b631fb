//! The library on its own, as a Rust program embeds it: `Client` against the emulator over
//! real sockets and TLS, no `cpcall` binary. Each test has its own reporter (a client's words
//! go to the reporter it was given) and its own folder.

use std::sync::{Arc, Mutex};

use cpanel_client::{
    AuthKind, Call, CallOptions, Client, ErrorKind, LoggedOut, Options, Reporter, Service,
    SessionStore, Target, TlsReason,
};
use cpanel_emulator::accounts::{BOB, OPS, ROOT};
use cpanel_emulator::Emulator;

/// Everything a client says, as `kind: text`.
#[derive(Clone, Default)]
struct Keep(Arc<Mutex<Vec<String>>>);

impl Keep {
    fn push(&self, kind: &str, text: &str) {
        self.0.lock().unwrap().push(format!("{kind}: {text}"));
    }
    fn said(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
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

/// A server, its CA's PEM, and a scratch folder.
struct Setup {
    server: Emulator,
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        Setup::with(cpanel_emulator::Options::default())
    }
    fn with(options: cpanel_emulator::Options) -> Setup {
        Setup {
            server: Emulator::start_with(options),
            dir: tempfile::tempdir().unwrap(),
        }
    }
    /// Root's WHM token target, trusting the emulator's CA given as bytes.
    fn root(&self) -> cpanel_client::TargetBuilder {
        Target::builder("127.0.0.1")
            .port(self.server.port(cpanel_emulator::Service::Whm, true))
            .ca_pem(self.server.ca_pem.as_bytes().to_vec())
            .token(ROOT.whm_token.unwrap())
    }
    fn bob_session(&self) -> cpanel_client::TargetBuilder {
        Target::builder("127.0.0.1")
            .name("bob")
            .service(Service::Cpanel)
            .port(self.server.port(cpanel_emulator::Service::Cpanel, true))
            .ca_pem(self.server.ca_pem.as_bytes().to_vec())
            .user("bob")
            .password(BOB.password)
            .auth(AuthKind::Session)
    }
}

fn keeping(keep: &Keep) -> Options {
    Options::default()
        .verbose(true)
        .reporter(Arc::new(keep.clone()))
}

#[derive(serde::Deserialize)]
struct Account {
    user: String,
}

#[derive(serde::Deserialize)]
struct Accounts {
    acct: Vec<Account>,
}

/// A call's payload read into the caller's types; one client shared by threads (Send + Sync).
#[test]
fn calls_typed_payloads_and_threads() {
    let s = Setup::new();
    let keep = Keep::default();
    let client = Arc::new(Client::new(s.root().build().unwrap(), keeping(&keep)).unwrap());
    let answer = client.call(&Call::whm("listaccts")).unwrap();
    assert_eq!(answer.status(), 200);
    let accounts: Accounts = answer.payload_as().unwrap();
    assert!(accounts.acct.iter().any(|a| a.user == "bob"));
    std::thread::scope(|scope| {
        for _ in 0..4 {
            let client = client.clone();
            scope.spawn(move || {
                for _ in 0..5 {
                    client.call(&Call::whm("version")).unwrap();
                }
            });
        }
    });
    let said = keep.said();
    assert!(said
        .iter()
        .any(|l| l.starts_with("traffic: ") && l.contains("listaccts")));
    assert!(
        !said.iter().any(|l| l.contains(ROOT.whm_token.unwrap())),
        "{said:#?}"
    );
}

/// Failures have kinds a program matches: the API's "no" carries its reasons and answer
/// (there is no `Ok` for it); a refused token is never sent again; nothing-sent failures say
/// so.
#[test]
fn errors_have_kinds_sources_and_may_have_run() {
    let s = Setup::new();
    let client = Client::new(s.root().build().unwrap(), Options::default()).unwrap();
    let failed = client.call(&Call::whm("no_such_function")).unwrap_err();
    assert_eq!(*failed.kind(), ErrorKind::ApiFailure, "{failed}");
    assert!(!failed.reasons().is_empty());
    assert!(failed.may_have_run());
    let answer = failed.answer().expect("the API's answer");
    assert_eq!(answer.json().unwrap()["metadata"]["result"], 0);

    let wrong = s
        .root()
        .token("WRONGTOKENWRONGTOKENWRONGTOKEN12")
        .build()
        .unwrap();
    let wrong = Client::new(wrong, Options::default()).unwrap();
    let refused = wrong.call(&Call::whm("version")).unwrap_err();
    assert_eq!(*refused.kind(), ErrorKind::Refused, "{refused}");
    assert_eq!(refused.status(), Some(403));
    let sent = s.server.requests().len();
    let again = wrong.call(&Call::whm("version")).unwrap_err();
    assert_eq!(*again.kind(), ErrorKind::Refused);
    assert!(again.never_sent(), "{again}");
    assert_eq!(
        s.server.requests().len(),
        sent,
        "a refused token is not sent again"
    );

    // Nothing listens: never sent, a connect error with its cause.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let nowhere = s.root().port(port).build().unwrap();
    let e = Client::new(nowhere, Options::default())
        .unwrap()
        .call(&Call::whm("version"))
        .unwrap_err();
    assert_eq!(*e.kind(), ErrorKind::Connect, "{e}");
    assert!(e.never_sent());
    assert!(std::error::Error::source(&e).is_some(), "{e:?}");

    // A call the service cannot take: refused before anything is sent, as an invalid call.
    let bob = Client::new(s.bob_session().build().unwrap(), Options::default()).unwrap();
    let sent = s.server.requests().len();
    let e = bob.call(&Call::whm("listaccts")).unwrap_err();
    assert_eq!(*e.kind(), ErrorKind::InvalidCall, "{e}");
    assert_eq!(s.server.requests().len(), sent);
    // Messages are the library's: no command-line flag in them.
    assert!(!e.to_string().contains("--"), "{e}");
}

/// Trust is the builder's: CA bytes alone (no system store), and a server it does not trust
/// is a TLS error with its reason.
#[test]
fn trust_from_bytes_only_and_tls_reasons() {
    let s = Setup::new();
    let only = s.root().only_given_cas().build().unwrap();
    Client::new(only, Options::default())
        .unwrap()
        .call(&Call::whm("version"))
        .unwrap();
    let untrusted = Target::builder("127.0.0.1")
        .port(s.server.port(cpanel_emulator::Service::Whm, true))
        .token(ROOT.whm_token.unwrap())
        .build()
        .unwrap();
    let e = Client::new(untrusted, Options::default())
        .unwrap()
        .call(&Call::whm("version"))
        .unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::Tls(TlsReason::Untrusted | TlsReason::SelfSigned)
        ),
        "{e:?}"
    );
    assert!(e.never_sent());
    assert!(!e.to_string().contains("cpcall"), "{e}");
}

/// A built target keeps sessions in memory (nothing in any state folder); one login for many
/// calls; logout ends it. In a folder it names, the session is shared by clients.
#[test]
fn sessions_in_memory_or_in_a_folder_named() {
    let s = Setup::new();
    // Nothing may land in the command line's state folder: point it at this test's.
    let bob = Client::new(s.bob_session().build().unwrap(), Options::default()).unwrap();
    let list_pops = Call::uapi("Email", "list_pops");
    for _ in 0..3 {
        bob.call(&list_pops).unwrap();
    }
    assert_eq!(s.server.logins(), 1, "one login for three calls");
    assert!(matches!(bob.logout().unwrap(), LoggedOut::Ended));

    let folder = s.dir.path().join("my-sessions");
    let logins = s.server.logins();
    for _ in 0..2 {
        let target = s.bob_session().session_dir(&folder).build().unwrap();
        Client::new(target, Options::default())
            .unwrap()
            .call(&list_pops)
            .unwrap();
    }
    assert_eq!(s.server.logins(), logins + 1, "one login for two clients");
    assert_eq!(
        std::fs::read_dir(&folder).unwrap().count(),
        2,
        "the session and its lock"
    );

    // A token target never uses a session, even with a folder holding one.
    let token = s
        .root()
        .sessions(SessionStore::Folder(folder.clone()))
        .build()
        .unwrap();
    let sent = s.server.requests().len();
    Client::new(token, Options::default())
        .unwrap()
        .call(&Call::whm("version"))
        .unwrap();
    let last = s.server.requests();
    assert_eq!(last.len(), sent + 1);

    // Through WHM for a cPanel user.
    let for_bob = Client::new(
        s.root().cpanel_user("bob").build().unwrap(),
        Options::default(),
    );
    let answer = for_bob.unwrap().call(&list_pops).unwrap();
    assert_eq!(answer.payload().unwrap()[0]["email"], "info@bob.example");
}

/// A server quoting the credential it was sent: the error's words, its reasons and the
/// reporter's traffic lines have it masked, in each encoding.
#[test]
fn echoed_secrets_are_masked_in_errors_and_reports() {
    let s = Setup::with(cpanel_emulator::Options {
        echo_credentials: true,
        ..cpanel_emulator::Options::default()
    });
    let keep = Keep::default();
    let quoting = Target::builder("127.0.0.1")
        .port(s.server.port(cpanel_emulator::Service::Whm, true))
        .ca_pem(s.server.ca_pem.as_bytes().to_vec())
        .user("opsx")
        .password(OPS.password)
        .build()
        .unwrap();
    let e = Client::new(quoting, keeping(&keep))
        .unwrap()
        .call(&Call::whm("version"))
        .unwrap_err();
    let why = format!("{e} {e:?} {:?}", e.reasons());
    assert!(why.contains("Authorization: Basic ***"), "{why}");
    let encoded: String = form_urlencoded::byte_serialize(OPS.password.as_bytes()).collect();
    let said = keep.said().join("\n");
    for form in [OPS.password, encoded.as_str()] {
        assert!(!why.contains(form), "{form} in {why}");
        assert!(!said.contains(form), "{form} in {said}");
    }
}

/// Certificate checks off: said once a client, through its reporter; options as a builder.
#[test]
fn warnings_go_to_the_clients_reporter() {
    let s = Setup::new();
    let keep = Keep::default();
    let client = Client::new(
        s.root().insecure().build().unwrap(),
        Options::default().reporter(Arc::new(keep.clone())),
    )
    .unwrap();
    client.call(&Call::whm("version")).unwrap();
    let warnings: Vec<String> = keep
        .said()
        .into_iter()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(warnings[0].contains("verification is off"), "{warnings:#?}");
    // Paging: every record, once, and a page size of 0 refused before sending.
    let all = client
        .call_with(&Call::whm("listaccts"), &CallOptions::default().paginate(2))
        .unwrap();
    let accounts: Accounts = all.payload_as().unwrap();
    assert!(accounts.acct.len() >= 4);
    let e = client
        .call_all_pages(&Call::whm("listaccts"), 0)
        .unwrap_err();
    assert_eq!(*e.kind(), ErrorKind::InvalidCall);
}
