//! AMQP 0-9-1 wire format for what an RPC call needs beyond the login: the channel
//! class (open, close), `queue.declare`, and the basic class (consume, publish,
//! deliver, return) with content headers and bodies. Encoders build whole frames;
//! decoders are pure functions over a frame's payload, reachable by the fuzz target.

use super::frame::{self, Reader, Writer, FRAME_BODY, FRAME_HEADER};

pub const CLASS_CHANNEL: u16 = 20;
pub const CLASS_QUEUE: u16 = 50;
pub const CLASS_BASIC: u16 = 60;

/// The reply code RabbitMQ gives a mandatory message that no queue is bound for.
pub const NO_ROUTE: u16 = 312;

/// The channel-level reply codes a call can meet, by name (for reasons).
pub fn channel_reply_name(code: u16) -> &'static str {
    match code {
        200 => "REPLY_SUCCESS",
        311 => "CONTENT_TOO_LARGE",
        312 => "NO_ROUTE",
        313 => "NO_CONSUMERS",
        403 => "ACCESS_REFUSED",
        404 => "NOT_FOUND",
        405 => "RESOURCE_LOCKED",
        406 => "PRECONDITION_FAILED",
        other => frame::reply_name(other),
    }
}

/// `channel.open` (20.10).
pub fn channel_open(channel: u16) -> Vec<u8> {
    frame::method_frame(channel, CLASS_CHANNEL, 10, Writer::default().short_str(""))
}

/// `channel.close` (20.40) with a success code: we are done with the channel.
pub fn channel_close(channel: u16) -> Vec<u8> {
    let args = Writer::default()
        .u16(frame::REPLY_SUCCESS)
        .short_str("health check done")
        .u16(0)
        .u16(0);
    frame::method_frame(channel, CLASS_CHANNEL, 40, args)
}

/// `channel.close-ok` (20.41): the answer to the broker closing the channel.
pub fn channel_close_ok(channel: u16) -> Vec<u8> {
    frame::method_frame(channel, CLASS_CHANNEL, 41, Writer::default())
}

/// How a queue is declared.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueueFlags {
    pub durable: bool,
    /// Only this connection may use it, and it goes when the connection does.
    pub exclusive: bool,
    pub auto_delete: bool,
}

/// `queue.declare` (50.10), waiting for declare-ok, without arguments.
pub fn queue_declare(channel: u16, queue: &str, flags: QueueFlags) -> Vec<u8> {
    let bits = u8::from(flags.durable) << 1
        | u8::from(flags.exclusive) << 2
        | u8::from(flags.auto_delete) << 3;
    let args = Writer::default()
        .u16(0)
        .short_str(queue)
        .u8(bits)
        .table(&[]);
    frame::method_frame(channel, CLASS_QUEUE, 10, args)
}

/// `basic.consume` (60.20) of `queue` without acknowledgements, waiting for consume-ok.
pub fn basic_consume(channel: u16, queue: &str, consumer_tag: &str) -> Vec<u8> {
    let no_ack = 1 << 1;
    let exclusive = 1 << 2;
    let args = Writer::default()
        .u16(0)
        .short_str(queue)
        .short_str(consumer_tag)
        .u8(no_ack | exclusive)
        .table(&[]);
    frame::method_frame(channel, CLASS_BASIC, 20, args)
}

/// The basic-class message properties a call sets or reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties {
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    /// 1 transient, 2 persistent.
    pub delivery_mode: Option<u8>,
    pub correlation_id: Option<String>,
    /// Per-message TTL in milliseconds, as a decimal string.
    pub expiration: Option<String>,
}

// Property flag bits of the basic class, highest first, in the order the values follow.
const P_CONTENT_TYPE: u16 = 1 << 15;
const P_CONTENT_ENCODING: u16 = 1 << 14;
const P_HEADERS: u16 = 1 << 13;
const P_DELIVERY_MODE: u16 = 1 << 12;
const P_PRIORITY: u16 = 1 << 11;
const P_CORRELATION_ID: u16 = 1 << 10;
const P_REPLY_TO: u16 = 1 << 9;
const P_EXPIRATION: u16 = 1 << 8;
const P_MESSAGE_ID: u16 = 1 << 7;
const P_TIMESTAMP: u16 = 1 << 6;
const P_TYPE: u16 = 1 << 5;
const P_USER_ID: u16 = 1 << 4;
const P_APP_ID: u16 = 1 << 3;
const P_CLUSTER_ID: u16 = 1 << 2;
/// Set when another flags word follows (never by the basic class, which has 14 properties).
const P_CONTINUED: u16 = 1;

