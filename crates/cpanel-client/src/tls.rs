//! TLS: how the server's certificate is checked, and the rustls connector ureq uses.
//!
//! Three modes: the web PKI roots (plus `ca_file`), a SHA-256 pin of the exact certificate, or
//! no verification (`insecure`, always warned about). The connector is ours rather than ureq's
//! because ureq cannot take a custom certificate verifier, and pinning needs one.

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
    StreamOwned,
};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport,
    TransportAdapter,
};

use x509_parser::prelude::{FromDer, X509Certificate};

use crate::error::{Error, ErrorKind, Result, Term};
use crate::report::Voice;
use crate::target::Target;
use crate::tls_failure::TlsReason;

#[derive(Debug, Clone, PartialEq)]
pub enum Verify {
    /// The PEM certificates of `ca_file` and `ca_pem`, then (unless `only`) the platform's
    /// store and the bundled web PKI roots.
    Roots {
        ca_file: Option<PathBuf>,
        ca_pem: Option<Arc<[u8]>>,
        only: bool,
    },
    /// Exactly the certificate with this SHA-256 (of its DER), whatever its issuer or names.
    Pin([u8; 32]),
    /// Anything; the handshake is still checked against the certificate the server sent.
    Insecure,
}

/// Parses `pin_sha256`: 64 hex digits, colons and case optional.
pub fn parse_pin(text: &str) -> Result<[u8; 32]> {
    let hex: String = text
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect();
    let bad = || {
        Error::config(format!(
            "pin_sha256 \"{text}\" is not a SHA-256 fingerprint: it needs 64 hex digits (colons allowed), \
             e.g. from `openssl x509 -in cert.pem -noout -fingerprint -sha256`"
        ))
    };
    if hex.len() != 64 || !hex.is_ascii() {
        return Err(bad());
    }
    let mut pin = [0u8; 32];
    for (i, byte) in pin.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(pin)
}

/// The SHA-256 of `der` (a certificate's, for its fingerprint and pin).
pub fn sha256(der: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// `AB:CD:…`, the form `openssl x509 -fingerprint` prints.
pub fn fingerprint(hash: &[u8; 32]) -> String {
    hash.iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Which trust decided about the server's certificate: what `doctor` reports.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// The pin (`pin_sha256`).
    Pin,
    /// A CA of the CA file or bytes given.
    CaFile,
    /// The certificate itself is in `ca_file` (a self-signed one, even with `CA:TRUE`).
    CaFileItself,
    /// The platform's trust store.
    Platform,
    /// The bundled Mozilla roots.
    Bundled,
    /// Nothing: verification is off.
    Unverified,
}

impl Store {
    /// "matches pin_sha256", "verifies against ca_file"…, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Store::Pin => "matches pin_sha256",
            Store::CaFile => "verifies against ca_file",
            Store::CaFileItself => {
                "is itself in ca_file (self-signed), and its names and dates fit"
            }
            Store::Platform => "verifies against the platform's trust store",
            Store::Bundled => "verifies against the bundled Mozilla roots",
            Store::Unverified => "is not verified (insecure)",
        }
    }
}

/// The leaf certificate the server presented in the last handshake, and which trust accepted
/// it, for messages, `trust` and `doctor`.
#[derive(Default, Clone)]
pub struct SeenCert {
    der: Arc<Mutex<Option<Vec<u8>>>>,
    store: Arc<Mutex<Option<Store>>>,
}

impl SeenCert {
    pub fn get(&self) -> Option<Vec<u8>> {
        self.der.lock().ok().and_then(|g| g.clone())
    }
    pub fn store(&self) -> Option<Store> {
        self.store.lock().ok().and_then(|g| *g)
    }
    fn set(&self, der: &[u8]) {
        if let Ok(mut g) = self.der.lock() {
            *g = Some(der.to_vec());
        }
    }
    fn accepted_by(&self, store: Store) {
        if let Ok(mut g) = self.store.lock() {
            *g = Some(store);
        }
    }
}

