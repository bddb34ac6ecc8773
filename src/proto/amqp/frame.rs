//! AMQP 0-9-1 wire format for the connection class: frames, the methods a login
//! exchanges, and field tables (with RabbitMQ's type letters). Decoders are pure
//! functions over bytes so the fuzz target can reach them. The channel, queue and
//! basic classes an RPC call needs build on the same [`Reader`] and [`Writer`] in
//! `basic`.

use crate::proto::framed::peer_text as printable;

/// What a client sends first: "AMQP", 0, then protocol 0-9-1.
pub const PROTOCOL_HEADER: &[u8; 8] = b"AMQP\x00\x00\x09\x01";

pub const FRAME_METHOD: u8 = 1;
/// A content header (class, body size, properties) follows a method that carries content.
pub const FRAME_HEADER: u8 = 2;
/// A piece of a content body.
pub const FRAME_BODY: u8 = 3;
pub const FRAME_HEARTBEAT: u8 = 8;
pub const FRAME_END: u8 = 0xce;
/// Largest frame we accept: the Start frame is a few hundred bytes.
pub const MAX_FRAME: usize = 1 << 17;
/// Nesting bound for field tables and arrays (a hostile peer could nest without end).
const MAX_DEPTH: usize = 8;

const CLASS_CONNECTION: u16 = 10;

/// Connection reply codes a login can meet.
pub const REPLY_SUCCESS: u16 = 200;

/// One frame: type, channel and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub kind: u8,
    pub channel: u16,
    pub payload: Vec<u8>,
}

/// Split one frame off the front of `buf` (`Ok(None)` while more bytes are
/// needed). A server that rejects our protocol version answers with its own
/// protocol header instead of a frame; that becomes a reason naming its version.
pub fn split_frame(buf: &[u8]) -> Result<Option<(Frame, usize)>, String> {
    if buf.starts_with(b"AMQP") {
        return match buf.get(4..8) {
            Some(v) => Err(format!(
                "server refused AMQP 0-9-1 and offered protocol {}-{}-{}-{}",
                v[0], v[1], v[2], v[3]
            )),
            None => Ok(None),
        };
    }
    if buf.len() < 7 {
        return Ok(None);
    }
    let kind = buf[0];
    // A TLS record (alert 0x15, handshake 0x16, version 3.x): a TLS listener refusing plain AMQP.
    if matches!(kind, 0x15 | 0x16) && buf[1] == 3 {
        return Err(
            "the peer answered with TLS: this is an amqps port, probe it with --tls".into(),
        );
    }
    if !matches!(kind, 1..=3 | FRAME_HEARTBEAT) {
        return Err(format!(
            "not an AMQP frame (type byte 0x{kind:02x}): is this an AMQP 0-9-1 port?"
        ));
    }
    let channel = u16::from_be_bytes([buf[1], buf[2]]);
    let size = u32::from_be_bytes([buf[3], buf[4], buf[5], buf[6]]) as usize;
    if size > MAX_FRAME {
        return Err(format!(
            "AMQP frame of {size} bytes announced: more than {MAX_FRAME}, not a reply to a login"
        ));
    }
    let Some(&end) = buf.get(7 + size) else {
        return Ok(None);
    };
    if end != FRAME_END {
        return Err(format!(
            "AMQP frame not terminated by 0xce (found 0x{end:02x})"
        ));
    }
    Ok(Some((
        Frame {
            kind,
            channel,
            payload: buf[7..7 + size].to_vec(),
        },
        8 + size,
    )))
}

/// A field-table value, reduced to what a health check reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
    Table(Vec<(String, Value)>),
    /// Floats, decimals, timestamps, arrays, byte strings, void: read past, not kept.
    Other,
}

