//! libvirt check: connect to the daemon socket and ask its version (`virsh version
//! --daemon`); healthy when the daemon answers.

use crate::context::Context;
use crate::net::Endpoint;
use crate::proto::libvirt;
use crate::verdict::{Checked, Outcome};

/// `probe libvirt [ADDR] [--uri URI]`: the socket defaults to libvirt's, the URI to
/// the daemon's default driver.
pub fn probe(address: Option<&str>, uri: Option<&str>, ctx: &Context) -> Checked {
    let uri = uri.unwrap_or(libvirt::DEFAULT_URI);
    super::with_endpoint(address, Some(libvirt::DEFAULT_SOCKET), None, |endpoint| {
        answers(libvirt::daemon_version_of(endpoint, uri, ctx))
    })
}

/// Open a connection on the libvirt socket and ask the daemon its version.
pub fn daemon_version(endpoint: &Endpoint, ctx: &Context) -> Outcome {
    answers(libvirt::daemon_version(endpoint, ctx))
}

fn answers(version: Result<u64, String>) -> Outcome {
    version.map(|v| format!("libvirt daemon {} answers", libvirt::version_text(v)))
}