impl fmt::Debug for SeenCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SeenCert")
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The TLS configuration for `verify`. Trust, as curl and OpenSSL have it: a pin alone decides
/// when there is one; otherwise the certificate must verify against `ca_file`, the platform's
/// trust store (`SSL_CERT_FILE` / `SSL_CERT_DIR` honoured) or the bundled roots, tried in that
/// order, and a certificate that is itself in `ca_file` is trusted as `curl --cacert` trusts it.
pub fn client_config(verify: &Verify, seen: SeenCert, voice: &Voice) -> Result<Arc<ClientConfig>> {
    let provider = provider();
    let verifier: Arc<dyn ServerCertVerifier> = match verify {
        Verify::Roots {
            ca_file,
            ca_pem,
            only,
        } => Arc::new(Stores::new(
            ca_file.as_deref(),
            ca_pem.as_deref(),
            *only,
            provider.clone(),
            seen,
            voice,
        )?),
        Verify::Pin(pin) => Arc::new(AcceptCert {
            pin: Some(*pin),
            provider: provider.clone(),
            seen,
        }),
        Verify::Insecure => Arc::new(AcceptCert {
            pin: None,
            provider: provider.clone(),
            seen,
        }),
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::config(format!("TLS setup: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

fn webpki_verifier(
    roots: RootCertStore,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| Error::config(format!("cannot set up certificate verification: {e}")))
}

fn read_pem_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let unreadable = |e: &dyn fmt::Display| {
        Error::config(format!(
            "cannot read the CA file {}: {e}; give a readable PEM file ({})",
            path.display(),
            Term::CaFile
        ))
    };
    crate::files::check_file(path, "ca_file")?;
    let certs = pem_file(path).map_err(|e| unreadable(&e))?;
    if certs.is_empty() {
        return Err(Error::config(format!(
            "ca_file {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        )));
    }
    Ok(certs)
}

/// The certificates of a PEM file: a regular file of at most 16 MiB (a FIFO or `/dev/zero`
/// must not hang the run or fill the memory).
fn pem_file(path: &Path) -> std::io::Result<Vec<CertificateDer<'static>>> {
    use rustls::pki_types::pem::PemObject;
    let text = crate::files::read_text(path, 16 << 20)?;
    CertificateDer::pem_slice_iter(text.as_bytes())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))
}

/// Why a trust store from the environment is not used.
const REPLACEABLE: &str = "someone other than you or root could replace it (it, or a folder above it, is writable by others or owned by another user): run chmod go-w on it, or point the variable elsewhere";

/// The platform's certificates. With `SSL_CERT_FILE` / `SSL_CERT_DIR` set, those are read
/// here, as OpenSSL reads them — regular files only, bounded — rather than by
/// rustls-native-certs, which would read whatever they name; otherwise the system's store.
fn platform_certs(voice: &Voice) -> Vec<CertificateDer<'static>> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let (file, dir) = (var("SSL_CERT_FILE"), var("SSL_CERT_DIR"));
    if file.is_none() && dir.is_none() {
        return rustls_native_certs::load_native_certs().certs;
    }
    let mut certs = Vec::new();
    if let Some(file) = file {
        // As for ca_file: a trust store someone else could replace is not used.
        let checked = crate::files::check_file(Path::new(&file), "SSL_CERT_FILE")
            .map_err(|_| std::io::Error::other(REPLACEABLE))
            .and_then(|()| pem_file(Path::new(&file)));
        match checked {
            Ok(found) => certs.extend(found),
            Err(e) => voice.warning(format!(
                "SSL_CERT_FILE {} is not used: {e}",
                Path::new(&file).display()
            )),
        }
    }
    for dir in dir.iter().flat_map(std::env::split_paths) {
        if crate::files::check_folder(&dir, "SSL_CERT_DIR").is_err() {
            voice.warning(format!(
                "SSL_CERT_DIR {} is not used: {REPLACEABLE}",
                dir.display()
            ));
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        // Hashed names (`openssl rehash`) are links to the certificates: followed.
        for entry in entries.flatten().take(10_000) {
            if let Ok(found) = pem_file(&entry.path()) {
                certs.extend(found);
            }
        }
    }
    certs
}

/// The trust stores of [`Verify::Roots`], tried in order.
#[derive(Debug)]
struct Stores {
    /// The verifier over `ca_file`'s certificates, and the certificates themselves.
    ca_file: Option<(Arc<WebPkiServerVerifier>, Vec<CertificateDer<'static>>)>,
    /// Loaded the first time it is needed: most calls are decided before. With the
    /// certificates, for a server's own self-signed one installed there.
    platform:
        std::sync::OnceLock<Option<(Arc<WebPkiServerVerifier>, Vec<CertificateDer<'static>>)>>,
    bundled: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
    seen: SeenCert,
    /// Only the CAs given: no platform store, no bundled roots.
    only: bool,
    voice: Voice,
}

impl Stores {
    fn new(
        ca_file: Option<&Path>,
        ca_pem: Option<&[u8]>,
        only: bool,
        provider: Arc<CryptoProvider>,
        seen: SeenCert,
        voice: &Voice,
    ) -> Result<Self> {
        let mut given = Vec::new();
        if let Some(path) = ca_file {
            let certs = read_pem_certs(path)?;
            given.extend(certs.into_iter().map(|c| (path.display().to_string(), c)));
        }
        if let Some(pem) = ca_pem {
            use rustls::pki_types::pem::PemObject;
            let certs = CertificateDer::pem_slice_iter(pem)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| {
                    Error::config(format!("the CA certificates given are not PEM: {e}"))
                })?;
            if certs.is_empty() {
                return Err(Error::config(
                    "the CA certificates given hold no PEM certificate (-----BEGIN CERTIFICATE-----)",
                ));
            }
            given.extend(
                certs
                    .into_iter()
                    .map(|c| ("the CA bytes given".to_string(), c)),
            );
        }
        let ca_file = match given.is_empty() {
            true => None,
            false => {
                let mut roots = RootCertStore::empty();
                for (from, cert) in &given {
                    roots.add(cert.clone()).map_err(|e| {
                        Error::config(format!("ca_file {from}: unusable certificate: {e}"))
                    })?;
                }
                let certs = given.into_iter().map(|(_, c)| c).collect();
                Some((webpki_verifier(roots, &provider)?, certs))
            }
        };
        let bundled = match only {
            true => None,
            false => Some(webpki_verifier(
                RootCertStore {
                    roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
                },
                &provider,
            )?),
        };
        Ok(Stores {
            ca_file,
            platform: std::sync::OnceLock::new(),
            bundled,
            provider,
            seen,
            only,
            voice: voice.clone(),
        })
    }

    fn platform(&self) -> Option<&(Arc<WebPkiServerVerifier>, Vec<CertificateDer<'static>>)> {
        if self.only {
            return None;
        }
        self.platform
            .get_or_init(|| {
                let certs = platform_certs(&self.voice);
                let mut roots = RootCertStore::empty();
                roots.add_parsable_certificates(certs.iter().cloned());
                (!roots.is_empty())
                    .then(|| webpki_verifier(roots, &self.provider).ok())
                    .flatten()
                    .map(|verifier| (verifier, certs))
            })
            .as_ref()
    }

    fn accept(&self, store: Store) -> std::result::Result<ServerCertVerified, rustls::Error> {
        self.seen.accepted_by(store);
        Ok(ServerCertVerified::assertion())
    }
}

/// The handshake-signature checks of both verifiers: whatever the trust decision, the server
/// must prove it holds the certificate's key, with the provider's algorithms.
macro_rules! signature_checks {
    () => {
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
            let algorithms = &self.provider.signature_verification_algorithms;
            verify_tls12_signature(message, cert, dss, algorithms)
        }
        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
            let algorithms = &self.provider.signature_verification_algorithms;
            verify_tls13_signature(message, cert, dss, algorithms)
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.provider
                .signature_verification_algorithms
                .supported_schemes()
        }
    };
}

impl ServerCertVerifier for Stores {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        self.seen.set(end_entity.as_ref());
        let mut refusals = Vec::new();
        if let Some((verifier, certs)) = &self.ca_file {
            match verifier.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
                Ok(_) => return self.accept(Store::CaFile),
                Err(e) => refusals.push(e),
            }
            if certs.iter().any(|c| c.as_ref() == end_entity.as_ref()) {
                own_certificate_fits(end_entity, server_name, now)?;
                return self.accept(Store::CaFileItself);
            }
        }
        if let Some((verifier, certs)) = self.platform() {
            match verifier.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
                Ok(_) => return self.accept(Store::Platform),
                Err(e) => refusals.push(e),
            }
            // The server's own self-signed certificate installed system-wide, as OpenSSL
            // accepts it from SSL_CERT_FILE or a hashed SSL_CERT_DIR.
            if certs.iter().any(|c| c.as_ref() == end_entity.as_ref()) {
                own_certificate_fits(end_entity, server_name, now)?;
                return self.accept(Store::Platform);
            }
        }
        if let Some(bundled) = &self.bundled {
            match bundled.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
                Ok(_) => return self.accept(Store::Bundled),
                Err(e) => refusals.push(e),
            }
        }
        // The most telling refusal: "wrong name" or "expired" says more than "unknown issuer",
        // which every store but the right one answers.
        let unknown = |e: &rustls::Error| {
            matches!(
                e,
                rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)
            ) || is_self_signed_ca(e)
        };
        let best = refusals.iter().position(|e| !unknown(e)).unwrap_or(0);
        Err(refusals
            .into_iter()
            .nth(best)
            .unwrap_or(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            )))
    }
    signature_checks!();
}

