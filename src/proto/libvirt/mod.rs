//! libvirt RPC client (XDR over a unix socket): CONNECT_OPEN, CONNECT_GET_LIB_VERSION and
//! CONNECT_CLOSE, like `virsh version --daemon`, without linking libvirt.
//!
//! Every packet is a 4-byte total length, a 24-byte header (program, version,
//! procedure, type, serial, status) and an XDR payload; an ERROR status carries a
//! `remote_error` whose message becomes the error.

pub mod xdr;

use crate::context::Context;
use crate::net::{self, Endpoint};
use crate::proto::exchange;
use xdr::{Decoder, Encoder};

pub const DEFAULT_SOCKET: &str = "unix:/run/libvirt/libvirt-sock";

/// An empty URI lets the daemon open its default driver, as `virsh` does over the
/// socket. (No URI at all is refused by libvirtd 9 with "connection not open".)
pub const DEFAULT_URI: &str = "";

/// `REMOTE_PROGRAM` and `REMOTE_PROTOCOL_VERSION` of remote_protocol.x.
const REMOTE_PROGRAM: u32 = 0x2000_8086;
const REMOTE_PROTOCOL_VERSION: u32 = 1;

/// The procedures we call (`REMOTE_PROC_CONNECT_*`).
#[derive(Debug, Clone, Copy)]
enum Procedure {
    Open = 1,
    Close = 2,
    GetLibVersion = 157,
}

impl Procedure {
    /// libvirt's name for it, as its logs and docs say.
    fn name(self) -> &'static str {
        match self {
            Procedure::Open => "CONNECT_OPEN",
            Procedure::Close => "CONNECT_CLOSE",
            Procedure::GetLibVersion => "CONNECT_GET_LIB_VERSION",
        }
    }
}

/// Message types and reply statuses of the RPC header.
const TYPE_CALL: u32 = 0;
const TYPE_REPLY: u32 = 1;
const STATUS_OK: u32 = 0;
const STATUS_ERROR: u32 = 1;

/// `VIR_CONNECT_RO`: a version query needs no write access, and read-only
/// connections are allowed on both the read-write and the read-only socket.
const CONNECT_READ_ONLY: u32 = 1;

const LENGTH_WORD: usize = 4;
const HEADER_LEN: usize = LENGTH_WORD + 24;
/// Our replies are a few hundred bytes (an error message at most); libvirt's own
/// limit is megabytes, which a health check has no reason to accept.
const PACKET_LIMIT: usize = 256 * 1024;

/// Open a connection on the libvirt socket and ask the daemon its version number
/// (see [`version_text`]).
pub fn daemon_version(endpoint: &Endpoint, ctx: &Context) -> Result<u64, String> {
    daemon_version_of(endpoint, DEFAULT_URI, ctx)
}

/// [`daemon_version`] opening `uri` ("" for the daemon's default driver).
pub fn daemon_version_of(endpoint: &Endpoint, uri: &str, ctx: &Context) -> Result<u64, String> {
    let mut session = Session {
        conn: net::connect(endpoint, ctx)?,
        pending: Vec::new(),
        serial: 0,
    };
    session.call(
        Procedure::Open,
        &Encoder::default()
            .optional_string(Some(uri))
            .u32(CONNECT_READ_ONLY)
            .0,
    )?;
    let reply = session.call(Procedure::GetLibVersion, &[])?;
    let version = Decoder::new(&reply).u64()?;
    // Closing politely spares the daemon a "connection reset" warning; the verdict is already known.
    if let Err(e) = session.call(Procedure::Close, &[]) {
        ctx.trace(format_args!("libvirt CONNECT_CLOSE: {e}"));
    }
    Ok(version)
}

/// One RPC conversation: numbered calls, one reply each.
struct Session {
    conn: net::Connection,
    pending: Vec<u8>,
    serial: u32,
}

impl Session {
    fn call(&mut self, procedure: Procedure, args: &[u8]) -> Result<Vec<u8>, String> {
        self.serial += 1;
        exchange::send(
            &mut self.conn,
            &call_packet(procedure as u32, self.serial, args),
        )?;
        let packet =
            exchange::read_reply(&mut self.conn, &mut self.pending, PACKET_LIMIT, packet_len)
                .map_err(|e| format!("{}: {e}", procedure.name()))?;
        parse_reply(&packet, procedure as u32, self.serial)
            .map(<[u8]>::to_vec)
            .map_err(|e| format!("{}: {e}", procedure.name()))
    }
}

fn call_packet(procedure: u32, serial: u32, args: &[u8]) -> Vec<u8> {
    let total = (HEADER_LEN + args.len()) as u32;
    let header = [
        total,
        REMOTE_PROGRAM,
        REMOTE_PROTOCOL_VERSION,
        procedure,
        TYPE_CALL,
        serial,
        STATUS_OK,
    ];
    let mut packet = header.iter().fold(Encoder::default(), |e, &v| e.u32(v)).0;
    packet.extend_from_slice(args);
    packet
}

