//! An in-process cPanel & WHM server for tests and the demo: real TCP sockets, real TLS with a
//! certificate made at start-up, the URL forms, auth rules and answer shapes of protocol.md.
//!
//! The rule: as strict as cPanel, and no stricter. Every answer shape and every refusal copies
//! a vendor behaviour and says which, citing `shared/protocol.md` (its section in quotes) or
//! the vendor documents in `shared/seeds/`; where the vendor's exact form is unconfirmed, the
//! comment says so and the options offer each form seen. A lenient emulator hides cpcall's
//! bugs; a stricter one fails what cPanel accepts. `tests/it/emulator_rules.rs` holds it to
//! these rules and replays the vendor's example clients' requests against it.
//!
//! Real servers also misbehave in ways cpcall must survive: `Options` turns those on (numbers
//! as strings, capped pages, closed connections, faults, hostile answers).
//!
//! Every request is recorded (`requests()`), so tests can check what went over the wire.
#![allow(dead_code)]

pub mod accounts;
pub mod http;
pub mod proxy;
pub mod server;

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use self::server::{Ctx, Who};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Whm,
    Cpanel,
    Webmail,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::Whm => "whm",
            Service::Cpanel => "cpanel",
            Service::Webmail => "webmail",
        }
    }
}

/// The functions and parameters cPanel documents, for noting the parameters a test sent that
/// a function does not take ([`State::unknown_params`]): the tests must call functions as
/// cPanel documents them. Installed once by a test suite that has a catalogue.
pub trait Catalogue: Send + Sync {
    /// Whether `function` (of `module`, for UAPI; WHM API 1 without) takes `param`; `None`
    /// when the function is not catalogued.
    fn knows(&self, module: Option<&str>, function: &str, param: &str) -> Option<bool>;
}

pub(crate) static CATALOGUE: std::sync::OnceLock<&'static dyn Catalogue> =
    std::sync::OnceLock::new();

/// Installs the catalogue the emulator checks parameters against (once; later calls change
/// nothing).
pub fn use_catalogue(catalogue: &'static dyn Catalogue) {
    let _ = CATALOGUE.set(catalogue);
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Send `metadata.result` and UAPI `status` as "1"/"0" strings, as some servers do.
    pub string_flags: bool,
    /// Enforce 2FA on API calls with Basic auth (the server's security policy).
    pub tfa_for_api: bool,
    /// How long a session lives without use.
    pub session_idle: Duration,
    /// Seconds the server's clock is ahead of the real one.
    pub clock_skew_secs: i64,
    /// Answer logins with the 301 redirect even when `login_only=1` asks for JSON.
    pub login_redirects: bool,
    /// Misbehave on every request, the way broken servers and networks do.
    pub fault: Option<Fault>,
    /// The fault hits from this request on (1-based, counted over all ports; 0 and 1: all), so
    /// that earlier calls of a batch leave a kept-alive connection to be reused.
    pub fault_from: usize,
    /// The fault hits up to this request (1-based; 0: no end): a server that comes back, as
    /// cpsrvd does after a restart during the nightly update (its 503s, then answers).
    pub fault_until: usize,
    /// Extra cPanel accounts (`user00001`…) and mailboxes, for long listings.
    pub extra_records: usize,
    /// Ready answers for WHM functions, by name (benchmarks: a 50 MB `listaccts` built once;
    /// tests: answers a hostile server could send).
    pub canned: Vec<(String, Arc<Vec<u8>>)>,
    /// Days the server certificate has left (default: valid for years).
    pub cert_days_left: Option<i64>,
    /// Days until the server certificate becomes valid (a clock behind, or a certificate
    /// issued ahead of time).
    pub cert_valid_in_days: Option<i64>,
    /// Close a kept-alive connection once it has been idle this long (default 30 s).
    pub idle_close: Option<Duration>,
    /// Send paging counts (`records`, `total_results`, …) as strings of digits.
    pub string_counts: bool,
    /// The largest page handed out, whatever size was asked.
    pub page_cap: Option<usize>,
    /// Announce this many more records than the listing holds (one that shrank while paged).
    pub announce_extra: usize,
    /// Announce the listing's size as this value instead (`"abc"`, `-1`, `null`: a count that
    /// is not one), as a broken or hostile server might.
    pub total_as: Option<serde_json::Value>,
    /// Serve every page from the first record, whatever start was asked (and say so in
    /// `start`/`start_result`), as a server that ignores the offset would.
    pub ignore_start: bool,
    /// Answer every request with `Connection: close`, and close.
    pub connection_close: bool,
    /// Close every connection right after its answer without `Connection: close`, as a server
    /// that drops idle kept-alive connections early does.
    pub hang_up: bool,
    /// Refuse a function on the wrong port with HTTP 200 and a JSON error instead of 403/404.
    pub wrong_port_json: bool,
    /// Present one self-signed certificate with `CA:TRUE` (what `openssl req -x509` makes)
    /// instead of a leaf signed by a test CA; `ca_pem` is then that certificate.
    pub self_signed: bool,
    /// The server certificate's subjectAltName entries (default localhost, 127.0.0.1, ::1).
    pub cert_names: Option<Vec<String>>,
    /// A certificate and key made elsewhere (PEM), e.g. by `openssl req -x509`: presented as
    /// they are, the certificate also being `ca_pem`.
    pub identity_pem: Option<(String, String)>,
    /// The server certificate's common name (default `localhost`): anything a certificate's
    /// maker can write, line breaks and escape sequences included.
    pub cert_common_name: Option<String>,
    /// A hostile or debugging server: every refusal (401/403) quotes what it was sent, the
    /// Authorization and Cookie headers and the body, in the encodings a server may write them
    /// (as received, form- and percent-encoded, JSON-escaped, base64).
    pub echo_credentials: bool,
    /// A hostile listing: paged `listaccts` announces this many records and makes each page up
    /// on the spot, however far it is asked to go (a server that never says "done").
    pub endless_listing: Option<u64>,
}

