//! AMQP 1.0 protocol header exchange (Qpid Dispatch Router, qdrouterd): the client sends
//! `AMQP 0 1 0 0` and an AMQP 1.0 peer answers with its own header (`AMQP 3 1 0 0` when
//! it wants SASL first). That proves the router speaks AMQP 1.0 on the listener, which is
//! what `qdstat -b` needed before its management query.

use crate::context::Context;
use crate::net::Endpoint;
use crate::proto::exchange;
use crate::verdict::Checked;

const HEADER: &[u8; 8] = b"AMQP\x00\x01\x00\x00";

/// The outcome of the 8 bytes the peer answered.
pub fn parse_header(reply: &[u8]) -> Result<String, String> {
    match reply {
        [b'A', b'M', b'Q', b'P', 0, 1, 0, 0, ..] => Ok("AMQP 1.0 header answered".into()),
        [b'A', b'M', b'Q', b'P', 3, 1, 0, 0, ..] => {
            Ok("AMQP 1.0 header answered (SASL layer)".into())
        }
        [b'A', b'M', b'Q', b'P', 2, 1, 0, 0, ..] => {
            Ok("AMQP 1.0 header answered (TLS layer)".into())
        }
        [b'A', b'M', b'Q', b'P', id, major, minor, rev, ..] => Err(format!(
            "peer speaks another AMQP version: {id} {major}.{minor}.{rev}"
        )),
        _ => Err("not an AMQP peer: no AMQP protocol header in the reply".into()),
    }
}

/// Send the AMQP 1.0 header to `endpoint` and read the peer's.
pub fn header(endpoint: &Endpoint, ctx: &Context) -> Checked {
    let outcome = exchange::request(endpoint, ctx, HEADER, 8, |b| b.len() >= 8)
        .and_then(|reply| parse_header(&reply));
    Checked::new(endpoint.to_string(), outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        assert!(parse_header(b"AMQP\x00\x01\x00\x00").is_ok());
        assert!(parse_header(b"AMQP\x03\x01\x00\x00")
            .unwrap()
            .contains("SASL"));
        assert!(parse_header(b"AMQP\x00\x00\x09\x01")
            .unwrap_err()
            .contains("another AMQP version"));
        assert!(parse_header(b"HTTP/1.1")
            .unwrap_err()
            .contains("not an AMQP"));
        assert!(parse_header(b"").is_err());
    }
}