/// The DER of a certificate's SubjectPublicKeyInfo: what curl's `--pinnedpubkey` hashes.
pub fn public_key_info(der: &[u8]) -> Result<Vec<u8>> {
    let (_, cert) = X509Certificate::from_der(der)
        .map_err(|e| Error::broken(format!("the server's certificate cannot be read: {e}")))?;
    Ok(cert.public_key().raw.to_vec())
}

/// webpki's refusal of a CA certificate presented as the server's own: what a self-signed
/// `openssl req -x509` certificate gets from every store that does not hold it.
pub fn is_self_signed_ca(e: &rustls::Error) -> bool {
    matches!(e, rustls::Error::InvalidCertificate(rustls::CertificateError::Other(o))
        if o.to_string().contains("CaUsedAsEndEntity"))
}

/// A certificate trusted because it is itself in `ca_file` must still be for this server and
/// in date, as OpenSSL checks a self-signed certificate given to `curl --cacert`: the names
/// of its subjectAltName (or, without one, its common name), and its validity.
fn own_certificate_fits(
    der: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> std::result::Result<(), rustls::Error> {
    use rustls::CertificateError as C;
    let bad = |e: C| rustls::Error::InvalidCertificate(e);
    let (_, cert) = X509Certificate::from_der(der.as_ref()).map_err(|_| bad(C::BadEncoding))?;
    let now = now.as_secs() as i64;
    if now < cert.validity().not_before.timestamp() {
        return Err(bad(C::NotValidYet));
    }
    if now > cert.validity().not_after.timestamp() {
        return Err(bad(C::Expired));
    }
    let has_san = cert.subject_alternative_name().ok().flatten().is_some();
    if has_san {
        let entity = webpki::EndEntityCert::try_from(der).map_err(|_| bad(C::BadEncoding))?;
        return entity
            .verify_is_valid_for_subject_name(server_name)
            .map_err(|_| bad(C::NotValidForName));
    }
    let wanted = match server_name {
        ServerName::DnsName(name) => name.as_ref().to_ascii_lowercase(),
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        _ => return Err(bad(C::NotValidForName)),
    };
    let matches = cert
        .subject()
        .iter_common_name()
        .filter_map(|cn| cn.as_str().ok())
        .any(|cn| cn.eq_ignore_ascii_case(&wanted));
    if matches {
        Ok(())
    } else {
        Err(bad(C::NotValidForName))
    }
}

/// Accepts the pinned certificate (or, with no pin, any), but still checks that the server
/// holds its private key: a copied certificate alone does not pass.
#[derive(Debug)]
struct AcceptCert {
    pin: Option<[u8; 32]>,
    provider: Arc<CryptoProvider>,
    seen: SeenCert,
}

/// Marks a pin mismatch so the transport can tell it from other certificate errors.
pub const PIN_MISMATCH: &str = "cpanel-client: certificate does not match pin_sha256";

impl ServerCertVerifier for AcceptCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        self.seen.set(end_entity.as_ref());
        match self.pin {
            Some(pin) if sha256(end_entity.as_ref()) != pin => {
                Err(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::Other(rustls::OtherError(Arc::new(Error::new(
                        ErrorKind::Tls(TlsReason::PinMismatch),
                        PIN_MISMATCH,
                    )))),
                ))
            }
            Some(_) => {
                self.seen.accepted_by(Store::Pin);
                Ok(ServerCertVerified::assertion())
            }
            None => {
                self.seen.accepted_by(Store::Unverified);
                Ok(ServerCertVerified::assertion())
            }
        }
    }
    signature_checks!();
}

