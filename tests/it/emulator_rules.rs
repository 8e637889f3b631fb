//! The emulator is only as good as its strictness: these tests hold it to a real server's rules,
//! and replay, byte for byte, the requests of the vendor's example clients in shared/seeds/.

use base64::Engine;

use crate::common::{raw, Raw};
use crate::emulator::accounts::{self, ASDER, BOB, CPTEST, ROOT};
use crate::emulator::server::{totp_at, unix_now};
use crate::emulator::{Emulator, Service};

fn get(emu: &Emulator, service: Service, target: &str, headers: &[(&str, &str)]) -> Raw {
    let mut req = format!(
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n",
        emu.port(service, true)
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("Connection: close\r\n\r\n");
    raw(emu, service, true, &req)
}

fn post(
    emu: &Emulator,
    service: Service,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Raw {
    let mut req = format!(
        "POST {target} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n",
        emu.port(service, true)
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    raw(emu, service, true, &req)
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

fn code(secret: &str) -> String {
    totp_at(secret, unix_now())
}

// ---- the vendor's example clients ---------------------------------------------------------

#[test]
fn vendor_access_hash_example() {
    // access-hash-authentication.txt (Perl LWP and PHP curl): GET with "WHM root:HASH".
    let emu = Emulator::start();
    let auth = format!("WHM root:{}", accounts::root_accesshash_joined());
    let r = get(
        &emu,
        Service::Whm,
        "/json-api/listaccts?api.version=1",
        &[("Authorization", &auth), ("User-Agent", "libwww-perl/6.68")],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["metadata"]["result"], 1);
    assert_eq!(r.json()["metadata"]["command"], "listaccts");
}

#[test]
fn vendor_two_factor_per_request_example() {
    // two-factor-authentication.txt, non-session Perl: Basic + X-CPANEL-OTP on 2083, then
    // "WHM asder:TOKEN" + X-CPANEL-OTP on 2087.
    let emu = Emulator::start();
    let otp = code(ASDER.totp.unwrap());
    let r = get(
        &emu,
        Service::Cpanel,
        "/execute/Ftp/list_ftp",
        &[
            ("Authorization", &basic("asder", "blah1")),
            ("X-CPANEL-OTP", &otp),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], 1);
    let auth = format!("WHM asder:{}", ASDER.whm_token.unwrap());
    let r = get(
        &emu,
        Service::Whm,
        "/json-api/applist?api.version=1",
        &[("Authorization", &auth), ("X-CPANEL-OTP", &otp)],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["metadata"]["result"], 1);
}

#[test]
fn vendor_two_factor_session_example() {
    // two-factor-authentication.txt, session Perl and PHP: POST /login (no login_only), read
    // the security token from Location, then call /cpsess…/execute/Email/list_pops with the cookie.
    let emu = Emulator::start();
    let form = format!(
        "user=cptest&pass=blahblah&tfa_token={}",
        code(CPTEST.totp.unwrap())
    );
    let r = post(
        &emu,
        Service::Cpanel,
        "/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &form,
    );
    assert_eq!(r.status, 301, "{}", r.head);
    let location = r.header("Location").expect("Location");
    let token = location
        .split('/')
        .nth(1)
        .expect("perl: (split /\\//, location)[1]")
        .to_string();
    assert!(
        token.starts_with("cpsess") && token.len() == 16,
        "{location}"
    );
    let set_cookie = r.header("Set-Cookie").expect("Set-Cookie");
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    assert!(cookie.starts_with("cpsession="), "{set_cookie}");

    // Perl: GET with the cookie jar.
    let r = get(
        &emu,
        Service::Cpanel,
        &format!("/{token}/execute/Email/list_pops"),
        &[("Cookie", &cookie)],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], 1);
    // PHP: POST with no fields and the cookie file.
    let r = post(
        &emu,
        Service::Cpanel,
        &format!("/{token}/execute/Email/list_pops"),
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        "",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], 1);
}

// ---- strictness ---------------------------------------------------------------------------

#[test]
fn whm_calls_need_api_version_1() {
    let emu = Emulator::start();
    let auth = format!("whm root:{}", ROOT.whm_token.unwrap());
    let cases = [
        ("/json-api/version", 400),
        ("/json-api/version?api.version=0", 400),
        ("/json-api/version?api.version=1", 200),
    ];
    for (target, want) in cases {
        let got = get(&emu, Service::Whm, target, &[("Authorization", &auth)]).status;
        assert_eq!(got, want, "{target}");
    }
}

#[test]
fn wrong_header_forms_are_refused() {
    let emu = Emulator::start();
    let token = ROOT.whm_token.unwrap();
    let cases = [
        format!("Bearer {token}"),
        format!("whm root {token}"),
        format!("whm  root:{token}"),
        format!("whm root:{}", &token[1..]),
        format!("cpanel root:{token}"),
        format!("WHM bob:{token}"),
        basic("root", "wrong"),
        "Basic !!!".to_string(),
    ];
    for auth in &cases {
        let r = get(
            &emu,
            Service::Whm,
            "/json-api/version?api.version=1",
            &[("Authorization", auth)],
        );
        assert_eq!(r.status, 403, "{auth}: {}", r.body);
        assert!(r.header("Content-Type").unwrap().starts_with("text/plain"));
        assert_eq!(r.json()["cpanelresult"]["error"], "Access denied");
    }
    let good = format!("whm root:{token}");
    let twice = get(
        &emu,
        Service::Whm,
        "/json-api/version?api.version=1",
        &[("Authorization", &good), ("Authorization", &good)],
    );
    assert_eq!(twice.status, 403);
    let none = get(&emu, Service::Whm, "/json-api/version?api.version=1", &[]);
    assert_eq!(none.status, 401);
    assert!(none.body.contains("<form"), "no credentials: a login page");
}

#[test]
fn ports_serve_only_their_service() {
    let emu = Emulator::start();
    let whm_token = format!("whm root:{}", ROOT.whm_token.unwrap());
    let cp_token = format!("cpanel bob:{}", BOB.cpanel_token.unwrap());
    let root_password = basic("root", ROOT.password);
    let bob_password = basic("bob", BOB.password);
    // (port, path, Authorization, the status a real server answers)
    let cases = [
        // A WHM token on the cPanel port, a cPanel token on the WHM port.
        (Service::Cpanel, "/execute/Email/list_pops", &whm_token, 403),
        (
            Service::Whm,
            "/json-api/version?api.version=1",
            &cp_token,
            403,
        ),
        // UAPI is not on the WHM port.
        (Service::Whm, "/execute/Email/list_pops", &whm_token, 404),
        // A WHM user's password does not open cPanel, nor a cPanel user's WHM.
        (
            Service::Cpanel,
            "/execute/Email/list_pops",
            &root_password,
            403,
        ),
        (
            Service::Whm,
            "/json-api/version?api.version=1",
            &bob_password,
            403,
        ),
    ];
    for (service, path, auth, status) in cases {
        let got = get(&emu, service, path, &[("Authorization", auth)]).status;
        assert_eq!(got, status, "{service:?} {path}");
    }
    // A cPanel token only reaches UAPI and API 2.
    let r = get(
        &emu,
        Service::Cpanel,
        "/json-api/listaccts?api.version=1",
        &[("Authorization", &cp_token)],
    );
    assert_eq!(r.status, 403);
    assert!(r
        .body
        .contains("Token authentication allows access to UAPI or API 2 calls only"));
}

#[test]
fn two_factor_codes_are_checked() {
    let emu = Emulator::start();
    let auth = basic("cptest", CPTEST.password);
    let secret = CPTEST.totp.unwrap();
    let now = unix_now();
    let cases = [
        (None, 403),
        (Some("000000".to_string()), 403),
        (Some(totp_at(secret, now - 90)), 403), // three steps back: outside the ±1 window
        (Some(totp_at(secret, now)), 200),
        (Some(totp_at(secret, now + 30)), 200),
    ];
    for (otp, want) in cases {
        let mut headers = vec![("Authorization", auth.as_str())];
        if let Some(otp) = &otp {
            headers.push(("X-CPANEL-OTP", otp));
        }
        let r = get(&emu, Service::Cpanel, "/execute/Ftp/list_ftp", &headers);
        assert_eq!(r.status, want, "{otp:?}: {}", r.body);
        if want == 403 {
            assert_eq!(r.json()["error"], "TwoFactorAuth check failed");
        }
    }
}

#[test]
fn sessions_need_cookie_and_token_of_the_same_service() {
    let emu = Emulator::start();
    let r = post(
        &emu,
        Service::Cpanel,
        "/login/?login_only=1",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &format!("user=bob&pass={}", BOB.password),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.json()["security_token"].as_str().unwrap().to_string();
    let cookie = r
        .header("Set-Cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let path = format!("{token}/execute/Email/list_pops");
    assert_eq!(
        get(&emu, Service::Cpanel, &path, &[("Cookie", &cookie)]).status,
        200
    );
    assert_eq!(
        get(&emu, Service::Cpanel, &path, &[]).status,
        401,
        "no cookie"
    );
    assert_eq!(
        get(
            &emu,
            Service::Cpanel,
            "/execute/Email/list_pops",
            &[("Cookie", &cookie)]
        )
        .status,
        401,
        "no /cpsess prefix"
    );
    assert_eq!(
        get(
            &emu,
            Service::Cpanel,
            "/cpsess0000000001/execute/Email/list_pops",
            &[("Cookie", &cookie)]
        )
        .status,
        401,
        "wrong token"
    );
    assert_eq!(
        get(
            &emu,
            Service::Cpanel,
            "/cpsess123/execute/Email/list_pops",
            &[("Cookie", &cookie)]
        )
        .status,
        401,
        "malformed token"
    );
    let on_webmail = get(
        &emu,
        Service::Webmail,
        &path,
        &[("Cookie", &cookie.replace("cpsession", "webmailsession"))],
    );
    assert_eq!(on_webmail.status, 401, "another service's session");
    let logout = get(&emu, Service::Cpanel, "/logout/", &[("Cookie", &cookie)]);
    assert_eq!(logout.status, 200);
    assert_eq!(
        get(&emu, Service::Cpanel, &path, &[("Cookie", &cookie)]).status,
        401,
        "after logout"
    );
}

#[test]
fn refused_logins_answer_401() {
    let emu = Emulator::start();
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let r = post(
        &emu,
        Service::Cpanel,
        "/login/?login_only=1",
        &form,
        "user=bob&pass=wrong",
    );
    assert_eq!((r.status, r.json()["status"].clone()), (401, 0.into()));
    assert_eq!(r.json()["message"], "invalid_login");
    let r = post(
        &emu,
        Service::Cpanel,
        "/login/?login_only=1",
        &form,
        "user=cptest&pass=blahblah&tfa_token=000000",
    );
    assert_eq!(r.status, 401);
    let r = post(
        &emu,
        Service::Whm,
        "/login/?login_only=1",
        &form,
        &format!("user=bob&pass={}", BOB.password),
    );
    assert_eq!(r.status, 401, "a cPanel user cannot log into WHM");
}

#[test]
fn request_bodies_in_every_form_cpanel_reads() {
    let emu = Emulator::start();
    let auth = format!("cpanel bob:{}", BOB.cpanel_token.unwrap());
    let boundary = "------------------------a1b2c3";
    let multipart = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nx\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\ny\r\n--{boundary}--\r\n"
    );
    let multipart_type = format!("multipart/form-data; boundary={boundary}");
    let json = r#"{"email":"x","password":"y"}"#;
    let cases = [
        ("application/json", json, 200),
        ("application/json; charset=utf-8", json, 200),
        (
            "application/x-www-form-urlencoded",
            "email=x&password=y",
            200,
        ),
        (
            "application/x-www-form-urlencoded; charset=UTF-8",
            "email=x&password=y",
            200,
        ),
        (multipart_type.as_str(), multipart.as_str(), 200),
        ("application/json", "[1]", 400),
        ("text/plain", "email=x&password=y", 400),
    ];
    for (content_type, body, status) in cases {
        let r = post(
            &emu,
            Service::Cpanel,
            "/execute/Email/add_pop",
            &[("Authorization", &auth), ("Content-Type", content_type)],
            body,
        );
        assert_eq!(r.status, status, "{content_type}: {}", r.body);
        if status == 200 {
            assert_eq!(r.json()["status"], 1, "{content_type}: {}", r.body);
        }
    }
    // two-factor-authentication.txt, PHP session example: CURLOPT_POSTFIELDS with an array
    // makes curl post the login as multipart/form-data, to /login without login_only.
    let part = |name: &str, value: &str| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )
    };
    let login = format!(
        "{}{}{}--{boundary}--\r\n",
        part("user", "cptest"),
        part("pass", "blahblah"),
        part("tfa_token", &code(CPTEST.totp.unwrap()))
    );
    let r = post(
        &emu,
        Service::Cpanel,
        "/login",
        &[("Content-Type", &multipart_type)],
        &login,
    );
    assert_eq!(r.status, 301, "{}", r.body);
    assert!(r.header("Location").unwrap().starts_with("/cpsess"));
}

#[test]
fn paging_follows_what_was_asked_and_the_server_mode() {
    let paged = |options: crate::emulator::Options, query: &str| {
        let emu = Emulator::start_with(crate::emulator::Options {
            extra_records: 20,
            ..options
        });
        let auth = format!("whm root:{}", ROOT.whm_token.unwrap());
        get(
            &emu,
            Service::Whm,
            &format!("/json-api/listaccts?api.version=1&{query}"),
            &[("Authorization", &auth)],
        )
        .json()
    };
    let plain = paged(Default::default(), "api.chunk.enable=1&api.chunk.size=10");
    assert!(
        plain["metadata"].get("chunk").is_none(),
        "metadata.chunk only with api.chunk.verbose=1"
    );
    assert_eq!(plain["data"]["acct"].as_array().unwrap().len(), 10);
    let verbose = paged(
        Default::default(),
        "api.chunk.enable=1&api.chunk.size=10&api.chunk.verbose=1",
    );
    assert_eq!(verbose["metadata"]["chunk"]["records"], 24);
    let strings = paged(
        crate::emulator::Options {
            string_counts: true,
            ..Default::default()
        },
        "api.chunk.enable=1&api.chunk.size=10&api.chunk.verbose=1",
    );
    assert_eq!(strings["metadata"]["chunk"]["records"], "24");
    let capped = paged(
        crate::emulator::Options {
            page_cap: Some(7),
            ..Default::default()
        },
        "api.chunk.enable=1&api.chunk.size=10&api.chunk.verbose=1",
    );
    assert_eq!(capped["data"]["acct"].as_array().unwrap().len(), 7);
    assert_eq!(capped["metadata"]["chunk"]["size"], 7);
}

#[test]
fn functions_on_the_wrong_port_in_both_forms() {
    let cp = basic("bob", BOB.password);
    let whm = format!("whm root:{}", ROOT.whm_token.unwrap());
    for (json_form, status) in [(false, 403), (true, 200)] {
        let emu = Emulator::start_with(crate::emulator::Options {
            wrong_port_json: json_form,
            ..Default::default()
        });
        let r = get(
            &emu,
            Service::Cpanel,
            "/json-api/listaccts?api.version=1",
            &[("Authorization", &cp)],
        );
        assert_eq!(r.status, status);
        assert!(r.body.contains("Permission denied"), "{}", r.body);
        let r = get(
            &emu,
            Service::Whm,
            "/execute/Email/list_pops",
            &[("Authorization", &whm)],
        );
        assert_eq!(r.status, if json_form { 200 } else { 404 });
        if json_form {
            assert!(r.body.contains("Function not found"), "{}", r.body);
        }
    }
}

/// What `cargo run --example emulator` prints for a newcomer: every account, and a config
/// whose every profile works as printed.
#[test]
fn the_printed_guide_works_as_printed() {
    let f = crate::common::Fixture::new();
    let ca = f.ca_file();
    let guide = f.emu.guide(&ca.display().to_string());
    for secret in [ROOT.whm_token.unwrap(), BOB.password, CPTEST.totp.unwrap()] {
        assert!(guide.contains(secret), "{guide}");
    }
    let config: String = guide
        .lines()
        .skip_while(|l| !l.starts_with("default_profile"))
        .take_while(|l| !l.starts_with("Then:"))
        .map(|l| format!("{l}\n"))
        .collect();
    for (profile, args) in [
        ("root", &["whm", "listaccts"][..]),
        ("bob", &["cpanel", "Email", "list_pops"]),
        ("cptest", &["cpanel", "Ftp", "list_ftp"]),
        ("mail", &["cpanel", "Email", "list_pops"]),
    ] {
        let mut full = vec!["-p", profile];
        full.extend(args);
        f.call(&config, &full).assert_code(0);
    }
}

/// Every function the emulator implements is one cPanel documents (the catalogue); the
/// fixture checks that the tests send only the parameters documented for them.
#[test]
fn the_emulator_implements_only_catalogued_functions() {
    use crate::emulator::server::{UAPI_FUNCTIONS, WHM_FUNCTIONS};
    for name in WHM_FUNCTIONS {
        assert!(cpcall::internal::whm(name).is_some(), "WHM {name}");
    }
    for (module, function) in UAPI_FUNCTIONS {
        assert!(
            cpcall::internal::uapi(module, function).is_some(),
            "UAPI {module}::{function}"
        );
    }
    let emu = Emulator::start();
    let auth = format!("whm root:{}", ROOT.whm_token.unwrap());
    let r = get(
        &emu,
        Service::Whm,
        "/json-api/listaccts?api.version=1&serach=bob",
        &[("Authorization", &auth)],
    );
    assert_eq!(
        r.json()["metadata"]["result"],
        1,
        "cPanel ignores a parameter it does not know"
    );
    assert_eq!(
        emu.state.unknown_params.lock().unwrap().as_slice(),
        ["listaccts serach"]
    );
}
