//! OVN through its own control sockets, on a real chassis from Debian's packages
//! (ovn-central, ovn-host, openvswitch-switch), every daemon in a temporary directory
//! with its own run directories: the local Open vSwitch database and ovs-vswitchd (a
//! userspace br-int: no kernel module needed), the NB and SB databases, a southbound
//! relay on a 1664N port as kolla-ansible deploys it, ovn-northd, and ovn-controller
//! told to use the relay (`external_ids:ovn-remote`).
//!
//! Shown: `HEALTHCHECK_DEEP=ovn` asks ovn-controller itself (connected, then not once the
//! relay stops, with the reason); TripleO's check, pinned to 6642, calls the connected
//! controller of this layout unhealthy (its original script side by side; ours names the
//! real remote); `probe unixctl` answers what `ovs-appctl`/`ovn-appctl` answer; ovn-dbs
//! asks ovn-northd its version as the original's `ovs-appctl -t ovn-northd version` does.

use crate::util;
use crate::util::ovsdb::ovsdb_tool;
use crate::util::servers::{scratch_dir, signal, spawn_server, wait_ready};
use crate::util::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// One chassis and its central databases, all under `dir`.
struct Chassis {
    dir: PathBuf,
    ovs_run: PathBuf,
    ovn_run: PathBuf,
    sb_port: u16,
    relay_port: u16,
    relay_pid: u32,
}

impl Chassis {
    /// The run and log directories every OVS/OVN program (theirs and ours) is given.
    fn env(&self, cmd: &mut Command) {
        cmd.env("OVS_RUNDIR", &self.ovs_run)
            .env("OVN_RUNDIR", &self.ovn_run)
            .env("OVS_LOGDIR", &self.dir)
            .env("OVN_LOGDIR", &self.dir)
            .env("OVS_DBDIR", self.dir.join("db"))
            .env("OVN_DBDIR", self.dir.join("db"));
    }

    /// Start a daemon in the foreground (its own process group, killed at exit).
    fn daemon(&self, name: &str, program: &str, args: &[String]) -> u32 {
        let mut cmd = command(program);
        cmd.args(args).arg("--no-chdir");
        self.env(&mut cmd);
        spawn_server(cmd, None, &self.dir.join(format!("{name}.log")))
    }

    /// Our binary with the chassis' environment and `extra` variables.
    fn ours(&self, extra: &[(&str, &str)], args: &[&str]) -> Run {
        let mut cmd = command(util::bin());
        self.env(&mut cmd);
        cmd.envs(extra.iter().copied())
            .args(["--timeout", "5"])
            .args(args);
        run_cmd(cmd)
    }

    /// A reference tool (ovs-appctl, ovn-appctl, ovs-vsctl...) with the chassis' environment.
    fn tool(&self, program: &str, args: &[&str]) -> (bool, String) {
        let mut cmd = command(program);
        self.env(&mut cmd);
        let out = cmd.args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
        )
    }

    fn vsctl(&self, args: &[&str]) {
        let db = format!("--db=unix:{}", self.ovs_run.join("db.sock").display());
        let (ok, out) = self.tool(
            "ovs-vsctl",
            &[&[db.as_str(), "--no-wait"][..], args].concat(),
        );
        assert!(ok, "ovs-vsctl {args:?}: {out}");
    }

    fn relay_remote(&self) -> String {
        format!("tcp:127.0.0.1:{}", self.relay_port)
    }

    fn start_relay(&mut self) {
        self.relay_pid = self.daemon(
            "relay",
            "ovsdb-server",
            &[
                format!("--remote=ptcp:{}:127.0.0.1", self.relay_port),
                format!("--pidfile={}", self.ovn_run.join("relay.pid").display()),
                format!("--unixctl={}", self.ovn_run.join("relay.ctl").display()),
                format!("--log-file={}", self.dir.join("relay.log").display()),
                format!("relay:OVN_Southbound:tcp:127.0.0.1:{}", self.sb_port),
            ],
        );
    }
}

/// A free port among kolla-ansible's relay ports 16641..16649.
fn relay_port() -> u16 {
    free_port_among(16641..=16649).expect("a free port in 16641..16649 for the southbound relay")
}

