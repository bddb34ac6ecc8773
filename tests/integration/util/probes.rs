//! Expectations on `probe KIND ...` verdicts shared by the protocol tests: healthy or
//! unhealthy with a given reason, a timeout within the budget when the server is paused,
//! fake peers refused, and no secret in any output.

use super::fake::{fake_peer, Fake, BINARY_JUNK, HTTP_REPLY};
use super::servers::{pause, stop};
use super::{run, run_debug, Child, Run};
use std::time::Duration;

/// The probe budget in the stopped-peer cases, and the margin its verdict may take beyond it.
pub const STOPPED_BUDGET: &str = "1";
pub const VERDICT_MARGIN: Duration = Duration::from_secs(2);

/// Run the probe against fake peers (HTTP, binary junk, endless data): each must be
/// unhealthy, with a one-line reason, within the deadline.
pub fn rejects_fake_peers(kind: &str, address: impl Fn(u16) -> String) {
    for (what, fake) in [
        ("HTTP", Fake::Answers(HTTP_REPLY)),
        ("binary junk", Fake::Answers(BINARY_JUNK)),
        ("endless data", Fake::Floods),
    ] {
        let port = fake_peer(fake);
        let run = run(&["--timeout", "3", "probe", kind, &address(port)]);
        assert!(
            !run.healthy(),
            "{kind} against {what} must be unhealthy: {run:?}"
        );
        assert!(
            !run.line().contains("timed out"),
            "{kind} must see {what} is not its protocol, not wait: {run:?}"
        );
    }
}

/// Probe a paused server: unhealthy, saying it timed out, within the budget.
pub fn times_out(args: &[&str]) -> Run {
    let mut all = vec!["--timeout", STOPPED_BUDGET, "probe"];
    all.extend_from_slice(args);
    let run = run(&all);
    assert!(
        !run.healthy(),
        "a stopped server must be unhealthy: {run:?}"
    );
    assert!(
        run.line().contains("timed out"),
        "reason must say it timed out: {run:?}"
    );
    assert!(
        run.elapsed < Duration::from_secs(1) + VERDICT_MARGIN,
        "verdict past the deadline: {run:?}"
    );
    run
}

/// `probe ARGS...` must be healthy and say `says`.
pub fn expect_healthy(args: &[&str], says: &str) -> Run {
    let run = probe(args);
    assert!(
        run.healthy() && run.line().contains(says),
        "expected healthy, saying {says:?}: {run:?}"
    );
    run
}

/// `probe ARGS...` must be unhealthy and say `says`.
pub fn expect_unhealthy(args: &[&str], says: &str) -> Run {
    let run = probe(args);
    assert!(
        !run.healthy() && run.line().contains(says),
        "expected unhealthy, saying {says:?}: {run:?}"
    );
    run
}

fn probe(args: &[&str]) -> Run {
    let mut all = vec!["probe"];
    all.extend_from_slice(args);
    run(&all)
}

/// Pause the server: the probe times out within its budget; kill it: the probe says `gone_says`.
pub fn stopped_then_gone(server: Child, args: &[&str], gone_says: &str) {
    pause(&server);
    times_out(args);
    stop(server);
    expect_unhealthy(args, gone_says);
}

/// The secret must not appear in the verdict line nor in the debug traces of the same run.
pub fn assert_secret_absent(args: &[&str], verdict_line: &str, secret: &str) {
    assert!(
        !verdict_line.contains(secret),
        "secret leaked in the verdict: {verdict_line}"
    );
    let debug = run_debug(args).line();
    assert!(
        debug.contains("debug:"),
        "no debug trace with HEALTHCHECK_DEBUG=1: {debug}"
    );
    assert!(
        !debug.contains(secret),
        "secret leaked in debug output: {debug}"
    );
}
