//! One oslo.messaging RPC call over RabbitMQ, on the wire as oslo.messaging's rabbit
//! driver makes it (`_drivers/amqpdriver.py`, `impl_rabbit.py`, `common.py` of
//! oslo.messaging 14): the request goes to the service's control exchange (a topic
//! exchange) with the routing key `TOPIC.SERVER`, the queue every RPC server declares
//! for its own host; its body is the 2.0 envelope `{"oslo.version": "2.0",
//! "oslo.message": "<JSON>"}` whose message holds `method`, `args`, `namespace`,
//! `version`, `_msg_id`, `_reply_q`, `_unique_id` and the `_context_*` keys. The server
//! answers through the default exchange to the `_reply_q` queue with
//! `{"result", "failure", "ending", "_msg_id"}`, again enveloped.
//!
//! Unlike oslo.messaging's client, the call leaves nothing behind: its reply queue is
//! exclusive and auto-deleted (named `reply_...`, as oslo's are, so the brokers' usual
//! HA and quorum policies, which skip `reply_` queues, skip it too), the request
//! expires when the caller stops waiting (a stopped server that resumes finds no pile
//! of stale pings), it is published `mandatory` (a topic no server ever listened on is
//! reported at once instead of timing out), no exchange is declared, and the channel
//! and connection are closed with their handshakes.

use crate::context::Context;
use crate::deadline::Deadline;
use crate::proto::amqp::basic::{self, Incoming, Properties, QueueFlags};
use crate::proto::amqp::frame::{FRAME_BODY, FRAME_HEADER, FRAME_METHOD};
use crate::proto::amqp::Session;
use serde_json::{json, Value};
use std::time::Duration;

/// The channel a call uses (the only one).
const CHANNEL: u16 = 1;
/// Bound on a reply's body: a result or a failure with its traceback.
const MAX_REPLY: u64 = 1 << 20;
/// Bound on a remote failure's message in a reason.
const MAX_FAILURE_TEXT: usize = 200;

/// Where the request goes: `exchange`, routing key `topic.server`.
#[derive(Debug, Clone)]
pub struct Target {
    pub exchange: String,
    pub topic: String,
    pub server: String,
}

impl Target {
    /// The routing key, which is also the name of the server's queue.
    pub fn queue(&self) -> String {
        format!("{}.{}", self.topic, self.server)
    }
}

/// What is called: `method(**args)` of the endpoint serving `namespace` at `version`.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub namespace: Option<String>,
    pub version: String,
    pub args: Value,
}

/// What the server answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Result(Value),
    /// The call raised on the server (serialized by oslo.messaging's
    /// `serialize_remote_exception`).
    Failure(RemoteFailure),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFailure {
    /// The exception's class (`UnsupportedVersion`, `NoSuchMethod`, ...).
    pub class: String,
    pub module: String,
    pub message: String,
}

/// Why no reply came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// The broker routes nothing for `TOPIC.SERVER`: no queue is bound to it.
    NoRoute { code: u16, text: String },
    /// The broker closed the channel (no such exchange, access refused...).
    ChannelClosed { code: u16, text: String },
    /// The request was delivered to the broker but no reply came in time.
    NoReply { waited: Duration },
    /// Anything else (I/O, protocol, a reply that cannot be read).
    Failed(String),
}

/// Make the call on an open session and close it: the channel and the connection,
/// with their handshakes, whatever the outcome. The reply is awaited until
/// `reply_deadline`; the close runs within the context's deadline.
pub fn call(
    mut session: Session,
    target: &Target,
    request: &Request,
    reply_deadline: Deadline,
    ctx: &Context,
) -> Result<Reply, CallError> {
    let mut channel_open = true;
    let outcome = exchange(
        &mut session,
        target,
        request,
        reply_deadline,
        &mut channel_open,
        ctx,
    );
    session.set_deadline(ctx.deadline);
    let channels: &[u16] = if channel_open { &[CHANNEL] } else { &[] };
    if let Err(e) = session.close(channels) {
        ctx.trace(format_args!("closing the connection: {e}"));
    }
    outcome
}