/// The connection-class methods a login meets.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    Start {
        version: (u8, u8),
        server_properties: Vec<(String, Value)>,
        mechanisms: String,
    },
    Secure,
    Tune {
        channel_max: u16,
        frame_max: u32,
        heartbeat: u16,
    },
    OpenOk,
    Close {
        code: u16,
        text: String,
        class_id: u16,
        method_id: u16,
    },
    CloseOk,
    Blocked {
        reason: String,
    },
    Unblocked,
    /// Any other class or method, by number.
    Other {
        class_id: u16,
        method_id: u16,
    },
}

/// Decode a method frame's payload.
pub fn parse_method(payload: &[u8]) -> Result<Method, String> {
    let mut r = Reader {
        data: payload,
        pos: 0,
    };
    let class_id = r.u16()?;
    let method_id = r.u16()?;
    if class_id != CLASS_CONNECTION {
        return Ok(Method::Other {
            class_id,
            method_id,
        });
    }
    Ok(match method_id {
        10 => {
            let version = (r.u8()?, r.u8()?);
            let server_properties = r.table(0)?;
            let mechanisms = r.long_str()?;
            Method::Start {
                version,
                server_properties,
                mechanisms,
            }
        }
        20 => Method::Secure,
        30 => Method::Tune {
            channel_max: r.u16()?,
            frame_max: r.u32()?,
            heartbeat: r.u16()?,
        },
        41 => Method::OpenOk,
        50 => Method::Close {
            code: r.u16()?,
            text: r.short_str()?,
            class_id: r.u16()?,
            method_id: r.u16()?,
        },
        51 => Method::CloseOk,
        60 => Method::Blocked {
            reason: r.short_str()?,
        },
        61 => Method::Unblocked,
        _ => Method::Other {
            class_id,
            method_id,
        },
    })
}

/// Look up a string property (e.g. `product`, `version`) in a field table.
pub fn str_property<'a>(table: &'a [(String, Value)], key: &str) -> Option<&'a str> {
    table.iter().find_map(|(k, v)| match v {
        Value::Str(s) if k == key => Some(s.as_str()),
        _ => None,
    })
}

/// The symbolic name of a connection reply code, as servers print them.
pub fn reply_name(code: u16) -> &'static str {
    match code {
        200 => "REPLY_SUCCESS",
        320 => "CONNECTION_FORCED",
        402 => "INVALID_PATH",
        403 => "ACCESS_REFUSED",
        501 => "FRAME_ERROR",
        502 => "SYNTAX_ERROR",
        503 => "COMMAND_INVALID",
        504 => "CHANNEL_ERROR",
        505 => "UNEXPECTED_FRAME",
        506 => "RESOURCE_ERROR",
        530 => "NOT_ALLOWED",
        540 => "NOT_IMPLEMENTED",
        541 => "INTERNAL_ERROR",
        _ => "unknown reply code",
    }
}

