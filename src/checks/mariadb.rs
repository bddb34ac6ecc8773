//! MariaDB's own container checks as drop-ins, with one native session instead of a
//! `mariadb` client process per test:
//!
//! - MariaDB's `healthcheck.sh` (mariadb-docker, which kolla installs as
//!   /usr/bin/healthcheck.sh and kolla-ansible runs as `healthcheck.sh --defaults-file
//!   /etc/mysql/healthcheck.cnf --connect --galera_online`): its tests run in the order
//!   given, its option-file options apply to the tests after them, `--su*` switches the
//!   unix user (and, as the script's `exec gosu` does, forgets the options before it),
//!   and `connect` always runs, at the end when not asked for.
//! - kolla's `healthcheck_mariadb`: `wsrep_local_state_comment` must be `Synced`.
//!
//! What each test accepts is the script's: `connect` passes when the server answers
//! `select @@skip_networking` with 0 over its socket, or, failing that, when a TCP
//! connection to localhost reaches it, even if the login is then refused (access denied,
//! password expired, account locked, too many user connections): only a server that
//! cannot be reached, has networking off, or answers some other error fails it.

use crate::config::{mycnf, passwd};
use crate::context::Context;
use crate::net::Endpoint;
use crate::proto::mysql::{os_user_name, packet::ServerError, OpenError, Session};
use crate::verdict::{Checked, Outcome};
use std::path::{Path, PathBuf};

/// The client's compiled-in socket on Debian (and kolla's Debian/Ubuntu images).
const DEFAULT_SOCKET: &str = "/run/mysqld/mysqld.sock";
const DEFAULT_PORT: u16 = 3306;
/// The global option files the `mariadb` client reads, in its order.
const GLOBAL_OPTION_FILES: &[&str] = &["/etc/my.cnf", "/etc/mysql/my.cnf"];
/// healthcheck.sh's data directory and the option file it reads from there if present.
const DEFAULT_DATADIR: &str = "/var/lib/mysql";
const HEALTHCHECK_CNF: &str = ".my-healthcheck.cnf";
/// kolla's healthcheck_mariadb logs in as `$MYSQL_USERNAME`, meant to default to the
/// passwordless `haproxy` user kolla-ansible creates.
const KOLLA_DEFAULT_USER: &str = "haproxy";

/// A test of healthcheck.sh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShTest {
    Connect,
    InnodbInitialized,
    InnodbBufferPoolLoaded,
    GaleraOnline,
    GaleraReady,
    MariadbUpgrade,
}

impl ShTest {
    /// The test's name on the script's command line (`--NAME`).
    pub fn from_name(name: &str) -> Option<ShTest> {
        Some(match name {
            "connect" => ShTest::Connect,
            "innodb_initialized" => ShTest::InnodbInitialized,
            "innodb_buffer_pool_loaded" => ShTest::InnodbBufferPoolLoaded,
            "galera_online" => ShTest::GaleraOnline,
            "galera_ready" => ShTest::GaleraReady,
            "mariadbupgrade" => ShTest::MariadbUpgrade,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ShTest::Connect => "connect",
            ShTest::InnodbInitialized => "innodb_initialized",
            ShTest::InnodbBufferPoolLoaded => "innodb_buffer_pool_loaded",
            ShTest::GaleraOnline => "galera_online",
            ShTest::GaleraReady => "galera_ready",
            ShTest::MariadbUpgrade => "mariadbupgrade",
        }
    }
}

/// One argument of healthcheck.sh, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShStep {
    NoDefaults,
    DefaultsFile(String),
    ExtraFile(String),
    GroupSuffix(String),
    Datadir(String),
    /// `--su=USER`, `--su USER`, `--su-mysql`.
    SwitchUser(String),
    Test(ShTest),
}

/// What the steps so far have set: the client's option files and the data directory.
#[derive(Debug, Clone)]
struct ShState {
    files: mycnf::Selection,
    datadir: String,
    /// The unix user after a `--su`, whose name is then the default SQL user.
    unix_user: Option<String>,
}

