//! Process check: a process whose command line matches runs (never the checker, never a zombie).

use crate::cli::probes::ProbeKind;
use crate::context::Context;
use crate::proc::{describe, matching_processes};
use crate::verdict::Checked;
use clap::{Arg, ArgMatches, Command};

pub const PROBE: ProbeKind = ProbeKind {
    name: "process",
    about: "A process with a matching command line runs",
    args,
    run,
    http_budget: false,
};

fn args(cmd: Command) -> Command {
    cmd.arg(
        Arg::new("pattern")
            .required(true)
            .value_name("PATTERN")
            .help(
            "Matched like pgrep -f: extended-regex subset on the command line or the 15-char name",
        ),
    )
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    check(
        m.get_one::<String>("pattern")
            .map(String::as_str)
            .unwrap_or_default(),
        ctx,
    )
}

/// Healthy when a process whose command line (or comm) matches `pattern` runs.
pub fn check(pattern: &str, ctx: &Context) -> Checked {
    let outcome = matching_processes(pattern).map(|found| {
        ctx.trace(format_args!("processes matching '{pattern}': {found:?}"));
        format!("{} runs", describe(&found))
    });
    Checked::new(pattern, outcome)
}

/// Whether a process matching `pattern` runs (not the checker itself, not a zombie).
/// An invalid pattern matches nothing.
pub fn running(pattern: &str) -> bool {
    matching_processes(pattern).is_ok()
}
