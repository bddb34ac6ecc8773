//! `probe amqp` against a real RabbitMQ from Debian's packages, started once per test
//! binary as the `rabbitmq` user, on loopback and free ports, with its own epmd and
//! temporary directories. The test user comes from a definitions file, so its
//! password is on no command line. The broker also listens for AMQP over TLS with a
//! certificate from a test CA made by openssl.

use crate::util;
use crate::util::fake::{fake_peer, Fake};
use crate::util::probes::assert_secret_absent;
use crate::util::rabbitmq::{start_rabbitmq, RabbitMq};
use crate::util::servers::{scratch_dir, signal, wait_ready};
use crate::util::*;
use nix::sys::signal::Signal;
use std::sync::{OnceLock, RwLock};
use std::time::Duration;

const PASSWORD: &str = "Rmq-pw-4tHv8";

/// The shared broker and its TLS listener.
struct Broker {
    server: RabbitMq,
    tls_port: u16,
}

impl Broker {
    fn addr(&self) -> String {
        self.server.addr()
    }

    fn tls_addr(&self) -> String {
        format!("127.0.0.1:{}", self.tls_port)
    }

    /// A file of the test PKI (see `util::make_test_pki`).
    fn pki(&self, name: &str) -> String {
        self.server.dir.join(name).to_string_lossy().into_owned()
    }

    fn secret_file(&self, name: &str, secret: &str) -> String {
        secret_file(&self.server.dir, name, secret)
    }
}

/// Tests share the broker (it takes seconds to boot); the one that stops it takes
/// the write side so no other test sees it frozen.
static FROZEN: RwLock<()> = RwLock::new(());

fn broker() -> &'static Broker {
    static BROKER: OnceLock<Broker> = OnceLock::new();
    BROKER.get_or_init(start)
}