fn exchange(
    session: &mut Session,
    target: &Target,
    request: &Request,
    reply_deadline: Deadline,
    channel_open: &mut bool,
    ctx: &Context,
) -> Result<Reply, CallError> {
    let reply_q = format!("reply_{}", random_hex()?);
    let msg_id = random_hex()?;
    let body = envelope(request, &msg_id, &reply_q)?;
    let ttl_ms = reply_deadline
        .remaining("sending the request")
        .map_err(CallError::Failed)?
        .as_millis()
        .max(1);
    let properties = Properties {
        content_type: Some("application/json".into()),
        content_encoding: Some("utf-8".into()),
        delivery_mode: Some(1),
        correlation_id: None,
        expiration: Some(ttl_ms.to_string()),
    };
    let routing_key = target.queue();
    // Everything in one write: the broker runs a channel's methods in order, and the
    // consumer is in place before the request can be answered.
    let mut out = basic::channel_open(CHANNEL);
    out.extend(basic::queue_declare(
        CHANNEL,
        &reply_q,
        QueueFlags {
            durable: false,
            exclusive: true,
            auto_delete: true,
        },
    ));
    out.extend(basic::basic_consume(
        CHANNEL,
        &reply_q,
        "openstack-healthcheck",
    ));
    out.extend(basic::basic_publish(
        CHANNEL,
        &target.exchange,
        &routing_key,
        true,
        &properties,
        &body,
        session.frame_max,
    ));
    ctx.trace(format_args!(
        "publishing {} to exchange {} with routing key {routing_key}, reply to {reply_q}, msg_id {msg_id}",
        request.method, target.exchange
    ));
    session
        .send(&out, "the request")
        .map_err(CallError::Failed)?;
    session.set_deadline(reply_deadline);
    let what = format!("the reply from {routing_key}");
    loop {
        let frame = match session.next_frame(&what) {
            Ok(f) => f,
            Err(_) if reply_deadline.expired() => {
                return Err(CallError::NoReply {
                    waited: reply_deadline.elapsed(),
                })
            }
            Err(e) => return Err(CallError::Failed(e)),
        };
        if frame.channel != CHANNEL || frame.kind != FRAME_METHOD {
            return Err(CallError::Failed(format!(
                "unexpected AMQP frame (type {}, channel {}) waiting for {what}",
                frame.kind, frame.channel
            )));
        }
        let method = basic::parse_method(&frame.payload).map_err(CallError::Failed)?;
        let content = if method.has_content() {
            Some(read_content(session, &what)?)
        } else {
            None
        };
        match method {
            Incoming::ChannelOpenOk => ctx.trace("channel open"),
            Incoming::QueueDeclareOk { queue, .. } => {
                ctx.trace(format_args!("reply queue {queue} declared"))
            }
            Incoming::ConsumeOk { .. } => ctx.trace("consuming the reply queue"),
            Incoming::ChannelClose { code, text, .. } => {
                *channel_open = false;
                let _ = session.send(&basic::channel_close_ok(CHANNEL), "Channel.CloseOk");
                return Err(CallError::ChannelClosed { code, text });
            }
            Incoming::Return { code, text, .. } => {
                return Err(CallError::NoRoute { code, text });
            }
            Incoming::Deliver { .. } => {
                let body = content.unwrap_or_default();
                match parse_reply(&body, &msg_id).map_err(CallError::Failed)? {
                    Some(reply) => return Ok(reply),
                    None => {
                        ctx.trace("call-monitor heartbeat (or another call's reply): waiting on")
                    }
                }
            }
            Incoming::Cancel { .. } => {
                return Err(CallError::Failed(
                    "the broker cancelled the consumer of the reply queue".into(),
                ))
            }
            Incoming::ChannelCloseOk | Incoming::Other { .. } => {}
        }
    }
}

