//! memcached check: healthy when the server answers `version` with a `VERSION` line.
//! The original TripleO check sent the command and never read the reply; this one does.

use crate::context::Context;
use crate::net::Endpoint;
use crate::proto::memcached;
use crate::verdict::{Checked, Outcome};

/// `probe memcached ADDR`: HOST[:PORT] (default port 11211) or unix:PATH.
pub fn probe(address: &str, ctx: &Context) -> Checked {
    super::with_endpoint(
        Some(address),
        None,
        Some(memcached::DEFAULT_PORT),
        |endpoint| version(endpoint, ctx),
    )
}

/// Send `version`; healthy when a `VERSION x` line comes back.
pub fn version(endpoint: &Endpoint, ctx: &Context) -> Outcome {
    let version = memcached::version(endpoint, ctx)?;
    Ok(format!("memcached {version} answers"))
}
