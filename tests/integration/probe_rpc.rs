//! `probe rpc` against a real RabbitMQ (Debian's rabbitmq-server, started once per test
//! binary) and real oslo.messaging RPC servers (Debian's python3-oslo.messaging, run
//! by /usr/bin/python3 from tests/rpc/oslo_rpc_server.py, reading their own nova.conf
//! through cfg.CONF). The broker's user has a password that must be percent-encoded in
//! the transport URL; it comes from a definitions file, so no command line carries it.

use crate::util;
use crate::util::probes::assert_secret_absent;
use crate::util::rabbitmq::{start_rabbitmq, RabbitMq};
use crate::util::servers::{scratch_dir, signal, spawn_server, wait_ready};
use crate::util::*;
use nix::sys::signal::Signal;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

/// Its `@` and `:` must be percent-encoded in the URL. (Not a `/`: oslo.messaging 14
/// re-quotes the password for kombu leaving `/` as is, which breaks kombu's URL parser.)
const PASSWORD: &str = "Rpc@pw:1x";
/// The password as the transport URL must write it.
const PASSWORD_IN_URL: &str = "Rpc%40pw%3A1x";
const SERVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/rpc/oslo_rpc_server.py");

/// The shared broker, its TLS listener and the servers every test may ping.
struct Setup {
    broker: RabbitMq,
    tls_port: u16,
    dir: PathBuf,
    /// nova.conf of host h1 (a conductor with baseapi, a dhcp agent without).
    h1: String,
}

impl Setup {
    fn url(&self, password: &str) -> String {
        format!("rabbit://nova:{password}@127.0.0.1:{}/", self.broker.port)
    }

    /// Write `dir/SUB/nova.conf` (the name gives the exchange: nova) with `text`.
    fn conf(&self, sub: &str, text: &str) -> String {
        let path = self.dir.join(sub).join("nova.conf");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        write_private(&path, text);
        path.to_string_lossy().into_owned()
    }

    /// A nova.conf for `host` pointing at the broker.
    fn host_conf(&self, host: &str) -> String {
        let url = self.url(PASSWORD_IN_URL);
        self.conf(
            host,
            &format!("[DEFAULT]\ntransport_url = {url}\nhost = {host}\n"),
        )
    }
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let dir = scratch_dir("rpc");
        let tls_port = free_port();
        util::make_test_pki(&dir);
        std::fs::write(
            dir.join("definitions.json"),
            serde_json::json!({
                "users": [{"name": "nova", "password": PASSWORD, "tags": ""}],
                "vhosts": [{"name": "/"}],
                "permissions": [{"user": "nova", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"}],
            })
            .to_string(),
        )
        .unwrap();
        let conf = format!(
            "load_definitions = {defs}\n\
             listeners.ssl.1 = 127.0.0.1:{tls_port}\n\
             ssl_options.certfile = {certs}/server.pem\n\
             ssl_options.keyfile = {certs}/server.key\n\
             ssl_options.verify = verify_none\n\
             ssl_options.fail_if_no_peer_cert = false\n",
            defs = dir.join("definitions.json").display(),
            certs = dir.display(),
        );
        let broker = start_rabbitmq(&dir, &conf);
        let pw = dir.join("ready.pw");
        write_private(&pw, PASSWORD);
        let addr = broker.addr();
        let pw_arg = pw.to_string_lossy().into_owned();
        wait_ready("rabbitmq-server", Duration::from_secs(120), &broker.log(), || {
            run(&["--timeout", "2", "probe", "amqp", &addr, "--user", "nova", "--password-file", &pw_arg]).healthy()
        });
        let mut setup = Setup {
            broker,
            tls_port,
            dir,
            h1: String::new(),
        };
        setup.h1 = setup.host_conf("h1");
        start_server(&setup, &setup.h1, "conductor", &["--service-name", "oslo-test-conductor"]);
        start_server(&setup, &setup.h1, "dhcp_agent", &["--no-baseapi"]);
        for topic in ["conductor", "dhcp_agent"] {
            let log = setup.dir.join(format!("server-{topic}.log"));
            wait_ready(&format!("oslo.messaging server on {topic}"), Duration::from_secs(90), &log, || {
                rpc("3", &setup.h1, &["--topic", topic]).healthy()
            });
        }
        setup
    })
}

/// Start tests/rpc/oslo_rpc_server.py serving `topic` with the host of `conf`; returns its pid.
fn start_server(setup: &Setup, conf: &str, topic: &str, extra: &[&str]) -> u32 {
    let mut cmd = Command::new("/usr/bin/python3");
    cmd.args([SERVER, "--config-file", conf, "--topic", topic])
        .args(extra);
    let host = Path::new(conf)
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let log = setup.dir.join(format!(
        "server-{topic}{}.log",
        if host == "h1" {
            String::new()
        } else {
            format!("-{host}")
        }
    ));
    spawn_server(cmd, None, &log)
}

