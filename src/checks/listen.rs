//! Listen check: a matching process has a listening socket on one of the ports
//! (TCP LISTEN, or a UDP socket bound to the port).

use crate::context::Context;
use crate::proc::sockets::tcp_state;
use crate::proc::{describe, holders, inet_candidates, ports_phrase};
use crate::verdict::{Checked, Decided, Failure};

/// Healthy when a process matching `process` listens (TCP LISTEN or bound UDP) on one of `ports`.
pub fn check(process: &str, ports: &[u16], ctx: &Context) -> Checked {
    Checked::decided(
        super::port::target(process, ports),
        outcome(process, ports, ctx),
    )
}

fn outcome(process: &str, ports: &[u16], ctx: &Context) -> Decided {
    if ports.is_empty() {
        return Err(Failure::CannotTell("no port given".into()));
    }
    // Local port only: TCP in LISTEN, UDP bound (connected or not).
    let udp_bound = tcp_state::bit(tcp_state::CLOSE) | tcp_state::bit(tcp_state::ESTABLISHED);
    let candidates = inet_candidates(
        ports,
        false,
        tcp_state::bit(tcp_state::LISTEN),
        udp_bound,
        ctx,
    )?;
    let (processes, holdings) = holders(
        &ctx.system,
        "listen",
        process,
        &candidates.iter().map(|(_, s)| s.inode).collect(),
    )?;
    if let Some((transport, socket, owner)) = candidates
        .iter()
        .find_map(|(t, s)| holdings.owner_of(s.inode).map(|owner| (t, s, owner)))
    {
        return Ok(format!(
            "{} listens on {} ({})",
            owner.label(),
            socket.local,
            transport.name()
        ));
    }
    if let Some(reason) = holdings.cannot_tell(&ctx.system, !candidates.is_empty()) {
        return Err(reason.into());
    }
    let others = if candidates.is_empty() {
        ""
    } else {
        " (another process does)"
    };
    Err(Failure::Unhealthy(format!(
        "{} does not listen on {}{others}",
        describe(&processes),
        ports_phrase(ports)
    )))
}
