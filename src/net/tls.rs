//! TLS client (rustls with the ring provider) over a deadline-bound [`Connection`].
//!
//! Health checks talk to the service on its own address, often an IP the certificate
//! does not name, so by default the certificate is not verified (like `curl -k`, which
//! kolla's and TripleO's checks use) while the handshake signatures still are. With a
//! CA file the chain and name are verified against that CA. A client certificate and
//! key can be presented to services that require one. SNI is sent for DNS names only.
//! The earliest expiry of the chain a server presents is recorded in the check's context.

use super::{Connection, Endpoint};
use crate::context::Context;
use crate::util::io_reason;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
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

/// The system CA bundle, used by `verify` without a CA file (`SSL_CERT_FILE` overrides).
pub(crate) fn system_ca_file() -> String {
    std::env::var("SSL_CERT_FILE")
        .unwrap_or_else(|_| "/etc/ssl/certs/ca-certificates.crt".to_string())
}

/// The crypto provider of every TLS client here: ring.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(ring::default_provider())
}

/// Build the client configuration for `opts`; file problems are one-line errors.
pub fn client_config(opts: &TlsOptions) -> Result<Arc<ClientConfig>, String> {
    build_config(opts, Arc::new(AcceptAnyCertificate(provider())))
}

/// [`client_config`] as curl `-k` behaves, for the HTTP checks: without `verify` the
/// certificate is not even parsed (an X.509 v1 certificate, which webpki cannot read,
/// passes), so the handshake signatures are not checked against it either.
pub fn curl_client_config(opts: &TlsOptions) -> Result<Arc<ClientConfig>, String> {
    build_config(opts, Arc::new(AcceptAnything(provider())))
}

/// The configuration for `opts`, with `unverified` deciding on the server's certificate
/// when `opts` does not ask for verification.
fn build_config(
    opts: &TlsOptions,
    unverified: Arc<dyn ServerCertVerifier>,
) -> Result<Arc<ClientConfig>, String> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?;
    let builder = if opts.verify {
        let path = opts.ca_file.clone().unwrap_or_else(system_ca_file);
        let mut roots = rustls::RootCertStore::empty();
        for cert in read_certs(&path)? {
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
            .with_custom_certificate_verifier(unverified)
    };
    let config = match client_identity(opts)? {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain, key)
            .map_err(|e| format!("client certificate: {e}"))?,
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The client certificate chain and key of `opts`, if any, read and checked to belong
/// together (rustls compares the key with the certificate's public key), so a wrong
/// pair is a one-line error before anything is connected.
pub(crate) fn client_identity(
    opts: &TlsOptions,
) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>, String> {
    let (cert, key) = match (&opts.client_cert, &opts.client_key) {
        (Some(cert), key) => (cert, key.as_deref().unwrap_or(cert)),
        (None, Some(_)) => {
            return Err("a client key was given without a client certificate (--cert)".into())
        }
        (None, None) => return Ok(None),
    };
    let chain = read_certs(cert)?;
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        format!(
            "client key {key}: no usable PEM private key ({})",
            pem_reason(e)
        )
    })?;
    rustls::sign::CertifiedKey::from_der(chain.clone(), key_der.clone_key(), &provider())
        .map_err(|e| format!("client certificate {cert} with key {key}: {e}"))?;
    Ok(Some((chain, key_der)))
}

/// The PEM certificates in `path`; none, or an unreadable file, is an error naming it.
pub(crate) fn read_certs(path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read certificates from {path}: {}", pem_reason(e)))?
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

/// Accepts any certificate (like `curl -k`) but still checks that the handshake was
/// signed by the key in the presented certificate, so the session is at least bound
/// to whoever holds that key.
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
        rustls::crypto::verify_tls12_signature(
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
        rustls::crypto::verify_tls13_signature(
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

/// Accepts any certificate and any handshake signature: what `curl -k` accepts.
#[derive(Debug)]
struct AcceptAnything(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnything {
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
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Connect to `endpoint` and, when `tls` is given, run the handshake over the
/// connection (the server name is the endpoint's host). Option-file problems are
/// reported before anything is connected.
pub fn open(
    endpoint: &Endpoint,
    tls: Option<&TlsOptions>,
    ctx: &Context,
) -> Result<Stream, String> {
    let config = tls.map(client_config).transpose()?;
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
