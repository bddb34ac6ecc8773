//! A real MariaDB (Debian's mariadbd) for the tests: a fresh data directory, users
//! created through an init file (so no password is on a command line), the server
//! running as `mysql` on a unix socket of the test's choosing and a free loopback port.

use super::free_port;
use super::servers::{chown, spawn_server};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A started MariaDB: its directory (data, log, option files), socket, TCP port and pid.
pub struct MariaDb {
    pub dir: PathBuf,
    pub socket: String,
    pub port: u16,
    pub pid: u32,
}

impl MariaDb {
    pub fn tcp(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// An option file (mode 0600) in the server's directory.
    pub fn defaults(&self, name: &str, text: &str) -> String {
        let path = self.dir.join(name);
        super::write_private(&path, text);
        path.to_string_lossy().into_owned()
    }

    /// The server's log (for `wait_ready`'s tail).
    pub fn log(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// Run SQL as the server's root through its socket (unix_socket authentication, the
    /// tests run as root: no password anywhere); panics when it fails.
    pub fn sql(&self, statement: &str) {
        let out = Command::new("mariadb")
            .args([
                "--no-defaults",
                "-u",
                "root",
                "-S",
                &self.socket,
                "-e",
                statement,
            ])
            .output()
            .expect("mariadb client (install mariadb-client: bash tests/setup/install.sh)");
        assert!(
            out.status.success(),
            "{statement}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Initialise a data directory under `dir`, run `init_sql` when the server starts,
/// and start mariadbd with `extra` options, listening on `socket` (its directory is
/// created and given to `mysql`). The server is stopped when the test binary exits.
/// Returns without waiting: the caller waits with the check it cares about.
pub fn start_mariadb(dir: &Path, socket: &Path, init_sql: &str, extra: &[String]) -> MariaDb {
    start_mariadb_with_env(dir, socket, init_sql, extra, &[])
}

/// [`start_mariadb`] with `env` added to the server's environment (a PATH for its
/// state-transfer scripts, say).
pub fn start_mariadb_with_env(
    dir: &Path,
    socket: &Path,
    init_sql: &str,
    extra: &[String],
    env: &[(&str, &str)],
) -> MariaDb {
    let data = dir.join("data");
    // The bootstrap's temporary tables go to $TMPDIR: a private one per server, so
    // concurrent bootstraps (these tests, other test binaries) cannot collide.
    let tmp = dir.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    chown(&tmp, "mysql");
    let install = Command::new("mariadb-install-db")
        .env("TMPDIR", &tmp)
        .args([
            "--no-defaults",
            "--user=mysql",
            "--auth-root-authentication-method=socket",
            "--skip-test-db",
        ])
        .arg(format!("--datadir={}", data.display()))
        .output()
        .expect("mariadb-install-db (install mariadb-server: bash tests/setup/install.sh)");
    assert!(
        install.status.success(),
        "mariadb-install-db failed: {}",
        String::from_utf8_lossy(&install.stderr)
    );
    let init = dir.join("init.sql");
    std::fs::write(&init, init_sql).unwrap();
    chown(dir, "mysql");
    let socket_dir = socket.parent().expect("socket path has a directory");
    std::fs::create_dir_all(socket_dir).unwrap();
    chown(socket_dir, "mysql");
    let port = free_port();
    let server = MariaDb {
        dir: dir.to_path_buf(),
        socket: socket.to_string_lossy().into_owned(),
        port,
        pid: 0,
    };
    let mut cmd = Command::new("mariadbd");
    cmd.arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg(format!("--socket={}", server.socket))
        .arg(format!("--tmpdir={}", tmp.display()))
        .arg(format!("--port={port}"))
        .arg("--bind-address=127.0.0.1")
        .arg(format!("--pid-file={}", dir.join("pid").display()))
        .arg(format!("--init-file={}", init.display()))
        .args([
            "--skip-name-resolve",
            "--innodb-buffer-pool-size=16M",
            "--skip-log-bin",
        ])
        .args(extra)
        .envs(env.iter().copied());
    let pid = spawn_server(cmd, Some("mysql"), &server.log());
    MariaDb { pid, ..server }
}
