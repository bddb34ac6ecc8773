//! The exit and output contract of the binary as a whole.
use crate::util::*;

#[test]
fn unknown_service_is_one_line_and_unhealthy() {
    let r = run(&["no-such-service"]);
    assert_eq!(r.code, 1);
    assert!(r.line().contains("unknown service"), "{r:?}");
}

#[test]
fn bad_option_is_one_line_and_unhealthy() {
    let r = run(&["--bogus"]);
    assert_eq!(r.code, 1);
    assert!(r.line().contains("usage"), "{r:?}");
}

#[test]
fn json_format_is_valid_json() {
    let r = run(&["--format", "json", "no-such-service"]);
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).expect("json line");
    assert_eq!(v["healthy"], false);
    assert!(v["reason"].as_str().unwrap().contains("unknown service"));
}

/// The watchdog: a check blocked where no per-read deadline reaches (here a unix connect
/// to a listener whose backlog is full blocks in the kernel) still ends just after its
/// deadline, with one line and exit 1.
#[test]
fn watchdog_ends_a_check_blocked_in_the_kernel() {
    let dir = TempDir::new("watchdog");
    let path = dir.path().join("full.sock");
    let script = r#"
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(0)
held = []
for _ in range(3):
    c = socket.socket(socket.AF_UNIX); c.setblocking(False)
    try: c.connect(sys.argv[1])
    except BlockingIOError: pass
    held.append(c)
print("ready", flush=True); time.sleep(60)
"#;
    let mut peer = std::process::Command::new("python3")
        .args(["-c", script, path.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 for the full-backlog peer");
    let mut ready = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(peer.stdout.take().unwrap()),
        &mut ready,
    )
    .unwrap();
    assert_eq!(ready.trim(), "ready", "the full-backlog peer did not start");
    let _peer = Child(peer);
    let target = format!("unix:{}", path.display());
    for format in ["text", "json"] {
        let r = run(&[
            "--format",
            format,
            "--timeout",
            "1",
            "probe",
            "tcp",
            &target,
        ]);
        assert_eq!(r.code, 1, "{r:?}");
        assert!(
            r.line().contains("timed out: no verdict within 1.0s"),
            "{r:?}"
        );
        assert!(
            r.elapsed < std::time::Duration::from_secs(5),
            "the watchdog must end the check: {r:?}"
        );
    }
}