/// A `listaccts` answer of about `bytes` bytes, as a real server with many accounts sends it.
pub fn big_listaccts(bytes: usize) -> Vec<u8> {
    let mut out = String::with_capacity(bytes + 4096);
    out.push_str(r#"{"metadata":{"version":1,"command":"listaccts","result":1,"reason":"OK"},"data":{"acct":["#);
    let mut i = 0;
    while out.len() < bytes {
        if i > 0 {
            out.push(',');
        }
        i += 1;
        out.push_str(&format!(
            r#"{{"user":"u{i:07}","domain":"site{i:07}.example","owner":"root","email":"admin@site{i:07}.example","plan":"default","suspended":0,"diskused":"{}M","ip":"192.0.2.{}"}}"#,
            i % 997,
            i % 250
        ));
    }
    out.push_str("]}}");
    out.into_bytes()
}

impl Options {
    /// These options, with `body` as the answer of WHM function `function`.
    pub fn answering(mut self, function: &str, body: impl Into<Vec<u8>>) -> Self {
        self.canned
            .push((function.to_string(), Arc::new(body.into())));
        self
    }
}

/// What can go wrong between cpcall and a server.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer correctly, but only after this long.
    Slow(Duration),
    /// Read the request, then close the connection without a byte.
    CloseBeforeAnswer,
    /// Send the head and half the body, then close.
    CloseMidBody,
    /// Send the head and half the body, then stall (20 s) before closing.
    StallMidBody,
    /// A complete HTTP answer whose JSON body is cut in half.
    TruncatedJson,
    /// This status with an HTML error page (500, 502, 503…).
    Status(u16),
    /// The HTML login page with status 200.
    LoginPage200,
    /// Bytes that are not HTTP.
    RandomBytes,
    /// A 200 answer whose body is not UTF-8.
    NotUtf8,
    /// A 200 answer with an empty body.
    EmptyBody,
    /// A 200 answer of this many bytes.
    Huge(u64),
    /// A redirect to the same URL.
    RedirectLoop,
    /// These bytes as the whole answer (head and body), then close.
    Answer(Vec<u8>),
}