/// How many bytes of `buf` the first packet takes, once it is all there. A length
/// word that cannot be a reply counts as a complete 4-byte packet so that
/// [`parse_reply`] reports it instead of waiting for bytes that make no sense.
pub fn packet_len(buf: &[u8]) -> Option<usize> {
    let word: [u8; LENGTH_WORD] = buf.get(..LENGTH_WORD)?.try_into().ok()?;
    let declared = u32::from_be_bytes(word) as usize;
    if !(HEADER_LEN..=PACKET_LIMIT).contains(&declared) {
        return Some(LENGTH_WORD);
    }
    (buf.len() >= declared).then_some(declared)
}

/// Check a reply packet to call `serial` of `procedure` and return its payload, or
/// the daemon's error message.
pub fn parse_reply(packet: &[u8], procedure: u32, serial: u32) -> Result<&[u8], String> {
    let mut d = Decoder::new(packet);
    let declared = d.u32()? as usize;
    if declared != packet.len() || declared < HEADER_LEN {
        let start = exchange::printable(&packet[..packet.len().min(LENGTH_WORD)], LENGTH_WORD);
        return Err(format!(
            "not a libvirt reply (starts with \"{start}\", length word {declared})"
        ));
    }
    let (program, version) = (d.u32()?, d.u32()?);
    if (program, version) != (REMOTE_PROGRAM, REMOTE_PROTOCOL_VERSION) {
        return Err(format!(
            "not a libvirt remote-protocol reply (program {program:#x} version {version})"
        ));
    }
    let (got_procedure, kind, got_serial, status) = (d.u32()?, d.u32()?, d.u32()?, d.u32()?);
    if (got_procedure, kind, got_serial) != (procedure, TYPE_REPLY, serial) {
        return Err(format!(
            "unexpected libvirt message (procedure {got_procedure}, type {kind}, serial {got_serial}) \
             instead of the reply to procedure {procedure}, serial {serial}"
        ));
    }
    match status {
        STATUS_OK => Ok(d.rest()),
        STATUS_ERROR => Err(error_reason(d.rest())),
        other => Err(format!("libvirt reply with unknown status {other}")),
    }
}

/// The start of a `remote_error` (code, domain, message) as a reason.
pub fn error_reason(payload: &[u8]) -> String {
    let mut d = Decoder::new(payload);
    let decoded = (|| Ok::<_, String>((d.i32()?, d.i32()?, d.optional_string()?)))();
    match decoded {
        Ok((code, _domain, Some(message))) => format!(
            "libvirt error {code}: {}",
            exchange::printable(message.as_bytes(), 200)
        ),
        Ok((code, _domain, None)) => format!("libvirt error {code} (no message)"),
        Err(e) => format!("libvirt error reply that cannot be decoded: {e}"),
    }
}

/// libvirt's version number (major * 1,000,000 + minor * 1,000 + micro) as text.
pub fn version_text(version: u64) -> String {
    format!(
        "{}.{}.{}",
        version / 1_000_000,
        version / 1000 % 1000,
        version % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(procedure: u32, serial: u32, status: u32, payload: &[u8]) -> Vec<u8> {
        let mut p = call_packet(procedure, serial, payload);
        p[16..20].copy_from_slice(&TYPE_REPLY.to_be_bytes());
        p[24..28].copy_from_slice(&status.to_be_bytes());
        p
    }

    #[test]
    fn builds_calls() {
        let open = call_packet(
            1,
            1,
            &Encoder::default()
                .optional_string(None)
                .u32(CONNECT_READ_ONLY)
                .0,
        );
        assert_eq!(open.len(), 36);
        assert_eq!(&open[..8], &[0, 0, 0, 36, 0x20, 0x00, 0x80, 0x86]);
    }

    #[test]
    fn parses_ok_replies() {
        let packet = reply(157, 2, STATUS_OK, &9_000_000u64.to_be_bytes());
        assert_eq!(packet_len(&packet), Some(packet.len()));
        let payload = parse_reply(&packet, 157, 2).unwrap();
        assert_eq!(version_text(Decoder::new(payload).u64().unwrap()), "9.0.0");
    }

    #[test]
    fn error_replies_carry_the_message() {
        let error = Encoder::default()
            .u32(45)
            .u32(0)
            .optional_string(Some("authentication failed"))
            .0;
        let err = parse_reply(&reply(1, 1, STATUS_ERROR, &error), 1, 1).unwrap_err();
        assert_eq!(err, "libvirt error 45: authentication failed");
        assert!(error_reason(&[0, 0]).contains("cannot be decoded"));
    }

    #[test]
    fn rejects_other_messages() {
        assert!(parse_reply(&reply(157, 3, STATUS_OK, &[]), 157, 2)
            .unwrap_err()
            .contains("serial 3"));
        let mut other_program = reply(1, 1, STATUS_OK, &[]);
        other_program[4] = 0x30;
        assert!(parse_reply(&other_program, 1, 1)
            .unwrap_err()
            .contains("program"));
        assert!(parse_reply(b"HTTP/1.1 400 Bad", 1, 1).is_err());
    }

    #[test]
    fn packet_length_is_bounded() {
        assert_eq!(packet_len(&[0, 0]), None);
        assert_eq!(packet_len(&[0xff, 0xff, 0xff, 0xff, 1]), Some(4));
        assert_eq!(packet_len(&[0, 0, 0, 1]), Some(4));
        assert_eq!(packet_len(&[0, 0, 0, 28, 1]), None);
        assert_eq!(version_text(10_002_003), "10.2.3");
    }
}
