//! Where a request is sent: the HTTP client (ureq over our TLS connector), timeouts, the size
//! cap, traffic lines, and turning network failures into errors of their kind, in messages
//! that say what to do.

use std::time::{Duration, Instant};

use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{ConnectProxyConnector, Connector, TcpConnector};

use crate::body::{sink_error, Body, KeepError, Spooling};
use crate::call::{Method, Request};
use crate::error::{Error, ErrorKind, Result, Term};
use crate::json::Checked;
use crate::params::{encode_form, masked_form, Param};
use crate::report::Voice;
use crate::sink::Printer;
use crate::target::Target;
use crate::tls::{self, SeenCert, TlsConnector};
use crate::tls_failure::TlsReason;

/// A header whose value may be a secret (`Authorization`, `Cookie`): masked wherever a request
/// is shown. Defined here, below `auth` and `session`, which make them.
pub type AuthHeader = (&'static str, crate::secret::Secret);

/// The most of an answer read by default ([`crate::Options::max_body`]): 256 MiB; a larger one
/// is an error, not an out-of-memory kill.
pub const DEFAULT_MAX_BODY: u64 = 256 << 20;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Tries for a connection the server refused: nothing was sent, so trying again is safe.
const CONNECT_ATTEMPTS: u32 = 3;
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// An HTTP answer as it was received.
#[derive(Debug)]
pub struct Response {
    /// Its status.
    pub status: u16,
    /// Its headers, names as sent.
    pub headers: Vec<(String, String)>,
    /// Its body, in memory or spooled.
    pub body: Body,
    /// What one pass over the body found as it arrived (json.rs): enough to judge it.
    pub checked: Checked,
}

impl Response {
    /// A response whose body is already in memory (tests, merged pages).
    #[allow(dead_code)] // the fuzz targets' door
    pub fn from_bytes(status: u16, headers: Vec<(String, String)>, body: Vec<u8>) -> Response {
        Response {
            status,
            headers,
            checked: crate::json::check(&body),
            body: Body::from_vec(body),
        }
    }

    /// The verdict on this response for an API of `kind`.
    pub fn verdict(&self, kind: crate::response::Kind) -> crate::response::Verdict {
        crate::response::judge_checked(kind, self.status, &self.checked)
    }

    /// The whole body in memory (read back when spooled): for small answers such as a login's.
    pub fn bytes(&self) -> Result<std::borrow::Cow<'_, [u8]>> {
        self.body.bytes().map_err(|e| {
            Error::local(format!("cannot read the spooled answer back: {e}")).because(e)
        })
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

pub(crate) struct Client {
    agent: ureq::Agent,
    base: String,
    target: Target,
    seen: SeenCert,
    max_body: u64,
    spooling: Spooling,
    /// Where a single call's answer goes as it arrives.
    printer: std::sync::Mutex<Option<Printer>>,
}

impl Client {
    /// Streamed calls: the API call's answer goes to `printer` as it arrives.
    pub fn print_as_it_arrives(&self, printer: Printer) {
        *self.printer() = Some(printer);
    }

    /// The printer of a streamed call, if one is set (a poisoned lock is still usable: the
    /// printer holds no invariant a panic could break).
    fn printer(&self) -> std::sync::MutexGuard<'_, Option<Printer>> {
        self.printer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Streamed calls end: the printer, to finish.
    pub fn stop_printing(&self) -> Option<Printer> {
        self.printer().take()
    }

    /// Takes back what went to the sink (a broken or refused answer, an error).
    pub fn undo_printed(&self) {
        if let Some(printer) = self.printer().as_mut() {
            if let Err(e) = printer.undo() {
                self.voice().warning(format!(
                    "cannot take back the partial answer on {}: {e}",
                    printer.sink.name()
                ));
            }
        }
    }

    /// What was written to the sink stays (the API's answer, success or failure).
    pub fn keep_printed(&self) {
        if let Some(printer) = self.printer().as_mut() {
            printer.sink.keep();
        }
    }

    /// Whether it shows its traffic.
    pub fn verbose(&self) -> bool {
        self.target.voice.verbose()
    }

    /// Where its words go.
    pub fn voice(&self) -> &Voice {
        &self.target.voice
    }

    /// The largest answer it reads.
    pub fn max_body(&self) -> u64 {
        self.max_body
    }

    /// Where answers too big for memory wait.
    pub fn spooling(&self) -> &Spooling {
        &self.spooling
    }

    pub fn new(
        target: &Target,
        max_body: u64,
        spool_dir: Option<std::path::PathBuf>,
    ) -> Result<Self> {
        let seen = SeenCert::default();
        let tls_config = tls::client_config(&target.verify, seen.clone(), &target.voice)?;
        // Our proxy or none: ureq's own reading of the environment differs from curl's.
        let proxy = target.proxy.as_ref().map(|p| p.to_ureq()).transpose()?;
        let config = ureq::Agent::config_builder()
            .proxy(proxy)
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(target.timeout))
            .timeout_connect(Some(target.timeout.min(CONNECT_TIMEOUT)))
            .user_agent(concat!("cpanel-client/", env!("CARGO_PKG_VERSION")))
            .build();
        let connector =
            ().chain(tls::Dialing)
                .chain(ConnectProxyConnector::default())
                .chain(TcpConnector::default())
                .chain(TlsConnector::new(tls_config));
        let agent = ureq::Agent::with_parts(config, connector, DefaultResolver::default());
        Ok(Client {
            agent,
            base: target.base_url(),
            target: target.clone(),
            seen,
            max_body,
            spooling: Spooling {
                dir: spool_dir,
                voice: target.voice.clone(),
            },
            printer: std::sync::Mutex::new(None),
        })
    }

    /// Sends the request; a refused connection is tried again (at most three tries in all,
    /// 250 ms then 500 ms apart, within the timeout), since nothing reached the server. Nothing
    /// else is repeated: a request that may have been received might have run.
    ///
    /// One more case: a kept-alive connection the server closed while it sat in the pool
    /// (cpsrvd closes idle ones) can look alive until the request is on its way. When such a
    /// reused connection is reset before a single byte of the answer came, the request reached
    /// a socket the server had already closed — TCP resets data that arrives there — so it
    /// never ran, and it goes again, once, on a new connection. A clean close after the request
    /// (the server may have read it) or an answer cut short is never sent again.
    pub fn send(&self, req: &Request, auth: &[AuthHeader]) -> Result<Response> {
        let started = Instant::now();
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 1;
        let mut resent = false;
        loop {
            let connections_before = tls::connections_made();
            tls::forget_answer();
            let result = self.exchange(req, auth);
            let reused = tls::connections_made() == connections_before;
            match result {
                Err(e)
                    if reused
                        && !resent
                        && !tls::answer_began()
                        && (unread_reset(&e) || (req.idempotent && ended(&e))) =>
                {
                    self.voice().traffic("* the server had closed the kept-alive connection; sending again on a new one");
                    resent = true;
                }
                Err(e)
                    if never_sent(&e)
                        && attempt < CONNECT_ATTEMPTS
                        && started.elapsed() + backoff < self.target.timeout =>
                {
                    self.voice().traffic(&format!(
                        "* connection refused; trying again in {} ms (try {} of {CONNECT_ATTEMPTS})",
                        backoff.as_millis(),
                        attempt + 1
                    ));
                    std::thread::sleep(backoff);
                    backoff *= 2;
                    attempt += 1;
                }
                result => return result.map_err(|e| self.explain(e)),
            }
        }
    }

    fn exchange(
        &self,
        req: &Request,
        auth: &[AuthHeader],
    ) -> std::result::Result<Response, ureq::Error> {
        let mut url = format!("{}{}", self.base, req.path);
        if !req.query.is_empty() {
            url.push('?');
            url.push_str(&encode_form(pairs(&req.query)));
        }
        // Some servers check the referrer; naming the server itself is harmless (docs/protocol.md).
        let referer = format!("{}/", self.base);
        let form = encode_form(pairs(&req.form));
        if self.verbose() {
            self.show_request(req, auth);
        }
        let started = Instant::now();
        let (timeout, max_body) = self.limits(req);
        let mut response = match req.method {
            Method::Get => {
                within(with_headers(self.agent.get(&url), auth, &referer), timeout).call()
            }
            Method::Post => within(with_headers(self.agent.post(&url), auth, &referer), timeout)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .send(form.as_bytes()),
        }?;
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        // Sized from Content-Length up front (to the spool's memory part): a doubling buffer
        // would cost up to twice the answer. The header is the server's word, not bytes that
        // arrived, so it never reserves more than that part.
        let declared =
            header(&headers, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
        let expected = declared.unwrap_or(0).min(max_body);
        // Judged while it arrives, kept aside (spooled past a few MB), printed only once whole.
        let mut reader = response.body_mut().with_config().limit(max_body).reader();
        let (body, checked) = {
            let mut printer = self.printer();
            let mut printer = printer.as_mut().filter(|_| req.streamed);
            if let Some(printer) = printer.as_deref_mut() {
                // A request sent again (after a new login) starts the sink over.
                printer
                    .undo()
                    .map_err(|e| ureq::Error::Io(sink_error(e, printer)))?;
            }
            crate::body::receive(&mut reader, expected, printer, &self.spooling)
                .map_err(ureq::Error::from)?
        };
        // Fewer bytes than the server declared: it closed the connection mid-answer.
        if declared.is_some_and(|n| checked.len < n) {
            return Err(ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the answer ended before its Content-Length",
            )));
        }
        let response = Response {
            status,
            headers,
            body,
            checked,
        };
        if self.verbose() {
            show_response(self.voice(), &response, started.elapsed());
        }
        Ok(response)
    }

    /// The time and the bytes this request may take: the target's timeout and the size cap,
    /// or what is left of the run's budget when less.
    fn limits(&self, req: &Request) -> (Duration, u64) {
        match req.budget {
            Some(budget) => (
                budget
                    .deadline
                    .saturating_duration_since(Instant::now())
                    .min(self.target.timeout)
                    .max(Duration::from_millis(1)),
                budget.bytes.min(self.max_body),
            ),
            None => (self.target.timeout, self.max_body),
        }
    }

    fn show_request(&self, req: &Request, auth: &[AuthHeader]) {
        let query = if req.query.is_empty() {
            String::new()
        } else {
            format!("?{}", masked_form(&req.query))
        };
        let voice = self.voice();
        voice.traffic(&format!("* {} ({})", self.base, self.target.describe()));
        if let Some(proxy) = &self.target.proxy {
            voice.traffic(&format!("* through the proxy {}", proxy.describe()));
        }
        voice.traffic(&format!("> {} {}{}", req.method.as_str(), req.path, query));
        for (name, _) in auth {
            voice.traffic(&format!("> {name}: ***"));
        }
        if req.method == Method::Post {
            voice.traffic("> Content-Type: application/x-www-form-urlencoded");
            voice.traffic(&format!("> body: {}", masked_form(&req.form)));
        }
    }

    /// A network or TLS failure as an error of its kind, in one line that says what to check.
    fn explain(&self, e: ureq::Error) -> Error {
        let t = &self.target;
        let at = format!("{}:{}", t.host, t.port);
        // Through a proxy, the connection that failed to open was the proxy's: the proxy
        // resolves and reaches the server itself (a failure there is ConnectProxyFailed).
        if let Some(proxy) = &t.proxy {
            if let Some(message) = proxy_fault(&e, proxy, &at, t) {
                return message;
            }
            let unreachable = match &e {
                ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => true,
                ureq::Error::Io(io) => {
                    io.kind() == std::io::ErrorKind::ConnectionRefused
                        || io.to_string().contains("failed to lookup address")
                }
                _ => false,
            };
            if unreachable {
                return Error::new(
                    ErrorKind::Proxy,
                    format!(
                        "cannot reach the proxy {} ({e}): check that it runs, or list {} in no_proxy to connect directly",
                        proxy.describe(),
                        t.host
                    ),
                )
                .because(e);
            }
        }
        let timeout = |never: bool| {
            Error::new(
                ErrorKind::Timeout,
                format!(
                    "no answer from {at} within {:.1} s: the server is slow or unreachable; raise {} or check the network",
                    t.timeout.as_secs_f64(),
                    Term::Timeout
                ),
            )
            .sent(never)
        };
        match e {
            ureq::Error::Timeout(when) => timeout(matches!(
                when,
                ureq::Timeout::Resolve | ureq::Timeout::Connect
            ))
            .because(ureq::Error::Timeout(when)),
            ureq::Error::HostNotFound => Error::new(
                ErrorKind::Dns,
                format!("cannot resolve host \"{}\": check the host name", t.host),
            )
            .because(ureq::Error::HostNotFound),
            ureq::Error::ConnectionFailed => self.refused(&at).because(ureq::Error::ConnectionFailed),
            ureq::Error::Rustls(e) => self.tls_error(&e),
            ureq::Error::ConnectProxyFailed(why) => {
                let proxy = t.proxy.as_ref().map_or_else(String::new, |p| format!(" {}", p.describe()));
                // ureq says "proxy server responded 502/502" or "… did not respond".
                let status = why
                    .strip_prefix("proxy server responded ")
                    .and_then(|s| s.split('/').next())
                    .and_then(|s| s.trim().parse::<u16>().ok());
                let (what, fix) = match status {
                    Some(407) => {
                        let (what, fix) = t.proxy.as_ref().map_or(("it wants credentials", ""), |p| p.refusal_407());
                        (format!("{what} (HTTP 407)"), fix.to_string())
                    }
                    Some(code @ (502..=504)) => (format!("it could not reach the server (HTTP {code})"), format!("check that {at} is up and that the proxy may connect to port {}", t.port)),
                    Some(code) => (format!("it answered HTTP {code}"), format!("ask its admin to allow CONNECT to port {}, or list {} in no_proxy", t.port, t.host)),
                    None if why.contains("did not respond") => ("it closed the connection without an answer".to_string(), format!("check the proxy, or list {} in no_proxy", t.host)),
                    None => (why.clone(), format!("check the proxy, or list {} in no_proxy", t.host)),
                };
                Error::new(ErrorKind::Proxy, format!("the proxy{proxy} did not open a tunnel to {at}: {what}; {fix}"))
            }
            ureq::Error::BodyExceedsLimit(n) => Error::new(
                ErrorKind::TooLarge,
                format!(
                    "the answer from {at} is larger than {n} bytes ({}): raise {}, or narrow the call (api.filter, api.chunk)",
                    Term::MaxBody,
                    Term::MaxBody
                ),
            ),
            ureq::Error::Protocol(p) if !t.tls => Error::broken(format!(
                "{at} did not answer in valid HTTP ({p}): if it is a TLS port, remove tls = false"
            )),
            ureq::Error::Protocol(p) => Error::broken(format!("{at} did not answer in HTTP: {p}")),
            ureq::Error::Io(io) => {
                match io.get_ref().and_then(|i| i.downcast_ref::<KeepError>()) {
                    Some(e @ KeepError::Sink(_)) => return Error::local(e.to_string()),
                    Some(e @ KeepError::Spool(_)) => return Error::local(e.to_string()).sent(false),
                    None => {}
                }
                if let Some(rustls_error) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                    return self.tls_error(rustls_error);
                }
                // std reports getaddrinfo failures as plain I/O errors.
                if io.to_string().contains("failed to lookup address") {
                    return Error::new(
                        ErrorKind::Dns,
                        format!("cannot resolve host \"{}\": check the host name ({io})", t.host),
                    )
                    .because(io);
                }
                match io.kind() {
                    std::io::ErrorKind::ConnectionRefused => self.refused(&at).because(io),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => Error::new(
                        ErrorKind::Timeout,
                        format!(
                            "no answer from {at} within {:.1} s: raise {} or check the network",
                            t.timeout.as_secs_f64(),
                            Term::Timeout
                        ),
                    )
                    .because(io),
                    std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset => Error::new(
                        ErrorKind::Disconnected,
                        format!("{at} closed the connection before the answer was complete: try again, or check the server's logs"),
                    )
                    .because(io),
                    _ => Error::new(ErrorKind::Disconnected, format!("connection to {at} failed: {io}")).because(io),
                }
            }
            other => Error::new(ErrorKind::Disconnected, format!("request to {at} failed: {other}")).because(other),
        }
    }

    fn refused(&self, at: &str) -> Error {
        let t = &self.target;
        Error::new(
            ErrorKind::Connect,
            format!(
                "cannot connect to {at}: connection refused; is cPanel running there, and is {} the {} port? (default {})",
                t.port,
                t.service.name(),
                t.service.default_port(t.tls)
            ),
        )
    }

    fn tls_error(&self, e: &rustls::Error) -> Error {
        let t = &self.target;
        let der = self.seen.get();
        let fp = der
            .as_deref()
            .map(|der| tls::fingerprint(&tls::sha256(der)))
            .unwrap_or_else(|| "unknown".into());
        let profile = t.profile.name().map(str::to_string);
        let how = Term::Trust {
            fingerprint: fp.clone(),
            profile: profile.clone(),
        };
        let reason = TlsReason::of(e, der.as_deref());
        let message = match &reason {
            TlsReason::PinMismatch => format!(
                "the certificate of {} (SHA-256 {fp}) does not match the pin of {}: if the server's certificate was renewed, check the new fingerprint on the server, then {}; otherwise the connection may be intercepted",
                t.host,
                t.describe(),
                Term::TrustReplace {
                    fingerprint: fp.clone(),
                    profile
                }
            ),
            TlsReason::SelfSigned => format!(
                "the certificate of {} is self-signed and not trusted here (SHA-256 {fp}): {how}",
                t.host
            ),
            TlsReason::Untrusted => format!(
                "the certificate of {} is not signed by a trusted CA (self-signed? SHA-256 {fp}): {how}",
                t.host
            ),
            TlsReason::WrongName => format!(
                "the certificate of {} is not valid for that name (SHA-256 {fp}): use the name on the certificate, or {how}",
                t.host
            ),
            TlsReason::Expired => format!(
                "the certificate of {} has expired (SHA-256 {fp}): renew it on the server (AutoSSL), or pin it: {how}",
                t.host
            ),
            TlsReason::NotYetValid | TlsReason::WeakKey(_) => format!(
                "the certificate of {} (SHA-256 {fp}): {}; {}",
                t.host,
                reason.reason_marked(),
                reason.server_fix_marked().unwrap_or_default()
            ),
            TlsReason::OldProtocol => format!(
                "TLS with {}:{} failed: {}; {}{}",
                t.host,
                t.port,
                reason.reason_marked(),
                reason.server_fix_marked().unwrap_or_default(),
                Term::TlsVersions
            ),
            TlsReason::NotTls => format!(
                "TLS handshake with {}:{} failed ({e}): the port may not speak TLS; plain ports 2082/2086/2095 need tls = false",
                t.host, t.port
            ),
            TlsReason::Other(why) if matches!(e, rustls::Error::InvalidCertificate(_)) => format!(
                "the certificate of {} was refused ({why}, SHA-256 {fp}): {how}",
                t.host
            ),
            TlsReason::Other(why) => format!("TLS with {}:{} failed: {why}", t.host, t.port),
        };
        Error::new(ErrorKind::Tls(reason), message).because(e.clone())
    }
}