fn create_db(dir: &Path, name: &str, schema: &str) -> String {
    let path = dir.join("db").join(name).to_string_lossy().into_owned();
    ovsdb_tool(&["create", &path, schema]);
    path
}

fn start() -> Chassis {
    for program in [
        "/usr/bin/ovn-controller",
        "/usr/bin/ovn-northd",
        "/usr/sbin/ovs-vswitchd",
    ] {
        assert!(
            Path::new(program).exists(),
            "{program} missing: bash tests/setup/install.sh (ovn-host, ovn-central, openvswitch-switch)"
        );
    }
    let dir = scratch_dir("ovn");
    let (ovs_run, ovn_run) = (dir.join("run/openvswitch"), dir.join("run/ovn"));
    for d in [&ovs_run, &ovn_run, &dir.join("db")] {
        std::fs::create_dir_all(d).unwrap();
    }
    let mut chassis = Chassis {
        dir: dir.clone(),
        ovs_run: ovs_run.clone(),
        ovn_run: ovn_run.clone(),
        sb_port: free_port(),
        relay_port: relay_port(),
        relay_pid: 0,
    };
    let conf = create_db(&dir, "conf.db", "/usr/share/openvswitch/vswitch.ovsschema");
    let nb = create_db(&dir, "nb.db", "/usr/share/ovn/ovn-nb.ovsschema");
    let sb = create_db(&dir, "sb.db", "/usr/share/ovn/ovn-sb.ovsschema");
    let pidfile =
        |run: &Path, name: &str| format!("--pidfile={}", run.join(format!("{name}.pid")).display());
    let log = |name: &str| format!("--log-file={}", dir.join(format!("{name}.log")).display());
    chassis.daemon(
        "ovsdb-server",
        "ovsdb-server",
        &[
            conf,
            format!("--remote=punix:{}", ovs_run.join("db.sock").display()),
            pidfile(&ovs_run, "ovsdb-server"),
            log("ovsdb-server"),
        ],
    );
    chassis.daemon(
        "nb",
        "ovsdb-server",
        &[
            nb,
            format!("--remote=punix:{}", ovn_run.join("ovnnb_db.sock").display()),
            pidfile(&ovn_run, "ovnnb_db"),
            format!("--unixctl={}", ovn_run.join("ovnnb_db.ctl").display()),
            log("nb"),
        ],
    );
    chassis.daemon(
        "sb",
        "ovsdb-server",
        &[
            sb,
            format!("--remote=punix:{}", ovn_run.join("ovnsb_db.sock").display()),
            format!("--remote=ptcp:{}:127.0.0.1", chassis.sb_port),
            pidfile(&ovn_run, "ovnsb_db"),
            format!("--unixctl={}", ovn_run.join("ovnsb_db.ctl").display()),
            log("sb"),
        ],
    );
    chassis.start_relay();
    wait_ready(
        "ovsdb-server",
        Duration::from_secs(20),
        &dir.join("ovsdb-server.log"),
        || ovs_run.join("db.sock").exists(),
    );
    chassis.vsctl(&["init"]);
    let remote = chassis.relay_remote();
    chassis.vsctl(&[
        "set",
        "open",
        ".",
        &format!("external_ids:ovn-remote={remote}"),
        "external_ids:ovn-encap-type=geneve",
        "external_ids:ovn-encap-ip=127.0.0.1",
        "external_ids:system-id=chassis-1",
        // A userspace integration bridge: no kernel module here.
        "external_ids:ovn-bridge-datapath-type=netdev",
    ]);
    let db = format!("unix:{}", ovs_run.join("db.sock").display());
    chassis.daemon(
        "ovs-vswitchd",
        "ovs-vswitchd",
        &[
            db.clone(),
            pidfile(&ovs_run, "ovs-vswitchd"),
            log("ovs-vswitchd"),
        ],
    );
    chassis.daemon(
        "ovn-northd",
        "ovn-northd",
        &[
            format!(
                "--ovnnb-db=unix:{}",
                ovn_run.join("ovnnb_db.sock").display()
            ),
            format!(
                "--ovnsb-db=unix:{}",
                ovn_run.join("ovnsb_db.sock").display()
            ),
            pidfile(&ovn_run, "ovn-northd"),
            log("ovn-northd"),
        ],
    );
    chassis.daemon(
        "ovn-controller",
        "ovn-controller",
        &[
            db,
            pidfile(&ovn_run, "ovn-controller"),
            log("ovn-controller"),
        ],
    );
    wait_ready(
        "ovn-controller connected through the relay",
        Duration::from_secs(60),
        &dir.join("ovn-controller.log"),
        || {
            chassis
                .ours(&[("HEALTHCHECK_DEEP", "ovn")], &["ovn-controller"])
                .healthy()
        },
    );
    chassis
}

