//! MySQL/MariaDB client protocol: handshake, authentication (mysql_native_password,
//! caching_sha2_password, MariaDB's client_ed25519, auth switch), `SELECT 1`, and the
//! Galera state, speaking the wire protocol directly so a check costs one round trip
//! instead of a client process. Credentials come from an option file
//! (`--defaults-file`), never argv.

pub mod auth;
pub mod ed25519;
pub mod packet;

use crate::cli::probes::ProbeKind;
use crate::config::mycnf;
use crate::context::Context;
use crate::net::Endpoint;
use crate::proto::framed::Framed;
use crate::verdict::{Checked, Outcome};
use auth::Channel;
use clap::{Arg, ArgAction, ArgMatches, Command};
use packet::{caps, AuthReply, QueryReply};

pub const PROBE: ProbeKind = ProbeKind {
    name: "mysql",
    about: "MySQL/MariaDB: log in with the [client] credentials of a defaults file, SELECT 1 (--galera: Synced)",
    args,
    run,
    http_budget: false,
};

/// The clients' defaults when neither the target nor the option file says where the server is.
pub const DEFAULT_PORT: u16 = 3306;
pub const DEFAULT_SOCKET: &str = "/run/mysqld/mysqld.sock";

/// Bound on login round trips (greeting plugin, switch, more data, full auth).
const MAX_AUTH_ROUNDS: usize = 6;
/// Bound on rows read from one result set.
const MAX_ROWS: usize = 1000;

/// What we ask of the server; the handshake keeps only what it also offers.
const CLIENT_CAPS: u32 = caps::LONG_PASSWORD
    | caps::PROTOCOL_41
    | caps::TRANSACTIONS
    | caps::SECURE_CONNECTION
    | caps::MULTI_RESULTS
    | caps::PLUGIN_AUTH
    | caps::PLUGIN_AUTH_LENENC_DATA;

const COM_QUIT: u8 = 0x01;
const COM_QUERY: u8 = 0x03;
/// utf8mb4_general_ci: known to MySQL 5.5+ and every MariaDB.
const CHARSET_UTF8MB4: u8 = 45;

fn args(cmd: Command) -> Command {
    cmd.arg(Arg::new("target").value_name("HOST:PORT|SOCKET").help(
        "Server address or unix socket path (default: host/port/socket from the defaults file)",
    ))
    .arg(
        Arg::new("defaults-file")
            .long("defaults-file")
            .value_name("FILE")
            .help(
                "Option file whose [client]/[mysql] groups give user, password, host, port, socket",
            ),
    )
    .arg(
        Arg::new("galera")
            .long("galera")
            .action(ArgAction::SetTrue)
            .help("Healthy only when the node is a Synced Galera member (wsrep_local_state 4)"),
    )
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    let Some(file) = m.get_one::<String>("defaults-file") else {
        let why =
            "--defaults-file FILE is required: the user and password come from its [client] group";
        return Checked::new("", Err(why.into()));
    };
    let opts = match mycnf::read_defaults_file(file) {
        Ok(o) => o,
        Err(e) => return Checked::new("", Err(e)),
    };
    let endpoint = match endpoint_from(m.get_one::<String>("target").map(String::as_str), &opts) {
        Ok(ep) => ep,
        Err(e) => return Checked::new("", Err(e)),
    };
    let user = match opts.user.clone().or_else(os_user_name) {
        Some(u) => u,
        None => {
            return Checked::new(
                endpoint.to_string(),
                Err(format!("no user in the [client] group of {file}")),
            )
        }
    };
    let outcome = select1(
        &endpoint,
        &user,
        opts.password.as_deref(),
        m.get_flag("galera"),
        ctx,
    );
    Checked::new(endpoint.to_string(), outcome)
}

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