/// A failure while the proxy was opening the tunnel (before any byte reached the server),
/// in words that blame the proxy; `None` for failures past it, or named elsewhere.
fn proxy_fault(
    e: &ureq::Error,
    proxy: &crate::proxy::Proxy,
    at: &str,
    t: &Target,
) -> Option<Error> {
    if !tls::stopped_before_server() {
        return None;
    }
    let who = format!("the proxy {}", proxy.describe());
    let direct = format!(
        "check the proxy, or list {} in no_proxy to connect directly",
        t.host
    );
    let message = match e {
        ureq::Error::Timeout(_) => format!(
            "{who} did not open a tunnel to {at} within {:.1} s: it may be overloaded, or the network to it slow; {direct}",
            t.timeout.as_secs_f64()
        ),
        ureq::Error::Protocol(p) => format!(
            "{who} did not answer CONNECT in HTTP ({p}): is it an HTTP proxy? (socks5:// is not supported); {direct}"
        ),
        ureq::Error::Io(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::UnexpectedEof
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
            ) =>
        {
            format!("{who} closed the connection before opening a tunnel to {at}: {direct}")
        }
        ureq::Error::Io(io) if matches!(io.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock) => format!(
            "{who} did not open a tunnel to {at} within {:.1} s: it may be overloaded, or the network to it slow; {direct}",
            t.timeout.as_secs_f64()
        ),
        _ => return None,
    };
    Some(Error::new(ErrorKind::Proxy, message))
}

