//! MySQL/MariaDB client protocol: handshake, authentication (mysql_native_password,
//! caching_sha2_password, MariaDB's client_ed25519, auth switch) and text queries,
//! speaking the wire protocol directly so a check costs one round trip instead of a
//! client process. Where the server is when nothing names it follows the clients
//! ([`endpoint_from`], [`os_user_name`]).

pub mod auth;
pub mod ed25519;
pub mod packet;

use crate::config::mycnf;
use crate::context::Context;
use crate::net::Endpoint;
use crate::proto::framed::Framed;
use auth::Channel;
use packet::{caps, AuthReply, QueryReply};

/// The clients' defaults when neither the target nor the option file says where the server is.
pub const DEFAULT_PORT: u16 = 3306;
pub const DEFAULT_SOCKET: &str = "/run/mysqld/mysqld.sock";

/// Bound on login round trips (greeting plugin, switch, more data, full auth).
const MAX_AUTH_ROUNDS: usize = 6;
/// Bound on rows read from one result set.
const MAX_ROWS: usize = 1000;

/// What we ask of the server; the handshake keeps only what it also offers.
pub const CLIENT_CAPS: u32 = caps::LONG_PASSWORD
    | caps::PROTOCOL_41
    | caps::TRANSACTIONS
    | caps::SECURE_CONNECTION
    | caps::MULTI_RESULTS
    | caps::PLUGIN_AUTH
    | caps::PLUGIN_AUTH_LENENC_DATA;

pub const COM_QUIT: u8 = 0x01;
const COM_QUERY: u8 = 0x03;
/// utf8mb4_general_ci: known to MySQL 5.5+ and every MariaDB.
const CHARSET_UTF8MB4: u8 = 45;

/// Where to connect: the target if given, else the option file's socket or host and
/// port. As with the clients, host `localhost` (or none) means the unix socket.
pub fn endpoint_from(
    target: Option<&str>,
    opts: &mycnf::ClientOptions,
) -> Result<Endpoint, String> {
    let port = opts.port.unwrap_or(DEFAULT_PORT);
    if let Some(t) = target {
        return Endpoint::parse(t, Some(port));
    }
    match opts.host.as_deref() {
        Some(host) if host != "localhost" => Endpoint::parse(host, Some(port)),
        _ => Ok(Endpoint::Unix(
            opts.socket
                .clone()
                .unwrap_or_else(|| DEFAULT_SOCKET.to_string()),
        )),
    }
}

/// Why [`Session::try_open`] could not log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenError {
    /// The server answered with an ERR packet, in place of its greeting (too many
    /// connections, host not allowed) or to the login (access denied, account locked...).
    Refused {
        error: packet::ServerError,
        /// Whether it came in answer to the login (else in place of the greeting).
        to_login: bool,
        /// The user the login was for.
        user: String,
    },
    /// No server, not a MySQL server, a broken exchange or the deadline: why.
    Failed(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Refused {
                error,
                to_login: true,
                user,
            } => write!(f, "login refused for {user}: {error}"),
            OpenError::Refused { error, .. } => write!(f, "{error}"),
            OpenError::Failed(why) => f.write_str(why),
        }
    }
}

impl From<String> for OpenError {
    fn from(why: String) -> Self {
        OpenError::Failed(why)
    }
}

/// A logged-in connection (and the packet sequence number of the current exchange):
/// [`Session::open`], then [`Session::query`] as needed, then [`Session::quit`].
pub struct Session {
    io: Framed,
    seq: u8,
    channel: Channel,
    /// For HEALTHCHECK_DEBUG traces of the login steps.
    ctx: Context,
}

impl Session {
    /// Connect, read the server greeting and log in as `user`; the greeting says which
    /// server this is ([`packet::Handshake::product`], [`packet::Handshake::version`]).
    pub fn open(
        endpoint: &Endpoint,
        user: &str,
        password: &str,
        ctx: &Context,
    ) -> Result<(Session, packet::Handshake), String> {
        Session::try_open(endpoint, user, password, ctx).map_err(|e| e.to_string())
    }

