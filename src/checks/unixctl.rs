//! Open vSwitch / OVN control-socket check: a daemon's `*.ctl` socket answers a unixctl
//! command (what `ovs-appctl -t TARGET COMMAND` does, without starting a process). The
//! command must succeed; with an expected answer, one line of its output must be exactly
//! that (`connection-status` answers `connected` or `not connected`, so a substring
//! would not do).

use crate::context::Context;
use crate::net::Endpoint;
use crate::proto::exchange::printable;
use crate::proto::unixctl::{self, Reply};
use crate::verdict::{Checked, Outcome};

/// Longest piece of a daemon's answer quoted in a reason.
const QUOTE_CHARS: usize = 160;

/// Options of `probe unixctl`.
#[derive(Debug, Clone, Default)]
pub struct UnixctlOptions {
    /// A socket path, or a daemon name resolved through its pidfile.
    pub target: String,
    pub command: String,
    pub args: Vec<String>,
    /// Healthy only when a line of the output is exactly this.
    pub expect: Option<String>,
}

/// `probe unixctl TARGET COMMAND [ARGS...] [--expect TEXT]`.
pub fn probe(opts: &UnixctlOptions, ctx: &Context) -> Checked {
    let endpoint = match unixctl::socket_for(&opts.target, &unixctl::default_rundirs()) {
        Ok(ep) => ep,
        Err(e) => return Checked::new(opts.target.as_str(), Err(e)),
    };
    let outcome = run(
        &endpoint,
        &opts.command,
        &opts.args,
        opts.expect.as_deref(),
        ctx,
    );
    Checked::new(endpoint.to_string(), outcome)
}

/// Run `command` on the daemon at `endpoint`: healthy when it succeeds (and, with
/// `expect`, one line of its output is exactly `expect`).
pub fn run(
    endpoint: &Endpoint,
    command: &str,
    args: &[String],
    expect: Option<&str>,
    ctx: &Context,
) -> Outcome {
    let output = output_of(endpoint, command, args, ctx)?;
    let quoted = quote(&output);
    match expect {
        Some(want) if !output.lines().any(|l| l.trim() == want) => {
            Err(format!("{command} answered \"{quoted}\", not \"{want}\""))
        }
        _ => Ok(format!("{command}: {quoted}")),
    }
}

/// The output of a command that succeeded; a refused or failed command is the reason.
pub fn output_of(
    endpoint: &Endpoint,
    command: &str,
    args: &[String],
    ctx: &Context,
) -> Result<String, String> {
    match unixctl::transact(endpoint, command, args, ctx)? {
        Reply::Output(text) => Ok(text),
        Reply::Error(text) => Err(format!("{command} failed: {}", quote(&text))),
    }
}

/// A daemon's multi-line answer on one line: lines joined by "; ", cut, escaped.
pub fn quote(text: &str) -> String {
    let joined: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    printable(joined.join("; ").as_bytes(), QUOTE_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_on_one_line() {
        assert_eq!(
            quote("ovn-northd 23.03.1\nOpen vSwitch Library 3.1.0\n"),
            "ovn-northd 23.03.1; Open vSwitch Library 3.1.0"
        );
        assert_eq!(quote(""), "");
        assert!(quote(&"x".repeat(500)).ends_with("..."));
    }
}