/// Reads the fields of a method or content header payload, in order.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.data.len());
        let end = end.ok_or("AMQP method frame shorter than its fields")?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    pub fn u8(&mut self) -> Result<u8, String> {
        Ok(self.bytes(1)?[0])
    }

    pub fn u16(&mut self) -> Result<u16, String> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub fn u32(&mut self) -> Result<u32, String> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn u64(&mut self) -> Result<u64, String> {
        let b = self.bytes(8)?;
        Ok(u64::from_be_bytes([
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
        ]))
    }

    pub fn short_str(&mut self) -> Result<String, String> {
        let n = usize::from(self.u8()?);
        Ok(printable(self.bytes(n)?))
    }

    pub fn long_bytes(&mut self) -> Result<&'a [u8], String> {
        let n = self.u32()? as usize;
        self.bytes(n)
    }

    pub fn long_str(&mut self) -> Result<String, String> {
        Ok(printable(self.long_bytes()?))
    }

    pub fn table(&mut self, depth: usize) -> Result<Vec<(String, Value)>, String> {
        let body = self.long_bytes()?;
        let mut inner = Reader { data: body, pos: 0 };
        let mut out = Vec::new();
        while inner.pos < body.len() {
            let key = inner.short_str()?;
            let value = inner.value(depth)?;
            out.push((key, value));
        }
        Ok(out)
    }

    /// One typed value. The letters are RabbitMQ's (which the other brokers follow),
    /// not the 0-9-1 specification's, where they disagree ('s', 'l', 'x').
    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth >= MAX_DEPTH {
            return Err(format!(
                "AMQP field table nested more than {MAX_DEPTH} deep"
            ));
        }
        let kind = self.u8()?;
        Ok(match kind {
            b't' => Value::Bool(self.u8()? != 0),
            b'b' => Value::Int(i64::from(self.u8()? as i8)),
            b'B' => Value::Int(i64::from(self.u8()?)),
            b's' => Value::Int(i64::from(self.u16()? as i16)),
            b'u' => Value::Int(i64::from(self.u16()?)),
            b'I' => Value::Int(i64::from(self.u32()? as i32)),
            b'i' => Value::Int(i64::from(self.u32()?)),
            b'l' => Value::Int(self.u64()? as i64),
            b'S' => Value::Str(self.long_str()?),
            b'F' => Value::Table(self.table(depth + 1)?),
            b'A' => {
                let body = self.long_bytes()?;
                let mut inner = Reader { data: body, pos: 0 };
                while inner.pos < body.len() {
                    inner.value(depth + 1)?;
                }
                Value::Other
            }
            b'f' => self.skip(4)?,
            b'd' | b'T' => self.skip(8)?,
            b'D' => self.skip(5)?,
            b'x' => {
                self.long_bytes()?;
                Value::Other
            }
            b'V' => Value::Other,
            other => return Err(format!("unknown AMQP field type {:?}", char::from(other))),
        })
    }

    fn skip(&mut self, n: usize) -> Result<Value, String> {
        self.bytes(n)?;
        Ok(Value::Other)
    }
}

/// Builds a method frame's arguments.
#[derive(Default)]
pub struct Writer(pub Vec<u8>);

impl Writer {
    pub fn u16(mut self, v: u16) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub fn u32(mut self, v: u32) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub fn u64(mut self, v: u64) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub fn u8(mut self, v: u8) -> Self {
        self.0.push(v);
        self
    }

    /// A short string: callers pass names and vhosts, cut at 255 bytes.
    pub fn short_str(mut self, s: &str) -> Self {
        let b = &s.as_bytes()[..s.len().min(255)];
        self.0.push(b.len() as u8);
        self.0.extend_from_slice(b);
        self
    }

    pub fn long_bytes(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(&(b.len() as u32).to_be_bytes());
        self.0.extend_from_slice(b);
        self
    }

    /// A field table of string, bool and nested-table entries.
    pub fn table(self, entries: &[(&str, Value)]) -> Self {
        let mut body = Writer::default();
        for (key, value) in entries {
            body = body.short_str(key);
            body = match value {
                Value::Str(s) => body.u8(b'S').long_bytes(s.as_bytes()),
                Value::Bool(b) => body.u8(b't').u8(u8::from(*b)),
                Value::Int(i) => body.u8(b'l').u64(*i as u64),
                Value::Table(t) => {
                    let nested: Vec<(&str, Value)> =
                        t.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
                    body.u8(b'F').table(&nested)
                }
                Value::Other => body.u8(b'V'),
            };
        }
        self.long_bytes(&body.0)
    }
}

/// A whole method frame on channel 0 of the connection class.
pub fn connection_method(method_id: u16, args: Writer) -> Vec<u8> {
    method_frame(0, CLASS_CONNECTION, method_id, args)
}

/// A whole method frame of any class on `channel`.
pub fn method_frame(channel: u16, class_id: u16, method_id: u16, args: Writer) -> Vec<u8> {
    let mut payload = Writer::default().u16(class_id).u16(method_id).0;
    payload.extend_from_slice(&args.0);
    frame(FRAME_METHOD, channel, &payload)
}

