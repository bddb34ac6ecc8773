//! `probe filemod`: fresh, stale, missing, side by side with kolla's `healthcheck_filemod`
//! and TripleO's common.sh `healthcheck_file_modification`.

use crate::util::procpeers::{kolla, tripleo};
use crate::util::{run, TempDir};
use std::time::{Duration, SystemTime};

fn all_three(path: &str, seconds: &str) -> (bool, String, bool, bool) {
    let ours = run(&["probe", "filemod", path, seconds]);
    (
        ours.healthy(),
        ours.line(),
        kolla("filemod", &[path, seconds]),
        tripleo("healthcheck_file_modification", &[path, seconds]),
    )
}

#[test]
fn fresh_stale_missing_like_the_originals() {
    let dir = TempDir::new("filemod");
    let path = dir.path().join("heartbeat");
    std::fs::write(&path, b"x").unwrap();
    let p = path.to_str().unwrap();

    let (ours, line, kolla, tripleo) = all_three(p, "60");
    assert!(ours && kolla && tripleo, "fresh: {line}");

    let old = SystemTime::now() - Duration::from_secs(600);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let (ours, line, kolla, tripleo) = all_three(p, "60");
    assert!(!ours && !kolla && !tripleo, "stale: {line}");
    assert!(
        line.contains("last modified 600s ago, more than 60s"),
        "{line}"
    );

    let missing = dir.path().join("missing");
    let (ours, line, kolla, tripleo) = all_three(missing.to_str().unwrap(), "60");
    assert!(!ours && !kolla && !tripleo, "missing: {line}");
    assert!(
        line.contains("does not exist for file modification check"),
        "{line}"
    );
}

#[test]
fn bad_seconds() {
    let r = run(&["probe", "filemod", "/etc/passwd", "soon"]);
    assert!(!r.healthy());
    assert!(r.line().contains("not a number of seconds"), "{}", r.line());
}
