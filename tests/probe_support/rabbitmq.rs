//! A real RabbitMQ (Debian's rabbitmq-server) for the tests: run as `rabbitmq` on
//! loopback and free ports, with its own epmd, node name and directories, so that it
//! never meets the host's broker or another test's.

use super::{chown, spawn_server};
use crate::common::free_port;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A started broker: its directory, AMQP port and the pid of its process group leader.
pub struct RabbitMq {
    pub dir: PathBuf,
    pub port: u16,
    pub pid: u32,
    /// The Erlang node name, and the epmd port it registered with (for rabbitmqctl).
    pub node: String,
    pub epmd_port: u16,
}

impl RabbitMq {
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The broker's log (for `wait_ready`'s tail).
    pub fn log(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// The Erlang VM's pid, which RabbitMQ writes to its pid file.
    pub fn beam_pid(&self) -> u32 {
        let text = std::fs::read_to_string(self.dir.join("rabbitmq.pid")).unwrap();
        text.trim().parse().unwrap()
    }

    /// Run rabbitmqctl against this broker (as `rabbitmq`, sharing its Erlang cookie)
    /// and return its standard output; panics when it fails.
    pub fn rabbitmqctl(&self, args: &[&str]) -> String {
        use std::os::unix::process::CommandExt;
        let (uid, gid) = super::passwd_ids("rabbitmq");
        let out = Command::new("/usr/lib/rabbitmq/bin/rabbitmqctl")
            .env("HOME", self.dir.join("home"))
            .env("ERL_EPMD_PORT", self.epmd_port.to_string())
            .args(["-n", &self.node])
            .args(args)
            .uid(uid)
            .gid(gid)
            .output()
            .expect("rabbitmqctl (install rabbitmq-server: bash tests/setup/install.sh)");
        assert!(
            out.status.success(),
            "rabbitmqctl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Stop the broker now (the script and the Erlang VM it started).
    pub fn kill(&self) {
        let group = nix::unistd::Pid::from_raw(self.pid as i32);
        let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
    }
}

/// Start a broker in `dir` with `conf` as its rabbitmq.conf (no plugins), listening
/// for AMQP on a free loopback port. Returns without waiting: the caller waits with
/// the check it cares about. The broker is stopped when the test binary exits.
pub fn start_rabbitmq(dir: &Path, conf: &str) -> RabbitMq {
    let (port, dist_port, epmd_port) = (free_port(), free_port(), free_port());
    std::fs::write(dir.join("rabbitmq.conf"), conf).unwrap();
    std::fs::write(dir.join("enabled_plugins"), "[].\n").unwrap();
    for sub in ["home", "mnesia", "log"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    chown(dir, "rabbitmq");
    let mut epmd = Command::new("epmd");
    epmd.args(["-port", &epmd_port.to_string(), "-address", "127.0.0.1"]);
    spawn_server(epmd, Some("rabbitmq"), &dir.join("epmd.log"));
    let node = format!("ohc-{}-{port}@localhost", std::process::id());
    let mut server = Command::new("/usr/lib/rabbitmq/bin/rabbitmq-server");
    let path = |sub: &str| dir.join(sub).to_string_lossy().into_owned();
    server
        .env("HOME", path("home"))
        .env("ERL_EPMD_PORT", epmd_port.to_string())
        .env("RABBITMQ_NODENAME", &node)
        .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
        .env("RABBITMQ_NODE_PORT", port.to_string())
        .env("RABBITMQ_DIST_PORT", dist_port.to_string())
        .env(
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
            "-kernel inet_dist_use_interface {127,0,0,1}",
        )
        .env("RABBITMQ_MNESIA_BASE", path("mnesia"))
        .env("RABBITMQ_LOG_BASE", path("log"))
        .env("RABBITMQ_PID_FILE", path("rabbitmq.pid"))
        .env("RABBITMQ_CONFIG_FILE", path("rabbitmq.conf"))
        .env("RABBITMQ_FEATURE_FLAGS_FILE", path("feature_flags"))
        .env("RABBITMQ_ENABLED_PLUGINS_FILE", path("enabled_plugins"));
    let log = dir.join("server.log");
    let pid = spawn_server(server, Some("rabbitmq"), &log);
    RabbitMq {
        dir: dir.to_path_buf(),
        port,
        pid,
        node,
        epmd_port,
    }
}
