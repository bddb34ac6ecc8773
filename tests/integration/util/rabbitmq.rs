//! A real RabbitMQ (Debian's rabbitmq-server) for the tests: run as `rabbitmq` on
//! loopback and free ports, with its own epmd, node name and directories, so that it
//! never meets the host's broker or another test's.

use super::free_port;
use super::servers::{chown, spawn_server};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A started broker: its directory, AMQP port, the pid of its process group leader,
/// and the environment it was started with (which its CLI tools need too: node name,
/// epmd port, HOME with the Erlang cookie, its files).
pub struct RabbitMq {
    pub dir: PathBuf,
    pub port: u16,
    pub pid: u32,
    pub env: Vec<(String, String)>,
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

    /// Run rabbitmqctl against this broker (as `rabbitmq`, with the broker's environment,
    /// so the same node name and Erlang cookie) and return its standard output; panics
    /// when it fails.
    pub fn rabbitmqctl(&self, args: &[&str]) -> String {
        use std::os::unix::process::CommandExt;
        let (uid, gid) = super::servers::passwd_ids("rabbitmq");
        let node = self
            .env
            .iter()
            .find(|(k, _)| k == "RABBITMQ_NODENAME")
            .map(|(_, v)| v.clone())
            .expect("the broker's node name");
        let out = Command::new("/usr/lib/rabbitmq/bin/rabbitmqctl")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .args(["-n", &node])
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
    start_rabbitmq_with_plugins(dir, conf, "[].\n")
}

/// [`start_rabbitmq`] with `plugins` as its enabled_plugins file (`[rabbitmq_management].`).
pub fn start_rabbitmq_with_plugins(dir: &Path, conf: &str, plugins: &str) -> RabbitMq {
    let (port, dist_port, epmd_port) = (free_port(), free_port(), free_port());
    std::fs::write(dir.join("rabbitmq.conf"), conf).unwrap();
    std::fs::write(dir.join("enabled_plugins"), plugins).unwrap();
    for sub in ["home", "mnesia", "log"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    chown(dir, "rabbitmq");
    let mut epmd = Command::new("epmd");
    epmd.args(["-port", &epmd_port.to_string(), "-address", "127.0.0.1"]);
    spawn_server(epmd, Some("rabbitmq"), &dir.join("epmd.log"));
    let mut server = Command::new("/usr/lib/rabbitmq/bin/rabbitmq-server");
    let path = |sub: &str| dir.join(sub).to_string_lossy().into_owned();
    let env: Vec<(String, String)> = [
        ("HOME", path("home")),
        ("ERL_EPMD_PORT", epmd_port.to_string()),
        (
            "RABBITMQ_NODENAME",
            format!("ohc-{}-{port}@localhost", std::process::id()),
        ),
        ("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1".into()),
        ("RABBITMQ_NODE_PORT", port.to_string()),
        ("RABBITMQ_DIST_PORT", dist_port.to_string()),
        (
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
            "-kernel inet_dist_use_interface {127,0,0,1}".into(),
        ),
        ("RABBITMQ_MNESIA_BASE", path("mnesia")),
        ("RABBITMQ_LOG_BASE", path("log")),
        ("RABBITMQ_PID_FILE", path("rabbitmq.pid")),
        ("RABBITMQ_CONFIG_FILE", path("rabbitmq.conf")),
        ("RABBITMQ_FEATURE_FLAGS_FILE", path("feature_flags")),
        ("RABBITMQ_ENABLED_PLUGINS_FILE", path("enabled_plugins")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    server.envs(env.iter().map(|(k, v)| (k, v)));
    let log = dir.join("server.log");
    let pid = spawn_server(server, Some("rabbitmq"), &log);
    RabbitMq {
        dir: dir.to_path_buf(),
        port,
        pid,
        env,
    }
}