/// `probe rpc --config CONF ARGS...` with a `timeout` deadline.
fn rpc(timeout: &str, conf: &str, args: &[&str]) -> Run {
    run(&rpc_args(timeout, conf, args)
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>())
}

fn rpc_args(timeout: &str, conf: &str, args: &[&str]) -> Vec<String> {
    ["--timeout", timeout, "probe", "rpc", "--config", conf]
        .iter()
        .chain(args)
        .map(|s| s.to_string())
        .collect()
}

fn assert_no_secret(args: &[String], r: &Run) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_secret_absent(&args, &r.line(), PASSWORD);
    assert_secret_absent(&args, &r.line(), PASSWORD_IN_URL);
}

#[test]
fn a_nova_style_server_answers_the_ping() {
    let s = setup();
    let args = rpc_args("5", &s.h1, &["--topic", "conductor"]);
    let r = rpc("5", &s.h1, &["--topic", "conductor"]);
    assert_healthy(&r, "conductor.h1 answered the ping in ");
    assert!(r.line().contains("(service oslo-test-conductor)"), "{r:?}");
    assert!(
        r.line().contains("exchange nova, broker 127.0.0.1:"),
        "{r:?}"
    );
    assert!(r.line().contains("RabbitMQ 3."), "{r:?}");
    assert_no_secret(&args, &r);
    // --server names the host instead of the config's `host`.
    let r = rpc("5", &s.h1, &["--topic", "conductor", "--server", "h1"]);
    assert_healthy(&r, "conductor.h1 answered the ping");
}

#[test]
fn a_server_without_baseapi_is_alive_and_the_reason_says_so() {
    let s = setup();
    let r = rpc("5", &s.h1, &["--topic", "dhcp_agent"]);
    assert_healthy(&r, "dhcp_agent.h1 is alive: it answered in ");
    assert!(
        r.line()
            .contains("serves no baseapi 1.1 ping (UnsupportedVersion"),
        "{r:?}"
    );
}

#[test]
fn a_stopped_server_passes_the_port_checks_and_fails_the_ping_until_it_resumes() {
    let s = setup();
    let conf = s.host_conf("h-stop");
    // Named like the service, so the port checks (pgrep -f nova-conductor) find it.
    let pid = start_server(s, &conf, "conductor", &["--service-name", "nova-conductor"]);
    let log = s.dir.join("server-conductor-h-stop.log");
    wait_ready("the server to stop", Duration::from_secs(90), &log, || {
        rpc("3", &conf, &["--topic", "conductor"]).healthy()
    });
    let port = s.broker.port.to_string();
    let ours = || run(&["nova-conductor", &port]);
    let kolla = || {
        let mut cmd = command("bash");
        cmd.arg(original("kolla/healthcheck_port"))
            .args(["nova-conductor", &port]);
        run_cmd(cmd)
    };
    assert_healthy(&ours(), "has an established connection");
    assert!(
        kolla().healthy(),
        "kolla's healthcheck_port before the stop"
    );

    signal(pid, Signal::SIGSTOP);
    let stopped = rpc("3", &conf, &["--topic", "conductor"]);
    let ours_stopped = ours();
    let kolla_stopped = kolla();
    signal(pid, Signal::SIGCONT);

    assert_unhealthy(&stopped, "no reply from conductor.h-stop in ");
    assert!(
        stopped.elapsed < Duration::from_millis(3000 + 700),
        "took {:?}",
        stopped.elapsed
    );
    assert!(
        ours_stopped.healthy(),
        "the port check cannot see a stopped process: {ours_stopped:?}"
    );
    assert!(
        kolla_stopped.healthy(),
        "kolla's healthcheck_port on a stopped process: {kolla_stopped:?}"
    );
    util::wait_for("the ping after SIGCONT", Duration::from_secs(30), || {
        rpc("3", &conf, &["--topic", "conductor"]).healthy()
    });
}

#[test]
fn no_server_ever_listened_for_the_host() {
    let s = setup();
    let r = rpc("5", &s.h1, &["--topic", "conductor", "--server", "nobody"]);
    assert_unhealthy(&r, "no queue conductor.nobody is bound to exchange nova");
    assert!(r.line().contains("NO_ROUTE"), "{r:?}");
    assert!(
        r.elapsed < Duration::from_secs(3),
        "a missing route is known at once: {:?}",
        r.elapsed
    );
}

