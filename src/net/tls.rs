//! TLS client (rustls with the ring provider) over a deadline-bound [`Connection`].
//!
//! Health checks talk to the service on its own address, often an IP the certificate
//! does not name, so by default the certificate is not verified (like `curl -k`, which
//! kolla's and TripleO's checks use) while the handshake signatures still are. With a
//! CA file the chain and name are verified against that CA. A client certificate and
//! key can be presented to services that require one. SNI is sent for DNS names only.
//!
//! Without verification any certificate `curl -k` accepts is accepted, X.509 v1 ones
//! included (no extensions: what `openssl x509 -req` makes without an extension file),
//! for the server and as our own client certificate. webpki, behind rustls, parses only
//! v3 certificates, so where nothing is verified the certificate is not handed to it:
//! the key that signs the handshake is read from the certificate's
//! SubjectPublicKeyInfo (decoded with x509-cert, which takes every version) and the
//! signature checked with the same algorithms rustls uses.
//!
//! The earliest expiry of the chain a server presents is recorded in the check's context.

use super::{Connection, Endpoint};
use crate::context::Context;
use crate::system::{Root, System};
use crate::util::io_reason;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme, StreamOwned};
use std::io::{self, Read, Write};
use std::sync::Arc;

/// What to verify and what to present.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Verify the server's certificate chain and name.
    pub verify: bool,
    /// With `verify`, accept a chain that verifies but does not name the host: what
    /// oslo.messaging does with `ssl_ca_file` unless `ssl_enforce_hostname_verification`
    /// is set, so that brokers addressed by IP keep working with the service's own CA.
    pub chain_only: bool,
    /// CA bundle (PEM) for verification; without it, the system bundle.
    pub ca_file: Option<String>,
    /// Client certificate chain (PEM) and its private key (PEM).
    pub client_cert: Option<String>,
    pub client_key: Option<String>,
}

/// The checked system's CA bundle, used by `verify` without a CA file (its `SSL_CERT_FILE`
/// overrides).
pub(crate) fn system_ca_file(sys: &System) -> String {
    sys.var("SSL_CERT_FILE")
        .unwrap_or_else(|| "/etc/ssl/certs/ca-certificates.crt".to_string())
}

/// The crypto provider of every TLS client here: ring.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(ring::default_provider())
}

/// Build the client configuration for `opts`, its files read on `sys`; file problems are
/// one-line errors.
pub fn client_config(opts: &TlsOptions, sys: &System) -> Result<Arc<ClientConfig>, String> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?;
    let builder = if opts.verify {
        let path = opts.ca_file.clone().unwrap_or_else(|| system_ca_file(sys));
        let mut roots = rustls::RootCertStore::empty();
        for cert in read_certs(&sys.given, &path)? {
            roots
                .add(cert)
                .map_err(|e| format!("CA file {path}: unusable certificate: {e}"))?;
        }
        if opts.chain_only {
            let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots),
                provider(),
            )
            .build()
            .map_err(|e| format!("CA file {path}: {e}"))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnly(webpki)))
        } else {
            builder.with_root_certificates(roots)
        }
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider())))
    };
    // Our own pair check instead of rustls' (see `client_identity`): rustls would parse
    // the certificate with webpki, which refuses X.509 v1.
    let config = match client_identity(opts, &sys.given)? {
        Some(certified) => builder.with_client_cert_resolver(Arc::new(SingleCertAndKey::from(
            Arc::unwrap_or_clone(certified),
        ))),
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The client certificate chain and key of `opts`, if any, read under `root` and checked
/// to belong together (the key's public half against the certificate's, whatever the
/// certificate's X.509 version), so a wrong pair is a one-line error before anything is
/// connected.
pub(crate) fn client_identity(
    opts: &TlsOptions,
    root: &Root,
) -> Result<Option<Arc<CertifiedKey>>, String> {
    let (cert, key) = match (&opts.client_cert, &opts.client_key) {
        (Some(cert), key) => (cert, key.as_deref().unwrap_or(cert)),
        (None, Some(_)) => {
            return Err("a client key was given without a client certificate (--cert)".into())
        }
        (None, None) => return Ok(None),
    };
    let chain = read_certs(root, cert)?;
    let key_pem = root.read(key).map_err(|e| {
        format!(
            "client key {key}: no usable PEM private key ({})",
            io_reason(&e)
        )
    })?;
    let key_der = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        format!(
            "client key {key}: no usable PEM private key ({})",
            pem_reason(e)
        )
    })?;
    let signing_key = provider()
        .key_provider
        .load_private_key(key_der)
        .map_err(|e| format!("client key {key}: {e}"))?;
    let cert_spki = certificate_spki(chain[0].as_ref())
        .ok_or_else(|| format!("client certificate {cert}: not a DER X.509 certificate"))?;
    if let Some(key_spki) = signing_key.public_key() {
        if key_spki.as_ref() != cert_spki.as_slice() {
            return Err(format!(
                "client certificate {cert} does not belong to the key {key}"
            ));
        }
    }
    Ok(Some(Arc::new(CertifiedKey::new(chain, signing_key))))
}