/// The certificate a server presents, without judging it: a bare TLS handshake.
pub fn peer_certificate(target: &Target) -> std::result::Result<Vec<u8>, Refused> {
    handshake(target, &Verify::Insecure).map(|(der, _)| der)
}

/// A handshake that did not pass: the error to show, why (when TLS itself said no), and the
/// certificate the server presented, if it got that far.
#[non_exhaustive]
#[derive(Debug)]
pub struct Refused {
    /// What failed, in words.
    pub error: Error,
    /// Why TLS said no, when it did.
    pub failure: Option<TlsReason>,
    /// The DER of the certificate the server presented, when it got that far.
    pub der: Option<Vec<u8>>,
}

impl From<Refused> for Error {
    fn from(refused: Refused) -> Error {
        refused.error
    }
}

/// A bare TLS handshake checked as `verify` says; the leaf certificate and the trust that
/// accepted it, when it passes.
pub fn handshake(
    target: &Target,
    verify: &Verify,
) -> std::result::Result<(Vec<u8>, Store), Refused> {
    let (host, port) = (&target.host, target.port);
    let seen = SeenCert::default();
    let fail = |e: &dyn fmt::Display, failure: Option<TlsReason>| Refused {
        error: Error::new(
            failure.clone().map_or(ErrorKind::Connect, ErrorKind::Tls),
            format!("cannot reach {host}:{port}: {e}"),
        ),
        failure,
        der: seen.get(),
    };
    let proxy = target.proxy.as_ref();
    let mut tcp =
        crate::proxy::connect(host, port, target.timeout, proxy).map_err(|e| fail(&e, None))?;
    let config = client_config(verify, seen.clone(), &target.voice).map_err(|error| Refused {
        error,
        failure: None,
        der: None,
    })?;
    let name = ServerName::try_from(host.to_string()).map_err(|e| fail(&e, None))?;
    let mut conn = ClientConnection::new(config, name).map_err(|e| fail(&e, None))?;
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).map_err(|e| {
            match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                Some(refusal) => {
                    let failure = TlsReason::of(refusal, seen.get().as_deref());
                    // What the server must change, when no setting here helps.
                    let said = match failure.server_fix_marked() {
                        Some(fix) => format!("{}; {fix}", failure.reason_marked()),
                        None => failure.reason_marked(),
                    };
                    fail(&said, Some(failure))
                }
                None => fail(&e, None),
            }
        })?;
    }
    let der = seen
        .get()
        .ok_or_else(|| fail(&"the server sent no certificate", None))?;
    Ok((der, seen.store().unwrap_or(Store::Unverified)))
}