#[test]
fn an_exchange_that_does_not_exist() {
    let s = setup();
    let r = rpc(
        "5",
        &s.h1,
        &["--topic", "conductor", "--exchange", "no-such-exchange"],
    );
    assert_unhealthy(
        &r,
        "the broker refused the request to conductor.h1 (NOT_FOUND)",
    );
    assert!(r.line().contains("no exchange 'no-such-exchange'"), "{r:?}");
}

#[test]
fn a_wrong_password_is_refused_and_never_printed() {
    let s = setup();
    let wrong = "Wrong-rpc-pw%2F9";
    let conf = s.conf(
        "wrong-pw",
        &format!("[DEFAULT]\ntransport_url = {}\nhost = h1\n", s.url(wrong)),
    );
    let args = rpc_args("5", &conf, &["--topic", "conductor"]);
    let r = rpc("5", &conf, &["--topic", "conductor"]);
    assert_unhealthy(&r, "no broker of the transport_url let us in: 127.0.0.1:");
    assert!(
        r.line()
            .contains("login refused (ACCESS_REFUSED) for user nova"),
        "{r:?}"
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_secret_absent(&args, &r.line(), wrong);
    assert_secret_absent(&args, &r.line(), "Wrong-rpc-pw/9");
}

#[test]
fn bad_transport_urls_are_one_line_reasons_without_the_secret() {
    let s = setup();
    let secret = "Bad-url-pw-7";
    let cases = [
        (
            "bad-port",
            format!("[DEFAULT]\ntransport_url = rabbit://nova:{secret}@127.0.0.1:56x72/\n"),
            "transport_url host 1: port \"56x72\" is not a port number",
        ),
        (
            "amqp1",
            format!("[DEFAULT]\ntransport_url = amqp://nova:{secret}@127.0.0.1:5672/\n"),
            "transport_url uses amqp://: only the rabbit driver",
        ),
        (
            "none",
            "[DEFAULT]\ndebug = true\n".to_string(),
            "no transport_url in [DEFAULT] of ",
        ),
    ];
    for (sub, text, reason) in cases {
        let conf = s.conf(sub, &text);
        let args = rpc_args("5", &conf, &["--topic", "conductor"]);
        let r = rpc("5", &conf, &["--topic", "conductor"]);
        assert_unhealthy(&r, reason);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_secret_absent(&args, &r.line(), secret);
    }
    let missing = s.dir.join("absent/nova.conf");
    assert_unhealthy(
        &rpc("5", missing.to_str().unwrap(), &["--topic", "conductor"]),
        "does not exist",
    );
}

#[test]
fn no_broker_answers() {
    let s = setup();
    let url = format!("rabbit://nova:{PASSWORD_IN_URL}@127.0.0.1:{}/", free_port());
    let conf = s.conf(
        "no-broker",
        &format!("[DEFAULT]\ntransport_url = {url}\nhost = h1\n"),
    );
    let args = rpc_args("5", &conf, &["--topic", "conductor"]);
    let r = rpc("5", &conf, &["--topic", "conductor"]);
    assert_unhealthy(&r, "no broker of the transport_url let us in: 127.0.0.1:");
    assert!(r.line().contains("connection refused"), "{r:?}");
    assert_no_secret(&args, &r);
}

#[test]
fn every_host_of_the_url_is_tried_in_turn() {
    let s = setup();
    let dead = free_port();
    let url = format!(
        "rabbit://nova:{PASSWORD_IN_URL}@127.0.0.1:{dead},nova:{PASSWORD_IN_URL}@127.0.0.1:{}/",
        s.broker.port
    );
    let conf = s.conf(
        "two-hosts",
        &format!("[DEFAULT]\ntransport_url = {url}\nhost = h1\n"),
    );
    let r = rpc("5", &conf, &["--topic", "conductor"]);
    assert_healthy(&r, "conductor.h1 answered the ping");
    assert!(
        r.line()
            .contains(&format!("broker 127.0.0.1:{} ", s.broker.port)),
        "{r:?}"
    );
}

#[test]
fn tls_from_oslo_messaging_rabbit() {
    let s = setup();
    let url = format!("rabbit://nova:{PASSWORD_IN_URL}@127.0.0.1:{}/", s.tls_port);
    let with_ca = |sub: &str, ca: &str| {
        let ca = s.dir.join(ca);
        s.conf(
            sub,
            &format!(
                "[DEFAULT]\ntransport_url = {url}\nhost = h1\n\
                 [oslo_messaging_rabbit]\nssl = true\nssl_ca_file = {}\n",
                ca.display()
            ),
        )
    };
    let r = rpc("5", &with_ca("tls-ok", "ca.pem"), &["--topic", "conductor"]);
    assert_healthy(&r, "conductor.h1 answered the ping");
    let r = rpc(
        "5",
        &with_ca("tls-other", "other-ca.pem"),
        &["--topic", "conductor"],
    );
    assert_unhealthy(
        &r,
        "TLS handshake failed: server certificate not signed by the given CA",
    );
}

#[test]
fn nothing_is_left_behind_on_the_broker() {
    let s = setup();
    for args in [
        &["--topic", "conductor"][..],
        &["--topic", "dhcp_agent"],
        &["--topic", "conductor", "--server", "nobody"],
        &["--topic", "conductor", "--exchange", "no-such-exchange"],
    ] {
        rpc("5", &s.h1, args);
    }
    let list = || {
        s.broker
            .rabbitmqctl(&["list_queues", "--quiet", "--no-table-headers", "name"])
    };
    let queues = list();
    assert!(
        queues.contains("conductor.h1"),
        "the servers' queues are listed: {queues}"
    );
    // Other tests' probes may be waiting for a reply right now: theirs go when they end
    // (within their 5 s deadline); one left behind stays.
    let ours = |queues: &str| -> Vec<String> {
        queues
            .lines()
            .filter(|q| q.starts_with("reply_") || q.starts_with("amq.gen"))
            .map(str::to_string)
            .collect()
    };
    let mut left = ours(&queues);
    for _ in 0..20 {
        if left.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_secs(1));
        left = ours(&list());
    }
    assert!(left.is_empty(), "reply queues left behind: {left:?}");
    // Every connection of ours was closed with the handshake: the broker logged no drop.
    let mut log = String::new();
    for entry in std::fs::read_dir(s.broker.dir.join("log"))
        .unwrap()
        .flatten()
    {
        log.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
    }
    assert!(
        log.contains("health check"),
        "the broker logs our connections by name"
    );
    assert!(
        !log.contains("unexpectedly closed"),
        "the broker logged an unclean close:\n{}",
        log.lines()
            .filter(|l| l.contains("unexpectedly"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_service_check_adds_the_ping_when_asked() {
    let s = setup();
    // A neutron DHCP agent in a tree of its own: neutron.conf (its dhcp_agent.ini absent).
    let root = s.dir.join("root-deep");
    let conf = root.join("etc/neutron/neutron.conf");
    std::fs::create_dir_all(conf.parent().unwrap()).unwrap();
    let url = s.url(PASSWORD_IN_URL);
    write_private(
        &conf,
        &format!("[DEFAULT]\ntransport_url = {url}\nhost = h-deep\ncontrol_exchange = neutron\n"),
    );
    let conf = conf.to_string_lossy().into_owned();
    start_server(
        s,
        &conf,
        "dhcp_agent",
        &["--no-baseapi", "--service-name", "neutron-dhcp-agent"],
    );
    let port = s.broker.port.to_string();
    let check = |deep: Option<&str>, flag: &[&str]| {
        let mut cmd = command(util::bin());
        cmd.args(["--timeout", "5"])
            .args(flag)
            .args(["neutron-dhcp", &port]);
        cmd.env("HEALTHCHECK_ROOT", &root)
            .env_remove("HEALTHCHECK_DEEP");
        if let Some(mode) = deep {
            cmd.env("HEALTHCHECK_DEEP", mode);
        }
        run_cmd(cmd)
    };
    let log = s.dir.join("server-dhcp_agent-neutron.log");
    wait_ready("the agent's server", Duration::from_secs(90), &log, || {
        check(Some("rpc"), &[]).healthy()
    });
    let r = check(Some("rpc"), &[]);
    assert_healthy(&r, "rpc: dhcp_agent.h-deep is alive");
    assert!(r.line().contains("exchange neutron"), "{r:?}");
    assert_healthy(
        &check(None, &["--deep", "rpc"]),
        "rpc: dhcp_agent.h-deep is alive",
    );
    // Off by default: tripleo-common's port check alone.
    let plain = check(None, &[]);
    assert!(
        plain.healthy() && !plain.line().contains("rpc:"),
        "{plain:?}"
    );
    // The heartbeat needs [database] connection: it cannot tell, and leads the line.
    let all = check(Some("all"), &[]);
    assert_unhealthy(&all, "heartbeat: cannot tell: no [database] connection");
    assert!(
        all.line().contains("rpc: dhcp_agent.h-deep is alive"),
        "{all:?}"
    );
    assert_unhealthy(
        &check(Some("deeper"), &[]),
        "HEALTHCHECK_DEEP: deep check \"deeper\" unknown",
    );
}
