//! AMQP 0-9-1 client: protocol header, Connection.Start/StartOk (PLAIN), Tune, Open of
//! a vhost, Close (cleanly, so the broker logs no dropped connection). [`handshake`] is
//! the whole login check; [`Session`] keeps the opened connection for an exchange on
//! channels (`basic` has the channel, queue and basic classes' wire format).

pub mod basic;
pub mod frame;

use crate::context::Context;
use crate::net::tls::TlsOptions;
use crate::net::Endpoint;
use crate::proto::framed::Framed;
pub use frame::Frame;
use frame::{connection_method, reply_name, Method, Value, Writer};

pub const DEFAULT_PORT: u16 = 5672;

/// Connection-class method ids we send.
const START_OK: u16 = 11;
const TUNE_OK: u16 = 31;
const OPEN: u16 = 40;
const CLOSE: u16 = 50;
const CLOSE_OK: u16 = 51;

/// Credentials for a full AMQP login.
#[derive(Clone)]
pub struct Login {
    pub user: String,
    pub password: String,
    pub vhost: String,
}

/// Debug output never shows the password, whatever prints a `Login`.
impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("user", &self.user)
            .field("password", &"***")
            .field("vhost", &self.vhost)
            .finish()
    }
}

/// Speak AMQP to `endpoint`: Connection.Start must arrive; with `login`, log in, open the
/// vhost and close. With `tls`, the whole conversation runs inside a TLS session (amqps).
/// Returns the broker's product and version as its Connection.Start names them
/// ("RabbitMQ 3.12.1").
pub fn handshake(
    endpoint: &Endpoint,
    login: Option<&Login>,
    tls: Option<&TlsOptions>,
    ctx: &Context,
) -> Result<String, String> {
    if let Some(l) = login {
        crate::secrets::remember(&l.password);
    }
    let (mut io, product, mechanisms) = start(endpoint, tls, ctx)?;
    let Some(login) = login else {
        return Ok(product);
    };
    let frame_max = log_in_and_open(&mut io, &product, &mechanisms, login, ctx)?;
    let mut session = Session {
        io,
        product,
        frame_max,
    };
    session.close(&[])?;
    Ok(session.product)
}

/// An open connection to a vhost: [`Session::open`], frames on channels, then
/// [`Session::close`].
pub struct Session {
    io: Framed,
    /// The broker's product and version ("RabbitMQ 3.12.1").
    pub product: String,
    /// The largest frame both sides accept (what body frames are cut to).
    pub frame_max: u32,
}

impl Session {
    /// Connect, log in and open the vhost.
    pub fn open(
        endpoint: &Endpoint,
        login: &Login,
        tls: Option<&TlsOptions>,
        ctx: &Context,
    ) -> Result<Session, String> {
        crate::secrets::remember(&login.password);
        let (mut io, product, mechanisms) = start(endpoint, tls, ctx)?;
        let frame_max = log_in_and_open(&mut io, &product, &mechanisms, login, ctx)?;
        Ok(Session {
            io,
            product,
            frame_max,
        })
    }

    /// Send frames (several may go in one write).
    pub fn send(&mut self, frames: &[u8], what: &str) -> Result<(), String> {
        self.io.send(frames, what)
    }

    /// The next frame, heartbeats skipped. The broker closing the whole connection
    /// (Connection.Close on channel 0) is acknowledged and becomes the error.
    pub fn next_frame(&mut self, what: &str) -> Result<Frame, String> {
        loop {
            let f = self.io.next(what, frame::split_frame)?;
            match (f.kind, f.channel) {
                (frame::FRAME_HEARTBEAT, _) => continue,
                (frame::FRAME_METHOD, 0) => {
                    return Err(match frame::parse_method(&f.payload)? {
                        Method::Close { code, text, .. } => {
                            acknowledge_close(&mut self.io);
                            let (name, detail) = refusal(code, &text);
                            format!("the broker closed the connection ({name}): {detail}")
                        }
                        Method::Blocked { reason } => {
                            format!("the broker blocks publishing (connection.blocked: {reason})")
                        }
                        Method::Unblocked => continue,
                        other => format!(
                            "unexpected {} on channel 0 waiting for {what}",
                            describe(&other)
                        ),
                    })
                }
                _ => return Ok(f),
            }
        }
    }

    /// Bound the following reads and writes by `deadline` (see `Framed::set_deadline`).
    pub fn set_deadline(&mut self, deadline: crate::deadline::Deadline) {
        self.io.set_deadline(deadline);
    }

    pub fn deadline(&self) -> crate::deadline::Deadline {
        self.io.deadline()
    }

