//! A small HTTP CONNECT proxy over real sockets, as corporate networks put between cpcall and a
//! server (RFC 9110, CONNECT): it answers `200` and then copies bytes both ways, so TLS stays
//! end to end. It records each tunnel's target, and can require `Proxy-Authorization`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

pub struct ConnectProxy {
    pub port: u16,
    /// `host:port` of every tunnel opened, in order.
    pub tunnels: Arc<Mutex<Vec<String>>>,
}

/// How a broken or overloaded proxy answers a CONNECT.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ProxyFault {
    /// Reads the CONNECT and never answers (an overloaded proxy).
    Hang,
    /// Reads the CONNECT and closes the connection.
    Close,
    /// Answers with bytes that are not HTTP.
    Garbage,
    /// Refuses the tunnel with this status (502 when it cannot reach the server).
    Status(u16),
}

impl ConnectProxy {
    /// Starts the proxy; with `basic`, a `Proxy-Authorization: Basic …` of that `user:password`
    /// is required (407 otherwise).
    pub fn start(basic: Option<&str>) -> Self {
        Self::start_with(basic, None)
    }

    /// A proxy that misbehaves at every CONNECT as `fault` says.
    pub fn broken(fault: ProxyFault) -> Self {
        Self::start_with(None, Some(fault))
    }

    fn start_with(basic: Option<&str>, fault: Option<ProxyFault>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("proxy addr").port();
        let tunnels = Arc::new(Mutex::new(Vec::new()));
        let expected = basic.map(|pair| {
            use base64::Engine;
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            )
        });
        let log = tunnels.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (log, expected) = (log.clone(), expected.clone());
                std::thread::spawn(move || {
                    let _ = tunnel(client, &log, expected.as_deref(), fault);
                });
            }
        });
        ConnectProxy { port, tunnels }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn tunnels(&self) -> Vec<String> {
        self.tunnels.lock().unwrap().clone()
    }
}

fn tunnel(
    client: TcpStream,
    log: &Mutex<Vec<String>>,
    expected: Option<&str>,
    fault: Option<ProxyFault>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut first = String::new();
    reader.read_line(&mut first)?;
    let mut authorization = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("Proxy-Authorization") {
                authorization = Some(v.trim().to_string());
            }
        }
    }
    let mut out = client.try_clone()?;
    match fault {
        Some(ProxyFault::Hang) => {
            std::thread::sleep(std::time::Duration::from_secs(30));
            return Ok(());
        }
        Some(ProxyFault::Close) => return Ok(()),
        Some(ProxyFault::Garbage) => {
            return out.write_all(b"\x16\x03\x01 garbage, not HTTP\r\n\r\n")
        }
        Some(ProxyFault::Status(status)) => {
            return out.write_all(
                format!("HTTP/1.1 {status} Proxy Error\r\nContent-Length: 0\r\n\r\n").as_bytes(),
            )
        }
        None => {}
    }
    let parts: Vec<&str> = first.split_whitespace().collect();
    let ["CONNECT", target, _] = parts[..] else {
        return out.write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
    };
    if expected.is_some() && authorization.as_deref() != expected {
        return out.write_all(
            b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n",
        );
    }
    let server = TcpStream::connect(target)?;
    log.lock().unwrap().push(target.to_string());
    out.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    let (mut server_read, mut server_write) = (server.try_clone()?, server);
    // Whatever the client sent after the head is already in the reader's buffer.
    let buffered = reader.buffer().to_vec();
    server_write.write_all(&buffered)?;
    let mut client_read = reader.into_inner();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut server_read, &mut out);
        let _ = out.shutdown(std::net::Shutdown::Both);
    });
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = client_read.read(&mut buf)?;
        if n == 0 {
            let _ = server_write.shutdown(std::net::Shutdown::Write);
            return Ok(());
        }
        server_write.write_all(&buf[..n])?;
    }
}
