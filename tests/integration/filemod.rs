//! `probe filemod`: fresh, stale, missing, side by side with kolla's `healthcheck_filemod`
//! and TripleO's common.sh `healthcheck_file_modification`.

use crate::util::procpeers::{kolla, tripleo};
use crate::util::{self, run, TempDir};
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

#[test]
fn ages_beyond_a_day_and_zero_like_kolla() {
    let dir = TempDir::new("filemod-days");
    let path = dir.path().join("heartbeat");
    std::fs::write(&path, b"x").unwrap();
    let p = path.to_str().unwrap();
    let two_days_ago = SystemTime::now() - Duration::from_secs(2 * 86_400);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(two_days_ago)
        .unwrap();
    // (limit, healthy): three days, a year and more than i32 seconds take it; a day does not.
    for (limit, healthy) in [
        ("259200", true),
        ("31536000", true),
        ("4000000000", true),
        ("86400", false),
        ("86401", false),
    ] {
        let (ours, line, kolla, tripleo) = all_three(p, limit);
        assert_eq!(kolla, healthy, "kolla with {limit}");
        assert_eq!(tripleo, healthy, "tripleo with {limit}");
        assert_eq!(ours, healthy, "{limit}: {line}");
    }
    // 0: modified in this very second. A modification time a minute ahead is that,
    // however the seconds tick while the scripts run.
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(SystemTime::now() + Duration::from_secs(60))
        .unwrap();
    let (ours, line, kolla, tripleo) = all_three(p, "0");
    assert!(ours && kolla && tripleo, "0 on a fresh file: {line}");
    // kolla's name for it takes the same ages.
    let link_dir = TempDir::new("filemod-link");
    let link = link_dir.path().join("healthcheck_filemod");
    std::os::unix::fs::symlink(util::bin(), &link).unwrap();
    let r = util::run_cmd({
        let mut c = std::process::Command::new(&link);
        c.args([p, "172800"]);
        c
    });
    assert!(r.healthy(), "{r:?}");
}
