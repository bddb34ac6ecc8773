//! MySQL/MariaDB check: log in with the credentials of an option file (never argv) and
//! run `SELECT 1`; with Galera, the node's role decides ([`GaleraRole`]): `ready`
//! (Synced: it may take traffic), `alive` (in the Primary component: a Donor or a
//! desynced node is alive, and a restart-on-failure policy must not kill it in the
//! middle of a state transfer), `starting` (alive, or still joining: a state transfer
//! in progress, when the server may not even answer yet).

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
    /// The Galera role the node must be fit for, if any.
    pub galera: Option<GaleraRole>,
    /// The server's data directory, where a state transfer leaves its `sst_in_progress`
    /// marker (`starting` only; default /var/lib/mysql).
    pub datadir: Option<String>,
}

/// What a Galera node must be fit for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GaleraRole {
    /// Serve traffic: Synced (`wsrep_local_state` 4), what `--galera` alone means.
    Ready,
    /// Be left running: a member of the Primary component, whatever its local state
    /// (a Donor or desynced node included), like mariadb-operator's liveness probe.
    Alive,
    /// Be given time: alive, or joining (Joining/Joined), or not answering while a state
    /// transfer writes its `sst_in_progress` marker in the data directory.
    Starting,
}

impl GaleraRole {
    pub const NAMES: &'static [&'static str] = &["ready", "alive", "starting"];

    pub fn parse(name: &str) -> Result<GaleraRole, String> {
        match name {
            "ready" => Ok(GaleraRole::Ready),
            "alive" => Ok(GaleraRole::Alive),
            "starting" => Ok(GaleraRole::Starting),
            other => Err(format!(
                "unknown Galera role {other:?}: one of {}",
                GaleraRole::NAMES.join(", ")
            )),
        }
    }
}

/// The data directory MariaDB's images and kolla use.
pub const DEFAULT_DATADIR: &str = "/var/lib/mysql";
/// The file the wsrep_sst_* scripts keep in the data directory while a transfer runs.
const SST_MARKER: &str = "sst_in_progress";

/// `probe mysql [TARGET] --defaults-file FILE [--galera]`.
pub fn probe(opts: &MysqlOptions, ctx: &Context) -> Checked {
    let Some(file) = opts.defaults_file.as_deref() else {
        let why =
            "--defaults-file FILE is required: the user and password come from its [client] group";
        return Checked::new("", Err(why.into()));
    };
    let client = match mycnf::read_defaults_file(file) {
        Ok(o) => o,
        Err(e) => return Checked::new("", Err(e)),
    };
    let endpoint = match endpoint_from(opts.target.as_deref(), &client) {
        Ok(ep) => ep,
        Err(e) => return Checked::new("", Err(e)),
    };
    let user = match client.user.clone().or_else(os_user_name) {
        Some(u) => u,
        None => {
            return Checked::new(
                endpoint.to_string(),
                Err(format!("no user in the [client] group of {file}")),
            )
        }
    };
    let mut outcome = select1(
        &endpoint,
        &user,
        client.password.as_deref(),
        opts.galera,
        ctx,
    );
    if opts.galera == Some(GaleraRole::Starting) {
        let datadir = opts.datadir.as_deref().unwrap_or(DEFAULT_DATADIR);
        outcome = outcome.or_else(|why| state_transfer_running(datadir, why));
    }
    Checked::new(endpoint.to_string(), outcome)
}

/// A joiner's server may not answer while a state transfer fills its data directory:
/// that is starting, not failing, as long as the transfer's marker is there.
fn state_transfer_running(datadir: &str, why: String) -> Outcome {
    let marker = std::path::Path::new(datadir).join(SST_MARKER);
    if marker.exists() {
        Ok(format!(
            "Galera state transfer in progress ({} exists): {why}",
            marker.display()
        ))
    } else {
        Err(why)
    }
}