    /// Close `channels` and then the connection in one write, and wait for the
    /// connection's CloseOk (frames still in flight on the channels are read past), so
    /// the broker logs a clean close. A broker that drops the connection instead of
    /// answering has still been left cleanly.
    pub fn close(&mut self, channels: &[u16]) -> Result<(), String> {
        let mut out = Vec::new();
        for &channel in channels {
            out.extend_from_slice(&basic::channel_close(channel));
        }
        let args = Writer::default()
            .u16(frame::REPLY_SUCCESS)
            .short_str("health check done")
            .u16(0)
            .u16(0);
        out.extend_from_slice(&connection_method(CLOSE, args));
        self.io.send(&out, "Connection.Close")?;
        loop {
            match next_method(&mut self.io, "Connection.CloseOk", true) {
                Ok(Method::CloseOk) => return Ok(()),
                Ok(_) => continue,
                Err(_) if self.io.peer_closed() => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }
}

/// Connect, send the protocol header and read Connection.Start: the connection, the
/// broker's product and version, and the login mechanisms it offers.
fn start(
    endpoint: &Endpoint,
    tls: Option<&TlsOptions>,
    ctx: &Context,
) -> Result<(Framed, String, String), String> {
    let mut io = Framed::connect(endpoint, tls, frame::MAX_FRAME + 8, ctx)?;
    io.send(frame::PROTOCOL_HEADER, "the protocol header")?;
    let Method::Start {
        version,
        server_properties,
        mechanisms,
    } = next_method(&mut io, "Connection.Start", false)?
    else {
        return Err("broker did not open with Connection.Start".into());
    };
    let product = format!(
        "{} {}",
        frame::str_property(&server_properties, "product").unwrap_or("AMQP broker"),
        frame::str_property(&server_properties, "version").unwrap_or("(version unknown)")
    );
    ctx.trace(format_args!(
        "Connection.Start: {product}, AMQP {}-{}, mechanisms {mechanisms}",
        version.0, version.1
    ));
    Ok((io, product, mechanisms))
}

/// Log in with PLAIN and open the vhost; returns the negotiated frame_max.
fn log_in_and_open(
    io: &mut Framed,
    product: &str,
    mechanisms: &str,
    login: &Login,
    ctx: &Context,
) -> Result<u32, String> {
    if !mechanisms.split(' ').any(|m| m == "PLAIN") {
        return Err(format!(
            "{product} does not offer the PLAIN login mechanism (offers: {mechanisms})"
        ));
    }
    let (tune_ok, frame_max) = log_in(io, login)?;
    ctx.trace(format_args!("logged in as {}", login.user));
    open_vhost(io, tune_ok, &login.vhost)?;
    Ok(frame_max)
}

/// StartOk with PLAIN, then wait for Tune; returns the TuneOk frame, which goes out
/// together with Open (no reply comes between them: one packet less). RabbitMQ
/// answers a refused login with Connection.Close (403) because we announce
/// `authentication_failure_close`; brokers that do not simply drop the connection.
fn log_in(io: &mut Framed, login: &Login) -> Result<(Vec<u8>, u32), String> {
    let mut response = vec![0];
    response.extend_from_slice(login.user.as_bytes());
    response.push(0);
    response.extend_from_slice(login.password.as_bytes());
    // connection.blocked: a broker under a resource alarm says so instead of silently
    // holding our publish (an RPC call would otherwise blame the service for it).
    let capabilities = Value::Table(vec![
        ("authentication_failure_close".into(), Value::Bool(true)),
        ("connection.blocked".into(), Value::Bool(true)),
    ]);
    let client_properties = [
        ("product", Value::Str("openstack-healthcheck".into())),
        ("version", Value::Str(env!("CARGO_PKG_VERSION").into())),
        ("connection_name", Value::Str("health check".into())),
        ("capabilities", capabilities),
    ];
    let args = Writer::default()
        .table(&client_properties)
        .short_str("PLAIN")
        .long_bytes(&response)
        .short_str("en_US");
    io.send(&connection_method(START_OK, args), "the login")?;
    let tune = match next_method(io, "Connection.Tune", false) {
        Ok(m) => m,
        Err(_) if io.peer_closed() => {
            return Err(format!(
                "login refused: the broker closed the connection after the login as {} \
                 (wrong user or password?)",
                login.user
            ))
        }
        Err(e) => return Err(e),
    };
    match tune {
        Method::Tune {
            channel_max,
            frame_max,
            ..
        } => {
            // Keep the broker's channel limit and its frame limit up to the largest
            // frame we read (0 means none); heartbeat 0: the connection lives for one
            // round trip.
            let ours = frame::MAX_FRAME as u32;
            let frame_max = if frame_max == 0 {
                ours
            } else {
                frame_max.min(ours)
            };
            let args = Writer::default().u16(channel_max).u32(frame_max).u16(0);
            Ok((connection_method(TUNE_OK, args), frame_max))
        }
        Method::Close { code, text, .. } => {
            acknowledge_close(io);
            let (name, detail) = refusal(code, &text);
            Err(format!(
                "login refused ({name}) for user {}: {detail}",
                login.user
            ))
        }
        Method::Secure => Err(
            "broker sent a login challenge (Connection.Secure): not supported with PLAIN".into(),
        ),
        other => Err(format!(
            "expected Connection.Tune after the login, got {}",
            describe(&other)
        )),
    }
}

/// Send TuneOk and Open in one write, expect OpenOk.
fn open_vhost(io: &mut Framed, mut tune_ok: Vec<u8>, vhost: &str) -> Result<(), String> {
    let args = Writer::default().short_str(vhost).short_str("").u8(0);
    tune_ok.extend_from_slice(&connection_method(OPEN, args));
    io.send(&tune_ok, "Connection.TuneOk and Connection.Open")?;
    match next_method(io, "Connection.OpenOk", false)? {
        Method::OpenOk => Ok(()),
        Method::Close { code, text, .. } => {
            acknowledge_close(io);
            let (name, detail) = refusal(code, &text);
            Err(format!("vhost {vhost} refused ({name}): {detail}"))
        }
        other => Err(format!(
            "expected Connection.OpenOk, got {}",
            describe(&other)
        )),
    }
}

/// The next method frame on channel 0, skipping heartbeats (and, with
/// `skip_channels`, whatever arrives on other channels while closing).
fn next_method(io: &mut Framed, what: &str, skip_channels: bool) -> Result<Method, String> {
    loop {
        let Frame {
            kind,
            channel,
            payload,
        } = io.next(what, frame::split_frame)?;
        match (kind, channel) {
            (frame::FRAME_HEARTBEAT, _) => continue,
            (frame::FRAME_METHOD, 0) => return frame::parse_method(&payload),
            (_, c) if c != 0 && skip_channels => continue,
            _ => {
                return Err(format!(
                    "unexpected AMQP frame (type {kind}, channel {channel}) waiting for {what}"
                ))
            }
        }
    }
}

/// Answer the broker's Connection.Close, as the protocol asks, before dropping the connection.
fn acknowledge_close(io: &mut Framed) {
    let _ = io.send(
        &connection_method(CLOSE_OK, Writer::default()),
        "Connection.CloseOk",
    );
}

/// A Connection.Close's reply name and detail, without the name the broker repeats in its text.
fn refusal(code: u16, text: &str) -> (&'static str, &str) {
    let name = reply_name(code);
    let detail = text
        .strip_prefix(name)
        .map(|t| t.trim_start_matches([' ', '-']))
        .unwrap_or(text);
    (name, detail)
}

fn describe(m: &Method) -> String {
    match m {
        Method::Other {
            class_id,
            method_id,
        } => format!("method {class_id}.{method_id}"),
        Method::Close { code, text, .. } => format!("Connection.Close {code} {text}"),
        other => format!("{other:?}")
            .split([' ', '{'])
            .next()
            .unwrap_or("a method")
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A broker that sends Connection.Start, reads the login and hangs up, as brokers
    /// without `authentication_failure_close` do on a wrong password.
    #[test]
    fn a_broker_hanging_up_on_the_login_is_a_refusal() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let broker = std::thread::spawn(move || {
            let mut peer = listener.accept().unwrap().0;
            let mut header = [0u8; 8];
            peer.read_exact(&mut header).unwrap();
            assert_eq!(&header, frame::PROTOCOL_HEADER);
            let start = Writer::default()
                .u8(0)
                .u8(9)
                .table(&[("product", Value::Str("FakeMQ".into()))])
                .long_bytes(b"PLAIN")
                .long_bytes(b"en_US");
            peer.write_all(&connection_method(10, start)).unwrap();
            // Read the whole StartOk frame: closing with unread data would reset the connection.
            let mut head = [0u8; 7];
            peer.read_exact(&mut head).unwrap();
            let size = u32::from_be_bytes([head[3], head[4], head[5], head[6]]) as usize;
            peer.read_exact(&mut vec![0; size + 1]).unwrap();
        });
        let login = Login {
            user: "mon".into(),
            password: "pw-unit-1".into(),
            vhost: "/".into(),
        };
        let ctx = Context::new(
            crate::deadline::Deadline::after(std::time::Duration::from_secs(5)),
            false,
        );
        let ep = Endpoint::Tcp {
            host: "127.0.0.1".into(),
            port,
        };
        let err = handshake(&ep, Some(&login), None, &ctx).unwrap_err();
        broker.join().unwrap();
        assert!(
            err.starts_with(
                "login refused: the broker closed the connection after the login as mon"
            ),
            "{err}"
        );
    }
}
