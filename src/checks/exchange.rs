//! One request, one reply, over a deadline-bound connection: the shape of the small
//! service-specific protocols (collectd's unixsock, multipathd, the AMQP 1.0 header).

use crate::context::Context;
use crate::net::{self, Endpoint};
use std::io::Write;

/// Connect to `endpoint`, send `request`, and read until `done` says the reply is
/// complete (at most `limit` bytes), all within the check's deadline.
pub fn request(
    endpoint: &Endpoint,
    request: &[u8],
    limit: usize,
    done: impl FnMut(&[u8]) -> bool,
    ctx: &Context,
) -> Result<Vec<u8>, String> {
    let mut conn = net::connect(endpoint, ctx)?;
    ctx.trace(format_args!(
        "connected to {endpoint}, sending {} bytes",
        request.len()
    ));
    conn.write_all(request).map_err(|e| {
        format!(
            "{endpoint}: sending the request: {}",
            crate::util::io_reason(&e)
        )
    })?;
    net::read_until(&mut conn, limit, done).map_err(|e| format!("{endpoint}: {e}"))
}