/// Log in as `user` (password from a file, never argv) and run `SELECT 1`; with
/// `galera`, healthy only when the node is fit for that role.
pub fn select1(
    endpoint: &Endpoint,
    user: &str,
    password: Option<&str>,
    galera: Option<GaleraRole>,
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
/// must be fit for that role.
fn select1_and_galera(session: &mut Session, galera: Option<GaleraRole>) -> Outcome {
    let rows = session.query("SELECT 1")?;
    let first = rows.first().and_then(|r| r.first()).cloned().flatten();
    if first.as_deref() != Some("1") {
        return Err(format!("SELECT 1 returned {first:?} instead of 1"));
    }
    let Some(role) = galera else {
        return Ok("SELECT 1 ok".into());
    };
    let rows = session.query(GALERA_STATUS_QUERY)?;
    Ok(format!(
        "SELECT 1 ok, Galera {}",
        galera_verdict(&rows, role)?
    ))
}

/// The wsrep status variables the roles are judged on, in one round trip.
pub const GALERA_STATUS_QUERY: &str = "SHOW GLOBAL STATUS WHERE Variable_name IN \
     ('wsrep_local_state', 'wsrep_local_state_comment', 'wsrep_cluster_status')";

/// A Galera node's state as its status variables say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GaleraStatus {
    /// `wsrep_local_state`: 1 Joining, 2 Donor/Desynced, 3 Joined, 4 Synced.
    pub local_state: String,
    /// `wsrep_local_state_comment`, or the name of `local_state` when absent.
    pub comment: String,
    /// `wsrep_cluster_status`: Primary, non-Primary or Disconnected ("" when absent).
    pub cluster_status: String,
}

impl GaleraStatus {
    /// The status in the rows of [`GALERA_STATUS_QUERY`] (or `SHOW STATUS LIKE ...`).
    pub fn from_rows(rows: &[Vec<Option<String>>]) -> Result<GaleraStatus, String> {
        let get = |wanted: &str| {
            rows.iter().find_map(|row| match row.as_slice() {
                [Some(name), value] if name.eq_ignore_ascii_case(wanted) => {
                    Some(value.clone().unwrap_or_default().trim().to_string())
                }
                _ => None,
            })
        };
        let local_state =
            get("wsrep_local_state").ok_or("not a Galera node (wsrep_local_state missing)")?;
        let comment = get("wsrep_local_state_comment")
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| state_name(&local_state).to_string());
        Ok(GaleraStatus {
            local_state,
            comment,
            cluster_status: get("wsrep_cluster_status").unwrap_or_default(),
        })
    }

    fn synced(&self) -> bool {
        self.local_state == "4"
    }

    fn primary(&self) -> bool {
        self.cluster_status == "Primary"
    }

    fn joining(&self) -> bool {
        matches!(self.local_state.as_str(), "1" | "3")
    }

    /// "Donor/Desynced (wsrep_local_state 2)".
    fn local(&self) -> String {
        format!("{} (wsrep_local_state {})", self.comment, self.local_state)
    }
}

/// The name Galera gives a `wsrep_local_state` value.
fn state_name(value: &str) -> &'static str {
    match value {
        "0" => "Initialized",
        "1" => "Joining",
        "2" => "Donor/Desynced",
        "3" => "Joined",
        "4" => "Synced",
        _ => "unknown state",
    }
}

