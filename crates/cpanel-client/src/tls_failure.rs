//! Why a TLS connection failed, in words that name the cause: the one place rustls' refusals
//! become advice, for calls (transport), `trust` and `doctor`. A server that speaks only TLS
//! 1.0/1.1, or presents a 1024-bit key, needs another fix than an untrusted certificate, and
//! neither is helped by `tls = false`, a pin or `--insecure`.

use std::io::{Read, Write};
use std::time::Duration;

use rustls::CertificateError as C;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::target::Target;

/// The smallest RSA key rustls (and so cpcall) verifies a signature with.
const MIN_RSA_BITS: usize = 2048;

/// Why a TLS connection was refused, by what can be done about it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsReason {
    /// The certificate is not the one `pin_sha256` names.
    PinMismatch,
    /// A self-signed certificate no trust store holds.
    SelfSigned,
    /// Not signed by a CA cpcall trusts.
    Untrusted,
    /// Not made for the host name cpcall connected to.
    WrongName,
    /// Its validity ended.
    Expired,
    /// Its validity starts later than this machine's clock says it is now.
    NotYetValid,
    /// Its key is too weak to verify a signature with (`a 1024-bit RSA key`).
    WeakKey(String),
    /// The server offers only TLS versions older than 1.2.
    OldProtocol,
    /// What answered is not TLS (a plain HTTP port).
    NotTls,
    /// Anything else, in rustls' words.
    Other(String),
}

impl TlsReason {
    /// Classifies a rustls error; `cert` is the certificate the server presented, if it got
    /// that far (a weak key makes every check of it fail, so it is named first).
    pub fn of(e: &rustls::Error, cert: Option<&[u8]>) -> TlsReason {
        let pin_mismatch = matches!(e, rustls::Error::InvalidCertificate(C::Other(other))
            if other.to_string().contains(crate::tls::PIN_MISMATCH));
        if pin_mismatch {
            return TlsReason::PinMismatch;
        }
        if let (rustls::Error::InvalidCertificate(_), Some(key)) = (e, cert.and_then(weak_key)) {
            return TlsReason::WeakKey(key);
        }
        match e {
            e if crate::tls::is_self_signed_ca(e) => TlsReason::SelfSigned,
            rustls::Error::InvalidCertificate(C::UnknownIssuer | C::BadSignature) => {
                TlsReason::Untrusted
            }
            rustls::Error::InvalidCertificate(
                C::NotValidForName | C::NotValidForNameContext { .. },
            ) => TlsReason::WrongName,
            rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
                TlsReason::Expired
            }
            rustls::Error::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => {
                TlsReason::NotYetValid
            }
            rustls::Error::PeerIncompatible(
                rustls::PeerIncompatible::ServerDoesNotSupportTls12Or13
                | rustls::PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig,
            )
            | rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion) => {
                TlsReason::OldProtocol
            }
            rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
                TlsReason::NotTls
            }
            rustls::Error::InvalidCertificate(other) => TlsReason::Other(format!("{other:?}")),
            other => TlsReason::Other(other.to_string()),
        }
    }

    /// The cause, as a clause: `it is not signed by a trusted CA` (the certificate), `the
    /// server offers only TLS older than 1.2, …`.
    pub fn reason(&self) -> String {
        self.reason_with(&|_| None)
    }

    /// [`TlsReason::reason`] with the caller's words for the [`crate::Term`]s in it.
    pub fn reason_with(&self, words: &dyn Fn(&crate::Term) -> Option<String>) -> String {
        crate::error::render(&self.reason_marked(), words)
    }

    /// What to do about it when pinning, `ca_file` or `tls = false` would not help; `None`
    /// for the certificate trust failures, whose fix depends on the profile.
    pub fn server_fix(&self) -> Option<String> {
        self.server_fix_with(&|_| None)
    }

    /// [`TlsReason::server_fix`] with the caller's words for the [`crate::Term`]s in it.
    pub fn server_fix_with(
        &self,
        words: &dyn Fn(&crate::Term) -> Option<String>,
    ) -> Option<String> {
        self.server_fix_marked()
            .map(|fix| crate::error::render(&fix, words))
    }

    /// The reason, terms marked.
    pub(crate) fn reason_marked(&self) -> String {
        match self {
            TlsReason::PinMismatch => "it does not match pin_sha256".into(),
            TlsReason::SelfSigned => "it is self-signed".into(),
            TlsReason::Untrusted => "it is not signed by a trusted CA".into(),
            TlsReason::WrongName => "it is not valid for this host name".into(),
            TlsReason::Expired => "it has expired".into(),
            TlsReason::NotYetValid => {
                "it is not valid yet: its validity starts later than this machine's clock says it is".into()
            }
            TlsReason::WeakKey(key) => format!(
                "it has {key}, which {} refuses: RSA keys need {MIN_RSA_BITS} bits or more",
                crate::Term::Program
            ),
            TlsReason::OldProtocol => format!(
                "the server offers only TLS older than 1.2, which {} refuses",
                crate::Term::Program
            ),
            TlsReason::NotTls => "the port does not speak TLS".into(),
            TlsReason::Other(why) => why.clone(),
        }
    }

    /// The server's fix, terms marked.
    pub(crate) fn server_fix_marked(&self) -> Option<String> {
        match self {
            TlsReason::WeakKey(_) => Some(format!("replace the certificate on the server with one of a 2048-bit RSA or an ECDSA key (WHM » Manage Service SSL Certificates, or AutoSSL); neither a pin nor {} gets past this", crate::Term::Insecure)),
            TlsReason::OldProtocol => Some("enable TLS 1.2 or 1.3 on the server (WHM » Service Configuration » cPanel Web Services Configuration: TLS/SSL Protocols); tls = false would send the credentials in clear".into()),
            TlsReason::NotYetValid => Some("check this machine's clock (timedatectl), then the certificate's dates on the server".into()),
            _ => None,
        }
    }
}

