//! The exit contract in one place: write the single output line once, then exit 0
//! (healthy) or 1 (everything else). The watchdog and the main path may race to
//! finish; only the first one prints.
//!
//! The watchdog is a timer signal rather than a thread: a check runs every 30 s in every
//! container, and a thread (clone, stack mapping) cost about 8% of a whole HTTP check.
//! Whoever starts us may have left SIGALRM ignored (inherited across exec) or blocked
//! (the signal mask is inherited too): arming installs our handler, which replaces an
//! ignored disposition, and unblocks the signal before any thread exists, so every
//! thread the check starts inherits the unblocked mask.

use nix::libc;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

static EMITTED: AtomicBool = AtomicBool::new(false);

/// The line the watchdog prints, rendered before the timer is armed: a signal handler
/// may only write and exit, not format.
static TIMEOUT_LINE: OnceLock<Vec<u8>> = OnceLock::new();

/// After `after`, print `line` (unless a verdict was printed already) and exit 1, whatever
/// the check is blocked in. Arm once per process.
pub fn arm_watchdog(after: Duration, line: &str) {
    if TIMEOUT_LINE.set(format!("{line}\n").into_bytes()).is_err() {
        return;
    }
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
    if let Some(line) = TIMEOUT_LINE.get() {
        // SAFETY: write(2) on fd 1 with a valid buffer, then _exit(2): both async-signal-safe.
        unsafe {
            libc::write(1, line.as_ptr().cast(), line.len());
            libc::_exit(1);
        }
    }
    // SAFETY: as above.
    unsafe { libc::_exit(1) }
}

/// Write `line` (if nobody has yet) and exit with 0 when healthy, else 1.
pub fn finish(line: &str, healthy: bool) -> ! {
    if !EMITTED.swap(true, Ordering::SeqCst) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
        std::process::exit(if healthy { 0 } else { 1 });
    }
    // The other path is printing and exiting; wait for it.
    loop {
        std::thread::park();
    }
}
