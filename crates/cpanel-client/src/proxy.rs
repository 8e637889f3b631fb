//! HTTP proxies, chosen from the environment the way curl chooses them: `https_proxy` /
//! `HTTPS_PROXY` for TLS targets, `http_proxy` (lower case only, as curl) for plain ones,
//! `all_proxy` / `ALL_PROXY` for both, and `no_proxy` / `NO_PROXY` for the hosts to reach
//! directly. cpcall tunnels through the proxy with `CONNECT`, so TLS stays end to end.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use base64::Engine;

use crate::error::{Error, Result, Term};
use crate::report::Voice;

/// A proxy to tunnel through.
#[derive(Clone, PartialEq)]
pub struct Proxy {
    pub host: String,
    pub port: u16,
    /// `user:password` from the proxy URL: a secret.
    credentials: Option<String>,
    /// The variable it came from, for messages.
    pub from: &'static str,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Proxy({}:{} from ${})", self.host, self.port, self.from)
    }
}

impl Proxy {
    /// Why a proxy answered 407, and what to do, by whether its URL gave credentials.
    pub fn refusal_407(&self) -> (&'static str, &'static str) {
        match self.credentials {
            Some(_) => (
                "it refused the user and password in the proxy URL",
                "check them",
            ),
            None => (
                "it wants credentials",
                "give its user and password in the proxy URL (http://user:password@proxy:port)",
            ),
        }
    }

    /// `host:port (from $https_proxy)`, for messages: never the credentials.
    pub fn describe(&self) -> String {
        format!("{}:{} (from {})", self.host, self.port, named(self.from))
    }

    /// `url` (`http://[user:password@]host[:port]`), named `from` in messages.
    pub fn parse(url: &str, from: &'static str) -> Result<Proxy> {
        parse(url.trim(), from)
    }

    /// Masks the credentials of its URL in what `voice` says.
    pub fn hide_credentials(&self, voice: &Voice) {
        if let Some(credentials) = &self.credentials {
            voice.hide(credentials);
            if let Some((_, password)) = credentials.split_once(':') {
                voice.hide(password);
            }
        }
    }

    /// The proxy as ureq takes it.
    pub fn to_ureq(&self) -> Result<ureq::Proxy> {
        let mut builder = ureq::Proxy::builder(ureq::ProxyProtocol::Http)
            .host(&self.host)
            .port(self.port);
        if let Some((user, password)) = self.credentials.as_deref().and_then(|c| c.split_once(':'))
        {
            builder = builder.username(user).password(password);
        }
        builder
            .build()
            .map_err(|e| Error::config(format!("proxy {}: {e}", self.describe())))
    }
}

/// The proxy for `host` (over TLS or not), from `env`; `None` to connect directly.
pub fn for_host(
    host: &str,
    tls: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Proxy>> {
    let names: &[&'static str] = if tls {
        &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
    } else {
        &["http_proxy", "all_proxy", "ALL_PROXY"]
    };
    let Some((from, url)) = names
        .iter()
        .find_map(|n| env(n).filter(|v| !v.trim().is_empty()).map(|v| (*n, v)))
    else {
        return Ok(None);
    };
    let no_proxy = env("no_proxy")
        .or_else(|| env("NO_PROXY"))
        .unwrap_or_default();
    if bypasses(host, &no_proxy) {
        return Ok(None);
    }
    parse(url.trim(), from).map(Some)
}

/// Whether the IP address `host` lies in the `network/bits` range `entry` (curl ≥ 7.86 reads
/// `no_proxy=10.0.0.0/8` so).
fn in_range(host: &str, entry: &str) -> bool {
    use std::net::IpAddr;
    let Some((net, bits)) = entry.split_once('/') else {
        return false;
    };
    let (Ok(ip), Ok(net), Ok(bits)) = (
        host.trim_matches(['[', ']']).parse::<IpAddr>(),
        net.trim_matches(['[', ']']).parse::<IpAddr>(),
        bits.parse::<u32>(),
    ) else {
        return false;
    };
    let (ip, net, width) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u32::from(a) as u128, u32::from(b) as u128, 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        _ => return false,
    };
    if bits > width {
        return false;
    }
    let shift = width - bits;
    bits == 0 || (ip >> shift) == (net >> shift)
}