/// A whole frame: type, channel, size, payload, end octet.
pub fn frame(kind: u8, channel: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 8);
    out.push(kind);
    out.extend_from_slice(&channel.to_be_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
    out.push(FRAME_END);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start_frame() -> Vec<u8> {
        let args = Writer::default()
            .u8(0)
            .u8(9)
            .table(&[
                (
                    "capabilities",
                    Value::Table(vec![("publisher_confirms".into(), Value::Bool(true))]),
                ),
                ("product", Value::Str("RabbitMQ".into())),
                ("version", Value::Str("3.10.8".into())),
            ])
            .long_bytes(b"AMQPLAIN PLAIN")
            .long_bytes(b"en_US");
        connection_method(10, args)
    }

    #[test]
    fn round_trips_start() {
        let wire = start_frame();
        let (frame, used) = split_frame(&wire).unwrap().unwrap();
        assert_eq!(
            (frame.kind, frame.channel, used),
            (FRAME_METHOD, 0, wire.len())
        );
        let Method::Start {
            version,
            server_properties,
            mechanisms,
        } = parse_method(&frame.payload).unwrap()
        else {
            panic!("not Start")
        };
        assert_eq!(version, (0, 9));
        assert_eq!(
            str_property(&server_properties, "product"),
            Some("RabbitMQ")
        );
        assert_eq!(str_property(&server_properties, "version"), Some("3.10.8"));
        assert_eq!(mechanisms, "AMQPLAIN PLAIN");
        for cut in 0..wire.len() {
            assert_eq!(split_frame(&wire[..cut]).unwrap(), None, "cut at {cut}");
            let _ = parse_method(&frame.payload[..cut.min(frame.payload.len())]);
        }
    }

    #[test]
    fn rejects_garbage_and_other_protocols() {
        assert!(split_frame(b"AMQP\x00\x00\x09\x00")
            .unwrap_err()
            .contains("0-0-9-0"));
        assert!(split_frame(&[0x15, 3, 3, 0, 2, 2, 10])
            .unwrap_err()
            .contains("--tls"));
        assert!(split_frame(b"HTTP/1.1 400 Bad")
            .unwrap_err()
            .contains("not an AMQP frame"));
        assert!(split_frame(&[1, 0, 0, 0, 0, 0, 1, 9, 0x00])
            .unwrap_err()
            .contains("0xce"));
        assert!(split_frame(&[1, 0, 0, 0x7f, 0, 0, 0])
            .unwrap_err()
            .contains("more than"));
    }

    #[test]
    fn decodes_close_and_tune() {
        let close = connection_method(
            50,
            Writer::default()
                .u16(403)
                .short_str("ACCESS_REFUSED - Login was refused")
                .u16(0)
                .u16(0),
        );
        let (frame, _) = split_frame(&close).unwrap().unwrap();
        assert_eq!(
            parse_method(&frame.payload).unwrap(),
            Method::Close {
                code: 403,
                text: "ACCESS_REFUSED - Login was refused".into(),
                class_id: 0,
                method_id: 0
            }
        );
        let tune = connection_method(30, Writer::default().u16(2047).u32(131072).u16(60));
        let (frame, _) = split_frame(&tune).unwrap().unwrap();
        assert_eq!(
            parse_method(&frame.payload).unwrap(),
            Method::Tune {
                channel_max: 2047,
                frame_max: 131072,
                heartbeat: 60
            }
        );
        assert_eq!(reply_name(403), "ACCESS_REFUSED");
    }

    #[test]
    fn bounds_nesting() {
        // A table nested deeper than MAX_DEPTH must fail, not recurse without end.
        let mut inner = Writer::default().table(&[]).0;
        for _ in 0..MAX_DEPTH + 2 {
            let mut entry = vec![1, b'k', b'F'];
            entry.extend_from_slice(&inner);
            inner = Writer::default().long_bytes(&entry).0;
        }
        let mut payload = Writer::default().u16(10).u16(10).u8(0).u8(9).0;
        payload.extend_from_slice(&inner);
        assert!(parse_method(&payload).unwrap_err().contains("nested"));
    }
}
