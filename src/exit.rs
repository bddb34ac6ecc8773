//! The exit contract in one place: write the single output line once, then exit with the
//! status the contract gives the verdict. The watchdog and the main path may race to
//! finish; only the first one prints.
//!
//! The container engines' contract is the default and the rule: 0 healthy, 1 anything
//! else. The one exception is chosen explicitly, with the output format: Nagios' plugin
//! API (`--format nagios`), whose 1 means WARNING, so that "unhealthy" and "cannot tell"
//! reach Nagios, Icinga or Consul as CRITICAL and UNKNOWN.
//!
//! The watchdog is a timer signal rather than a thread: a check runs every 30 s in every
//! container, and a thread (clone, stack mapping) cost about 8% of a whole HTTP check.
//! Whoever starts us may have left SIGALRM ignored (inherited across exec) or blocked
//! (the signal mask is inherited too): arming installs our handler, which replaces an
//! ignored disposition, and unblocks the signal before any thread exists, so every
//! thread the check starts inherits the unblocked mask.

use crate::verdict::Health;
use nix::libc;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

/// Which exit statuses a verdict gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contract {
    /// Docker's, podman's, kolla's and TripleO's: 0 healthy, 1 anything else.
    Engine,
    /// The Nagios plugin API: 0 OK, 2 CRITICAL (unhealthy), 3 UNKNOWN (cannot tell, bad
    /// invocation, internal error, the watchdog). Never 1 (WARNING): nothing here warns.
    Nagios,
}

impl Contract {
    pub fn code(self, health: Health) -> i32 {
        match (self, health) {
            (_, Health::Healthy) => 0,
            (Contract::Engine, _) => 1,
            (Contract::Nagios, Health::Unhealthy) => 2,
            (Contract::Nagios, Health::CannotTell) => 3,
        }
    }
}

static EMITTED: AtomicBool = AtomicBool::new(false);

/// The status the watchdog exits with, set with its line.
static TIMEOUT_CODE: AtomicI32 = AtomicI32::new(1);

/// How an internal error (a panic) is reported once a check's output format is known: its
/// line and exit status for a reason.
type InternalErrorReport = Box<dyn Fn(&str) -> (String, i32) + Send + Sync>;
static INTERNAL_ERROR: OnceLock<InternalErrorReport> = OnceLock::new();

/// Report internal errors with `report` from now on (once per process).
pub fn report_internal_errors_with(report: InternalErrorReport) {
    let _ = INTERNAL_ERROR.set(report);
}

/// The line and status for an internal error, if a format has registered how to report one.
pub fn internal_error(reason: &str) -> Option<(String, i32)> {
    INTERNAL_ERROR.get().map(|report| report(reason))
}

/// The line the watchdog prints, rendered before the timer is armed: a signal handler
/// may only write and exit, not format.
static TIMEOUT_LINE: OnceLock<Vec<u8>> = OnceLock::new();

/// After `after`, print `line` (unless a verdict was printed already) and exit with `code`,
/// whatever the check is blocked in. Arm once per process.
pub fn arm_watchdog(after: Duration, line: &str, code: i32) {
    if TIMEOUT_LINE.set(format!("{line}\n").into_bytes()).is_err() {
        return;
    }
    TIMEOUT_CODE.store(code, Ordering::SeqCst);
    let handler = nix::sys::signal::SigAction::new(
        nix::sys::signal::SigHandler::Handler(on_timeout),
        nix::sys::signal::SaFlags::empty(),
        nix::sys::signal::SigSet::empty(),
    );
    // SAFETY: the handler only uses async-signal-safe calls (an atomic swap, write, _exit).
    let installed =
        unsafe { nix::sys::signal::sigaction(nix::sys::signal::Signal::SIGALRM, &handler) };
    let mut alarm = nix::sys::signal::SigSet::empty();
    alarm.add(nix::sys::signal::Signal::SIGALRM);
    let unblocked = alarm.thread_unblock();
    let timer = libc::itimerval {
        it_interval: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        it_value: libc::timeval {
            tv_sec: after.as_secs().min(i64::MAX as u64) as libc::time_t,
            tv_usec: after.subsec_micros().max(1) as libc::suseconds_t,
        },
    };
    // SAFETY: a plain system call on a valid, initialised struct.
    let armed = installed.is_ok()
        && unblocked.is_ok()
        && unsafe { libc::setitimer(libc::ITIMER_REAL, &timer, std::ptr::null_mut()) } == 0;
    if !armed {
        // No timer: fall back to a thread, which costs more but bounds the check all the same.
        std::thread::spawn(move || {
            std::thread::sleep(after);
            on_timeout(0);
        });
    }
}

extern "C" fn on_timeout(_signal: libc::c_int) {
    if EMITTED.swap(true, Ordering::SeqCst) {
        return; // the main path is printing its verdict and exiting
    }
    // An atomic load is async-signal-safe.
    let code = TIMEOUT_CODE.load(Ordering::SeqCst);
    if let Some(line) = TIMEOUT_LINE.get() {
        // SAFETY: write(2) on fd 1 with a valid buffer, then _exit(2): both async-signal-safe.
        unsafe {
            libc::write(1, line.as_ptr().cast(), line.len());
            libc::_exit(code);
        }
    }
    // SAFETY: as above.
    unsafe { libc::_exit(code) }
}

/// Write `line` (if nobody has yet) and exit with `code`.
pub fn finish(line: &str, code: i32) -> ! {
    if !EMITTED.swap(true, Ordering::SeqCst) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
        std::process::exit(code);
    }
    // The other path is printing and exiting; wait for it.
    loop {
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contracts() {
        let codes = |c: Contract| {
            [Health::Healthy, Health::Unhealthy, Health::CannotTell].map(|h| c.code(h))
        };
        assert_eq!(codes(Contract::Engine), [0, 1, 1]);
        assert_eq!(codes(Contract::Nagios), [0, 2, 3]);
    }
}
