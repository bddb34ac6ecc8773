//! HTTPS in ureq's connection chain, over a rustls configuration of our TLS module
//! ([`crate::net::tls::curl_client_config`]), in place of ureq's `RustlsConnector`.
//!
//! ureq's connector keeps the TLS session to itself, so the certificates the server
//! presented could not be read; here they are, after the handshake, for the earliest
//! certificate expiry that the monitoring formats report. Without verification any
//! certificate is accepted, as curl `-k` (and ureq's connector) accept it; with a CA
//! file, chain and name are verified as in the other TLS checks.

use crate::context::Context;
use crate::net::tls;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use std::io::{Read, Write};
use std::sync::Arc;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport,
    TransportAdapter,
};
use ureq::Error;

/// Wraps the connection to an `https` URL in TLS with `config` (which only such a URL
/// needs), and records the earliest expiry of the presented chain in `ctx`.
pub(super) struct TlsConnector {
    pub config: Option<Arc<ClientConfig>>,
    pub ctx: Context,
}

impl std::fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConnector").finish()
    }
}

impl<In: Transport> Connector<In> for TlsConnector {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        // Plain HTTP, or a tunnel that is TLS already: pass it on.
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let Some(config) = &self.config else {
            return Err(Error::Tls("no TLS configuration for an https URL"));
        };
        let host = details
            .uri
            .authority()
            .map(|a| a.host())
            .unwrap_or_default()
            .trim_start_matches('[')
            .trim_end_matches(']');
        // An IP literal gives an IpAddress name, for which rustls sends no SNI.
        let name = ServerName::try_from(host.to_string())
            .map_err(|_| Error::Tls("not a valid TLS server name"))?;
        let mut session = ClientConnection::new(Arc::clone(config), name)?;
        let mut socket = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        socket.set_timeout(details.timeout);
        while session.is_handshaking() {
            session.complete_io(&mut socket)?;
        }
        if let Some(not_after) = tls::earliest_expiry(session.peer_certificates().unwrap_or(&[])) {
            self.ctx.measure(|m| m.cert_expiring(not_after));
        }
        let buffers = LazyBuffers::new(
            details.config.input_buffer_size(),
            details.config.output_buffer_size(),
        );
        Ok(Some(Either::B(TlsTransport {
            buffers,
            stream: StreamOwned::new(session, socket),
        })))
    }
}

/// The TLS session over the transport below it (the deadline-bound TCP connection).
pub(super) struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl std::fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsTransport").finish()
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}