fn apply(fault: &Fault, req: &http::Request, mut r: http::Response) -> http::Response {
    use http::{Response, Wire};
    match fault {
        Fault::Slow(d) => r.delay = Some(*d),
        Fault::CloseBeforeAnswer => r.wire = Wire::Close,
        Fault::CloseMidBody => r.wire = Wire::CutAfter(r.body.len() / 2),
        Fault::StallMidBody => r.wire = Wire::StallAfter(r.body.len() / 2),
        Fault::TruncatedJson => r.body.truncate(r.body.len() / 2),
        Fault::Status(status) => {
            let page = format!("<html><head><title>{status}</title></head><body><h1>Error {status}</h1></body></html>");
            r = Response::new(*status, "text/html", page)
        }
        Fault::LoginPage200 => r = Response::new(200, "text/html", server::LOGIN_PAGE),
        Fault::RandomBytes => {
            r.wire = Wire::Raw(
                (0..512u32)
                    .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                    .collect(),
            )
        }
        Fault::NotUtf8 => {
            r = Response::new(
                200,
                "application/json",
                b"{\"status\":\"\xff\xfe\"}".to_vec(),
            )
        }
        Fault::EmptyBody => r = Response::new(200, "application/json", ""),
        Fault::Huge(n) => r.wire = Wire::Endless(*n),
        Fault::Answer(bytes) => r.wire = Wire::Raw(bytes.clone()),
        Fault::RedirectLoop => {
            r = Response::new(302, "text/html", "").with_header("Location", req.target.clone())
        }
    }
    r
}

impl Default for Options {
    fn default() -> Self {
        Options {
            string_flags: false,
            tfa_for_api: true,
            session_idle: server::session_idle_default(),
            clock_skew_secs: 0,
            login_redirects: false,
            fault: None,
            fault_until: 0,
            fault_from: 0,
            extra_records: 0,
            canned: Vec::new(),
            cert_days_left: None,
            cert_valid_in_days: None,
            idle_close: None,
            cert_common_name: None,
            cert_names: None,
            identity_pem: None,
            string_counts: false,
            announce_extra: 0,
            total_as: None,
            ignore_start: false,
            page_cap: None,
            connection_close: false,
            hang_up: false,
            wrong_port_json: false,
            self_signed: false,
            echo_credentials: false,
            endless_listing: None,
        }
    }
}

/// One request as the emulator received it, and the status it answered.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub service: Service,
    pub tls: bool,
    pub request: http::Request,
    pub status: u16,
}

pub struct Session {
    pub service: Service,
    pub token: String,
    pub who: Who,
    pub last_used: Instant,
}

pub struct State {
    pub options: Options,
    pub log: Mutex<Vec<Recorded>>,
    /// Accounts made by `createacct`: (user, domain, owner).
    pub created: Mutex<Vec<(String, String, String)>>,
    /// Live sessions by cookie value.
    pub sessions: Mutex<HashMap<String, Session>>,
    logins: AtomicUsize,
    counter: AtomicUsize,
    /// `function key` of every parameter sent to an implemented function that the catalogue
    /// does not know for it.
    pub unknown_params: Mutex<Vec<String>>,
    /// TCP connections accepted, on all ports.
    pub connections: Arc<AtomicUsize>,
}

impl State {
    pub fn cpanel_accounts(&self) -> Vec<(String, String, String)> {
        let mut all: Vec<_> = accounts::ACCOUNTS
            .iter()
            .filter(|a| a.cpanel)
            .map(|a| {
                (
                    a.user.to_string(),
                    a.domain.to_string(),
                    a.owner.to_string(),
                )
            })
            .collect();
        all.extend(self.created.lock().unwrap().iter().cloned());
        all.extend((1..=self.options.extra_records).map(|i| {
            (
                format!("user{i:05}"),
                format!("site{i:05}.example"),
                "root".to_string(),
            )
        }));
        all
    }

    fn count_login(&self) {
        self.logins.fetch_add(1, Ordering::SeqCst);
    }

    /// A new session: its `/cpsessNNNNNNNNNN` token and its cookie value.
    fn new_session(&self, service: Service, who: Who, _tls: bool) -> (String, String) {
        let n = self.counter.fetch_add(1, Ordering::SeqCst) as u64;
        let seed = Instant::now().elapsed().as_nanos() as u64 ^ (std::process::id() as u64) << 20;
        let token = format!(
            "/cpsess{:010}",
            (seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(n * 7919))
                % 10_000_000_000
        );
        let name = match &who {
            Who::Whm(a) => a.user.to_string(),
            Who::Cpanel { account, .. } => account.user.to_string(),
            Who::Mail { email, .. } => email.to_string(),
        };
        let random: [u8; 16] = {
            let mut b = [0u8; 16];
            ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b).unwrap();
            b
        };
        let cookie = format!(
            "{}%3a{}",
            name.replace('@', "%40"),
            data_encoding::HEXLOWER.encode(&random)
        );
        self.sessions.lock().unwrap().insert(
            cookie.clone(),
            Session {
                service,
                token: token.clone(),
                who,
                last_used: Instant::now(),
            },
        );
        (token, cookie)
    }

    /// Every session cookie handed out so far: secrets, like passwords.
    pub fn cookies(&self) -> Vec<String> {
        self.sessions.lock().unwrap().keys().cloned().collect()
    }
}

