//! The exit contract in one place: write the single output line once, then exit 0
//! (healthy) or 1 (everything else). The watchdog and the main path may race to
//! finish; only the first one prints.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static EMITTED: AtomicBool = AtomicBool::new(false);

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