    /// [`Session::open`], telling a server's refusal (its error code and SQL state) from
    /// a failure to reach or understand it.
    pub fn try_open(
        endpoint: &Endpoint,
        user: &str,
        password: &str,
        ctx: &Context,
    ) -> Result<(Session, packet::Handshake), OpenError> {
        let mut session = Session::connect(endpoint, ctx)?;
        let greeting = session
            .io
            .next("the server greeting", packet::split_greeting)?;
        if greeting.payload.first() == Some(&0xff) {
            return Err(OpenError::Refused {
                error: packet::parse_err(&greeting.payload),
                to_login: false,
                user: user.to_string(),
            });
        }
        let hs = packet::parse_handshake(&greeting.payload)?;
        ctx.trace(format_args!(
            "greeting: {} (connection {}), auth plugin {}",
            hs.server_version, hs.connection_id, hs.auth_plugin
        ));
        session.login(&hs, user, password)?;
        ctx.trace(format_args!("logged in as {user}"));
        Ok((session, hs))
    }

    fn connect(endpoint: &Endpoint, ctx: &Context) -> Result<Session, String> {
        let io = Framed::connect(endpoint, None, packet::MAX_REPLY + 4, ctx)?;
        let channel = if io.is_local() {
            Channel::Secure
        } else {
            Channel::Plain
        };
        Ok(Session {
            io,
            seq: 0,
            channel,
            ctx: ctx.clone(),
        })
    }

    /// Read one packet; `what` names it in timeout and close reasons.
    fn read(&mut self, what: &str) -> Result<packet::Packet, String> {
        let pkt = self.io.next(what, packet::split_packet)?;
        self.seq = pkt.seq;
        Ok(pkt)
    }

    /// Send the next packet of the current exchange.
    fn write(&mut self, payload: &[u8], what: &str) -> Result<(), String> {
        self.seq = self.seq.wrapping_add(1);
        self.io.send(&packet::frame(self.seq, payload), what)
    }

    /// Start a new command exchange (sequence numbers restart at 0).
    fn command(&mut self, payload: &[u8], what: &str) -> Result<(), String> {
        self.seq = u8::MAX;
        self.write(payload, what)
    }

    fn login(
        &mut self,
        hs: &packet::Handshake,
        user: &str,
        password: &str,
    ) -> Result<(), OpenError> {
        let caps = CLIENT_CAPS & hs.capabilities | caps::PROTOCOL_41;
        // Answer for the server's default plugin if we know it, else for ours: the
        // server switches us to the user's plugin when it differs.
        let (mut plugin, first) =
            match auth::respond(&hs.auth_plugin, password, &hs.scramble, self.channel) {
                Ok(resp) => (hs.auth_plugin.clone(), resp),
                Err(_) => (
                    auth::NATIVE.to_string(),
                    auth::native_password(password, &hs.scramble),
                ),
            };
        self.write(
            &handshake_response(caps, user, &plugin, &first),
            "the login",
        )?;
        for _ in 0..MAX_AUTH_ROUNDS {
            let reply = self.read("the login reply")?;
            match packet::parse_auth_reply(&reply.payload)? {
                AuthReply::Ok => return Ok(()),
                AuthReply::Err(error) => {
                    return Err(OpenError::Refused {
                        error,
                        to_login: true,
                        user: user.to_string(),
                    })
                }
                AuthReply::Switch { plugin: next, data } => {
                    self.ctx
                        .trace(format_args!("server switches the login to {next}"));
                    let resp = auth::respond(&next, password, &data, self.channel)?;
                    self.write(&resp, "the auth switch response")?;
                    plugin = next;
                }
                AuthReply::MoreData(data) => self.more_auth_data(&plugin, &data, password)?,
            }
        }
        Err(OpenError::Failed(format!(
            "login did not finish within {MAX_AUTH_ROUNDS} round trips"
        )))
    }

    /// caching_sha2_password's second step: 3 means the fast path succeeded (OK
    /// follows), 4 that the server has no cached hash and wants the password.
    fn more_auth_data(&mut self, plugin: &str, data: &[u8], password: &str) -> Result<(), String> {
        match (plugin, data) {
            (auth::CACHING_SHA2, [3]) => {
                self.ctx.trace("caching_sha2_password: fast path accepted");
                Ok(())
            }
            (auth::CACHING_SHA2, [4]) => {
                self.ctx
                    .trace("caching_sha2_password: server asks for full authentication");
                let resp = auth::full_auth_cleartext(plugin, password, self.channel)?;
                self.write(&resp, "the full authentication")
            }
            _ => Err(format!(
                "unexpected auth data from the server for plugin {plugin}"
            )),
        }
    }