/// Log in as `user` (password from a file, never argv) and run `SELECT 1`; with
/// `galera`, healthy only when wsrep_local_state is 4 (Synced).
pub fn select1(
    endpoint: &Endpoint,
    user: &str,
    password: Option<&str>,
    galera: bool,
    ctx: &Context,
) -> Outcome {
    if let Some(pw) = password {
        crate::secrets::remember(pw);
    }
    let mut session = Session::connect(endpoint, ctx)?;
    let greeting = session
        .io
        .next("the server greeting", packet::split_greeting)?;
    let hs = packet::parse_handshake(&greeting.payload)?;
    ctx.trace(format_args!(
        "greeting: {} (connection {}), auth plugin {}",
        hs.server_version, hs.connection_id, hs.auth_plugin
    ));
    session.login(&hs, user, password.unwrap_or(""))?;
    ctx.trace(format_args!("logged in as {user}"));
    let outcome = select1_and_galera(&mut session, galera).map(|checked| {
        format!(
            "{} {}: logged in as {user}, {checked}",
            hs.product(),
            hs.version()
        )
    });
    // Say goodbye whatever the answers were, so the server logs no aborted connection.
    session.quit();
    outcome
}

/// The queries after the login: `SELECT 1` must return 1; with `galera`, the node
/// must be Synced.
fn select1_and_galera(session: &mut Session, galera: bool) -> Outcome {
    let rows = session.query("SELECT 1")?;
    let first = rows.first().and_then(|r| r.first()).cloned().flatten();
    if first.as_deref() != Some("1") {
        return Err(format!("SELECT 1 returned {first:?} instead of 1"));
    }
    if !galera {
        return Ok("SELECT 1 ok".into());
    }
    let rows = session.query("SHOW STATUS LIKE 'wsrep_local_state'")?;
    Ok(format!("SELECT 1 ok, Galera {}", galera_state(&rows)?))
}

/// Healthy only for Synced: a Donor/Desynced or Joining node must not take traffic.
pub fn galera_state(rows: &[Vec<Option<String>>]) -> Outcome {
    let value = rows.iter().find_map(|row| match row.as_slice() {
        [Some(name), value] if name.eq_ignore_ascii_case("wsrep_local_state") => {
            Some(value.clone())
        }
        _ => None,
    });
    let Some(value) = value else {
        return Err("not a Galera node (wsrep_local_state missing)".into());
    };
    let value = value.unwrap_or_default();
    let name = match value.trim() {
        "1" => "Joining",
        "2" => "Donor/Desynced",
        "3" => "Joined",
        "4" => return Ok(format!("Synced (wsrep_local_state {value})")),
        _ => "unknown state",
    };
    Err(format!(
        "Galera node not Synced: wsrep_local_state {value} ({name})"
    ))
}

/// One connection and the packet sequence number of the current exchange.
struct Session {
    io: Framed,
    seq: u8,
    channel: Channel,
    /// For HEALTHCHECK_DEBUG traces of the login steps.
    ctx: Context,
}

impl Session {
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