/// ureq connector that wraps the TCP transport in rustls with our [`ClientConfig`].
#[derive(Debug)]
pub struct TlsConnector {
    config: Arc<ClientConfig>,
}

impl TlsConnector {
    pub fn new(config: Arc<ClientConfig>) -> Self {
        TlsConnector { config }
    }
}

thread_local! {
    static CONNECTIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    static ANSWER_BEGAN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Forgets whether bytes came, and how far a new connection got: called before each request.
pub fn forget_answer() {
    ANSWER_BEGAN.with(|b| b.set(false));
    DIALED.with(|b| b.set(false));
    TUNNEL.with(|b| b.set(false));
}

thread_local! {
    static DIALED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static TUNNEL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the last request began a new connection that failed before a transport to the
/// server was up: through a proxy, the proxy's part (its CONNECT) is what failed.
pub fn stopped_before_server() -> bool {
    DIALED.with(|d| d.get()) && !TUNNEL.with(|t| t.get())
}

/// First in the connector chain: notes that a new connection is being made (a pooled one
/// skips the chain), so that a failure before [`TlsConnector`] is known to be the proxy's.
#[derive(Debug)]
pub struct Dialing;

impl Connector<()> for Dialing {
    type Out = ();

    fn connect(
        &self,
        _details: &ConnectionDetails,
        chained: Option<()>,
    ) -> std::result::Result<Option<()>, ureq::Error> {
        DIALED.with(|d| d.set(true));
        Ok(chained)
    }
}

/// Whether a single byte of an answer arrived since [`forget_answer`]: once one has, the server
/// was at work on the request, and it must not be sent again.
pub fn answer_began() -> bool {
    ANSWER_BEGAN.with(|b| b.get())
}

fn note_input(arrived: bool) {
    if arrived {
        ANSWER_BEGAN.with(|b| b.set(true));
    }
}

/// Where a kept-alive connection is between requests. ureq checks a pooled connection is
/// still open when it takes it, but a server that closes idle connections (or every one, after
/// its answer) can close it in the moment before the next request is written: the request then
/// meets a closed socket, and the answer is an end of file that looks like "the server read it
/// and closed", which must never be sent again. Checking again right before the first byte of
/// each request on a used connection leaves that moment a system call wide, and a connection
/// found closed then is a reset: the request never left, and goes on a new connection.
#[derive(Debug, Default)]
struct Turns {
    /// An answer came over this connection before.
    answered: bool,
    /// The current request's first bytes are out.
    sending: bool,
    /// When they went.
    sent_at: Option<std::time::Instant>,
}

impl Turns {
    fn before_send(&mut self, open: impl FnOnce() -> bool) -> std::result::Result<(), ureq::Error> {
        if self.answered && !self.sending && !open() {
            return Err(ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "the server had closed the kept-alive connection",
            )));
        }
        if !self.sending {
            self.sent_at = Some(std::time::Instant::now());
        }
        self.sending = true;
        Ok(())
    }
    /// An end of file before any byte of the answer, on a connection that answered before:
    /// the server closed it either before the request came (its system then answers what
    /// arrived with a reset: nothing was read, nothing ran) or after reading it (it may have
    /// run). A reset shows only to a write: after a moment for it to arrive, one byte is
    /// written (the connection is done for either way). A write refused proves the reset;
    /// one taken proves nothing, and the call is not sent again.
    fn reset_follows(&self, probe: impl FnOnce() -> std::result::Result<(), ureq::Error>) -> bool {
        let Some(sent) = self.sent_at.filter(|_| self.answered && self.sending) else {
            return false;
        };
        if answer_began() {
            return false;
        }
        // The reset comes a round trip after the request; the end of file came sooner.
        let wait = (sent.elapsed() * 2).clamp(
            std::time::Duration::from_millis(20),
            std::time::Duration::from_millis(250),
        );
        std::thread::sleep(wait);
        matches!(probe(), Err(ureq::Error::Io(io)) if matches!(
            io.kind(),
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionAborted
        ))
    }

    fn after_input(&mut self, arrived: bool) {
        if arrived {
            self.answered = true;
            self.sending = false;
        }
        note_input(arrived);
    }
}

