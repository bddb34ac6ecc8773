//! Port check: a matching process has an ESTABLISHED TCP socket or a UDP socket on one of the ports.
//!
//! Unlike the originals, TCP state counts (CLOSE_WAIT means the peer went away, LISTEN is
//! not a connection, TIME_WAIT belongs to no process), ports compare exactly (5672 is not
//! 56721), UDP counts (gnocchi-statsd, octavia-health-manager), and a process whose fds we
//! may not read makes the check say "cannot tell" instead of guessing.

use crate::context::Context;
use crate::proc::process::ProcessInfo;
use crate::proc::sockets::{
    query_inet, query_inet_family, tcp_state, InetQuery, InetSocket, Transport,
};
use crate::proc::{
    describe, hinted_holder, inet_candidates, parse_ports, ports_phrase, scan_holders, Holdings,
};
use crate::verdict::{Checked, Decided, Failure};
use std::collections::BTreeMap;

/// Run `check` on `process` and the port arguments as typed (`probe port|listen`, kolla's
/// `healthcheck_port|listen`): a bad port is an unhealthy verdict.
pub fn with_port_args<S: AsRef<str>>(
    process: &str,
    ports: &[S],
    ctx: &Context,
    check: fn(&str, &[u16], &Context) -> Checked,
) -> Checked {
    match parse_ports(ports) {
        Ok(ports) => check(process, &ports, ctx),
        Err(e) => Checked::cannot_tell(process, e),
    }
}

/// `process:5671,5672`, the target of port and listen verdicts.
pub(crate) fn target(process: &str, ports: &[u16]) -> String {
    let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
    format!("{process}:{}", ports.join(","))
}

/// Healthy when a process matching `process` has an ESTABLISHED TCP socket, or a
/// UDP socket, whose local or remote port is one of `ports`.
pub fn check(process: &str, ports: &[u16], ctx: &Context) -> Checked {
    Checked::decided(target(process, ports), outcome(process, ports, ctx))
}

fn outcome(process: &str, ports: &[u16], ctx: &Context) -> Decided {
    if ports.is_empty() {
        return Err(Failure::CannotTell("no port given".into()));
    }
    // What would make the check pass: TCP ESTABLISHED, UDP bound or connected, either end on a port.
    let established = tcp_state::bit(tcp_state::ESTABLISHED);
    let udp_states = established | tcp_state::bit(tcp_state::CLOSE);
    if let Some(found) = hinted(process, ports, established, udp_states, ctx) {
        return Ok(found);
    }
    let candidates = inet_candidates(ports, true, established, udp_states, ctx)?;
    // `hinted` has asked the remembered process already: scan without asking it again.
    let (processes, holdings) = scan_holders(
        &ctx.system,
        "port",
        process,
        &candidates.iter().map(|(_, s)| s.inode).collect(),
    )?;
    for (transport, socket) in &candidates {
        if let Some(owner) = holdings.owner_of(socket.inode) {
            return Ok(found_phrase(owner, *transport, socket));
        }
    }
    if let Some(reason) = holdings.cannot_tell(&ctx.system, !candidates.is_empty()) {
        return Err(reason.into());
    }
    Err(Failure::Unhealthy(format!(
        "{} has no established connection on {}{}",
        describe(&processes),
        ports_phrase(ports),
        other_states(ports, &holdings, ctx)
    )))
}

/// The healthy reason for `owner` holding `socket`.
fn found_phrase(owner: &ProcessInfo, transport: Transport, socket: &InetSocket) -> String {
    match transport {
        Transport::Tcp => format!(
            "{} has an established connection {} -> {}",
            owner.label(),
            socket.local,
            socket.remote
        ),
        Transport::Udp if socket.state == tcp_state::ESTABLISHED => {
            format!(
                "{} has a udp socket {} connected to {}",
                owner.label(),
                socket.local,
                socket.remote
            )
        }
        Transport::Udp => format!(
            "{} has a udp socket bound to {}",
            owner.label(),
            socket.local
        ),
    }
}

/// The fast path of a healthy check: the process that held the connection last time
/// ([`crate::proc::hint`]) is asked about one transport and address family at a time, and
/// the first of its sockets found ends the check. Each sock_diag dump walks every socket of
/// its kind in the kernel, so on a host with thousands of connections stopping after the
/// first family is what keeps the cost flat. `None`: no hint, or it no longer holds one;
/// the full search decides then (and reports any failure met here).
fn hinted(
    process: &str,
    ports: &[u16],
    tcp_states: u32,
    udp_states: u32,
    ctx: &Context,
) -> Option<String> {
    let (owner, held) = hinted_holder(&ctx.system, "port", process)?;
    for (transport, states) in [(Transport::Tcp, tcp_states), (Transport::Udp, udp_states)] {
        for ipv6 in [false, true] {
            let query = InetQuery {
                transport,
                states,
                ports,
                remote_too: true,
            };
            let sockets = query_inet_family(&query, ipv6, &ctx.deadline).ok()?;
            if let Some(socket) = sockets
                .iter()
                .find(|s| s.inode != 0 && held.contains(&s.inode))
            {
                return Some(found_phrase(&owner, transport, socket));
            }
        }
    }
    None
}

/// Why not: the matching processes' TCP sockets on the ports in states that do not count,
/// e.g. " (1 in CLOSE_WAIT)". Empty when there are none or the second look fails.
fn other_states(ports: &[u16], holdings: &Holdings, ctx: &Context) -> String {
    let every_state = InetQuery {
        transport: Transport::Tcp,
        states: tcp_state::ALL,
        ports,
        remote_too: true,
    };
    let Ok(sockets) = query_inet(&every_state, &ctx.deadline) else {
        return String::new();
    };
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for socket in sockets
        .iter()
        .filter(|s| holdings.owner_of(s.inode).is_some())
    {
        *counts.entry(tcp_state::name(socket.state)).or_default() += 1;
    }
    if counts.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(state, n)| format!("{n} in {state}"))
        .collect();
    format!(" ({})", parts.join(", "))
}
