//! HAProxy check: `show info` on the stats socket (unix or tcp), healthy when HAProxy
//! reports its name, version, pid and uptime and is not soft-stopping; or, given an
//! http(s):// URL, the `monitor-uri` answering below 400.

use crate::checks::http::{self, HttpOptions};
use crate::context::Context;
use crate::net::Endpoint;
use crate::proto::haproxy;
use crate::verdict::{Checked, Outcome};

/// `probe haproxy TARGET`: a stats socket (unix:PATH, tcp:HOST:PORT) or a monitor-uri URL.
pub fn probe(target: &str, ctx: &Context) -> Checked {
    if target.starts_with("http://") || target.starts_with("https://") {
        return http::get(target, &HttpOptions::default(), ctx);
    }
    super::with_endpoint(Some(target), None, None, |endpoint| {
        show_info(endpoint, ctx)
    })
}

/// `show info` on the stats socket; healthy when it reports a Pid/Uptime and no soft-stop.
pub fn show_info(endpoint: &Endpoint, ctx: &Context) -> Outcome {
    let info = haproxy::show_info(endpoint, ctx)?;
    if info.stopping {
        return Err(format!(
            "HAProxy {} pid {} is stopping (soft-stop in progress)",
            info.version, info.pid
        ));
    }
    Ok(format!(
        "HAProxy {} pid {} up {}",
        info.version, info.pid, info.uptime
    ))
}