/// The PEM certificates in `path` under `root`; none, or an unreadable file, is an error
/// naming it.
pub(crate) fn read_certs(root: &Root, path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = root
        .read(path)
        .map_err(|e| format!("cannot read certificates from {path}: {}", io_reason(&e)))?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("bad PEM in {path}: {}", pem_reason(e)))?;
    if certs.is_empty() {
        return Err(format!("no PEM certificate in {path}"));
    }
    Ok(certs)
}

fn pem_reason(e: rustls::pki_types::pem::Error) -> String {
    match e {
        rustls::pki_types::pem::Error::Io(e) => io_reason(&e),
        rustls::pki_types::pem::Error::NoItemsFound => "nothing found".into(),
        other => format!("{other:?}"),
    }
}

/// A TLS session over a deadline-bound connection.
pub type TlsStream = StreamOwned<ClientConnection, Connection>;

/// Run the TLS handshake with `host` (a DNS name or an IP literal) over `conn`.
pub fn connect(
    mut conn: Connection,
    host: &str,
    config: Arc<ClientConfig>,
) -> Result<TlsStream, String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    // An IPv6 zone names an interface of this host, not the server.
    let bare = bare.split('%').next().unwrap_or(bare);
    // An IP literal gives an IpAddress name, for which rustls sends no SNI.
    let name = ServerName::try_from(bare.to_string())
        .map_err(|_| format!("{host:?} is not a valid TLS server name"))?;
    let mut session = ClientConnection::new(config, name).map_err(|e| format!("TLS setup: {e}"))?;
    while session.is_handshaking() {
        session
            .complete_io(&mut conn)
            .map_err(|e| handshake_error(&e, conn.deadline()))?;
    }
    Ok(StreamOwned::new(session, conn))
}

fn handshake_error(e: &io::Error, deadline: crate::deadline::Deadline) -> String {
    if let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return format!("TLS handshake failed: {}", tls_reason(tls));
    }
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            format!(
                "timed out after {:.1}s in the TLS handshake",
                deadline.budget().as_secs_f64()
            )
        }
        io::ErrorKind::UnexpectedEof => {
            "TLS handshake failed: connection closed by the server".into()
        }
        _ => format!("TLS handshake failed: {}", io_reason(e)),
    }
}

/// A rustls error as a short reason a person can act on.
pub(crate) fn tls_reason(e: &rustls::Error) -> String {
    use rustls::{CertificateError, Error};
    match e {
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "server certificate not signed by the given CA (unknown issuer)".into()
        }
        Error::InvalidCertificate(CertificateError::NotValidForName) => {
            "server certificate does not name this host".into()
        }
        Error::InvalidCertificate(CertificateError::Expired) => "server certificate expired".into(),
        Error::AlertReceived(rustls::AlertDescription::CertificateRequired) => {
            "the server requires a client certificate (--cert/--key)".into()
        }
        Error::AlertReceived(alert) => {
            format!("the server refused the TLS session (alert {alert:?})")
        }
        Error::InvalidCertificate(CertificateError::Other(other))
            if other.to_string().contains("CaUsedAsEndEntity") =>
        {
            "the server presents a CA certificate as its own".into()
        }
        Error::InvalidMessage(_) => "the server does not speak TLS on this port".into(),
        other => other.to_string(),
    }
}

