//! `probe socket`: unix sockets by path and abstract name, side by side with kolla's
//! `healthcheck_socket` and TripleO's common.sh `healthcheck_socket`.

use crate::util::procpeers;
use crate::util::procpeers::{kolla, start, tripleo};
use crate::util::{run, TempDir};

#[test]
fn path_socket_like_the_originals() {
    let dir = TempDir::new("sock");
    let path = dir.path().join("svc.sock");
    let path = path.to_str().unwrap();
    let server = start("x", "unix-listen", &[path], None);
    let ours = run(&["probe", "socket", &server.marker, path]);
    assert!(ours.healthy(), "{}", ours.line());
    assert!(
        ours.line().contains(&format!("pid {}", server.pid())),
        "{}",
        ours.line()
    );
    assert!(kolla("socket", &[&server.marker, path]), "kolla agrees");
    assert!(
        tripleo("healthcheck_socket", &[&server.marker, path]),
        "TripleO agrees"
    );
    // Through a symlinked directory: the same socket file.
    let link = dir.path().join("via");
    std::os::unix::fs::symlink(dir.path(), &link).unwrap();
    let via = link.join("svc.sock");
    let ours = run(&["probe", "socket", &server.marker, via.to_str().unwrap()]);
    assert!(ours.healthy(), "{}", ours.line());
}

#[test]
fn another_process_or_no_socket() {
    let dir = TempDir::new("sock");
    let path = dir.path().join("svc.sock");
    let path = path.to_str().unwrap();
    let server = start("x", "unix-listen", &[path], None);
    let bystander = start("b", "many-sockets", &["1"], None);
    let ours = run(&["probe", "socket", &bystander.marker, path]);
    assert!(!ours.healthy());
    assert!(
        ours.line().contains("does not hold the unix socket"),
        "{}",
        ours.line()
    );
    assert!(!kolla("socket", &[&bystander.marker, path]));
    assert!(!tripleo("healthcheck_socket", &[&bystander.marker, path]));
    let missing = dir.path().join("none.sock");
    let ours = run(&["probe", "socket", &server.marker, missing.to_str().unwrap()]);
    assert!(!ours.healthy());
    assert!(
        ours.line().contains("no unix socket bound to"),
        "{}",
        ours.line()
    );
}

#[test]
fn abstract_socket() {
    let name = format!("@{}", procpeers::marker("a"));
    let server = start("x", "unix-listen", &[&name], None);
    let ours = run(&["probe", "socket", &server.marker, &name]);
    assert!(ours.healthy(), "{}", ours.line());
    assert!(
        !kolla("socket", &[&server.marker, &name]),
        "lsof takes file names: it cannot see abstract sockets"
    );
    let ours = run(&["probe", "socket", &server.marker, &format!("{name}-other")]);
    assert!(!ours.healthy(), "{}", ours.line());
}

#[test]
fn other_users_fds_cannot_tell() {
    let user = procpeers::test_user();
    let name = format!("@{}", procpeers::marker("a"));
    let server = start("x", "unix-listen", &[&name], None);
    let r = procpeers::run_as(Some(user), &["probe", "socket", &server.marker, &name]);
    assert!(!r.healthy(), "{}", r.line());
    assert!(r.line().contains("cannot tell:"), "{}", r.line());
}