/// TripleO's original ovn-controller script, with the given port arguments.
fn tripleo_ovn_controller(chassis: &Chassis, args: &[&str]) -> bool {
    let mut cmd = command("bash");
    chassis.env(&mut cmd);
    let out = cmd
        .arg(original("tripleo/ovn-controller"))
        .args(args)
        .env("HEALTHCHECK_SCRIPTS", original("tripleo"))
        .output()
        .expect("bash");
    out.status.success()
}

/// The chassis goes through its states in order (the daemons are shared, so one test).
#[test]
fn ovn_controller_through_a_southbound_relay() {
    let mut chassis = start();
    let remote = chassis.relay_remote();
    let deep = [("HEALTHCHECK_DEEP", "ovn")];

    // Connected through the relay: ovn-controller says so, and ovs-vswitchd has br-int.
    let r = chassis.ours(&deep, &["ovn-controller"]);
    assert_healthy(
        &r,
        &format!("ovn-controller connected to the OVN southbound DB at {remote} (external_ids:ovn-remote); ovs-vswitchd has the integration bridge br-int"),
    );
    assert_eq!(
        chassis.tool("ovn-appctl", &["-t", "ovn-controller", "connection-status"]),
        (true, "connected".to_string())
    );
    let r = chassis.ours(
        &[],
        &[
            "probe",
            "unixctl",
            "ovn-controller",
            "connection-status",
            "--expect",
            "connected",
        ],
    );
    assert_healthy(&r, "connection-status: connected");
    assert!(
        r.line()
            .contains(&format!("{}/ovn-controller.", chassis.ovn_run.display())),
        "{r:?}"
    );
    let r = chassis.ours(&deep, &["--format", "json", "ovn-controller"]);
    assert!(r.stdout.contains("\"healthy\":true"), "{r:?}");

    // unixctl answers what ovs-appctl answers.
    let (ok, version) = chassis.tool("ovs-appctl", &["-t", "ovs-vswitchd", "version"]);
    assert!(ok, "{version}");
    let r = chassis.ours(&[], &["probe", "unixctl", "ovs-vswitchd", "version"]);
    assert_healthy(&r, &version);
    let (_, bridges) = chassis.tool("ovs-appctl", &["-t", "ovs-vswitchd", "ofproto/list"]);
    assert_healthy(
        &chassis.ours(&[], &["probe", "unixctl", "ovs-vswitchd", "ofproto/list"]),
        &bridges,
    );
    let r = chassis.ours(
        &[],
        &["probe", "unixctl", "ovs-vswitchd", "no/such-command"],
    );
    assert_unhealthy(
        &r,
        "no/such-command failed: \"no/such-command\" is not a valid command",
    );
    let ctl = chassis.ovs_run.join("ovsdb-server.ctl-by-path");
    let r = chassis.ours(&[], &["probe", "unixctl", ctl.to_str().unwrap(), "version"]);
    assert_unhealthy(&r, "connect to unix:");

    // TripleO's check pins 6642: wrong for this layout, the original as much as ours by
    // default (ours names the real remote); the relay port as the argument is right.
    assert!(
        !tripleo_ovn_controller(&chassis, &[]),
        "TripleO's script found a 6642 connection?"
    );
    let r = chassis.ours(&[], &["ovn-controller"]);
    assert_unhealthy(
        &r,
        &format!("has no established connection on port 6642 (external_ids:ovn-remote is {remote}: HEALTHCHECK_DEEP=ovn asks ovn-controller itself)"),
    );
    let port = chassis.relay_port.to_string();
    assert!(tripleo_ovn_controller(&chassis, &[&port]));
    assert_healthy(
        &chassis.ours(&[], &["ovn-controller", &port]),
        &format!(":{port}"),
    );

    // The relay stops: ovn-controller is no longer connected, and says so.
    signal(chassis.relay_pid, nix::sys::signal::Signal::SIGKILL);
    util::wait_for("ovn-controller to notice", Duration::from_secs(30), || {
        !chassis.ours(&deep, &["ovn-controller"]).healthy()
    });
    let r = chassis.ours(&deep, &["ovn-controller"]);
    assert_unhealthy(
        &r,
        &format!("ovn-controller not connected to the OVN southbound DB at {remote} (external_ids:ovn-remote): connection-status answered \"not connected\""),
    );
    assert_eq!(
        chassis.tool("ovn-appctl", &["-t", "ovn-controller", "connection-status"]),
        (true, "not connected".to_string())
    );
    let r = chassis.ours(
        &[],
        &[
            "probe",
            "unixctl",
            "ovn-controller",
            "connection-status",
            "--expect",
            "connected",
        ],
    );
    assert_unhealthy(
        &r,
        "connection-status answered \"not connected\", not \"connected\"",
    );

    // The relay is back: connected again (ovn-controller retries with back-off).
    chassis.start_relay();
    util::wait_for(
        "ovn-controller to reconnect",
        Duration::from_secs(60),
        || chassis.ours(&deep, &["ovn-controller"]).healthy(),
    );
}