/// `a 1024-bit RSA key` when the certificate's key is too weak for rustls to verify with.
pub fn weak_key(der: &[u8]) -> Option<String> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    match cert.public_key().parsed().ok()? {
        x509_parser::public_key::PublicKey::RSA(rsa) => {
            let modulus = rsa.modulus;
            let first = modulus.iter().position(|b| *b != 0)?;
            let bits = (modulus.len() - first) * 8 - modulus[first].leading_zeros() as usize;
            (bits < MIN_RSA_BITS).then(|| format!("a {bits}-bit RSA key"))
        }
        _ => None,
    }
}

/// The TLS versions older than 1.2 the server offers, newest first (`["TLS 1.0"]`), asked
/// with hand-made ClientHellos since rustls speaks none of them: for `doctor` to say what the
/// server does speak when it speaks nothing cpcall accepts.
pub fn legacy_versions(target: &Target) -> Vec<&'static str> {
    [(0x0302u16, "TLS 1.1"), (0x0301, "TLS 1.0")]
        .into_iter()
        .filter(|(version, _)| offers(target, *version).unwrap_or(false))
        .map(|(_, name)| name)
        .collect()
}

/// Whether the server answers a ClientHello of `version` with a ServerHello of that version.
fn offers(target: &Target, version: u16) -> std::io::Result<bool> {
    let timeout = target.timeout.min(Duration::from_secs(5));
    let mut tcp = crate::proxy::connect(&target.host, target.port, timeout, target.proxy.as_ref())?;
    tcp.set_read_timeout(Some(timeout))?;
    tcp.write_all(&client_hello(version, &target.host))?;
    let mut head = [0u8; 5];
    tcp.read_exact(&mut head)?;
    if head[0] != 0x16 {
        return Ok(false); // an alert, or not TLS
    }
    let mut hello = [0u8; 6];
    tcp.read_exact(&mut hello)?;
    Ok(hello[0] == 0x02 && u16::from_be_bytes([hello[4], hello[5]]) == version)
}