/// `basic.publish` (60.40) of `body` with its content header and body frames, each
/// body frame at most `frame_max` bytes long as negotiated.
pub fn basic_publish(
    channel: u16,
    exchange: &str,
    routing_key: &str,
    mandatory: bool,
    properties: &Properties,
    body: &[u8],
    frame_max: u32,
) -> Vec<u8> {
    let args = Writer::default()
        .u16(0)
        .short_str(exchange)
        .short_str(routing_key)
        .u8(u8::from(mandatory));
    let mut out = frame::method_frame(channel, CLASS_BASIC, 40, args);
    out.extend_from_slice(&frame::frame(
        FRAME_HEADER,
        channel,
        &content_header(body.len() as u64, properties),
    ));
    let chunk = (frame_max as usize).saturating_sub(8).max(1);
    for piece in body.chunks(chunk) {
        out.extend_from_slice(&frame::frame(FRAME_BODY, channel, piece));
    }
    out
}

/// A content header payload of the basic class.
pub fn content_header(body_size: u64, p: &Properties) -> Vec<u8> {
    let mut flags = 0u16;
    let mut values = Writer::default();
    if let Some(v) = &p.content_type {
        flags |= P_CONTENT_TYPE;
        values = values.short_str(v);
    }
    if let Some(v) = &p.content_encoding {
        flags |= P_CONTENT_ENCODING;
        values = values.short_str(v);
    }
    if let Some(v) = p.delivery_mode {
        flags |= P_DELIVERY_MODE;
        values = values.u8(v);
    }
    if let Some(v) = &p.correlation_id {
        flags |= P_CORRELATION_ID;
        values = values.short_str(v);
    }
    if let Some(v) = &p.expiration {
        flags |= P_EXPIRATION;
        values = values.short_str(v);
    }
    let mut out = Writer::default()
        .u16(CLASS_BASIC)
        .u16(0)
        .u64(body_size)
        .u16(flags)
        .0;
    out.extend_from_slice(&values.0);
    out
}

/// A decoded content header: how long the body is and the properties we read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentHeader {
    pub class_id: u16,
    pub body_size: u64,
    pub properties: Properties,
}

/// Decode a content header payload, reading past the properties we do not keep.
pub fn parse_content_header(payload: &[u8]) -> Result<ContentHeader, String> {
    let mut r = Reader::new(payload);
    let class_id = r.u16()?;
    let _weight = r.u16()?;
    let body_size = r.u64()?;
    let flags = r.u16()?;
    if flags & P_CONTINUED != 0 {
        return Err("AMQP content header with more than one property-flags word".into());
    }
    let mut p = Properties::default();
    let has = |bit: u16| flags & bit != 0;
    if has(P_CONTENT_TYPE) {
        p.content_type = Some(r.short_str()?);
    }
    if has(P_CONTENT_ENCODING) {
        p.content_encoding = Some(r.short_str()?);
    }
    if has(P_HEADERS) {
        r.table(0)?;
    }
    if has(P_DELIVERY_MODE) {
        p.delivery_mode = Some(r.u8()?);
    }
    if has(P_PRIORITY) {
        r.u8()?;
    }
    if has(P_CORRELATION_ID) {
        p.correlation_id = Some(r.short_str()?);
    }
    if has(P_REPLY_TO) {
        r.short_str()?;
    }
    if has(P_EXPIRATION) {
        p.expiration = Some(r.short_str()?);
    }
    if has(P_MESSAGE_ID) {
        r.short_str()?;
    }
    if has(P_TIMESTAMP) {
        r.u64()?;
    }
    for bit in [P_TYPE, P_USER_ID, P_APP_ID, P_CLUSTER_ID] {
        if has(bit) {
            r.short_str()?;
        }
    }
    Ok(ContentHeader {
        class_id,
        body_size,
        properties: p,
    })
}