/// ovn-dbs in a container with ovn-northd alone: its version over its control socket,
/// side by side with the original's `ovs-appctl -t ovn-northd version`.
#[test]
fn ovn_northd_answers_its_version() {
    let dir = scratch_dir("ovn-northd");
    let root = dir.join("root");
    let run = root.join("run/ovn");
    let dbs = dir.join("dbs");
    for d in [&run, &dbs, &dir.join("db")] {
        std::fs::create_dir_all(d).unwrap();
    }
    let nb = create_db(&dir, "nb.db", "/usr/share/ovn/ovn-nb.ovsschema");
    let sb = create_db(&dir, "sb.db", "/usr/share/ovn/ovn-sb.ovsschema");
    let chassis = Chassis {
        dir: dir.clone(),
        ovs_run: run.clone(),
        ovn_run: run.clone(),
        sb_port: 0,
        relay_port: 0,
        relay_pid: 0,
    };
    for (name, db) in [("nb", nb), ("sb", sb)] {
        chassis.daemon(
            name,
            "ovsdb-server",
            &[
                db,
                format!(
                    "--remote=punix:{}",
                    dbs.join(format!("{name}.sock")).display()
                ),
                format!("--pidfile={}", dbs.join(format!("{name}.pid")).display()),
                format!("--unixctl={}", dbs.join(format!("{name}.ctl")).display()),
            ],
        );
    }
    let northd = chassis.daemon(
        "ovn-northd",
        "ovn-northd",
        &[
            format!("--ovnnb-db=unix:{}", dbs.join("nb.sock").display()),
            format!("--ovnsb-db=unix:{}", dbs.join("sb.sock").display()),
            format!("--pidfile={}", run.join("ovn-northd.pid").display()),
        ],
    );
    let root_env = [("HEALTHCHECK_ROOT", root.to_str().unwrap())];
    wait_ready(
        "ovn-northd",
        Duration::from_secs(20),
        &dir.join("ovn-northd.log"),
        || chassis.ours(&root_env, &["ovn-dbs"]).healthy(),
    );
    let original = || {
        let mut cmd = command("bash");
        chassis.env(&mut cmd);
        cmd.arg(original("tripleo/ovn-dbs"))
            .status()
            .unwrap()
            .success()
    };
    let (_, version) = chassis.tool("ovs-appctl", &["-t", "ovn-northd", "version"]);
    let first_line = version.lines().next().unwrap().to_string();
    assert!(first_line.starts_with("ovn-northd "), "{version}");
    assert!(original());
    assert_healthy(
        &chassis.ours(&root_env, &["ovn-dbs"]),
        &format!("ovn-northd answers: {first_line}"),
    );

    signal(northd, nix::sys::signal::Signal::SIGKILL);
    util::wait_for("ovn-northd gone", Duration::from_secs(10), || {
        !chassis.ours(&root_env, &["ovn-dbs"]).healthy()
    });
    assert!(!original());
    assert_unhealthy(
        &chassis.ours(&root_env, &["ovn-dbs"]),
        "ovn-northd does not answer: connect to unix:",
    );
}
