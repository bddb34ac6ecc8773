//! The exit and output contract of the binary as a whole.
mod common;
use common::*;

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

/// How the parent leaves SIGALRM for the check it starts.
#[derive(Debug, Clone, Copy)]
enum Alarm {
    Default,
    Ignored,
    Blocked,
}

/// Our binary with `args`, `HEALTHCHECK_ROOT=root`, SIGALRM as `alarm` says (set in
/// the child between fork and exec, as a parent's disposition and mask are inherited).
fn run_with_alarm(args: &[&str], root: &std::path::Path, alarm: Alarm) -> Run {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(bin());
    cmd.args(args).env("HEALTHCHECK_ROOT", root);
    for (k, _) in std::env::vars() {
        if k.starts_with("HEALTHCHECK_") && k != "HEALTHCHECK_ROOT" {
            cmd.env_remove(k);
        }
    }
    // SAFETY: only async-signal-safe calls (sigaction, sigprocmask) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            use nix::sys::signal::{self, SigHandler, SigSet, Signal};
            match alarm {
                Alarm::Default => {}
                Alarm::Ignored => {
                    signal::signal(Signal::SIGALRM, SigHandler::SigIgn)?;
                }
                Alarm::Blocked => {
                    let mut set = SigSet::empty();
                    set.add(Signal::SIGALRM);
                    set.thread_block()?;
                }
            }
            Ok(())
        });
    }
    run_cmd(cmd)
}

use std::os::unix::fs::OpenOptionsExt;

/// The watchdog: a check blocked where no deadline of its own reaches (here opening its
/// config file, a named pipe nobody writes to) still ends just after its deadline, with
/// one line and exit 1, whether the parent left SIGALRM alone, ignored or blocked.
#[test]
fn watchdog_ends_a_blocked_check_whatever_the_parent_did_with_sigalrm() {
    let root = TempDir::new("watchdog");
    let etc = root.path().join("etc/redis");
    std::fs::create_dir_all(&etc).unwrap();
    let fifo = etc.join("redis.conf");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    // A check the watchdog fails to end would wait on the pipe for ever: a writer that
    // comes 5 s into a run lets it go on (and the time asserted below fails the test).
    let release_later = |fifo: std::path::PathBuf| {
        let (cancel, wait) = std::sync::mpsc::channel::<()>();
        let writer = std::thread::spawn(move || {
            if wait
                .recv_timeout(std::time::Duration::from_secs(5))
                .is_err()
            {
                let _ = std::fs::OpenOptions::new()
                    .write(true)
                    .custom_flags(nix::libc::O_NONBLOCK)
                    .open(&fifo);
            }
        });
        (cancel, writer)
    };
    for alarm in [Alarm::Default, Alarm::Ignored, Alarm::Blocked] {
        for format in ["text", "json"] {
            let (cancel, writer) = release_later(fifo.clone());
            let r = run_with_alarm(
                &["--format", format, "--timeout", "1", "redis"],
                root.path(),
                alarm,
            );
            let _ = cancel.send(());
            let _ = writer.join();
            assert_eq!(r.code, 1, "{alarm:?}: {r:?}");
            assert!(
                r.line().contains("timed out: no verdict within 1.0s"),
                "{alarm:?}: {r:?}"
            );
            assert!(
                r.elapsed < std::time::Duration::from_secs(3),
                "{alarm:?}: the watchdog must end the check: {r:?}"
            );
        }
    }
}

/// A peer that accepts and never answers, checked with SIGALRM ignored or blocked by the
/// parent: the check's own deadline ends it, with its own reason.
#[test]
fn deadlines_hold_with_sigalrm_ignored_or_blocked() {
    let root = TempDir::new("alarm-peer");
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    let url = format!("http://{addr}/");
    for alarm in [Alarm::Ignored, Alarm::Blocked] {
        for args in [
            vec!["--timeout", "1", "probe", "http", url.as_str()],
            vec!["--timeout", "1", "probe", "redis", addr.as_str()],
        ] {
            let r = run_with_alarm(&args, root.path(), alarm);
            assert_eq!(r.code, 1, "{alarm:?}: {r:?}");
            assert!(
                r.line().contains("timed out") && !r.line().contains("no verdict"),
                "{alarm:?}: the check's own deadline, not the watchdog: {r:?}"
            );
            assert!(
                r.elapsed < std::time::Duration::from_secs(3),
                "{alarm:?}: {r:?}"
            );
        }
    }
}
