//! AMQP 0-9-1 client: protocol header, Connection.Start/StartOk (PLAIN), Tune, Open of
//! a vhost, Close (cleanly, so the broker logs no dropped connection).

pub mod frame;

use crate::context::Context;
use crate::net::tls::TlsOptions;
use crate::net::Endpoint;
use crate::proto::framed::Framed;
use frame::{connection_method, reply_name, Frame, Method, Value, Writer};

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
    let mut io = Framed::connect(endpoint, tls, frame::MAX_FRAME + 8, ctx)?;
    io.send(frame::PROTOCOL_HEADER, "the protocol header")?;
    let Method::Start {
        version,
        server_properties,
        mechanisms,
    } = next_method(&mut io, "Connection.Start")?
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
    let Some(login) = login else {
        return Ok(product);
    };
    if !mechanisms.split(' ').any(|m| m == "PLAIN") {
        return Err(format!(
            "{product} does not offer the PLAIN login mechanism (offers: {mechanisms})"
        ));
    }
    let tune_ok = log_in(&mut io, login)?;
    ctx.trace(format_args!("logged in as {}", login.user));
    open_vhost(&mut io, tune_ok, &login.vhost)?;
    close(&mut io)?;
    Ok(product)
}

/// StartOk with PLAIN, then wait for Tune; returns the TuneOk frame, which goes out
/// together with Open (no reply comes between them: one packet less). RabbitMQ
/// answers a refused login with Connection.Close (403) because we announce
/// `authentication_failure_close`; brokers that do not simply drop the connection.
fn log_in(io: &mut Framed, login: &Login) -> Result<Vec<u8>, String> {
    let mut response = vec![0];
    response.extend_from_slice(login.user.as_bytes());
    response.push(0);
    response.extend_from_slice(login.password.as_bytes());
    let capabilities = Value::Table(vec![(
        "authentication_failure_close".into(),
        Value::Bool(true),
    )]);
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
    let tune = match next_method(io, "Connection.Tune") {
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
            // Keep the broker's limits; heartbeat 0: the connection lives for one round trip.
            let args = Writer::default().u16(channel_max).u32(frame_max).u16(0);
            Ok(connection_method(TUNE_OK, args))
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
    match next_method(io, "Connection.OpenOk")? {
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

/// Close cleanly; a broker that then drops the connection without CloseOk has still served us.
fn close(io: &mut Framed) -> Result<(), String> {
    let args = Writer::default()
        .u16(frame::REPLY_SUCCESS)
        .short_str("health check done")
        .u16(0)
        .u16(0);
    io.send(&connection_method(CLOSE, args), "Connection.Close")?;
    loop {
        match next_method(io, "Connection.CloseOk") {
            Ok(Method::CloseOk) => return Ok(()),
            Ok(_) => continue,
            Err(_) if io.peer_closed() => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

/// The next method frame on channel 0, skipping heartbeats.
fn next_method(io: &mut Framed, what: &str) -> Result<Method, String> {
    loop {
        let Frame {
            kind,
            channel,
            payload,
        } = io.next(what, frame::split_frame)?;
        match (kind, channel) {
            (frame::FRAME_HEARTBEAT, _) => continue,
            (frame::FRAME_METHOD, 0) => return frame::parse_method(&payload),
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
