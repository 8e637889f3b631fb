//! Looking at a server without calling its API: its TLS handshake and certificate, the TLS
//! versions it offers, and whether a proxy lets one through. For diagnostics (`cpcall doctor`,
//! `cpcall trust`) and for programs that pin certificates.

use std::time::Duration;

use crate::error::Result;
use crate::secret::Secret;
use crate::target::Target;

pub use crate::tls::{
    fingerprint, parse_pin, public_key_info, sha256, Refused, Store as TrustedBy,
};

/// The certificate the server presents (its DER), without judging it: a bare TLS handshake,
/// through the target's proxy.
pub fn peer_certificate(target: &Target) -> std::result::Result<Vec<u8>, Refused> {
    crate::tls::peer_certificate(target)
}

/// A bare TLS handshake judged as the target's trust says (pin, CA file, system store): the
/// leaf certificate's DER and which trust accepted it.
pub fn handshake(target: &Target) -> std::result::Result<(Vec<u8>, TrustedBy), Refused> {
    crate::tls::handshake(target, &target.verify)
}

/// The TLS versions older than 1.2 the server offers, newest first (`["TLS 1.0"]`): what a
/// server that speaks nothing this crate accepts does speak.
pub fn legacy_versions(target: &Target) -> Vec<&'static str> {
    crate::tls_failure::legacy_versions(target)
}

/// Whether the target's proxy opens a tunnel to the server within `timeout`; `None` without
/// a proxy.
pub fn proxy_tunnel(target: &Target, timeout: Duration) -> Option<std::io::Result<()>> {
    let proxy = target.proxy.as_ref()?;
    Some(crate::proxy::connect(&target.host, target.port, timeout, Some(proxy)).map(|_| ()))
}

/// The server's `Date` header, from an unauthenticated `GET /` on the client's connection
/// (no credential is sent), and how long the exchange took: for its clock, which 2FA codes
/// depend on.
pub fn server_date(client: &crate::Client) -> Option<(String, Duration)> {
    let started = std::time::Instant::now();
    let response = client
        .transport()
        .send(&crate::call::Request::bare_get("/"), &[])
        .ok()?;
    Some((response.header("date")?.to_string(), started.elapsed()))
}

/// The current 6-digit code of a base32 TOTP secret (RFC 6238, 30 s, SHA-1), as cPanel's 2FA
/// takes it; an error names what is wrong with the secret.
pub fn totp_code(secret: &str) -> Result<Secret> {
    Ok(crate::totp::TotpKey::parse(&Secret::new(secret))?.now())
}

/// Whether a server's words are those cPanel answers a function on the wrong port with
/// ("Permission denied", "Function not found", a 404).
pub fn wrong_port_telltale(text: &str) -> bool {
    crate::answer::wrong_port_telltale(text)
}

/// Which port the target's calls likely belong on, in words.
pub fn wrong_port_advice(target: &Target) -> String {
    crate::answer::wrong_port_advice(target)
}
