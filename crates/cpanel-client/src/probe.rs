//! Looking at a server without calling its API: its TLS handshake and certificate, the TLS
//! versions it offers, and whether a proxy lets one through. For diagnostics (`cpcall doctor`,
//! `cpcall trust`) and for programs that pin certificates.

use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};
use crate::secret::Secret;
use crate::target::Target;

pub use crate::tls::{fingerprint, parse_pin, public_key_info, sha256, Refused, Store as TrustedBy};

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
pub fn proxy_tunnel(target: &Target, timeout: Duration) -> Option<Result<()>> {
    let proxy = target.proxy.as_ref()?;
    Some(
        crate::proxy::connect(&target.host, target.port, timeout, Some(proxy))
            .map(|_| ())
            .map_err(|e| {
                Error::new(
                    ErrorKind::Proxy,
                    format!("the proxy {} did not open a tunnel: {e}", proxy.describe()),
                )
                .because(e)
            }),
    )
}

/// The current 6-digit code of a base32 TOTP secret (RFC 6238, 30 s, SHA-1), as cPanel's 2FA
/// takes it; an error names what is wrong with the secret.
pub fn totp_code(secret: &str) -> Result<Secret> {
    Ok(crate::totp::TotpKey::parse(&Secret::new(secret))?.now())
}