impl ShState {
    /// The script's start: `/var/lib/mysql/.my-healthcheck.cnf` is the extra file if it exists.
    fn initial(unix_user: Option<String>) -> ShState {
        let cnf = Path::new(DEFAULT_DATADIR).join(HEALTHCHECK_CNF);
        let extra_file = cnf.is_file().then(|| cnf.to_string_lossy().into_owned());
        ShState {
            files: mycnf::Selection {
                extra_file,
                ..mycnf::Selection::default()
            },
            datadir: DEFAULT_DATADIR.into(),
            unix_user,
        }
    }
}

/// Run healthcheck.sh's `steps`: healthy when every test passes and `connect` (asked
/// for, or run at the end as the script does) passes.
pub fn healthcheck_sh(steps: &[ShStep], ctx: &Context) -> Checked {
    if steps.is_empty() {
        return Checked::new(
            "healthcheck.sh",
            Err("At least one argument required".into()),
        );
    }
    let mut state = ShState::initial(None);
    let mut passed: Vec<String> = Vec::new();
    let mut connected = false;
    let mut target = String::new();
    for step in steps {
        match step {
            ShStep::NoDefaults => {
                state.files = mycnf::Selection {
                    no_defaults: true,
                    ..mycnf::Selection::default()
                }
            }
            ShStep::DefaultsFile(f) => set(&mut state.files, |s| s.defaults_file = given(f)),
            ShStep::ExtraFile(f) => set(&mut state.files, |s| s.extra_file = given(f)),
            ShStep::GroupSuffix(g) => set(&mut state.files, |s| s.group_suffix = given(g)),
            ShStep::Datadir(d) => state.datadir = d.clone(),
            ShStep::SwitchUser(user) => {
                if let Err(e) = switch_user(user, ctx) {
                    return Checked::new(target, Err(e));
                }
                state = ShState::initial(Some(user.clone()));
            }
            ShStep::Test(test) => {
                let (on, outcome) = run_test(*test, &state, ctx);
                target = on;
                match outcome {
                    Ok(detail) => passed.push(format!("{} ({detail})", test.name())),
                    Err(e) => {
                        return Checked::new(
                            target,
                            Err(format!("healthcheck {} failed: {e}", test.name())),
                        )
                    }
                }
                connected |= *test == ShTest::Connect;
            }
        }
    }
    if !connected {
        let (on, outcome) = run_test(ShTest::Connect, &state, ctx);
        target = on;
        match outcome {
            Ok(detail) => passed.push(format!("connect ({detail})")),
            Err(e) => return Checked::new(target, Err(format!("healthcheck connect failed: {e}"))),
        }
    }
    Checked::new(target, Ok(passed.join(", ")))
}

/// An empty value is no value: the script passes `${def[file]:+...}` only when set.
fn given(value: &str) -> Option<String> {
    Some(value.to_string()).filter(|v| !v.is_empty())
}

/// An option-file option clears `--no-defaults`, as in the script.
fn set(files: &mut mycnf::Selection, change: impl FnOnce(&mut mycnf::Selection)) {
    files.no_defaults = false;
    change(files);
}

/// One test: the endpoint it asked (for the verdict's target) and its outcome.
fn run_test(test: ShTest, state: &ShState, ctx: &Context) -> (String, Outcome) {
    let client = match Client::from_state(state) {
        Ok(c) => c,
        Err(e) => return (String::new(), Err(e)),
    };
    let socket = client.socket();
    let on = socket.to_string();
    let outcome = match test {
        ShTest::Connect => return connect(&client, ctx),
        ShTest::InnodbInitialized => client
            .value(&socket, INNODB_INITIALIZED, ctx)
            .and_then(|v| expect(v, |v| v == "1", "InnoDB is not initialized")),
        ShTest::InnodbBufferPoolLoaded => client
            .value(&socket, BUFFER_POOL_LOAD_STATUS, ctx)
            .and_then(|v| {
                expect(
                    v,
                    |v| v.contains("load completed"),
                    "the InnoDB buffer pool load has not completed",
                )
            }),
        ShTest::GaleraOnline => client.value(&socket, WSREP_LOCAL_STATE, ctx).and_then(|v| {
            // The script compares numerically: an empty answer is 0.
            expect(
                v,
                |v| v.trim() == "4",
                "wsrep_local_state is not 4 (Synced)",
            )
        }),
        ShTest::GaleraReady => client
            .value(&socket, WSREP_READY, ctx)
            .and_then(|v| expect(v, |v| v == "ON", "wsrep_ready is not ON")),
        ShTest::MariadbUpgrade => upgrade_unlocked(&state.datadir),
    };
    (on, outcome)
}

