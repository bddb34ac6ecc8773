//! kolla's drop-in names (`healthcheck_port`, `_listen`, `_socket`, `_filemod`) called through
//! symlinks, and the process matching every socket check relies on: never the checker
//! itself, never a zombie.

use crate::util::procpeers::{established, start};
use crate::util::{self, procpeers};
use crate::util::{free_port, run, run_cmd, Run, TempDir};
use std::process::Command;

/// Run our binary through a symlink named `name` (how images install kolla's names).
fn drop_in(dir: &TempDir, name: &str, args: &[&str]) -> Run {
    let mut cmd = util::command(util::link_to_bin(dir.path(), name));
    cmd.args(args);
    run_cmd(cmd)
}

#[test]
fn drop_in_names_take_kollas_arguments() {
    let dir = TempDir::new("kolla");
    let port = free_port();
    let p = port.to_string();
    let (server, client) = established("127.0.0.1", port);
    let other = free_port().to_string();

    let r = drop_in(&dir, "healthcheck_port", &[&client.marker, &other, &p]);
    assert!(r.healthy(), "{}", r.line());
    let r = drop_in(&dir, "healthcheck_listen", &[&server.marker, &p]);
    assert!(r.healthy(), "{}", r.line());
    let r = drop_in(&dir, "healthcheck_listen", &[&client.marker, &p]);
    assert!(!r.healthy(), "{}", r.line());

    let sock = dir.path().join("s.sock");
    let unix = start("x", "unix-listen", &[sock.to_str().unwrap()], None);
    let r = drop_in(
        &dir,
        "healthcheck_socket",
        &[&unix.marker, sock.to_str().unwrap()],
    );
    assert!(r.healthy(), "{}", r.line());

    let file = dir.path().join("beat");
    std::fs::write(&file, b"").unwrap();
    let r = drop_in(&dir, "healthcheck_filemod", &[file.to_str().unwrap(), "30"]);
    assert!(r.healthy(), "{}", r.line());
    let r = drop_in(
        &dir,
        "healthcheck_filemod",
        &[dir.path().join("nope").to_str().unwrap(), "30"],
    );
    assert!(!r.healthy());
    assert!(
        r.line()
            .contains("does not exist for file modification check"),
        "{}",
        r.line()
    );
}

#[test]
fn socket_process_cut_to_a_comm_like_kolla() {
    let dir = TempDir::new("kolla");
    let sock = dir.path().join("agent.sock");
    let sock = sock.to_str().unwrap();
    // A process known only by its comm (as after setproctitle): `ohcNNNNNcommNx` cut to 15.
    let long_name = format!("{}-openvswitch-agent", procpeers::marker("comm"));
    let comm = &long_name[..15];
    let agent = start("x", "unix-listen", &[sock, &procpeers::hex(comm)], None);
    assert_eq!(
        std::fs::read_to_string(format!("/proc/{}/comm", agent.pid()))
            .unwrap()
            .trim(),
        comm
    );
    let r = drop_in(&dir, "healthcheck_socket", &[&long_name, sock]);
    assert!(r.healthy(), "{}", r.line());
    assert!(
        procpeers::kolla("socket", &[&long_name, sock]),
        "kolla agrees"
    );
    // The probe takes the pattern as given: the long name is nowhere in that process.
    let r = run(&["probe", "socket", &long_name, sock]);
    assert!(!r.healthy(), "{}", r.line());
}

#[test]
fn drop_in_usage_errors_are_one_line() {
    let dir = TempDir::new("kolla");
    let r = drop_in(&dir, "healthcheck_port", &["nova-conductor"]);
    assert!(!r.healthy());
    assert!(
        r.line().contains("usage: healthcheck_port PROCESS PORT..."),
        "{}",
        r.line()
    );
    let r = drop_in(&dir, "healthcheck_socket", &[]);
    assert!(
        r.line().contains("usage: healthcheck_socket PROCESS PATH"),
        "{}",
        r.line()
    );
    let r = drop_in(&dir, "healthcheck_filemod", &["/etc/passwd", "x"]);
    assert!(!r.healthy());
    assert!(r.line().contains("not a number of seconds"), "{}", r.line());
}

#[test]
fn process_found_by_command_line_and_comm() {
    let peer = start("p", "many-sockets", &["1"], None);
    let r = run(&["probe", "process", &peer.marker]);
    assert!(r.healthy(), "{}", r.line());
    assert!(
        r.line().contains(&format!("pid {}", peer.pid())),
        "{}",
        r.line()
    );
    // A regex from the supported subset, anchored on the comm.
    let r = run(&["probe", "process", &format!("^{}$", peer.marker)]);
    assert!(r.healthy(), "{}", r.line());
    let r = run(&["probe", "process", "ohc[("]);
    assert!(!r.healthy());
    assert!(r.line().contains("process pattern"), "{}", r.line());
}

#[test]
fn checker_never_matches_itself() {
    let pattern = procpeers::marker("self");
    // The pattern is in our own argv.
    let r = run(&["probe", "process", &pattern]);
    assert!(!r.healthy(), "{}", r.line());
    assert!(
        r.line()
            .contains(&format!("no process matching '{pattern}'")),
        "{}",
        r.line()
    );
    // ... and in the argv of the shell that runs us (`; true` stops the shell from exec'ing us).
    let script = format!("'{}' probe port '{pattern}' 5672; true", util::bin());
    let out = Command::new("sh").args(["-c", &script]).output().unwrap();
    let line = String::from_utf8_lossy(&out.stdout);
    assert!(
        line.contains(&format!("no process matching '{pattern}'")),
        "{line}"
    );
}

#[test]
fn zombies_are_ignored() {
    let dir = TempDir::new("zombie");
    let name = procpeers::marker("z");
    let program = dir.path().join(&name);
    std::os::unix::fs::symlink("/bin/sleep", &program).unwrap();
    let parent = start(
        "zp",
        "zombie-parent",
        &[&procpeers::hex(program.to_str().unwrap())],
        None,
    );
    let zombie: u32 = parent.info[0].parse().unwrap();
    util::wait_for(
        "the child to become a zombie",
        std::time::Duration::from_secs(5),
        || {
            std::fs::read_to_string(format!("/proc/{zombie}/status"))
                .is_ok_and(|s| s.contains("State:\tZ"))
        },
    );
    assert_eq!(
        std::fs::read_to_string(format!("/proc/{zombie}/comm"))
            .unwrap()
            .trim(),
        name
    );
    let r = run(&["probe", "process", &name]);
    assert!(!r.healthy(), "{}", r.line());
    assert!(r.line().contains("no process matching"), "{}", r.line());
}