/// The content (header and body frames) that follows a deliver or return.
fn read_content(session: &mut Session, what: &str) -> Result<Vec<u8>, CallError> {
    let header = session.next_frame(what).map_err(CallError::Failed)?;
    if header.kind != FRAME_HEADER || header.channel != CHANNEL {
        return Err(CallError::Failed(format!(
            "expected a content header, got a frame of type {} waiting for {what}",
            header.kind
        )));
    }
    let header = basic::parse_content_header(&header.payload).map_err(CallError::Failed)?;
    if header.body_size > MAX_REPLY {
        return Err(CallError::Failed(format!(
            "a reply of {} bytes announced: more than {MAX_REPLY}",
            header.body_size
        )));
    }
    let mut body = Vec::with_capacity(header.body_size as usize);
    while (body.len() as u64) < header.body_size {
        let piece = session.next_frame(what).map_err(CallError::Failed)?;
        if piece.kind != FRAME_BODY || piece.channel != CHANNEL {
            return Err(CallError::Failed(format!(
                "expected a content body, got a frame of type {} waiting for {what}",
                piece.kind
            )));
        }
        body.extend_from_slice(&piece.payload);
    }
    if body.len() as u64 != header.body_size {
        return Err(CallError::Failed(
            "content body longer than its header announced".into(),
        ));
    }
    Ok(body)
}

/// The request body: the message with its reply address, ids and context, in the 2.0 envelope.
pub fn envelope(request: &Request, msg_id: &str, reply_q: &str) -> Result<Vec<u8>, CallError> {
    let mut message = json!({
        "method": request.method,
        "args": request.args,
        "version": request.version,
        "_msg_id": msg_id,
        "_reply_q": reply_q,
        "_timeout": null,
        "_unique_id": random_hex()?,
        // An anonymous request context, as oslo.context's RequestContext().to_dict()
        // gives the keys the services' serializers read.
        "_context_request_id": format!("req-{}", uuid_text(&random_hex()?)),
        "_context_global_request_id": null,
        "_context_user": null,
        "_context_project_id": null,
        "_context_is_admin": false,
        "_context_read_only": false,
        "_context_show_deleted": false,
        "_context_roles": [],
    });
    if let Some(ns) = &request.namespace {
        message["namespace"] = json!(ns);
    }
    let body = json!({
        "oslo.version": "2.0",
        "oslo.message": message.to_string(),
    });
    Ok(body.to_string().into_bytes())
}

/// Read a reply body: `Some` for the answer to `msg_id`, `None` for a call-monitor
/// heartbeat or a message that is not ours.
pub fn parse_reply(body: &[u8], msg_id: &str) -> Result<Option<Reply>, String> {
    let outer: Value =
        serde_json::from_slice(body).map_err(|e| format!("the reply is not JSON ({e})"))?;
    let message: Value = match outer.get("oslo.message") {
        Some(Value::String(inner)) => serde_json::from_str(inner)
            .map_err(|e| format!("the reply's oslo.message is not JSON ({e})"))?,
        Some(_) => return Err("the reply's oslo.message is not a string".into()),
        // Envelope 1.0: the message itself.
        None => outer,
    };
    if message.get("_msg_id").and_then(Value::as_str) != Some(msg_id) {
        return Ok(None);
    }
    let failure = message.get("failure").filter(|f| !f.is_null());
    let result = message.get("result").filter(|r| !r.is_null());
    let ending = message.get("ending").and_then(Value::as_bool);
    if let Some(failure) = failure {
        return Ok(Some(Reply::Failure(remote_failure(failure))));
    }
    if ending == Some(false) && result.is_none() {
        return Ok(None);
    }
    Ok(Some(Reply::Result(result.cloned().unwrap_or(Value::Null))))
}