/// One byte written to a connection that is done for, to learn whether the server reset it.
fn probe_write(
    transport: &mut dyn Transport,
    timeout: NextTimeout,
) -> std::result::Result<(), ureq::Error> {
    match transport.buffers().output().first_mut() {
        Some(byte) => *byte = b'\n',
        None => return Ok(()),
    }
    transport.transmit_output(1, timeout)
}

/// The error of a request that met a connection the server had already closed: a reset, which
/// the transport sends again on a new connection.
fn closed_before_request() -> ureq::Error {
    ureq::Error::Io(std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        "the server had closed the kept-alive connection before the request came",
    ))
}

/// A plain (or already encrypted) transport that records, like [`TlsTransport`], whether bytes
/// of an answer came.
#[derive(Debug)]
pub struct Watched<T>(T, Turns);

impl<T: Transport> Transport for Watched<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.0.buffers()
    }
    fn transmit_output(
        &mut self,
        amount: usize,
        timeout: NextTimeout,
    ) -> std::result::Result<(), ureq::Error> {
        let inner = &mut self.0;
        self.1.before_send(|| inner.is_open())?;
        self.0.transmit_output(amount, timeout)
    }
    fn await_input(&mut self, timeout: NextTimeout) -> std::result::Result<bool, ureq::Error> {
        let arrived = self.0.await_input(timeout)?;
        if !arrived {
            let inner = &mut self.0;
            if self.1.reset_follows(|| probe_write(inner, timeout)) {
                return Err(closed_before_request());
            }
        }
        self.1.after_input(arrived);
        Ok(arrived)
    }
    fn is_open(&mut self) -> bool {
        self.0.is_open()
    }
    fn is_tls(&self) -> bool {
        self.0.is_tls()
    }
}