pub struct Emulator {
    pub state: Arc<State>,
    ports: HashMap<(Service, bool), u16>,
    /// PEM of the CA that signed the server certificate (for `ca_file`).
    pub ca_pem: String,
    /// DER of the server certificate (for `pin_sha256`).
    pub cert_der: Vec<u8>,
}

impl Emulator {
    pub fn start() -> Self {
        Self::start_with(Options::default())
    }

    pub fn start_with(options: Options) -> Self {
        let (ca_pem, cert_der, tls_config) = make_tls(&options);
        let state = Arc::new(State {
            options,
            log: Mutex::new(Vec::new()),
            created: Mutex::new(Vec::new()),
            sessions: Mutex::new(HashMap::new()),
            logins: AtomicUsize::new(0),
            counter: AtomicUsize::new(1),
            connections: Arc::new(AtomicUsize::new(0)),
            unknown_params: Mutex::new(Vec::new()),
        });
        let mut ports = HashMap::new();
        for service in [Service::Whm, Service::Cpanel, Service::Webmail] {
            for tls in [true, false] {
                let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
                let port = listener.local_addr().expect("local addr").port();
                ports.insert((service, tls), port);
                let ctx = Arc::new(Ctx {
                    service,
                    tls,
                    port,
                    state: state.clone(),
                });
                let handler: http::Handler = Arc::new(move |req: &http::Request| {
                    let mut response = ctx.handle(req);
                    let nth = ctx.state.log.lock().unwrap().len() + 1;
                    if let Some(fault) = &ctx.state.options.fault {
                        let until = ctx.state.options.fault_until;
                        if nth >= ctx.state.options.fault_from && (until == 0 || nth <= until) {
                            response = apply(fault, req, response);
                        }
                    }
                    let skew = ctx.state.options.clock_skew_secs;
                    let now = std::time::SystemTime::now();
                    let server_now = if skew >= 0 {
                        now + Duration::from_secs(skew as u64)
                    } else {
                        now - Duration::from_secs(skew.unsigned_abs())
                    };
                    response
                        .headers
                        .push(("Date".into(), httpdate::fmt_http_date(server_now)));
                    // cpsrvd often closes after an answer, errors above all (protocol.md).
                    if ctx.state.options.connection_close {
                        response.headers.push(("Connection".into(), "close".into()));
                    }
                    response.hang_up = ctx.state.options.hang_up;
                    ctx.state.log.lock().unwrap().push(Recorded {
                        service: ctx.service,
                        tls: ctx.tls,
                        request: req.clone(),
                        status: response.status,
                    });
                    response
                });
                http::serve(
                    listener,
                    tls.then(|| tls_config.clone()),
                    handler,
                    state.connections.clone(),
                    state.options.idle_close.unwrap_or(Duration::from_secs(30)),
                );
            }
        }
        Emulator {
            state,
            ports,
            ca_pem,
            cert_der,
        }
    }

    pub fn port(&self, service: Service, tls: bool) -> u16 {
        self.ports[&(service, tls)]
    }

    /// SHA-256 of the server certificate, hex.
    pub fn pin_hex(&self) -> String {
        let digest = ring::digest::digest(&ring::digest::SHA256, &self.cert_der);
        data_encoding::HEXLOWER.encode(digest.as_ref())
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.log.lock().unwrap().clone()
    }