const INNODB_INITIALIZED: &str = "select 1 from information_schema.ENGINES WHERE engine='innodb' \
     AND support in ('YES', 'DEFAULT', 'ENABLED')";
const BUFFER_POOL_LOAD_STATUS: &str =
    "select VARIABLE_VALUE from information_schema.GLOBAL_STATUS \
     WHERE VARIABLE_NAME='Innodb_buffer_pool_load_status'";
const WSREP_LOCAL_STATE: &str = "select VARIABLE_VALUE from information_schema.GLOBAL_STATUS \
     WHERE VARIABLE_NAME='WSREP_LOCAL_STATE'";
const WSREP_READY: &str = "select VARIABLE_VALUE from information_schema.GLOBAL_STATUS \
     WHERE VARIABLE_NAME='WSREP_READY'";

/// `Ok(value)` when `ok(value)`, else `Err(why: the value)`.
fn expect(value: Option<String>, ok: impl Fn(&str) -> bool, why: &str) -> Outcome {
    let text = value.clone().unwrap_or_default();
    if ok(&text) {
        Ok(text)
    } else {
        Err(match value {
            Some(v) => format!("{why} ({v:?})"),
            None => format!("{why} (no value)"),
        })
    }
}

/// The test `connect`: over the socket first; then over TCP to localhost, where any
/// answer but "cannot connect", networking off or an unexpected error passes.
fn connect(client: &Client, ctx: &Context) -> (String, Outcome) {
    let socket = client.socket();
    let over_socket = client.value(&socket, "select @@skip_networking", ctx);
    match over_socket.as_ref().map(|v| v.as_deref()) {
        Ok(Some("0")) => {
            return (
                socket.to_string(),
                Ok("networking on, asked over the socket".into()),
            )
        }
        Ok(Some("1")) => {
            return (
                socket.to_string(),
                Err("the server runs with skip_networking: no TCP connection possible".into()),
            )
        }
        _ => {}
    }
    let tcp = client.tcp_localhost();
    let socket_failure = over_socket.err().unwrap_or_else(|| "no answer".into());
    ctx.trace(format_args!(
        "connect over {socket} failed ({socket_failure}); trying {tcp}"
    ));
    let outcome = match client.open(&tcp, ctx) {
        Ok(mut session) => {
            let answer = session.query("select @@skip_networking");
            session.quit();
            match first_value(answer) {
                Ok(Some(v)) if v == "0" => Ok(format!("TCP to {tcp}")),
                Ok(Some(v)) if v == "1" => Err("the server runs with skip_networking".into()),
                Ok(other) => Err(format!(
                    "unexpected answer to select @@skip_networking: {other:?}"
                )),
                Err(e) => Err(e),
            }
        }
        Err(OpenError::Refused { error, .. }) if reached(&error) => Ok(format!(
            "TCP to {tcp} reached the server, which refused the login ({error})"
        )),
        Err(OpenError::Refused { error, .. }) => {
            Err(format!("unexpected error from {tcp}: {error}"))
        }
        Err(OpenError::Failed(why)) => Err(format!(
            "cannot connect over {socket} ({socket_failure}) nor to {tcp} ({why})"
        )),
    };
    (tcp.to_string(), outcome)
}

/// The refusals healthcheck.sh takes as proof that a connection was made: password
/// expired (1820), account locked (4151), user resource limit (1226), and the access
/// errors of SQL state 28000 (1045 access denied...).
fn reached(error: &ServerError) -> bool {
    matches!(error.code, 1820 | 4151 | 1226)
        || ((1000..2000).contains(&error.code) && error.sql_state == "28000")
}