/// The channel, queue and basic methods a call receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    ChannelOpenOk,
    /// The broker closes the channel (an error: no such exchange, access refused...).
    ChannelClose {
        code: u16,
        text: String,
        class_id: u16,
        method_id: u16,
    },
    ChannelCloseOk,
    QueueDeclareOk {
        queue: String,
        messages: u32,
        consumers: u32,
    },
    ConsumeOk {
        consumer_tag: String,
    },
    /// A message for our consumer; its content header and body follow.
    Deliver {
        consumer_tag: String,
        delivery_tag: u64,
        exchange: String,
        routing_key: String,
    },
    /// A mandatory message the broker could not route; its content follows.
    Return {
        code: u16,
        text: String,
        exchange: String,
        routing_key: String,
    },
    /// The broker cancelled our consumer (its queue was deleted).
    Cancel {
        consumer_tag: String,
    },
    /// Anything else, by number.
    Other {
        class_id: u16,
        method_id: u16,
    },
}

impl Incoming {
    /// Whether content (a header and body frames) follows this method.
    pub fn has_content(&self) -> bool {
        matches!(self, Incoming::Deliver { .. } | Incoming::Return { .. })
    }
}

/// Decode a method frame payload of the channel, queue or basic class.
pub fn parse_method(payload: &[u8]) -> Result<Incoming, String> {
    let mut r = Reader::new(payload);
    let class_id = r.u16()?;
    let method_id = r.u16()?;
    Ok(match (class_id, method_id) {
        (CLASS_CHANNEL, 11) => Incoming::ChannelOpenOk,
        (CLASS_CHANNEL, 40) => Incoming::ChannelClose {
            code: r.u16()?,
            text: r.short_str()?,
            class_id: r.u16()?,
            method_id: r.u16()?,
        },
        (CLASS_CHANNEL, 41) => Incoming::ChannelCloseOk,
        (CLASS_QUEUE, 11) => Incoming::QueueDeclareOk {
            queue: r.short_str()?,
            messages: r.u32()?,
            consumers: r.u32()?,
        },
        (CLASS_BASIC, 21) => Incoming::ConsumeOk {
            consumer_tag: r.short_str()?,
        },
        (CLASS_BASIC, 30) => Incoming::Cancel {
            consumer_tag: r.short_str()?,
        },
        (CLASS_BASIC, 50) => Incoming::Return {
            code: r.u16()?,
            text: r.short_str()?,
            exchange: r.short_str()?,
            routing_key: r.short_str()?,
        },
        (CLASS_BASIC, 60) => {
            let consumer_tag = r.short_str()?;
            let delivery_tag = r.u64()?;
            let _redelivered = r.u8()?;
            Incoming::Deliver {
                consumer_tag,
                delivery_tag,
                exchange: r.short_str()?,
                routing_key: r.short_str()?,
            }
        }
        _ => Incoming::Other {
            class_id,
            method_id,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::amqp::frame::{split_frame, FRAME_METHOD};

    /// Split a run of whole frames back into (type, channel, payload).
    fn frames(mut wire: &[u8]) -> Vec<(u8, u16, Vec<u8>)> {
        let mut out = Vec::new();
        while !wire.is_empty() {
            let (f, used) = split_frame(wire).unwrap().unwrap();
            out.push((f.kind, f.channel, f.payload));
            wire = &wire[used..];
        }
        out
    }

    #[test]
    fn publish_splits_the_body_at_frame_max() {
        let props = Properties {
            content_type: Some("application/json".into()),
            content_encoding: Some("utf-8".into()),
            delivery_mode: Some(1),
            correlation_id: None,
            expiration: Some("9000".into()),
        };
        let body = vec![b'x'; 25];
        let wire = basic_publish(1, "nova", "conductor.h1", true, &props, &body, 18);
        let f = frames(&wire);
        assert_eq!(
            f.len(),
            2 + 3,
            "method, header, three body frames of 10, 10, 5"
        );
        assert_eq!((f[0].0, f[0].1), (FRAME_METHOD, 1));
        let mut r = Reader::new(&f[0].2);
        assert_eq!((r.u16().unwrap(), r.u16().unwrap()), (60, 40));
        assert_eq!(r.u16().unwrap(), 0);
        assert_eq!(r.short_str().unwrap(), "nova");
        assert_eq!(r.short_str().unwrap(), "conductor.h1");
        assert_eq!(r.u8().unwrap(), 1, "mandatory");
        let header = parse_content_header(&f[1].2).unwrap();
        assert_eq!(header.body_size, 25);
        assert_eq!(header.properties, props);
        let joined: Vec<u8> = f[2..].iter().flat_map(|x| x.2.clone()).collect();
        assert_eq!(joined, body);
        assert!(f[2..].iter().all(|x| x.0 == FRAME_BODY && x.2.len() <= 10));
    }

    #[test]
    fn content_header_reads_past_properties_it_does_not_keep() {
        // Headers table, priority, reply-to, message-id, timestamp, type, app-id.
        let flags = P_CONTENT_TYPE
            | P_HEADERS
            | P_PRIORITY
            | P_REPLY_TO
            | P_EXPIRATION
            | P_MESSAGE_ID
            | P_TIMESTAMP
            | P_TYPE
            | P_APP_ID;
        let mut payload = Writer::default().u16(60).u16(0).u64(7).u16(flags).0;
        payload.extend_from_slice(
            &Writer::default()
                .short_str("application/json")
                .table(&[("x", frame::Value::Str("y".into()))])
                .u8(5)
                .short_str("reply_q")
                .short_str("60000")
                .short_str("m1")
                .u64(1_700_000_000)
                .short_str("t")
                .short_str("app")
                .0,
        );
        let h = parse_content_header(&payload).unwrap();
        assert_eq!(h.body_size, 7);
        assert_eq!(
            h.properties.content_type.as_deref(),
            Some("application/json")
        );
        assert_eq!(h.properties.expiration.as_deref(), Some("60000"));
        for cut in 0..payload.len() {
            assert!(
                parse_content_header(&payload[..cut]).is_err(),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn decodes_deliver_return_and_channel_close() {
        let deliver = Writer::default()
            .u16(60)
            .u16(60)
            .short_str("ohc")
            .u64(1)
            .u8(0)
            .short_str("")
            .short_str("reply_ab")
            .0;
        assert_eq!(
            parse_method(&deliver).unwrap(),
            Incoming::Deliver {
                consumer_tag: "ohc".into(),
                delivery_tag: 1,
                exchange: "".into(),
                routing_key: "reply_ab".into()
            }
        );
        let ret = Writer::default()
            .u16(60)
            .u16(50)
            .u16(NO_ROUTE)
            .short_str("NO_ROUTE")
            .short_str("nova")
            .short_str("conductor.h1")
            .0;
        let parsed = parse_method(&ret).unwrap();
        assert!(parsed.has_content());
        assert!(matches!(parsed, Incoming::Return { code: 312, .. }));
        let close = Writer::default()
            .u16(20)
            .u16(40)
            .u16(404)
            .short_str("NOT_FOUND - no exchange 'nova' in vhost '/'")
            .u16(60)
            .u16(40)
            .0;
        assert!(matches!(
            parse_method(&close).unwrap(),
            Incoming::ChannelClose { code: 404, .. }
        ));
        assert_eq!(channel_reply_name(404), "NOT_FOUND");
        for cut in 0..close.len() {
            let _ = parse_method(&close[..cut]);
        }
    }

    #[test]
    fn declare_and_consume_flags() {
        let wire = queue_declare(
            1,
            "reply_x",
            QueueFlags {
                durable: false,
                exclusive: true,
                auto_delete: true,
            },
        );
        let f = frames(&wire);
        let mut r = Reader::new(&f[0].2);
        assert_eq!(
            (r.u16().unwrap(), r.u16().unwrap(), r.u16().unwrap()),
            (50, 10, 0)
        );
        assert_eq!(r.short_str().unwrap(), "reply_x");
        assert_eq!(
            r.u8().unwrap(),
            0b1100,
            "exclusive and auto-delete, waiting for declare-ok"
        );
        let f = frames(&basic_consume(1, "reply_x", "ohc"));
        let mut r = Reader::new(&f[0].2);
        assert_eq!(
            (r.u16().unwrap(), r.u16().unwrap(), r.u16().unwrap()),
            (60, 20, 0)
        );
        assert_eq!(r.short_str().unwrap(), "reply_x");
        assert_eq!(r.short_str().unwrap(), "ohc");
        assert_eq!(
            r.u8().unwrap(),
            0b110,
            "no-ack and exclusive, waiting for consume-ok"
        );
    }
}