    /// The accounts, their credentials, and a config file for cpcall with one profile per way in.
    pub fn guide(&self, ca: &str) -> String {
        use accounts::{ASDER, BOB, CPTEST, MAILBOXES, RESELLER, ROOT};
        let root_token = ROOT.whm_token.unwrap_or_default();
        let mut text = String::from("\nAccounts (user / password / tokens / TOTP secret):\n");
        for a in [&ROOT, &RESELLER, &BOB, &CPTEST, &ASDER] {
            text.push_str(&format!(
                "  {:<9} {:<22} whm token {:<34} cpanel token {:<34} totp {}\n",
                a.user,
                a.password,
                a.whm_token.unwrap_or("-"),
                a.cpanel_token.unwrap_or("-"),
                a.totp.unwrap_or("-"),
            ));
        }
        for (email, password, _) in MAILBOXES {
            text.push_str(&format!("  {email} (webmail) {password}\n"));
        }
        let whm = self.port(Service::Whm, true);
        let cpanel = self.port(Service::Cpanel, true);
        let webmail = self.port(Service::Webmail, true);
        text.push_str(&format!(
            "\nA config for cpcall (save as ~/.config/cpcall/config.toml, chmod 600):\n\n\
    default_profile = \"root\"\n\n\
    [profiles.root]\nhost = \"127.0.0.1\"\nport = {whm}\nca_file = \"{ca}\"\ntoken = \"{root_token}\"\n\n\
    [profiles.bob]\nhost = \"127.0.0.1\"\nport = {cpanel}\nservice = \"cpanel\"\nca_file = \"{ca}\"\nuser = \"bob\"\ntoken = \"{}\"\n\n\
    [profiles.cptest]   # password + 2FA, in a session\nhost = \"127.0.0.1\"\nport = {cpanel}\nservice = \"cpanel\"\nca_file = \"{ca}\"\nauth = \"session\"\nuser = \"cptest\"\npassword = \"{}\"\ntotp_secret = \"{}\"\n\n\
    [profiles.mail]\nhost = \"127.0.0.1\"\nport = {webmail}\nservice = \"webmail\"\nca_file = \"{ca}\"\nuser = \"{}\"\npassword = \"{}\"\n\n\
    Then: cpcall whm listaccts; cpcall -p bob cpanel Email list_pops; cpcall -p cptest cpanel Ftp list_ftp\n\n",
            BOB.cpanel_token.unwrap_or_default(),
            CPTEST.password,
            CPTEST.totp.unwrap_or_default(),
            MAILBOXES[0].0,
            MAILBOXES[0].1,
        ));
        text
    }

    pub fn logins(&self) -> usize {
        self.state.logins.load(Ordering::SeqCst)
    }
}

/// A CA and a server certificate for localhost, 127.0.0.1 and ::1, made fresh for each emulator.
fn make_tls(options: &Options) -> (String, Vec<u8>, Arc<rustls::ServerConfig>) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let (days_left, common_name) = (options.cert_days_left, options.cert_common_name.as_deref());
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "cpcall emulator test CA");
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA cert");
    let issuer = Issuer::new(ca_params, ca_key);

    let key = KeyPair::generate().expect("server key");
    let names = options.cert_names.clone().unwrap_or_else(|| {
        vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
        ]
    });
    let mut params = CertificateParams::new(names).expect("server params");
    params
        .distinguished_name
        .push(DnType::CommonName, common_name.unwrap_or("localhost"));
    if let Some(days) = days_left {
        let (y, m, d) = civil_date(server::unix_now() as i64 / 86_400 + days);
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(y, m, d);
    }
    if let Some(days) = options.cert_valid_in_days {
        let (y, m, d) = civil_date(server::unix_now() as i64 / 86_400 + days);
        params.not_before = rcgen::date_time_ymd(y, m, d);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = |chain: Vec<rustls::pki_types::CertificateDer<'static>>, key: &KeyPair| {
        let key_der = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
        rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(chain, key_der)
            .expect("server TLS config")
    };
    if let Some((cert_pem, key_pem)) = &options.identity_pem {
        use rustls::pki_types::pem::PemObject;
        let cert = rustls::pki_types::CertificateDer::from_pem_slice(cert_pem.as_bytes())
            .expect("identity certificate");
        let key_der = rustls::pki_types::PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
            .expect("identity key");
        let config = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key_der)
            .expect("server TLS config");
        return (cert_pem.clone(), cert.to_vec(), Arc::new(config));
    }
    if options.self_signed {
        // What `openssl req -x509 -newkey rsa -subj /CN=… -addext subjectAltName=…` makes, and
        // what cPanel's own self-signed service certificates look like: one certificate,
        // its own issuer, with basicConstraints CA:TRUE.
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).expect("self-signed cert");
        let config = server(vec![cert.der().clone()], &key);
        return (cert.pem(), cert.der().to_vec(), Arc::new(config));
    }
    let cert = params.signed_by(&key, &issuer).expect("server cert");

    let chain = vec![cert.der().clone(), ca_cert.der().clone()];
    let config = server(chain, &key);
    (ca_cert.pem(), cert.der().to_vec(), Arc::new(config))
}

/// Year, month, day of a day count since 1970-01-01 (Howard Hinnant's civil_from_days).
fn civil_date(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as i32, m as u8, d as u8)
}
