//! A small HTTP/1.1 server over real sockets, plain or TLS: enough of the protocol for what
//! cPanel clients send (Content-Length or chunked bodies, keep-alive), and nothing lenient.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The request target as sent: path and query.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }
    /// All values of a header, by case-insensitive name.
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers_named(name).into_iter().next()
    }
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// How the answer goes on the wire; anything but `Normal` is a fault for tests.
    pub wire: Wire,
    pub delay: Option<Duration>,
    /// Close the connection after this answer without saying so (no `Connection: close`): a
    /// kept-alive connection a server drops while the client thinks it idle.
    pub hang_up: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Wire {
    Normal,
    /// Close the connection without answering.
    Close,
    /// Send the head (with the full Content-Length) and this many body bytes, then close.
    CutAfter(usize),
    /// Send these bytes instead of an HTTP answer, then close.
    Raw(Vec<u8>),
    /// Declare this Content-Length and send filler until the client goes away.
    Endless(u64),
    /// Send the head and this many body bytes, then wait (a server stuck mid-answer) and close.
    StallAfter(usize),
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Response {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
            wire: Wire::Normal,
            delay: None,
            hang_up: false,
        }
    }
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

pub type Handler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;

/// Accepts connections forever on a background thread; each connection gets its own thread.
/// `connections` counts the connections accepted (keep-alive tests). A kept-alive connection
/// idle for `idle` is closed without a word, as servers do (cpsrvd's keep-alive is short).
pub fn serve(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    handler: Handler,
    connections: Arc<std::sync::atomic::AtomicUsize>,
    idle: Duration,
) {
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            connections.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let (tls, handler) = (tls.clone(), handler.clone());
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(idle));
                let _ = stream.set_nodelay(true);
                match tls {
                    Some(config) => {
                        let Ok(conn) = rustls::ServerConnection::new(config) else {
                            return;
                        };
                        serve_connection(rustls::StreamOwned::new(conn, stream), &handler);
                    }
                    None => serve_connection(stream, &handler),
                }
            });
        }
    });
}

fn serve_connection<S: Read + Write>(stream: S, handler: &Handler) {
    let mut reader = BufReader::new(stream);
    loop {
        let request = match read_request(&mut reader) {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(why) => {
                let response = match why.strip_prefix(TOO_LONG) {
                    Some(_) => Response::new(414, "text/html", "<html><head><title>414 Request-URI Too Long</title></head><body><h1>Request-URI Too Long</h1></body></html>"),
                    None => Response::new(400, "text/plain", why),
                };
                let _ = write_response(reader.get_mut(), &response, false);
                return;
            }
        };
        let close = request
            .header("Connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let response = handler(&request);
        let close = close
            || response.headers.iter().any(|(k, v)| {
                k.eq_ignore_ascii_case("Connection") && v.eq_ignore_ascii_case("close")
            });
        if write_response(reader.get_mut(), &response, !close).is_err() || close || response.hang_up
        {
            return;
        }
    }
}

fn read_line(reader: &mut impl BufRead) -> Result<Option<String>, String> {
    read_line_within(reader, 16 * 1024)
}

fn read_line_within(reader: &mut impl BufRead, limit: u64) -> Result<Option<String>, String> {
    let mut line = Vec::new();
    let n = reader
        .take(limit)
        .read_until(b'\n', &mut line)
        .map_err(|e| e.to_string())?;
    if n == 0 {
        return Ok(None);
    }
    if !line.ends_with(b"\r\n") {
        return Err("line not terminated by CRLF".into());
    }
    line.truncate(line.len() - 2);
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| "non-UTF-8 request head".into())
}

const TOO_LONG: &str = "request line too long:";

