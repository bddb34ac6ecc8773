//! `openstack-healthcheck`: container health checks for OpenStack services.
//!
//! One static binary with many names (see `dispatch`): the per-service checks of
//! TripleO (`openstack-healthcheck nova-api`, or `/openstack/healthcheck` linked to a
//! service name), kolla's `healthcheck_*` scripts as drop-in names, and the raw
//! probes (`openstack-healthcheck probe http URL`).
//!
//! The exit contract is enforced here: exit 0 (healthy) or 1 (anything else, including
//! bad arguments, internal errors and panics), at most one line of output, and a
//! watchdog that ends the process with a verdict if a check overruns its deadline.
//! `--format nagios` alone chooses the Nagios plugin statuses instead (see `exit`).

use openstack_healthcheck::exit::{self, finish};
use openstack_healthcheck::{cli, output};
use std::sync::Mutex;

static PANIC_MESSAGE: Mutex<Option<String>> = Mutex::new(None);

fn main() {
    // A panic must not print Rust's multi-line report: keep its message for one line.
    std::panic::set_hook(Box::new(|info| {
        let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
            s.to_string()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "panic".to_string()
        };
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if let Ok(mut slot) = PANIC_MESSAGE.lock() {
            *slot = Some(format!("{msg}{place}"));
        }
    }));
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    match std::panic::catch_unwind(|| cli::run(args)) {
        Ok((line, code)) => finish(&line, code),
        Err(_) => {
            let msg = PANIC_MESSAGE
                .lock()
                .ok()
                .and_then(|m| m.clone())
                .unwrap_or_default();
            let reason = format!("internal error (please report): {msg}");
            // In the check's format once one was chosen; else the default line.
            let (line, code) = exit::internal_error(&reason).unwrap_or_else(|| {
                let line = output::one_line(&format!("unhealthy: {reason}"), output::MAX_LINE);
                (line, 1)
            });
            finish(&line, code)
        }
    }
}