/// A minimal ClientHello of an old TLS version: common CBC suites of that era, the server's
/// name, the curves of ECDHE, and a renegotiation_info.
fn client_hello(version: u16, host: &str) -> Vec<u8> {
    let suites: [u16; 7] = [0xc013, 0xc014, 0xc009, 0xc00a, 0x002f, 0x0035, 0x000a];
    let mut extensions = Vec::new();
    if host.parse::<std::net::IpAddr>().is_err() && host.len() < 256 {
        let name = host.as_bytes();
        extensions.extend_from_slice(&[0x00, 0x00]);
        extensions.extend_from_slice(&(name.len() as u16 + 5).to_be_bytes());
        extensions.extend_from_slice(&(name.len() as u16 + 3).to_be_bytes());
        extensions.push(0);
        extensions.extend_from_slice(&(name.len() as u16).to_be_bytes());
        extensions.extend_from_slice(name);
    }
    // supported_groups (secp256r1, secp384r1), ec_point_formats (uncompressed),
    // renegotiation_info (empty).
    extensions.extend_from_slice(&[0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x17, 0x00, 0x18]);
    extensions.extend_from_slice(&[0x00, 0x0b, 0x00, 0x02, 0x01, 0x00]);
    extensions.extend_from_slice(&[0xff, 0x01, 0x00, 0x01, 0x00]);
    let mut body = Vec::new();
    body.extend_from_slice(&version.to_be_bytes());
    body.extend_from_slice(&crate::tls::sha256(host.as_bytes())); // any 32 bytes
    body.push(0); // no session id
    body.extend_from_slice(&(suites.len() as u16 * 2).to_be_bytes());
    for suite in suites {
        body.extend_from_slice(&suite.to_be_bytes());
    }
    body.extend_from_slice(&[0x01, 0x00]); // compression: none
    body.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    body.extend_from_slice(&extensions);
    let mut handshake = vec![0x01];
    handshake.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    handshake.extend_from_slice(&body);
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend_from_slice(&(handshake.len() as u16).to_be_bytes());
    record.extend_from_slice(&handshake);
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_table() {
        let cases = [
            (
                rustls::Error::InvalidCertificate(C::UnknownIssuer),
                TlsReason::Untrusted,
            ),
            (
                rustls::Error::InvalidCertificate(C::Expired),
                TlsReason::Expired,
            ),
            (
                rustls::Error::InvalidCertificate(C::NotValidYetContext {
                    time: rustls::pki_types::UnixTime::since_unix_epoch(Duration::from_secs(1)),
                    not_before: rustls::pki_types::UnixTime::since_unix_epoch(Duration::from_secs(
                        2,
                    )),
                }),
                TlsReason::NotYetValid,
            ),
            (
                rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion),
                TlsReason::OldProtocol,
            ),
            (
                rustls::Error::PeerIncompatible(
                    rustls::PeerIncompatible::ServerDoesNotSupportTls12Or13,
                ),
                TlsReason::OldProtocol,
            ),
        ];
        for (error, want) in cases {
            let got = TlsReason::of(&error, None);
            assert_eq!(got, want, "{error:?}");
            assert!(!got.reason().contains("Context"), "{}", got.reason());
        }
    }

    /// A ClientHello an old server reads: record and handshake lengths add up.
    #[test]
    fn the_legacy_client_hello_is_well_formed() {
        for host in ["server.example", "192.0.2.1"] {
            let hello = client_hello(0x0301, host);
            assert_eq!(&hello[..3], &[0x16, 0x03, 0x01]);
            assert_eq!(
                u16::from_be_bytes([hello[3], hello[4]]) as usize,
                hello.len() - 5
            );
            let body = u32::from_be_bytes([0, hello[6], hello[7], hello[8]]) as usize;
            assert_eq!(body, hello.len() - 9);
            assert_eq!(&hello[9..11], &[0x03, 0x01]);
        }
    }
}