fn read_request(reader: &mut impl BufRead) -> Result<Option<Request>, String> {
    // Nothing of a next request within the idle time: close quietly, no answer.
    match reader.fill_buf() {
        Ok([]) => return Ok(None),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(e.to_string()),
        Ok(_) => {}
    }
    let Some(request_line) = read_line_within(reader, 1 << 20)? else {
        return Ok(None);
    };
    // Longer request lines are refused with 414, as Apache's LimitRequestLine (8190) does;
    // cpsrvd's own limit is unconfirmed.
    if request_line.len() > 8190 {
        return Err(format!("{TOO_LONG} {} bytes", request_line.len()));
    }
    let parts: Vec<&str> = request_line.split(' ').collect();
    let [method, target, version] = parts[..] else {
        return Err(format!("malformed request line {request_line:?}"));
    };
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(format!("unsupported HTTP version {version:?}"));
    }
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader)?.ok_or("connection closed inside the head")?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or(format!("malformed header {line:?}"))?;
        headers.push((name.to_string(), value.trim().to_string()));
        if headers.len() > 100 {
            return Err("too many headers".into());
        }
    }
    let mut request = Request {
        method: method.to_string(),
        target: target.to_string(),
        headers,
        body: Vec::new(),
    };
    if request
        .header("Transfer-Encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        request.body = read_chunked(reader)?;
    } else if let Some(len) = request.header("Content-Length") {
        let len: usize = len
            .parse()
            .map_err(|_| format!("bad Content-Length {len:?}"))?;
        if len > 64 << 20 {
            return Err("body too large".into());
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).map_err(|e| e.to_string())?;
        request.body = body;
    }
    Ok(Some(request))
}

fn read_chunked(reader: &mut impl BufRead) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let size_line = read_line(reader)?.ok_or("closed inside a chunked body")?;
        let size_hex = size_line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| "bad chunk size".to_string())?;
        if size == 0 {
            while read_line(reader)?.is_some_and(|l| !l.is_empty()) {}
            return Ok(body);
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader
            .read_exact(&mut body[start..])
            .map_err(|e| e.to_string())?;
        read_line(reader)?;
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

pub fn write_response(out: &mut impl Write, r: &Response, keep_alive: bool) -> std::io::Result<()> {
    if let Some(delay) = r.delay {
        std::thread::sleep(delay);
    }
    let closed = || Err(std::io::Error::other("closed by a fault"));
    match &r.wire {
        Wire::Normal => {}
        Wire::Close => return closed(),
        Wire::Raw(bytes) => {
            out.write_all(bytes)?;
            out.flush()?;
            return closed();
        }
        Wire::StallAfter(n) => {
            out.write_all(head(r, r.body.len() as u64, false).as_bytes())?;
            out.write_all(&r.body[..(*n).min(r.body.len())])?;
            out.flush()?;
            std::thread::sleep(std::time::Duration::from_secs(20));
            return closed();
        }
        Wire::CutAfter(n) => {
            out.write_all(head(r, r.body.len() as u64, false).as_bytes())?;
            out.write_all(&r.body[..(*n).min(r.body.len())])?;
            out.flush()?;
            return closed();
        }
        Wire::Endless(declared) => {
            out.write_all(head(r, *declared, false).as_bytes())?;
            let chunk = [b' '; 64 * 1024];
            let mut sent = 0u64;
            while sent < *declared {
                let n = chunk.len().min((*declared - sent) as usize);
                out.write_all(&chunk[..n])?;
                sent += n as u64;
            }
            out.flush()?;
            return closed();
        }
    }
    // One write: a head and a body sent apart meet Nagle and delayed ACKs (40 ms a call).
    let mut answer = head(r, r.body.len() as u64, keep_alive).into_bytes();
    answer.extend_from_slice(&r.body);
    out.write_all(&answer)?;
    out.flush()
}

fn head(r: &Response, length: u64, keep_alive: bool) -> String {
    let has = |name: &str| r.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    let mut head = format!("HTTP/1.1 {} {}\r\n", r.status, reason(r.status));
    for (k, v) in &r.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !has("Content-Length") {
        head.push_str(&format!("Content-Length: {length}\r\n"));
    }
    if !keep_alive && !has("Connection") {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    head
}

/// Decodes `application/x-www-form-urlencoded`, keeping order and repeats.
pub fn parse_form(text: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(text).into_owned().collect()
}

pub fn connect_plain(port: u16) -> std::io::Result<TcpStream> {
    TcpStream::connect(("127.0.0.1", port))
}