/// How many connections this thread has opened: a request that left the count unchanged went
/// over a kept-alive connection from the pool.
pub fn connections_made() -> u64 {
    CONNECTIONS.with(|c| c.get())
}

impl<In: Transport> Connector<In> for TlsConnector {
    type Out = Either<Watched<In>, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> std::result::Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        CONNECTIONS.with(|c| c.set(c.get() + 1));
        // Through a proxy, the chain runs twice: for the leg to the proxy (its config has
        // no proxy), then over the tunnel to the server (which has).
        if details.config.proxy().is_some() {
            TUNNEL.with(|t| t.set(true));
        }
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(Watched(transport, Turns::default()))));
        }
        let host = details.uri.host().unwrap_or_default();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(host.to_string())
            .map_err(|_| ureq::Error::Tls("invalid server name"))?;
        let mut conn = ClientConnection::new(self.config.clone(), name)?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(details.timeout);
        conn.complete_io(&mut sock)?;
        let buffers = LazyBuffers::new(
            details.config.input_buffer_size(),
            details.config.output_buffer_size(),
        );
        Ok(Some(Either::B(TlsTransport {
            buffers,
            stream: StreamOwned { conn, sock },
            turns: Turns::default(),
        })))
    }
}

pub struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
    turns: Turns,
}

impl fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsTransport")
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }
    fn transmit_output(
        &mut self,
        amount: usize,
        timeout: NextTimeout,
    ) -> std::result::Result<(), ureq::Error> {
        let sock = self.stream.get_mut();
        self.turns.before_send(|| sock.get_mut().is_open())?;
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }
    fn await_input(&mut self, timeout: NextTimeout) -> std::result::Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let read = self.stream.read(input);
        let ended = match &read {
            Ok(0) => true,
            Err(e) => e.kind() == std::io::ErrorKind::UnexpectedEof,
            Ok(_) => false,
        };
        if ended {
            let raw = self.stream.get_mut().get_mut();
            if self.turns.reset_follows(|| probe_write(raw, timeout)) {
                return Err(closed_before_request());
            }
        }
        let amount = read?;
        self.buffers.input_appended(amount);
        self.turns.after_input(amount > 0);
        Ok(amount > 0)
    }
    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }
    fn is_tls(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_table() {
        let hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let colons = hex
            .as_bytes()
            .chunks(2)
            .map(|c| std::str::from_utf8(c).unwrap().to_uppercase())
            .collect::<Vec<_>>()
            .join(":");
        let want = sha256(b"test");
        for ok in [hex.to_string(), colons, format!(" {hex} ")] {
            assert_eq!(parse_pin(&ok).unwrap(), want, "{ok}");
        }
        for bad in [
            "",
            "9f86",
            &hex[..63],
            &format!("{}zz", &hex[..62]),
            &format!("{hex}00"),
            "é",
        ] {
            let err = parse_pin(bad).unwrap_err();
            assert!(err.to_string().contains("64 hex digits"), "{bad}: {err}");
        }
    }

    #[test]
    fn fingerprint_is_openssl_style() {
        assert!(fingerprint(&sha256(b"test")).starts_with("9F:86:D0:81:"));
    }

    #[test]
    fn missing_or_empty_ca_file_is_a_usage_error() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate").unwrap();
        for (path, want) in [
            (dir.path().join("nope.pem"), "cannot read the CA file"),
            (empty, "no PEM certificate"),
        ] {
            let verify = Verify::Roots {
                ca_file: Some(path),
                ca_pem: None,
                only: false,
            };
            let err = client_config(&verify, SeenCert::default(), &Voice::default()).unwrap_err();
            assert!(err.to_string().contains(want), "{err}");
        }
    }
}