/// `mariadbupgrade`: nobody holds the lock of the upgrade info file (mariadb-upgrade runs
/// holding it). A file that is missing or unreadable passes, as in the script.
fn upgrade_unlocked(datadir: &str) -> Outcome {
    use nix::fcntl::{Flock, FlockArg};
    for name in ["mariadb_upgrade_info", "mysql_upgrade_info"] {
        let path = Path::new(datadir).join(name);
        let Ok(file) = std::fs::File::open(&path) else {
            continue;
        };
        // Dropping the lock releases it at once: the check only asks whether it is free.
        return match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(_) => Ok(format!("{} not locked", path.display())),
            Err((_, e)) => Err(format!(
                "{} is locked (mariadb-upgrade running?): {e}",
                path.display()
            )),
        };
    }
    Ok(format!("no upgrade info file in {datadir}"))
}

/// What a `mariadb` client would use: its option files, user and password.
struct Client {
    options: mycnf::ClientOptions,
    user: String,
}

impl Client {
    fn from_state(state: &ShState) -> Result<Client, String> {
        let user_file = home_option_file();
        let options =
            mycnf::read_selected(&state.files, GLOBAL_OPTION_FILES, user_file.as_deref())?;
        let user = options
            .user
            .clone()
            .filter(|u| !u.is_empty())
            .or_else(|| state.unix_user.clone())
            .or_else(os_user_name)
            .ok_or("no user in the option files and no unix user name")?;
        Ok(Client { options, user })
    }

    /// The client's socket: the option files', else `MYSQL_UNIX_PORT`, else the default.
    fn socket(&self) -> Endpoint {
        let path = self
            .options
            .socket
            .clone()
            .filter(|s| !s.is_empty())
            .or_else(|| env_value("MYSQL_UNIX_PORT"))
            .unwrap_or_else(|| DEFAULT_SOCKET.into());
        Endpoint::Unix(path)
    }

    /// `-h localhost --protocol tcp`: the option files' port, else `MYSQL_TCP_PORT`, else 3306.
    fn tcp_localhost(&self) -> Endpoint {
        let port = self
            .options
            .port
            .or_else(|| env_value("MYSQL_TCP_PORT").and_then(|p| p.parse().ok()))
            .unwrap_or(DEFAULT_PORT);
        Endpoint::Tcp {
            host: "localhost".into(),
            port,
        }
    }

    fn open(&self, endpoint: &Endpoint, ctx: &Context) -> Result<Session, OpenError> {
        let password = self.options.password.as_deref().unwrap_or("");
        Session::try_open(endpoint, &self.user, password, ctx).map(|(session, _)| session)
    }

    /// The first value of the first row `sql` returns over `endpoint` (`None` for no row).
    fn value(
        &self,
        endpoint: &Endpoint,
        sql: &str,
        ctx: &Context,
    ) -> Result<Option<String>, String> {
        let mut session = self.open(endpoint, ctx).map_err(|e| e.to_string())?;
        let rows = session.query(sql);
        session.quit();
        first_value(rows)
    }
}

fn first_value(rows: Result<Vec<Vec<Option<String>>>, String>) -> Result<Option<String>, String> {
    Ok(rows?
        .into_iter()
        .next()
        .and_then(|row| row.into_iter().next().flatten()))
}

/// The user's own option file, `$HOME/.my.cnf`.
fn home_option_file() -> Option<PathBuf> {
    env_value("HOME").map(|home| Path::new(&home).join(".my.cnf"))
}

fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Become the unix user `name`, as the script's `exec gosu USER` does: needs root,
/// unless we already are that user.
fn switch_user(name: &str, ctx: &Context) -> Result<(), String> {
    use nix::unistd::{geteuid, setgid, setgroups, setuid, Gid, Uid};
    let text = crate::config::read_required("/etc/passwd")?;
    let accounts = passwd::parse(&text);
    let account = passwd::by_name(&accounts, name)
        .ok_or_else(|| format!("--su: no user {name:?} in /etc/passwd"))?;
    if geteuid().as_raw() == account.uid {
        return Ok(());
    }
    if !geteuid().is_root() {
        return Err(format!(
            "--su {name}: switching users needs root (running as uid {})",
            geteuid()
        ));
    }
    let gid = Gid::from_raw(account.gid);
    setgroups(&[gid])
        .and_then(|()| setgid(gid))
        .and_then(|()| setuid(Uid::from_raw(account.uid)))
        .map_err(|e| format!("--su {name}: {e}"))?;
    ctx.trace(format_args!("now running as {name} (uid {})", account.uid));
    Ok(())
}

