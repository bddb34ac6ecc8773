//! kolla's `healthcheck_curl`, `_port`, `_listen`, `_socket`, `_filemod` as drop-in
//! names: same arguments, same environment, same success line.

use crate::context::Context;
use crate::verdict::Checked;

pub fn uses_http(name: &str) -> bool {
    name == "healthcheck_curl"
}

pub fn run(name: &str, _args: &[String], _ctx: &Context) -> Checked {
    Checked::new(name, Err("not implemented yet".into()))
}
