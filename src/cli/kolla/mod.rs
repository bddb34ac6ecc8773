//! kolla's `healthcheck_curl`, `_port`, `_listen`, `_socket`, `_filemod`, `_mariadb`,
//! `_rabbitmq` and MariaDB's `healthcheck.sh` (which kolla's mariadb-server image runs)
//! as drop-in names: same arguments, same environment; the curl one prints curl's line.
//!
//! kolla's scripts take positional arguments only: `healthcheck_port PROCESS PORT...`,
//! `healthcheck_listen PROCESS PORT...`, `healthcheck_socket PROCESS PATH`,
//! `healthcheck_filemod PATH SECONDS`, and `healthcheck_curl` curl's own arguments. Where a
//! script silently does something odd with missing arguments (`healthcheck_port nova` with no
//! port passes on any connection at all), we say what is missing instead.

mod mariadb;

use crate::checks::{self, filemod, http, listen, port, socket};
use crate::context::Context;
use crate::verdict::Checked;

pub fn uses_http(name: &str) -> bool {
    name == "healthcheck_curl"
}

/// The usage line of each drop-in name other than curl (whose arguments are curl's).
fn usage(name: &str) -> &'static str {
    match name {
        "healthcheck_port" | "healthcheck_listen" => "PROCESS PORT...",
        "healthcheck_socket" => "PROCESS PATH",
        "healthcheck_filemod" => "PATH SECONDS",
        _ => "ARGS...",
    }
}

pub fn run(name: &str, args: &[String], ctx: &Context) -> Checked {
    let missing =
        |wanted: usize| args.len() < wanted || args.iter().take(wanted).any(|a| a.is_empty());
    let usage_error = || Checked::cannot_tell(name, format!("usage: {name} {}", usage(name)));
    match name {
        "healthcheck_curl" => http::curl_compat(args, ctx),
        "healthcheck_port" | "healthcheck_listen" => {
            if missing(2) {
                return usage_error();
            }
            let check = if name == "healthcheck_port" {
                port::check
            } else {
                listen::check
            };
            // The scripts join their arguments into one regex; a port given as "5671 5672"
            // in a single (quoted) argument means two ports there, and here.
            let ports: Vec<&str> = args[1..]
                .iter()
                .flat_map(|a| a.split_whitespace())
                .collect();
            port::with_port_args(&args[0], &ports, ctx, check)
        }
        // kolla cuts PROCESS to 15 characters because it matches lsof's comm; so do we, so
        // `neutron-openvswitch-agent` still finds a process whose comm is `neutron-openvsw`.
        "healthcheck_socket" if !missing(2) => socket::check(comm_prefix(&args[0]), &args[1], ctx),
        "healthcheck_filemod" if !missing(2) => filemod::check_args(&args[0], &args[1], ctx),
        "healthcheck_socket" | "healthcheck_filemod" => usage_error(),
        // kolla's two scripts take no arguments (and ignore any).
        "healthcheck_mariadb" => checks::mariadb::kolla_synced(ctx),
        "healthcheck_rabbitmq" => checks::rabbitmq::kolla(ctx),
        "healthcheck.sh" => match mariadb::parse(args) {
            Ok(steps) => checks::mariadb::healthcheck_sh(&steps, ctx),
            Err(e) => Checked::cannot_tell(name, e),
        },
        _ => Checked::cannot_tell(
            name,
            format!("{name} is not one of kolla's healthcheck scripts"),
        ),
    }
}

/// The first 15 characters of `process`, as kolla's `healthcheck_socket` cuts it.
fn comm_prefix(process: &str) -> &str {
    const COMM_CHARS: usize = 15;
    process
        .char_indices()
        .nth(COMM_CHARS)
        .map_or(process, |(end, _)| &process[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadline::Deadline;

    fn ctx() -> Context {
        Context::new(Deadline::after(std::time::Duration::from_secs(5)), false)
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn socket_process_cut_like_kolla() {
        assert_eq!(comm_prefix("neutron-openvswitch-agent"), "neutron-openvsw");
        assert_eq!(comm_prefix("virtlogd"), "virtlogd");
        assert_eq!(comm_prefix("ééééééééééééééééé"), "ééééééééééééééé");
    }

    #[test]
    fn missing_arguments_say_usage() {
        for name in [
            "healthcheck_port",
            "healthcheck_listen",
            "healthcheck_socket",
            "healthcheck_filemod",
        ] {
            let err = run(name, &s(&["only-one"]), &ctx()).outcome.unwrap_err();
            assert!(err.starts_with(&format!("usage: {name} ")), "{err}");
        }
        let err = run("healthcheck_port", &s(&["x", "notaport"]), &ctx())
            .outcome
            .unwrap_err();
        assert!(err.contains("notaport"), "{err}");
    }
}