/// kolla's `healthcheck_mariadb`: log in as `$MYSQL_USERNAME` (default `haproxy`) with
/// the client's option files and environment; healthy when `wsrep_local_state_comment`
/// is `Synced`.
pub fn kolla_synced(ctx: &Context) -> Checked {
    let state = ShState {
        files: mycnf::Selection::default(),
        datadir: DEFAULT_DATADIR.into(),
        unix_user: None,
    };
    let mut client = match Client::from_state(&state) {
        Ok(c) => c,
        Err(e) => return Checked::new("", Err(e)),
    };
    client.user = env_value("MYSQL_USERNAME").unwrap_or_else(|| KOLLA_DEFAULT_USER.into());
    // Like the client: a host other than localhost (option files, else MYSQL_HOST) means TCP.
    let host = client
        .options
        .host
        .clone()
        .or_else(|| env_value("MYSQL_HOST"));
    let endpoint = match (host, client.tcp_localhost()) {
        (Some(host), Endpoint::Tcp { port, .. }) if !host.is_empty() && host != "localhost" => {
            Endpoint::Tcp { host, port }
        }
        _ => client.socket(),
    };
    let answer = client
        .open(&endpoint, ctx)
        .map_err(|e| e.to_string())
        .and_then(|mut session| {
            let rows = session.query("SHOW STATUS LIKE 'wsrep_local_state_comment'");
            session.quit();
            rows
        });
    let outcome = answer.and_then(|rows| {
        let state = rows
            .into_iter()
            .next()
            .and_then(|row| row.into_iter().nth(1).flatten())
            .unwrap_or_default();
        if state == "Synced" {
            Ok(format!("MariaDB Galera Cluster Node is synced (user {})", client.user))
        } else if state.is_empty() {
            Err("MariaDB Galera Cluster Node is NOT synced: no wsrep_local_state_comment (not a Galera node)".into())
        } else {
            Err(format!("MariaDB Galera Cluster Node is NOT synced: {state}"))
        }
    });
    Checked::new(endpoint.to_string(), outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: u16, state: &str) -> ServerError {
        ServerError {
            code,
            sql_state: state.into(),
            message: String::new(),
        }
    }

    #[test]
    fn refusals_that_prove_a_connection() {
        assert!(reached(&err(1045, "28000")));
        assert!(reached(&err(1820, "HY000")));
        assert!(reached(&err(4151, "HY000")));
        assert!(reached(&err(1226, "42000")));
        assert!(
            !reached(&err(1130, "HY000")),
            "host not allowed is an unknown error"
        );
        assert!(!reached(&err(1040, "08004")), "too many connections");
        assert!(!reached(&err(2045, "28000")));
    }

    #[test]
    fn values_are_judged_like_the_script() {
        assert!(expect(Some("4".into()), |v| v.trim() == "4", "x").is_ok());
        assert_eq!(
            expect(None, |v| v == "4", "wsrep_local_state is not 4").unwrap_err(),
            "wsrep_local_state is not 4 (no value)"
        );
        assert!(ShTest::from_name("galera_online") == Some(ShTest::GaleraOnline));
        assert!(ShTest::from_name("replication").is_none());
    }

    #[test]
    fn no_steps_is_the_scripts_usage_error() {
        let ctx = Context::new(
            crate::deadline::Deadline::after(std::time::Duration::from_secs(1)),
            false,
        );
        assert_eq!(
            healthcheck_sh(&[], &ctx).outcome.unwrap_err(),
            "At least one argument required"
        );
    }

    #[test]
    fn the_upgrade_lock() {
        let dir = std::env::temp_dir().join(format!("ohc-upgrade-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let datadir = dir.to_str().unwrap();
        assert!(upgrade_unlocked(datadir)
            .unwrap()
            .starts_with("no upgrade info"));
        let info = dir.join("mysql_upgrade_info");
        std::fs::write(&info, "10.11.19-MariaDB").unwrap();
        assert!(upgrade_unlocked(datadir).is_ok());
        let holder = std::fs::File::open(&info).unwrap();
        nix::fcntl::Flock::lock(holder, nix::fcntl::FlockArg::LockExclusive)
            .map(|locked| {
                assert!(upgrade_unlocked(datadir).unwrap_err().contains("is locked"));
                drop(locked);
            })
            .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
