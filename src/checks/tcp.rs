//! TCP connect check: healthy when something accepts a connection on the endpoint
//! (`HOST:PORT`, `[v6]:PORT`, `unix:PATH`, `@abstract`), within the deadline.

use crate::context::Context;
use crate::net::{self, Endpoint};
use crate::verdict::Checked;

/// `probe tcp ENDPOINT` as typed: a bad endpoint is a verdict naming it (cannot tell).
pub fn probe(endpoint: &str, ctx: &Context) -> Checked {
    match Endpoint::parse(endpoint, None) {
        Ok(parsed) => connect(&parsed, ctx),
        Err(e) => Checked::cannot_tell(
            endpoint,
            format!("{e} (expected HOST:PORT, unix:PATH or @NAME)"),
        ),
    }
}

/// Connect to `endpoint` (host:port, unix path, @abstract): healthy when it accepts.
pub fn connect(endpoint: &Endpoint, ctx: &Context) -> Checked {
    let outcome = net::connect(endpoint, ctx).map(|conn| {
        let peer = conn
            .peer
            .map(|a| a.to_string())
            .unwrap_or_else(|| endpoint.to_string());
        format!(
            "connected to {peer} in {:.3}s",
            ctx.deadline.elapsed().as_secs_f64()
        )
    });
    Checked::new(endpoint.to_string(), outcome)
}