/// Whether the node in `rows` is fit for `role`.
pub fn galera_verdict(rows: &[Vec<Option<String>>], role: GaleraRole) -> Outcome {
    let status = GaleraStatus::from_rows(rows)?;
    let cluster = match status.cluster_status.as_str() {
        "" => "wsrep_cluster_status unknown".to_string(),
        s => format!("wsrep_cluster_status {s}"),
    };
    match role {
        GaleraRole::Ready if status.synced() => Ok(status.local()),
        GaleraRole::Ready => Err(format!(
            "Galera node not Synced: wsrep_local_state {} ({})",
            status.local_state,
            if status.comment.is_empty() {
                state_name(&status.local_state)
            } else {
                &status.comment
            }
        )),
        GaleraRole::Alive | GaleraRole::Starting if status.primary() => {
            Ok(format!("Primary component, {}", status.local()))
        }
        GaleraRole::Starting if status.joining() => {
            Ok(format!("joining, {} ({cluster})", status.local()))
        }
        GaleraRole::Alive => Err(format!(
            "Galera node not in the Primary component: {cluster}, {}",
            status.local()
        )),
        GaleraRole::Starting => Err(format!(
            "Galera node neither in the Primary component nor joining: {cluster}, {}",
            status.local()
        )),
    }
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
        let outcome = select1(&ep, "mon", Some("s3cret"), None, &ctx());
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
        let err = select1(&ep, "mon", Some("s3cret"), None, &ctx()).unwrap_err();
        assert!(err.contains("requires a secure connection"), "{err}");
        assert!(
            server.join().unwrap().is_empty(),
            "the client sent something after the full-auth request"
        );
    }

    fn row(name: &str, value: &str) -> Vec<Option<String>> {
        vec![Some(name.into()), Some(value.into())]
    }

    fn node(state: &str, comment: &str, cluster: &str) -> Vec<Vec<Option<String>>> {
        vec![
            row("wsrep_local_state", state),
            row("wsrep_local_state_comment", comment),
            row("wsrep_cluster_status", cluster),
        ]
    }

    #[test]
    fn galera_ready_is_synced() {
        use GaleraRole::Ready;
        assert_eq!(
            galera_verdict(&[row("wsrep_local_state", "4")], Ready).unwrap(),
            "Synced (wsrep_local_state 4)"
        );
        assert_eq!(
            galera_verdict(&node("2", "Donor/Desynced", "Primary"), Ready).unwrap_err(),
            "Galera node not Synced: wsrep_local_state 2 (Donor/Desynced)"
        );
        assert_eq!(
            galera_verdict(&[], Ready).unwrap_err(),
            "not a Galera node (wsrep_local_state missing)"
        );
    }

    #[test]
    fn galera_alive_is_primary_whatever_the_local_state() {
        use GaleraRole::Alive;
        for (state, comment) in [("2", "Donor/Desynced"), ("4", "Synced"), ("1", "Joining")] {
            let ok = galera_verdict(&node(state, comment, "Primary"), Alive).unwrap();
            assert!(
                ok.starts_with("Primary component, ") && ok.contains(comment),
                "{ok}"
            );
        }
        let err = galera_verdict(&node("0", "Initialized", "non-Primary"), Alive).unwrap_err();
        assert_eq!(
            err,
            "Galera node not in the Primary component: wsrep_cluster_status non-Primary, \
             Initialized (wsrep_local_state 0)"
        );
    }

    #[test]
    fn galera_starting_tolerates_joining() {
        use GaleraRole::Starting;
        assert!(
            galera_verdict(&node("1", "Joining", "non-Primary"), Starting)
                .unwrap()
                .starts_with("joining, Joining (wsrep_local_state 1)")
        );
        assert!(galera_verdict(&node("2", "Donor/Desynced", "Primary"), Starting).is_ok());
        assert!(
            galera_verdict(&node("0", "Initialized", "Disconnected"), Starting)
                .unwrap_err()
                .starts_with("Galera node neither in the Primary component nor joining")
        );
    }

    #[test]
    fn a_state_transfer_marker_makes_an_unanswering_joiner_starting() {
        let dir = std::env::temp_dir().join(format!("ohc-sst-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let datadir = dir.to_str().unwrap();
        assert_eq!(
            state_transfer_running(datadir, "connection refused".into()).unwrap_err(),
            "connection refused"
        );
        std::fs::write(dir.join(SST_MARKER), "").unwrap();
        let ok = state_transfer_running(datadir, "connection refused".into()).unwrap();
        assert!(ok.starts_with("Galera state transfer in progress"), "{ok}");
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(GaleraRole::parse("alive"), Ok(GaleraRole::Alive));
        assert!(GaleraRole::parse("synced").is_err());
    }
}
