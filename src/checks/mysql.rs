//! MySQL/MariaDB check: log in with the credentials of an option file (never argv) and
//! run `SELECT 1`; with Galera, healthy only when the node is Synced.

use crate::config::mycnf;
use crate::context::Context;
use crate::net::Endpoint;
use crate::proto::mysql::{endpoint_from, os_user_name, Session};
use crate::verdict::{Checked, Outcome};

/// Options of `probe mysql`.
#[derive(Debug, Clone, Default)]
pub struct MysqlOptions {
    /// Server address or unix socket path; default: the option file's.
    pub target: Option<String>,
    /// Option file whose [client]/[mysql] groups give user, password, host, port, socket.
    pub defaults_file: Option<String>,
    /// Healthy only when the node is a Synced Galera member.
    pub galera: bool,
}

/// `probe mysql [TARGET] --defaults-file FILE [--galera]`.
pub fn probe(opts: &MysqlOptions, ctx: &Context) -> Checked {
    let Some(file) = opts.defaults_file.as_deref() else {
        let why =
            "--defaults-file FILE is required: the user and password come from its [client] group";
        return Checked::new("", Err(why.into()));
    };
    let client = match mycnf::read_defaults_file(&ctx.system.given, file) {
        Ok(o) => o,
        Err(e) => return Checked::new("", Err(e)),
    };
    let endpoint = match endpoint_from(opts.target.as_deref(), &client) {
        Ok(ep) => ep,
        Err(e) => return Checked::new("", Err(e)),
    };
    let user = match client.user.clone().or_else(|| os_user_name(&ctx.system)) {
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
        client.password.as_deref(),
        opts.galera,
        ctx,
    );
    Checked::new(endpoint.to_string(), outcome)
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
    let (mut session, hs) = Session::open(endpoint, user, password.unwrap_or(""), ctx)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::mysql::{auth, packet, CLIENT_CAPS, COM_QUIT};
    use std::io::{Read, Write};
    use std::time::Duration;

    const NONCE: &[u8; 20] = b"0123456789abcdefghij";

    /// A MySQL 8 greeting announcing caching_sha2_password.
    fn mysql8_greeting() -> Vec<u8> {
        let caps = CLIENT_CAPS | packet::caps::DEPRECATE_EOF;
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
}