/// Whether `host` is listed in a `no_proxy` value: `*`, the host itself, a domain it is in
/// (`example.com` and `.example.com` both cover `www.example.com`), or an address range.
fn bypasses(host: &str, no_proxy: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    no_proxy
        .split(',')
        .map(|e| {
            e.trim()
                .trim_start_matches('.')
                .trim_end_matches('.')
                .to_ascii_lowercase()
        })
        .filter(|e| !e.is_empty())
        .any(|entry| {
            entry == "*"
                || host == entry
                || host
                    .strip_suffix(&entry)
                    .is_some_and(|rest| rest.ends_with('.'))
                || host.trim_matches(['[', ']']) == entry.trim_matches(['[', ']'])
                || in_range(&host, &entry)
        })
}

/// A variable's name as `$name`, other sources as they are named.
fn named(from: &str) -> String {
    match from.contains(' ') {
        true => from.to_string(),
        false => format!("${from}"),
    }
}

/// `http://[user:password@]host[:port]`, or the same without `http://`.
fn parse(url: &str, from: &'static str) -> Result<Proxy> {
    let bad = |why: &str| {
        Error::config(format!(
            "{} is not a proxy {} can use: {why}",
            named(from),
            Term::Program
        ))
    };
    let rest = match url.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
        Some((scheme, _)) => {
            return Err(bad(&format!(
                "{scheme}:// proxies are not supported; give an HTTP proxy (http://host:port), which {} tunnels through with CONNECT", Term::Program
            )))
        }
        None => url,
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let (credentials, address) = match authority.rsplit_once('@') {
        Some((c, a)) => (Some(percent_decode(c)), a),
        None => (None, authority),
    };
    let (host, port) = match address.strip_prefix('[') {
        Some(bracketed) => {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| bad("an unclosed ["))?;
            (host, after.strip_prefix(':'))
        }
        None => match address.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (address, None),
        },
    };
    // curl's default proxy port.
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| bad("its port is not a number"))?,
        None => 1080,
    };
    if host.is_empty() {
        return Err(bad("it names no host"));
    }
    Ok(Proxy {
        host: host.to_string(),
        port,
        credentials,
        from,
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A TCP connection to `host:port`: through the proxy's `CONNECT` tunnel when there is one,
/// else directly. For what cpcall does outside ureq (`trust`, `doctor`).
pub fn connect(
    host: &str,
    port: u16,
    timeout: Duration,
    proxy: Option<&Proxy>,
) -> std::io::Result<TcpStream> {
    let (to_host, to_port) = match proxy {
        Some(p) => (p.host.as_str(), p.port),
        None => (host, port),
    };
    // Through a proxy, each step that fails is the proxy's, and said as such.
    let proxy_said = |what: String| match proxy {
        Some(p) => std::io::Error::other(format!("the proxy {} {what}", p.describe())),
        None => std::io::Error::other(what),
    };
    let addr = (to_host, to_port)
        .to_socket_addrs()
        .map_err(|e| match proxy {
            Some(_) => proxy_said(format!("cannot be resolved ({e})")),
            None => e,
        })?
        .next()
        .ok_or_else(|| std::io::Error::other("no address"))?;
    let mut tcp = TcpStream::connect_timeout(&addr, timeout).map_err(|e| match proxy {
        Some(_) => proxy_said(format!("cannot be reached ({e})")),
        None => e,
    })?;
    tcp.set_read_timeout(Some(timeout))?;
    tcp.set_write_timeout(Some(timeout))?;
    let Some(proxy) = proxy else { return Ok(tcp) };
    let target = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some(credentials) = &proxy.credentials {
        let basic = base64::engine::general_purpose::STANDARD.encode(credentials);
        request.push_str(&format!("Proxy-Authorization: Basic {basic}\r\n"));
    }
    request.push_str("\r\n");
    let slow = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => proxy_said(format!(
            "did not open a tunnel to {target} within {:.1} s: it may be overloaded",
            timeout.as_secs_f64()
        )),
        _ => proxy_said(format!("failed while opening a tunnel to {target} ({e})")),
    };
    tcp.write_all(request.as_bytes()).map_err(slow)?;
    let mut reader = BufReader::new(&tcp);
    let mut status = String::new();
    if reader.read_line(&mut status).map_err(slow)? == 0 {
        return Err(proxy_said(format!(
            "closed the connection without answering CONNECT {target}"
        )));
    }
    let code = match status.strip_prefix("HTTP/1.") {
        Some(rest) => rest.get(2..5).unwrap_or_default().to_string(),
        None => {
            return Err(proxy_said(format!(
                "did not answer CONNECT {target} in HTTP: is it an HTTP proxy? (socks5:// is not supported)"
            )))
        }
    };
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).map_err(slow)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    if !code.starts_with('2') {
        let why = match code.as_str() {
            "407" => {
                let (what, fix) = proxy.refusal_407();
                format!("{what}; {fix}")
            }
            "502" | "503" | "504" => "it could not reach the server".into(),
            _ => "it refused".into(),
        };
        return Err(proxy_said(format!(
            "did not open a tunnel to {target}: {why} (HTTP {code})"
        )));
    }
    Ok(tcp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn pick(host: &str, tls: bool, vars: &[(&str, &str)]) -> Result<Option<String>> {
        let env: HashMap<&str, &str> = vars.iter().copied().collect();
        for_host(host, tls, &|k| env.get(k).map(|v| v.to_string()))
            .map(|p| p.map(|p| format!("{}:{} {}", p.host, p.port, p.from)))
    }

    #[test]
    fn selection_table() {
        type Case<'a> = (&'a str, bool, &'a [(&'a str, &'a str)], Option<&'a str>);
        let cases: &[Case] = &[
            (
                "h.example",
                true,
                &[("https_proxy", "http://p:3128")],
                Some("p:3128 https_proxy"),
            ),
            (
                "h.example",
                true,
                &[("HTTPS_PROXY", "p:8080")],
                Some("p:8080 HTTPS_PROXY"),
            ),
            ("h.example", true, &[("http_proxy", "http://p:1")], None),
            (
                "h.example",
                false,
                &[("http_proxy", "http://p:1")],
                Some("p:1 http_proxy"),
            ),
            ("h.example", false, &[("HTTP_PROXY", "http://p:1")], None),
            (
                "h.example",
                true,
                &[("ALL_PROXY", "p")],
                Some("p:1080 ALL_PROXY"),
            ),
            (
                "h.example",
                true,
                &[("https_proxy", "p:1"), ("no_proxy", "example")],
                None,
            ),
            (
                "h.example",
                true,
                &[("https_proxy", "p:1"), ("no_proxy", "ample")],
                Some("p:1 https_proxy"),
            ),
            (
                "h.example",
                true,
                &[("https_proxy", "p:1"), ("no_proxy", "x, .example")],
                None,
            ),
            (
                "h.example",
                true,
                &[("https_proxy", "p:1"), ("NO_PROXY", "h.example")],
                None,
            ),
            (
                "h.example",
                true,
                &[("https_proxy", "p:1"), ("no_proxy", "*")],
                None,
            ),
            (
                "127.0.0.1",
                true,
                &[("https_proxy", "p:1"), ("no_proxy", "127.0.0.1")],
                None,
            ),
            (
                "xh.example",
                true,
                &[("https_proxy", "p:1"), ("no_proxy", "h.example")],
                Some("p:1 https_proxy"),
            ),
            (
                "h",
                true,
                &[("https_proxy", "http://u:p%40ss@[::1]:3128/")],
                Some("::1:3128 https_proxy"),
            ),
        ];
        for (host, tls, vars, want) in cases {
            assert_eq!(
                pick(host, *tls, vars).unwrap().as_deref(),
                *want,
                "{host} {vars:?}"
            );
        }
        let err = pick("h", true, &[("https_proxy", "socks5://p:1080")]).unwrap_err();
        assert!(
            err.to_string()
                .contains("socks5:// proxies are not supported"),
            "{err}"
        );
    }

    #[test]
    fn credentials_are_decoded_and_never_shown() {
        let p = parse("http://user:p%40ss@proxy:3128", "https_proxy").unwrap();
        assert_eq!(p.credentials.as_deref(), Some("user:p@ss"));
        assert!(!format!("{p:?} {}", p.describe()).contains("p@ss"));
    }
}
