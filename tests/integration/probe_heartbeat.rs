//! `probe heartbeat` against a real MariaDB (Debian's mariadbd, started once per test
//! binary) holding nova's `services` and neutron's `agents` tables (their real column
//! names and types, trimmed to what a row needs). Each test sets the heartbeats of its
//! own rows, relative to the database's clock, just before it checks them.

use crate::util::mariadb::{start_mariadb, MariaDb};
use crate::util::probes::assert_secret_absent;
use crate::util::servers::{scratch_dir, wait_ready};
use crate::util::*;
use std::sync::OnceLock;
use std::time::Duration;

const PASSWORD: &str = "Hb/pw@2:y";
const PASSWORD_IN_URL: &str = "Hb%2Fpw%402%3Ay";

const SCHEMA: &str = "
CREATE DATABASE nova;
CREATE TABLE nova.services (
  created_at DATETIME NULL, updated_at DATETIME NULL, deleted_at DATETIME NULL,
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, host VARCHAR(255) NULL,
  `binary` VARCHAR(255) NULL, topic VARCHAR(255) NULL, report_count INT NOT NULL,
  disabled TINYINT(1) NULL, deleted INT NULL, disabled_reason VARCHAR(255) NULL,
  last_seen_up DATETIME NULL, forced_down TINYINT(1) NULL, version INT NULL,
  uuid VARCHAR(36) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3;
CREATE DATABASE neutron;
CREATE TABLE neutron.agents (
  id VARCHAR(36) NOT NULL PRIMARY KEY, agent_type VARCHAR(255) NOT NULL,
  `binary` VARCHAR(255) NOT NULL, topic VARCHAR(255) NOT NULL, host VARCHAR(255) NOT NULL,
  admin_state_up TINYINT(1) NOT NULL DEFAULT 1, created_at DATETIME NOT NULL,
  started_at DATETIME NOT NULL, heartbeat_timestamp DATETIME NOT NULL,
  description VARCHAR(255) NULL, configurations VARCHAR(4095) NOT NULL,
  `load` INT NOT NULL DEFAULT 0, availability_zone VARCHAR(255) NULL,
  resource_versions VARCHAR(8191) NULL, resources_synced TINYINT(1) NULL,
  UNIQUE KEY uniq_agents0agent_type0host (agent_type, host)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3;
INSERT INTO nova.services (created_at, updated_at, host, `binary`, topic, report_count, disabled, deleted) VALUES
  (UTC_TIMESTAMP(), UTC_TIMESTAMP(), 'h1', 'nova-conductor', 'conductor', 1, 0, 0),
  (UTC_TIMESTAMP(), UTC_TIMESTAMP(), 'h1', 'nova-scheduler', 'scheduler', 1, 0, 0),
  (UTC_TIMESTAMP(), UTC_TIMESTAMP(), 'h2', 'nova-compute', 'compute', 1, 0, 0),
  (UTC_TIMESTAMP(), UTC_TIMESTAMP(), 'st1@lvm', 'cinder-volume', 'cinder-volume', 1, 0, 0),
  (UTC_TIMESTAMP(), UTC_TIMESTAMP(), 'st1@ceph', 'cinder-volume', 'cinder-volume', 1, 0, 0),
  (UTC_TIMESTAMP(), UTC_TIMESTAMP(), 'h3', 'nova-conductor', 'conductor', 1, 0, 7);
INSERT INTO neutron.agents (id, agent_type, `binary`, topic, host, created_at, started_at, heartbeat_timestamp, configurations) VALUES
  ('a1', 'DHCP agent', 'neutron-dhcp-agent', 'dhcp_agent', 'h1', UTC_TIMESTAMP(), UTC_TIMESTAMP(), UTC_TIMESTAMP(), '{}'),
  ('a2', 'L3 agent', 'neutron-l3-agent', 'l3_agent', 'h1', UTC_TIMESTAMP(), UTC_TIMESTAMP(), UTC_TIMESTAMP(), '{}');
";

fn db() -> &'static MariaDb {
    static SERVER: OnceLock<MariaDb> = OnceLock::new();
    SERVER.get_or_init(|| {
        let dir = scratch_dir("heartbeat");
        let mut init = SCHEMA.to_string();
        for (user, base) in [("nova", "nova"), ("neutron", "neutron")] {
            for host in ["localhost", "127.0.0.1"] {
                init.push_str(&format!(
                    "CREATE USER '{user}'@'{host}' IDENTIFIED BY '{PASSWORD}';\n\
                     GRANT SELECT ON {base}.* TO '{user}'@'{host}';\n"
                ));
            }
        }
        let server = start_mariadb(&dir, &dir.join("sock"), &init, &[]);
        let ready = server.defaults(
            "ready.cnf",
            &format!("[client]\nuser=nova\npassword={PASSWORD}\n"),
        );
        wait_ready("mariadbd", Duration::from_secs(90), &server.log(), || {
            run(&[
                "--timeout",
                "2",
                "probe",
                "mysql",
                &server.socket,
                "--defaults-file",
                &ready,
            ])
            .healthy()
        });
        server
    })
}

/// Set the heartbeat of a services row (`base` nova) or an agents row (neutron) to
/// `age` seconds before the database's clock.
fn beat(base: &str, binary: &str, host: &str, age: u32) {
    let (table, column) = if base == "neutron" {
        ("agents", "heartbeat_timestamp")
    } else {
        ("services", "updated_at")
    };
    db().sql(&format!(
        "UPDATE {base}.{table} SET {column} = UTC_TIMESTAMP() - INTERVAL {age} SECOND \
         WHERE `binary` = '{binary}' AND host = '{host}'"
    ));
}

/// A config file `NAME` with `[DEFAULT]` lines and the connection URL.
fn conf(name: &str, default: &str, connection: &str) -> String {
    db().defaults(
        name,
        &format!("[DEFAULT]\n{default}\n[database]\nconnection = {connection}\n"),
    )
}

fn tcp_url(base: &str, user: &str) -> String {
    format!(
        "mysql+pymysql://{user}:{PASSWORD_IN_URL}@127.0.0.1:{}/{base}?charset=utf8",
        db().port
    )
}

fn heartbeat_args(conf: &str, args: &[&str]) -> Vec<String> {
    ["--timeout", "5", "probe", "heartbeat", "--config", conf]
        .iter()
        .chain(args)
        .map(|s| s.to_string())
        .collect()
}

fn heartbeat(conf: &str, args: &[&str]) -> Run {
    run(&heartbeat_args(conf, args)
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>())
}

fn assert_no_secret(conf: &str, args: &[&str], r: &Run) {
    let all = heartbeat_args(conf, args);
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    assert_secret_absent(&all, &r.line(), PASSWORD);
    assert_secret_absent(&all, &r.line(), PASSWORD_IN_URL);
}

#[test]
fn a_fresh_services_row_is_healthy() {
    beat("nova", "nova-conductor", "h1", 5);
    let c = conf("fresh.conf", "host = h1", &tcp_url("nova", "nova"));
    let r = heartbeat(&c, &["--service", "nova-conductor"]);
    assert_healthy(&r, "last heartbeat of nova-conductor on h1 ");
    assert!(r.line().contains("s ago (service_down_time 60s)"), "{r:?}");
    assert_no_secret(&c, &["--service", "nova-conductor"], &r);
    // --host names the row's host instead of the config's.
    let other = conf(
        "fresh-other.conf",
        "host = elsewhere",
        &tcp_url("nova", "nova"),
    );
    assert_healthy(
        &heartbeat(&other, &["--service", "nova-conductor", "--host", "h1"]),
        "on h1 ",
    );
}

#[test]
fn a_stale_row_says_how_old_it_is() {
    beat("nova", "nova-scheduler", "h1", 300);
    let c = conf("stale.conf", "host = h1", &tcp_url("nova", "nova"));
    let r = heartbeat(&c, &["--service", "nova-scheduler"]);
    assert_unhealthy(&r, "last heartbeat of nova-scheduler on h1 is 30");
    assert!(
        r.line().contains("s old: more than service_down_time 60s"),
        "{r:?}"
    );
}

#[test]
fn the_down_time_comes_from_the_config() {
    beat("nova", "nova-compute", "h2", 100);
    let default = conf("compute.conf", "host = h2", &tcp_url("nova", "nova"));
    assert_unhealthy(
        &heartbeat(&default, &["--service", "nova-compute"]),
        "more than service_down_time 60s",
    );
    let longer = conf(
        "compute-120.conf",
        "host = h2\nservice_down_time = 120",
        &tcp_url("nova", "nova"),
    );
    assert_healthy(
        &heartbeat(&longer, &["--service", "nova-compute"]),
        "(service_down_time 120s)",
    );
    let bad = conf(
        "compute-bad.conf",
        "host = h2\nservice_down_time = soon",
        &tcp_url("nova", "nova"),
    );
    assert_unhealthy(
        &heartbeat(&bad, &["--service", "nova-compute"]),
        "service_down_time is not a number",
    );
}

#[test]
fn neutron_agents_against_agent_down_time() {
    beat("neutron", "neutron-dhcp-agent", "h1", 10);
    beat("neutron", "neutron-l3-agent", "h1", 100);
    let c = conf("neutron.conf", "host = h1", &tcp_url("neutron", "neutron"));
    assert_healthy(
        &heartbeat(&c, &["--service", "neutron-dhcp-agent"]),
        "ago (agent_down_time 75s)",
    );
    let r = heartbeat(&c, &["--service", "neutron-l3-agent"]);
    assert_unhealthy(&r, "last heartbeat of neutron-l3-agent on h1 is 10");
    assert!(r.line().contains("more than agent_down_time 75s"), "{r:?}");
    let longer = conf(
        "neutron-150.conf",
        "host = h1\nagent_down_time = 150",
        &tcp_url("neutron", "neutron"),
    );
    assert_healthy(
        &heartbeat(&longer, &["--service", "neutron-l3-agent"]),
        "(agent_down_time 150s)",
    );
}

#[test]
fn per_backend_rows_are_judged_by_the_stalest() {
    beat("nova", "cinder-volume", "st1@lvm", 2);
    beat("nova", "cinder-volume", "st1@ceph", 200);
    let c = conf("cinder.conf", "host = st1", &tcp_url("nova", "nova"));
    let r = heartbeat(&c, &["--service", "cinder-volume"]);
    assert_unhealthy(&r, "on st1@ceph is 20");
    assert!(r.line().contains("(the stalest of 2 rows)"), "{r:?}");
}

#[test]
fn a_missing_or_deleted_row_cannot_tell() {
    let c = conf("missing.conf", "host = h9", &tcp_url("nova", "nova"));
    let r = heartbeat(&c, &["--service", "nova-conductor"]);
    assert_unhealthy(
        &r,
        "cannot tell: no services row for nova-conductor on host h9",
    );
    beat("nova", "nova-conductor", "h3", 1);
    let deleted = conf("deleted.conf", "host = h3", &tcp_url("nova", "nova"));
    assert_unhealthy(
        &heartbeat(&deleted, &["--service", "nova-conductor"]),
        "cannot tell: no services row",
    );
}

#[test]
fn an_unreachable_database_cannot_tell_and_keeps_the_secret() {
    let url = format!(
        "mysql+pymysql://nova:{PASSWORD_IN_URL}@127.0.0.1:{}/nova",
        free_port()
    );
    let c = conf("unreachable.conf", "host = h1", &url);
    let r = heartbeat(&c, &["--service", "nova-conductor"]);
    assert_unhealthy(&r, "cannot tell: database 127.0.0.1:");
    assert!(
        r.line().contains("unreachable") && r.line().contains("connection refused"),
        "{r:?}"
    );
    assert_no_secret(&c, &["--service", "nova-conductor"], &r);
}

#[test]
fn a_wrong_password_cannot_tell_and_is_never_printed() {
    let wrong = "Wrong-hb-pw-5";
    let url = format!("mysql+pymysql://nova:{wrong}@127.0.0.1:{}/nova", db().port);
    let c = conf("wrong.conf", "host = h1", &url);
    let all = heartbeat_args(&c, &["--service", "nova-conductor"]);
    let r = heartbeat(&c, &["--service", "nova-conductor"]);
    assert_unhealthy(&r, "cannot tell: database 127.0.0.1:");
    assert!(r.line().contains("login refused for nova"), "{r:?}");
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    assert_secret_absent(&all, &r.line(), wrong);
}

#[test]
fn socket_and_password_from_read_default_file() {
    beat("nova", "nova-conductor", "h1", 3);
    let client = db().defaults(
        "client.cnf",
        &format!("[client]\npassword = \"{PASSWORD}\"\n"),
    );
    let url = format!(
        "mysql+pymysql://nova@/nova?unix_socket={}&read_default_file={client}",
        db().socket
    );
    let c = conf("socket.conf", "host = h1", &url);
    let r = heartbeat(&c, &["--service", "nova-conductor"]);
    assert_healthy(&r, "last heartbeat of nova-conductor on h1 ");
    assert!(
        r.line().contains("unix:"),
        "the socket is the target: {r:?}"
    );
    assert_no_secret(&c, &["--service", "nova-conductor"], &r);
}

#[test]
fn a_database_that_is_not_mysql_cannot_tell() {
    let c = conf(
        "sqlite.conf",
        "host = h1",
        "sqlite:////var/lib/nova/nova.sqlite",
    );
    assert_unhealthy(
        &heartbeat(&c, &["--service", "nova-conductor"]),
        "cannot tell: the database is sqlite, not MySQL/MariaDB",
    );
}