fn start() -> Broker {
    let dir = scratch_dir("rabbitmq");
    let tls_port = free_port();
    util::make_test_pki(&dir);
    std::fs::write(
        dir.join("definitions.json"),
        format!(
            r#"{{"users": [{{"name": "monitor", "password": "{PASSWORD}", "tags": ""}}],
                "vhosts": [{{"name": "/"}}],
                "permissions": [{{"user": "monitor", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"}}]}}"#
        ),
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
    let broker = Broker {
        server: start_rabbitmq(&dir, &conf),
        tls_port,
    };
    let pw = broker.secret_file("ready.pw", PASSWORD);
    wait_ready(
        "rabbitmq-server",
        Duration::from_secs(90),
        &broker.server.log(),
        || {
            let login = ["--user", "monitor", "--password-file", &pw];
            run(&[&amqp_args("2", &broker.addr())[..], &login].concat()).healthy()
                && run(&[&amqp_args("2", &broker.tls_addr())[..], &["--tls"]].concat()).healthy()
        },
    );
    broker
}

/// `probe amqp ADDR ARGS...` with a 5 s deadline, while the broker is not frozen.
fn probe(args: &[&str]) -> Run {
    let _shared = FROZEN.read().unwrap_or_else(|e| e.into_inner());
    run(&[&amqp_args("5", &broker().addr())[..], args].concat())
}

fn amqp_args<'a>(timeout: &'a str, addr: &'a str) -> [&'a str; 5] {
    ["--timeout", timeout, "probe", "amqp", addr]
}

/// Log in as monitor with `password` (from a file); returns the run and its arguments.
fn login(name: &str, password: &str) -> (Run, Vec<String>) {
    let pw = broker().secret_file(name, password);
    let extra = ["--user", "monitor", "--password-file", &pw];
    let args: Vec<String> = amqp_args("5", &broker().addr())
        .iter()
        .chain(&extra)
        .map(|s| s.to_string())
        .collect();
    (probe(&extra), args)
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn connection_start_without_credentials() {
    let r = probe(&[]);
    assert_healthy(&r, "Connection.Start received");
    assert!(r.line().contains("RabbitMQ 3."), "{r:?}");
}

#[test]
fn full_login_and_vhost_open() {
    let (r, args) = login("good.pw", PASSWORD);
    assert_healthy(&r, "logged in as monitor, vhost / open");
    assert_secret_absent(&strs(&args), &r.line(), PASSWORD);
}

#[test]
fn wrong_password_is_refused_and_never_printed() {
    let wrong = "Wrong-rmq-pw-3Kd";
    let (r, args) = login("wrong.pw", wrong);
    assert_unhealthy(&r, "login refused (ACCESS_REFUSED) for user monitor");
    assert_secret_absent(&strs(&args), &r.line(), wrong);
}

#[test]
fn missing_secret_is_a_clear_error() {
    assert_unhealthy(
        &probe(&["--user", "monitor"]),
        "--user needs --password-file",
    );
    let absent = broker().server.dir.join("absent.pw");
    let r = probe(&[
        "--user",
        "monitor",
        "--password-file",
        absent.to_str().unwrap(),
    ]);
    assert_unhealthy(&r, "cannot read secret file");
    assert!(r.line().contains("not found"), "{r:?}");
}

#[test]
fn unknown_vhost_is_refused() {
    let pw = broker().secret_file("vhost.pw", PASSWORD);
    let r = probe(&[
        "--user",
        "monitor",
        "--password-file",
        &pw,
        "--vhost",
        "no-such-vhost",
    ]);
    assert_unhealthy(&r, "vhost no-such-vhost refused (NOT_ALLOWED)");
}

/// `probe amqp` against the broker's TLS listener with `--tls` and `args`.
fn probe_tls(args: &[&str]) -> Run {
    let _shared = FROZEN.read().unwrap_or_else(|e| e.into_inner());
    run(&[&amqp_args("5", &broker().tls_addr())[..], &["--tls"], args].concat())
}

#[test]
fn login_over_tls_without_verification() {
    let pw = broker().secret_file("tls.pw", PASSWORD);
    let r = probe_tls(&["--user", "monitor", "--password-file", &pw]);
    assert_healthy(&r, "logged in as monitor, vhost / open");
    assert!(r.line().contains("RabbitMQ 3."), "{r:?}");
}

#[test]
fn login_over_tls_verified_against_the_ca() {
    let pw = broker().secret_file("tls-ca.pw", PASSWORD);
    let ca = broker().pki("ca.pem");
    let r = probe_tls(&["--cacert", &ca, "--user", "monitor", "--password-file", &pw]);
    assert_healthy(&r, "logged in as monitor, vhost / open");
}

#[test]
fn tls_with_the_wrong_ca_is_refused() {
    let other = broker().pki("other-ca.pem");
    let r = probe_tls(&["--cacert", &other]);
    assert_unhealthy(
        &r,
        "TLS handshake failed: server certificate not signed by the given CA",
    );
}

#[test]
fn tls_to_the_plain_port_fails_clearly() {
    let r = probe(&["--tls"]);
    assert_unhealthy(
        &r,
        "TLS handshake failed: the server does not speak TLS on this port",
    );
    assert!(!r.line().contains("Connection.Start"), "{r:?}");
}

#[test]
fn plain_amqp_to_the_tls_port_is_not_healthy() {
    let _shared = FROZEN.read().unwrap_or_else(|e| e.into_inner());
    let r = run(&amqp_args("5", &broker().tls_addr()));
    assert_unhealthy(
        &r,
        "the peer answered with TLS: this is an amqps port, probe it with --tls",
    );
}

#[test]
fn certificate_files_need_tls() {
    let ca = broker().pki("ca.pem");
    assert_unhealthy(&probe(&["--cacert", &ca]), "--cacert needs --tls");
}

#[test]
fn stopped_broker_times_out_within_the_deadline() {
    let b = broker();
    let pw = b.secret_file("stop.pw", PASSWORD);
    let addr = b.addr();
    let _alone = FROZEN.write().unwrap_or_else(|e| e.into_inner());
    let beam = b.server.beam_pid();
    signal(beam, Signal::SIGSTOP);
    let plain = run(&amqp_args("1.5", &addr));
    let login = run(&[
        &amqp_args("1.5", &addr)[..],
        &["--user", "monitor", "--password-file", &pw],
    ]
    .concat());
    signal(beam, Signal::SIGCONT);
    for r in [plain, login] {
        assert_unhealthy(&r, "timed out");
        assert!(
            r.elapsed < Duration::from_millis(1500 + 1500),
            "took {:?}",
            r.elapsed
        );
    }
}

#[test]
fn gone_broker_is_connection_refused() {
    let r = run(&amqp_args("5", &format!("127.0.0.1:{}", free_port())));
    assert_unhealthy(&r, "connection refused");
}

#[test]
fn garbage_and_silent_peers() {
    let against = |reply: &'static [u8], timeout: &str| {
        run(&amqp_args(
            timeout,
            &format!("127.0.0.1:{}", fake_peer(Fake::Greets(reply))),
        ))
    };
    assert_unhealthy(
        &against(b"HTTP/1.1 400 Bad Request\r\n\r\n", "3"),
        "not an AMQP frame",
    );
    let r = against(b"AMQP\x00\x01\x00\x00", "3");
    assert_unhealthy(&r, "refused AMQP 0-9-1 and offered protocol 0-1-0-0");
    assert_unhealthy(
        &against(b"\x01\x00\x00\x7f\xff\xff\xff", "3"),
        "not a reply to a login",
    );
    let r = against(b"", "1");
    assert_unhealthy(&r, "timed out after 1.0s waiting for Connection.Start");
}
