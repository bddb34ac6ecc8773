//! kolla's `healthcheck_rabbitmq` (six `rabbitmq-diagnostics`) side by side with our
//! drop-in of that name, on one real RabbitMQ from Debian's packages with its management
//! plugin, started as `rabbitmq` on loopback and free ports. The broker goes through the
//! states the script tells apart: healthy, a memory alarm raised and cleared, the
//! application stopped and started again. Both verdicts must agree in each; the time
//! each takes is printed (the numbers that count are `make bench`'s).

use crate::util;
use crate::util::rabbitmq::{start_rabbitmq_with_plugins, RabbitMq};
use crate::util::servers::{scratch_dir, wait_ready};
use crate::util::*;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

const PASSWORD: &str = "Kolla-rmq-pw-8sQ2";

struct Broker {
    server: RabbitMq,
    management_port: u16,
    /// A directory holding our binary under the name `healthcheck_rabbitmq`.
    links: PathBuf,
}

fn start() -> Broker {
    let dir = scratch_dir("kolla-rabbitmq");
    let management_port = free_port();
    let definitions = dir.join("definitions.json");
    std::fs::write(
        &definitions,
        format!(
            r#"{{"users": [{{"name": "openstack", "password": "{PASSWORD}", "tags": "administrator"}}],
                "vhosts": [{{"name": "/"}}],
                "permissions": [{{"user": "openstack", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"}}]}}"#
        ),
    )
    .unwrap();
    // kolla-ansible's layout: management listener and definitions in rabbitmq.conf.
    let conf = format!(
        "management.listener.ip = 127.0.0.1\n\
         management.listener.port = {management_port}\n\
         management.load_definitions = {}\n",
        definitions.display()
    );
    let server = start_rabbitmq_with_plugins(&dir, &conf, "[rabbitmq_management].\n");
    let links = dir.join("bin");
    link_to_bin(&links, "healthcheck_rabbitmq");
    // kolla's image has RabbitMQ's own CLI in PATH; Debian's /usr/sbin wrapper would
    // reset HOME (where this broker's Erlang cookie is) to the rabbitmq user's.
    let diagnostics = links.join("rabbitmq-diagnostics");
    std::fs::write(
        &diagnostics,
        "#!/bin/sh\nexec /usr/lib/rabbitmq/bin/rabbitmq-diagnostics \"$@\"\n",
    )
    .unwrap();
    std::fs::set_permissions(
        &diagnostics,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let broker = Broker {
        server,
        management_port,
        links,
    };
    wait_ready(
        "rabbitmq-server with management",
        Duration::from_secs(120),
        &broker.server.log(),
        || ours(&broker).healthy(),
    );
    broker
}

/// The broker's environment for a command (its CLI tools find the node with it).
fn with_broker_env(cmd: &mut Command, broker: &Broker) {
    for (k, v) in &broker.server.env {
        cmd.env(k, v);
    }
}

/// Our drop-in, called by kolla's name, with the broker's environment.
fn ours(broker: &Broker) -> Run {
    let mut cmd = command(broker.links.join("healthcheck_rabbitmq"));
    with_broker_env(&mut cmd, broker);
    run_cmd(cmd)
}

/// A command as the `rabbitmq` user with the broker's environment (the Erlang cookie
/// in its HOME is the rabbitmq user's).
fn as_rabbitmq(broker: &Broker, program: &str, args: &[&str]) -> Command {
    let mut cmd = command("setpriv");
    cmd.args([
        "--reuid",
        "rabbitmq",
        "--regid",
        "rabbitmq",
        "--clear-groups",
        program,
    ])
    .args(args);
    with_broker_env(&mut cmd, broker);
    cmd
}

/// kolla's script: exit code and its output.
fn kollas(broker: &Broker) -> (bool, String, Duration) {
    let script = original("kolla/healthcheck_rabbitmq");
    let start = std::time::Instant::now();
    let path = format!(
        "{}:{}",
        broker.links.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = as_rabbitmq(broker, "bash", &[&script])
        .env("PATH", path)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text, start.elapsed())
}

/// Both verdicts agree with `healthy`; ours says `needle`. Prints the time of each.
fn side_by_side(broker: &Broker, state: &str, healthy: bool, needle: &str) {
    let (kolla_ok, kolla_out, kolla_time) = kollas(broker);
    let r = ours(broker);
    eprintln!(
        "{state}: kolla's script {:.2}s ({}), ours {:.3}s: {}",
        kolla_time.as_secs_f64(),
        if kolla_ok { "healthy" } else { "unhealthy" },
        r.elapsed.as_secs_f64(),
        r.line()
    );
    assert_eq!(
        kolla_ok, healthy,
        "{state}: kolla's script said:\n{kolla_out}"
    );
    if healthy {
        assert_healthy(&r, needle);
    } else {
        assert_unhealthy(&r, needle);
    }
}

/// One broker through its states, in order (the states are the broker's, so one test).
#[test]
fn kollas_script_and_the_drop_in_agree() {
    let broker = start();
    side_by_side(
        &broker,
        "healthy",
        true,
        "logged in as openstack, vhost / open; management: check_local_alarms, check_virtual_hosts ok",
    );
    let r = ours(&broker);
    assert!(!r.line().contains(PASSWORD), "{r:?}");

    broker
        .server
        .rabbitmqctl(&["set_vm_memory_high_watermark", "0.0000001"]);
    // The alarm is raised by the memory monitor's next pass (about a second).
    util::wait_for("the memory alarm", Duration::from_secs(30), || {
        !ours(&broker).healthy()
    });
    side_by_side(
        &broker,
        "memory alarm",
        false,
        "check_local_alarms failed (HTTP 503)",
    );

    broker
        .server
        .rabbitmqctl(&["set_vm_memory_high_watermark", "0.4"]);
    util::wait_for("the alarm cleared", Duration::from_secs(30), || {
        ours(&broker).healthy()
    });
    side_by_side(&broker, "alarm cleared", true, "check_local_alarms");

    broker.server.rabbitmqctl(&["stop_app"]);
    side_by_side(
        &broker,
        "application stopped",
        false,
        "connection refused (broker or its application stopped?)",
    );

    broker.server.rabbitmqctl(&["start_app"]);
    util::wait_for("the application back", Duration::from_secs(60), || {
        ours(&broker).healthy()
    });
    side_by_side(&broker, "application started again", true, "vhost / open");
}

/// Without the management plugin and without credentials, what cannot be asked is said.
#[test]
fn what_is_left_unchecked_is_said() {
    let dir = scratch_dir("kolla-rabbitmq-bare");
    let server = start_rabbitmq_with_plugins(&dir, "", "[].\n");
    let links = dir.join("bin");
    link_to_bin(&links, "healthcheck_rabbitmq");
    let broker = Broker {
        server,
        management_port: 0,
        links,
    };
    wait_ready(
        "rabbitmq-server",
        Duration::from_secs(120),
        &broker.server.log(),
        || ours(&broker).healthy(),
    );
    let r = ours(&broker);
    assert_healthy(&r, "speaks AMQP on 127.0.0.1:");
    assert!(
        r.line().contains("no credentials: login not tried")
            && r.line()
                .contains("local alarms not checked: the management plugin is not enabled"),
        "{r:?}"
    );
    assert_eq!(broker.management_port, 0);
}