/// Verifies the chain against the CA with webpki and accepts a certificate that does
/// not name the host (see [`TlsOptions::chain_only`]); every other failure stands.
#[derive(Debug)]
struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        use rustls::{CertificateError, Error};
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            // webpki checks the name only once the chain has verified.
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// Accepts any certificate (like `curl -k`): any version, expired, for any name,
/// self-signed; but still checks that the handshake was signed by the key in the
/// presented certificate, so the session is at least bound to whoever holds that key.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_with_certificate_key(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        // TLS 1.3 signs with these schemes only (RFC 8446 section 4.2.3): no PKCS#1 v1.5, no SHA-1.
        use SignatureScheme::*;
        if !matches!(
            dss.scheme,
            ECDSA_NISTP256_SHA256
                | ECDSA_NISTP384_SHA384
                | ECDSA_NISTP521_SHA512
                | RSA_PSS_SHA256
                | RSA_PSS_SHA384
                | RSA_PSS_SHA512
                | ED25519
                | ED448
        ) {
            return Err(rustls::PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme.into());
        }
        verify_with_certificate_key(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Check a handshake signature against the public key of `cert` (any X.509 version),
/// with the algorithms rustls has for the signature's scheme and the key's type (the
/// same pairing of key algorithm identifier and scheme webpki makes).
fn verify_with_certificate_key(
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
    algorithms: &WebPkiSupportedAlgorithms,
) -> Result<HandshakeSignatureValid, rustls::Error> {
    use rustls::CertificateError::{BadEncoding, BadSignature};
    let (key_algorithm, key) =
        certificate_key(cert.as_ref()).ok_or(rustls::Error::InvalidCertificate(BadEncoding))?;
    let candidates = algorithms
        .mapping
        .iter()
        .find(|(scheme, _)| *scheme == dss.scheme)
        .map(|(_, algs)| *algs)
        .ok_or(rustls::PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme)?;
    let alg = candidates
        .iter()
        .find(|alg| alg.public_key_alg_id().as_ref() == key_algorithm.as_slice())
        .ok_or_else(|| {
            rustls::Error::General(
                "the certificate's key does not suit the handshake's signature scheme".into(),
            )
        })?;
    alg.verify_signature(&key, message, dss.signature())
        .map(|_| HandshakeSignatureValid::assertion())
        .map_err(|_| rustls::Error::InvalidCertificate(BadSignature))
}

/// The SubjectPublicKeyInfo (DER) of a DER certificate of any X.509 version.
pub fn certificate_spki(cert: &[u8]) -> Option<Vec<u8>> {
    use x509_cert::der::{Decode, Encode};
    let cert = x509_cert::Certificate::from_der(cert).ok()?;
    cert.tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .ok()
}

/// The key of a DER certificate of any X.509 version: its algorithm identifier (the
/// SEQUENCE's contents, as rustls names algorithms) and its key bits.
fn certificate_key(cert: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    use x509_cert::der::{Decode, Encode};
    let cert = x509_cert::Certificate::from_der(cert).ok()?;
    let spki = cert.tbs_certificate().subject_public_key_info();
    let mut algorithm = spki.algorithm.oid.to_der().ok()?;
    if let Some(parameters) = &spki.algorithm.parameters {
        algorithm.extend(parameters.to_der().ok()?);
    }
    let key = spki.subject_public_key.as_bytes()?.to_vec();
    Some((algorithm, key))
}

/// Connect to `endpoint` and, when `tls` is given, run the handshake over the
/// connection (the server name is the endpoint's host). Option-file problems are
/// reported before anything is connected.
pub fn open(
    endpoint: &Endpoint,
    tls: Option<&TlsOptions>,
    ctx: &Context,
) -> Result<Stream, String> {
    let config = tls
        .map(|opts| client_config(opts, &ctx.system))
        .transpose()?;
    let conn = super::connect(endpoint, ctx)?;
    let Some(config) = config else {
        return Ok(Stream::Plain(conn));
    };
    let host = match endpoint {
        Endpoint::Tcp { host, .. } => host.as_str(),
        // A unix socket has no host name; certificates for local services name localhost.
        Endpoint::Unix(_) | Endpoint::Abstract(_) => "localhost",
    };
    let stream = connect(conn, host, config)?;
    if let Some(not_after) = earliest_expiry(stream.conn.peer_certificates().unwrap_or(&[])) {
        ctx.measure(|m| m.cert_expiring(not_after));
    }
    Ok(Stream::Tls(Box::new(stream)))
}

/// The earliest `notAfter` of the certificates in `chain`, in seconds since the Unix
/// epoch. A certificate that does not decode is left out: the handshake has accepted
/// it (or, verifying, its chain), only its expiry is unknown.
pub fn earliest_expiry(chain: &[CertificateDer<'_>]) -> Option<i64> {
    use x509_cert::der::Decode;
    chain
        .iter()
        .filter_map(|der| x509_cert::Certificate::from_der(der).ok())
        .map(|cert| {
            let not_after = cert.tbs_certificate().validity().not_after;
            i64::try_from(not_after.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
        })
        .min()
}

/// A connection that may or may not be wrapped in TLS.
pub enum Stream {
    Plain(Connection),
    Tls(Box<TlsStream>),
}

impl Stream {
    pub fn connection(&self) -> &Connection {
        match self {
            Stream::Plain(c) => c,
            Stream::Tls(t) => &t.sock,
        }
    }

    pub fn connection_mut(&mut self) -> &mut Connection {
        match self {
            Stream::Plain(c) => c,
            Stream::Tls(t) => &mut t.sock,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(c) => c.read(buf),
            Stream::Tls(t) => match t.read(buf) {
                // Servers that close without close_notify are common; the framing
                // (length or chunks) still tells whether the body was complete.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
                // A TLS 1.3 server refuses a client certificate only after the handshake.
                Err(e) => Err(
                    match e
                        .get_ref()
                        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                    {
                        Some(tls) => io::Error::other(format!("TLS: {}", tls_reason(tls))),
                        None => e,
                    },
                ),
                ok => ok,
            },
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(c) => c.write(buf),
            Stream::Tls(t) => t.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(c) => c.flush(),
            Stream::Tls(t) => t.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_certificate_no_key() {
        assert!(certificate_spki(b"").is_none());
        assert!(certificate_spki(&[0x30, 0x03, 0x30, 0x01, 0x02]).is_none());
        assert!(certificate_key(&[0x30, 0x80]).is_none());
    }
}