    /// Run a text query and return its rows (empty for a statement without a result set).
    pub fn query(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, String> {
        let mut payload = vec![COM_QUERY];
        payload.extend_from_slice(sql.as_bytes());
        self.command(&payload, sql)?;
        let what = format!("the reply to {sql}");
        let columns = match packet::parse_query_reply(&self.read(&what)?.payload)? {
            QueryReply::Ok => return Ok(Vec::new()),
            QueryReply::Err(e) => return Err(format!("{sql} failed: {e}")),
            QueryReply::Columns(n) => n,
        };
        for _ in 0..columns {
            self.read(&what)?;
        }
        // We never ask for CLIENT_DEPRECATE_EOF, so an EOF packet ends the column definitions.
        if !packet::is_eof(&self.read(&what)?.payload) {
            return Err(format!(
                "{what}: column definitions not followed by an EOF packet"
            ));
        }
        let mut rows = Vec::new();
        loop {
            let pkt = self.read(&what)?;
            if packet::is_eof(&pkt.payload) {
                return Ok(rows);
            }
            if pkt.payload.first() == Some(&0xff) {
                return Err(format!("{sql} failed: {}", packet::parse_err(&pkt.payload)));
            }
            if rows.len() >= MAX_ROWS {
                return Err(format!("{sql} returned more than {MAX_ROWS} rows"));
            }
            rows.push(packet::parse_text_row(&pkt.payload, columns)?);
        }
    }

    /// Say goodbye so the server does not log an aborted connection.
    pub fn quit(&mut self) {
        let _ = self.command(&[COM_QUIT], "quit");
    }
}

/// The clients' default user: `$USER`, else the effective user's name from
/// /etc/passwd (read directly: no NSS in a static binary).
pub fn os_user_name() -> Option<String> {
    if let Some(user) = std::env::var("USER").ok().filter(|u| !u.is_empty()) {
        return Some(user);
    }
    let uid = nix::unistd::geteuid().as_raw().to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() > 2 && fields[2] == uid).then(|| fields[0].to_string())
    })
}

/// HandshakeResponse41: capabilities, limits, character set, user, auth response, plugin.
fn handshake_response(caps: u32, user: &str, plugin: &str, auth_response: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(64 + user.len() + auth_response.len());
    p.extend_from_slice(&caps.to_le_bytes());
    p.extend_from_slice(&(packet::MAX_PAYLOAD as u32).to_le_bytes());
    p.push(CHARSET_UTF8MB4);
    p.extend_from_slice(&[0; 23]);
    p.extend_from_slice(user.as_bytes());
    p.push(0);
    if caps & caps::PLUGIN_AUTH_LENENC_DATA != 0 {
        // Auth responses are at most 255 bytes here (scrambles, or a password), so
        // the length-encoded integer is one byte below 251 and three above.
        let len = auth_response.len();
        if len < 251 {
            p.push(len as u8);
        } else {
            p.push(0xfc);
            p.extend_from_slice(&(len as u16).to_le_bytes());
        }
    } else {
        p.push(auth_response.len().min(255) as u8);
    }
    p.extend_from_slice(auth_response);
    if caps & caps::PLUGIN_AUTH != 0 {
        p.extend_from_slice(plugin.as_bytes());
        p.push(0);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_defaults_follow_the_clients() {
        let mut opts = mycnf::ClientOptions::default();
        assert_eq!(
            endpoint_from(None, &opts).unwrap(),
            Endpoint::Unix(DEFAULT_SOCKET.into())
        );
        opts.host = Some("db.example".into());
        opts.port = Some(3307);
        assert_eq!(
            endpoint_from(None, &opts).unwrap().to_string(),
            "db.example:3307"
        );
        assert_eq!(
            endpoint_from(Some("10.0.0.1"), &opts).unwrap().to_string(),
            "10.0.0.1:3307"
        );
        assert_eq!(
            endpoint_from(Some("/tmp/s"), &opts).unwrap(),
            Endpoint::Unix("/tmp/s".into())
        );
    }

    #[test]
    fn handshake_response_layout() {
        let caps = CLIENT_CAPS;
        let p = handshake_response(caps, "mon", auth::NATIVE, &[7; 20]);
        assert_eq!(&p[..4], &caps.to_le_bytes());
        assert_eq!(p[8], CHARSET_UTF8MB4);
        assert_eq!(&p[32..36], b"mon\0");
        assert_eq!(p[36], 20);
        assert!(p.ends_with(b"mysql_native_password\0"));
    }
}