/// A serialized remote exception: a JSON string with class, module and message.
fn remote_failure(failure: &Value) -> RemoteFailure {
    let parsed: Option<Value> = match failure {
        Value::String(text) => serde_json::from_str(text).ok(),
        other => Some(other.clone()),
    };
    let field = |name: &str| {
        parsed
            .as_ref()
            .and_then(|p| p.get(name))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let mut message: String = field("message").chars().take(MAX_FAILURE_TEXT).collect();
    if message.is_empty() && parsed.is_none() {
        message = "(unreadable failure)".into();
    }
    RemoteFailure {
        class: field("class"),
        module: field("module"),
        message,
    }
}

/// 128 random bits as 32 hex digits with the UUID version 4 bits set (`uuid4().hex`).
fn random_hex() -> Result<String, CallError> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| CallError::Failed("no randomness from the system".into()))?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// 32 hex digits as a UUID's text (8-4-4-4-12).
fn uuid_text(hex: &str) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ping() -> Request {
        Request {
            method: "ping".into(),
            namespace: Some("baseapi".into()),
            version: "1.1".into(),
            args: json!({"arg": "hc"}),
        }
    }

    #[test]
    fn the_request_is_an_oslo_2_0_envelope() {
        let body = envelope(&ping(), "m1", "reply_q1").unwrap();
        let outer: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(outer["oslo.version"], "2.0");
        let inner: Value = serde_json::from_str(outer["oslo.message"].as_str().unwrap()).unwrap();
        assert_eq!(inner["method"], "ping");
        assert_eq!(inner["namespace"], "baseapi");
        assert_eq!(inner["version"], "1.1");
        assert_eq!(inner["args"]["arg"], "hc");
        assert_eq!(inner["_msg_id"], "m1");
        assert_eq!(inner["_reply_q"], "reply_q1");
        assert_eq!(inner["_unique_id"].as_str().unwrap().len(), 32);
        assert!(inner["_context_request_id"]
            .as_str()
            .unwrap()
            .starts_with("req-"));
    }

    fn reply(message: Value) -> Vec<u8> {
        json!({"oslo.version": "2.0", "oslo.message": message.to_string()})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn reads_results_failures_and_heartbeats() {
        let ok = reply(json!({"result": {"service": "nova-conductor", "arg": "hc"},
                              "failure": null, "ending": true, "_msg_id": "m1"}));
        assert_eq!(
            parse_reply(&ok, "m1").unwrap(),
            Some(Reply::Result(
                json!({"service": "nova-conductor", "arg": "hc"})
            ))
        );
        assert_eq!(parse_reply(&ok, "other").unwrap(), None);
        let failure = json!({"class": "UnsupportedVersion", "module": "oslo_messaging.rpc.dispatcher",
                             "message": "Endpoint does not support RPC version 1.1. Attempted method: ping",
                             "tb": ["..."], "args": [], "kwargs": {}});
        let failed = reply(json!({"result": null, "failure": failure.to_string(),
                                  "ending": true, "_msg_id": "m1"}));
        let Some(Reply::Failure(f)) = parse_reply(&failed, "m1").unwrap() else {
            panic!("not a failure")
        };
        assert_eq!(f.class, "UnsupportedVersion");
        assert!(f.message.contains("RPC version 1.1"));
        let heartbeat =
            reply(json!({"result": null, "failure": null, "ending": false, "_msg_id": "m1"}));
        assert_eq!(parse_reply(&heartbeat, "m1").unwrap(), None);
        let none_result =
            reply(json!({"result": null, "failure": null, "ending": true, "_msg_id": "m1"}));
        assert_eq!(
            parse_reply(&none_result, "m1").unwrap(),
            Some(Reply::Result(Value::Null))
        );
        assert!(parse_reply(b"not json", "m1")
            .unwrap_err()
            .contains("not JSON"));
        assert!(parse_reply(br#"{"oslo.message": 3}"#, "m1").is_err());
    }

    #[test]
    fn ids_are_uuid4_hex() {
        let id = random_hex().unwrap();
        assert_eq!(id.len(), 32);
        assert_eq!(&id[12..13], "4");
        assert_ne!(id, random_hex().unwrap());
        assert_eq!(uuid_text(&id).len(), 36);
    }
}