    fn login(&mut self, hs: &packet::Handshake, user: &str, password: &str) -> Result<(), String> {
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
                AuthReply::Err(e) => return Err(format!("login refused for {user}: {e}")),
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
        Err(format!(
            "login did not finish within {MAX_AUTH_ROUNDS} round trips"
        ))
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
    fn query(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, String> {
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
    fn quit(&mut self) {
        let _ = self.command(&[COM_QUIT], "quit");
    }
}

/// The clients' default user: `$USER`, else the effective user's name from
/// /etc/passwd (read directly: no NSS in a static binary).
fn os_user_name() -> Option<String> {
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
    use std::io::{Read, Write};
    use std::time::Duration;

    const NONCE: &[u8; 20] = b"0123456789abcdefghij";

    /// A MySQL 8 greeting announcing caching_sha2_password.
    fn mysql8_greeting() -> Vec<u8> {
        let caps = CLIENT_CAPS | caps::DEPRECATE_EOF;
        let mut p = vec![10];
        p.extend_from_slice(b"8.0.36\0");
        p.extend_from_slice(&9u32.to_le_bytes());
        p.extend_from_slice(&NONCE[..8]);
        p.push(0);
        p.extend_from_slice(&(caps as u16).to_le_bytes());
        p.push(255);
        p.extend_from_slice(&2u16.to_le_bytes());
        p.extend_from_slice(&((caps >> 16) as u16).to_le_bytes());
        p.push(21);
        p.extend_from_slice(&[0; 10]);
        p.extend_from_slice(&NONCE[8..]);
        p.push(0);
        p.extend_from_slice(b"caching_sha2_password\0");
        p
    }

    fn send(peer: &mut impl Write, seq: u8, payload: &[u8]) {
        peer.write_all(&packet::frame(seq, payload)).unwrap();
    }

    fn receive(peer: &mut impl Read) -> packet::Packet {
        let mut head = [0u8; 4];
        peer.read_exact(&mut head).unwrap();
        let mut payload = vec![0; usize::from(head[0]) | usize::from(head[1]) << 8];
        peer.read_exact(&mut payload).unwrap();
        packet::Packet {
            seq: head[3],
            payload,
        }
    }

    /// Play a MySQL 8 server whose password cache is cold: the scramble must be
    /// caching_sha2's, then (over a unix socket) the password comes in the clear.
    fn cold_cache_server(peer: &mut (impl Read + Write), password: &str) {
        send(peer, 0, &mysql8_greeting());
        let login = receive(peer);
        assert_eq!(login.seq, 1);
        let scramble = auth::caching_sha2(password, NONCE);
        assert!(
            login.payload.windows(scramble.len()).any(|w| w == scramble),
            "no caching_sha2 scramble"
        );
        send(peer, 2, &[1, 4]);
        let full = receive(peer);
        assert_eq!(
            (full.seq, full.payload.as_slice()),
            (3, [password.as_bytes(), b"\0"].concat().as_slice())
        );
        send(peer, 4, &[0, 0, 0, 2, 0, 0, 0]);
        assert_eq!(receive(peer).payload, b"\x03SELECT 1");
        for (seq, payload) in [
            (1, &b"\x01"[..]),
            (2, b"\x03def\0\0\0\x011\0\x0c?\0\x01\0\0\0\x08\x81\0\0\0\0"),
            (3, b"\xfe\0\0\x02\0"),
            (4, b"\x011"),
            (5, b"\xfe\0\0\x02\0"),
        ] {
            send(peer, seq, payload);
        }
        assert_eq!(receive(peer).payload, [COM_QUIT]);
    }

    fn ctx() -> Context {
        Context::new(
            crate::deadline::Deadline::after(Duration::from_secs(5)),
            false,
        )
    }

    #[test]
    fn caching_sha2_full_auth_over_a_unix_socket() {
        let path = std::env::temp_dir().join(format!("ohc-mysql8-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let server = std::thread::spawn(move || {
            cold_cache_server(&mut listener.accept().unwrap().0, "s3cret")
        });
        let ep = Endpoint::Unix(path.to_string_lossy().into_owned());
        let outcome = select1(&ep, "mon", Some("s3cret"), false, &ctx());
        server.join().unwrap();
        let _ = std::fs::remove_file(&path);
        assert_eq!(
            outcome.unwrap(),
            "MySQL 8.0.36: logged in as mon, SELECT 1 ok"
        );
    }

    #[test]
    fn caching_sha2_full_auth_refused_over_plain_tcp() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let mut peer = listener.accept().unwrap().0;
            send(&mut peer, 0, &mysql8_greeting());
            receive(&mut peer);
            send(&mut peer, 2, &[1, 4]);
            // The client gives up rather than send the password over plain TCP.
            let mut rest = Vec::new();
            peer.read_to_end(&mut rest).unwrap();
            rest
        });
        let ep = Endpoint::Tcp {
            host: "127.0.0.1".into(),
            port,
        };
        let err = select1(&ep, "mon", Some("s3cret"), false, &ctx()).unwrap_err();
        assert!(err.contains("requires a secure connection"), "{err}");
        assert!(
            server.join().unwrap().is_empty(),
            "the client sent something after the full-auth request"
        );
    }

    fn row(name: &str, value: &str) -> Vec<Option<String>> {
        vec![Some(name.into()), Some(value.into())]
    }

    #[test]
    fn galera_states() {
        assert!(galera_state(&[row("wsrep_local_state", "4")])
            .unwrap()
            .contains("Synced"));
        assert!(galera_state(&[row("wsrep_local_state", "2")])
            .unwrap_err()
            .contains("Donor/Desynced"));
        assert_eq!(
            galera_state(&[]).unwrap_err(),
            "not a Galera node (wsrep_local_state missing)"
        );
    }

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