/// The server reset the connection: it had closed it before the request arrived.
fn unread_reset(e: &ureq::Error) -> bool {
    matches!(e, ureq::Error::Io(io) if matches!(
        io.kind(),
        std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::BrokenPipe
    ))
}

/// The connection ended (an end of file, no reset): a call that only reads may go again.
fn ended(e: &ureq::Error) -> bool {
    matches!(e, ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof)
}

/// A connection the server refused: the request never left this machine.
fn never_sent(e: &ureq::Error) -> bool {
    match e {
        ureq::Error::ConnectionFailed => true,
        ureq::Error::Io(io) => io.kind() == std::io::ErrorKind::ConnectionRefused,
        _ => false,
    }
}

/// The request with its own time limit (shorter than the agent's when a budget runs out).
fn within<B>(rb: ureq::RequestBuilder<B>, timeout: Duration) -> ureq::RequestBuilder<B> {
    rb.config()
        .timeout_global(Some(timeout))
        .timeout_connect(Some(timeout.min(CONNECT_TIMEOUT)))
        .build()
}

fn with_headers<B>(
    mut rb: ureq::RequestBuilder<B>,
    auth: &[AuthHeader],
    referer: &str,
) -> ureq::RequestBuilder<B> {
    for (name, value) in auth {
        rb = rb.header(*name, value.expose());
    }
    rb.header("Referer", referer)
        .header("Accept", "application/json")
}

fn pairs(params: &[Param]) -> impl Iterator<Item = (&str, &str)> {
    params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

fn show_response(voice: &Voice, r: &Response, elapsed: Duration) {
    voice.traffic(&format!(
        "< HTTP {} in {} ms, {} bytes",
        r.status,
        elapsed.as_millis(),
        r.checked.len
    ));
    for (name, value) in &r.headers {
        let secret = matches!(
            name.to_ascii_lowercase().as_str(),
            "set-cookie" | "authorization" | "cookie"
        );
        voice.traffic(&format!(
            "< {name}: {}",
            if secret { "***" } else { value.as_str() }
        ));
    }
}
