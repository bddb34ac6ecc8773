//! The per-service checks of tripleo-common 18.0.0: the table (data, in `table`), the
//! resolution of an entry and its ARGS into concrete targets (`plan`, with `plan::infra`
//! for the infrastructure services' own configuration files), and running them
//! with the primitives (`execute`). `list` describes the table for people and for the
//! Ansible collection.

pub mod execute;
pub mod plan;
pub mod table;

use crate::context::Context;
use crate::system::System;
use crate::verdict::Checked;
pub use plan::Plan;
pub use table::{Deep, Image, Service, Spec, SERVICES};

/// Which opt-in deep checks to run (`HEALTHCHECK_DEEP` or `--deep`): a list of areas
/// separated by commas or spaces, case-insensitive. `rpc` pings the RPC workers' own
/// queue, `heartbeat` reads their row in their database, `ovn` asks ovn-controller itself
/// for its southbound connection; `all` names every area. Off by default, which keeps
/// tripleo-common's verdicts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeepMode {
    rpc: bool,
    heartbeat: bool,
    ovn: bool,
}

impl DeepMode {
    pub const OFF: DeepMode = DeepMode {
        rpc: false,
        heartbeat: false,
        ovn: false,
    };
    pub const ALL: DeepMode = DeepMode {
        rpc: true,
        heartbeat: true,
        ovn: true,
    };
    /// The words a value may hold (`none` and `0` are also read as `off`).
    pub const NAMES: &'static [&'static str] = &["off", "rpc", "heartbeat", "ovn", "all"];

    pub fn parse(text: &str) -> Result<DeepMode, String> {
        let mut mode = DeepMode::OFF;
        for word in text.split([',', ' ', '\t']).filter(|w| !w.is_empty()) {
            match word.to_ascii_lowercase().as_str() {
                "off" | "none" | "0" => {}
                "rpc" => mode.rpc = true,
                "heartbeat" => mode.heartbeat = true,
                "ovn" => mode.ovn = true,
                "all" => mode = DeepMode::ALL,
                _ => {
                    return Err(format!(
                        "deep check {word:?} unknown: a list of {}",
                        DeepMode::NAMES.join(", ")
                    ))
                }
            }
        }
        Ok(mode)
    }

    pub fn is_off(self) -> bool {
        self == DeepMode::OFF
    }

    pub fn rpc(self) -> bool {
        self.rpc
    }

    pub fn heartbeat(self) -> bool {
        self.heartbeat
    }

    pub fn ovn(self) -> bool {
        self.ovn
    }
}

impl Service {
    /// Whether the check is HTTP (its default budget is `HEALTHCHECK_CURL_MAX_TIME`).
    pub fn uses_http(&self) -> bool {
        let mut http = false;
        walk(&self.spec, &mut |s| {
            http |= matches!(
                s,
                Spec::Vhost { .. }
                    | Spec::IniUrl(_)
                    | Spec::IniHostListenPort { .. }
                    | Spec::SwiftServer { .. }
                    | Spec::Clustercheck
            )
        });
        http
    }
}

/// The service called `name`.
pub fn find(name: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.name == name)
}

/// Run a service's check with its ARGS on the context's system, and the deep checks `deep`
/// asks for where the service has them.
pub fn run(service: &Service, args: &[String], deep: DeepMode, ctx: &Context) -> Checked {
    let sys = &ctx.system;
    match plan::plan(&service.spec, args, deep, sys, &plan::LiveProcesses(sys)) {
        Ok(plan) => execute::execute_with(&plan, deep, ctx),
        // What to check could not be worked out (its configuration files): no verdict.
        Err(reason) => Checked::cannot_tell("", reason),
    }
}

/// The deep checks anywhere in a spec tree (nova-compute's sits in a branch).
pub fn deep_of(spec: &Spec) -> Option<&'static Deep> {
    let mut found = None;
    walk(spec, &mut |s| {
        if let Spec::Deep { deep, .. } = s {
            found = Some(*deep);
        }
    });
    found
}

/// What `service ARGS` would check on `sys` (URL, ports, socket...) with the deep checks
/// `deep`, without probing anything: the configuration files are read and the branches taken.
pub fn resolve_target(
    sys: &System,
    service: &str,
    args: &[String],
    deep: DeepMode,
) -> Result<String, String> {
    let service = find(service).ok_or_else(|| format!("unknown service {service:?}"))?;
    plan::plan(&service.spec, args, deep, sys, &plan::LiveProcesses(sys)).map(|p| p.to_string())
}

/// Every node of a spec tree, depth first.
pub fn walk(spec: &Spec, visit: &mut dyn FnMut(&Spec)) {
    visit(spec);
    match spec {
        Spec::IfRunning {
            then, otherwise, ..
        }
        | Spec::IfArg {
            then, otherwise, ..
        }
        | Spec::IfFileContains {
            then, otherwise, ..
        } => {
            walk(then, visit);
            walk(otherwise, visit);
        }
        Spec::FirstHealthy(alternatives) => alternatives.iter().for_each(|s| walk(s, visit)),
        Spec::Deep { check, .. } => walk(check, visit),
        _ => {}
    }
}

/// A short name for the kind of check at the top of a spec (`list --format json`'s `check`).
pub fn kind(spec: &Spec) -> &'static str {
    match spec {
        Spec::IfRunning { .. } => "if-running",
        Spec::IfArg { .. } => "if-arg",
        Spec::IfFileContains { .. } => "if-file-contains",
        Spec::FirstHealthy(_) => "first-healthy",
        Spec::NotApplicable(_) => "not-applicable",
        Spec::Vhost { .. } => "vhost",
        Spec::IniUrl(_) => "ini-url",
        Spec::IniHostListenPort { .. } => "ini-host-listen-port",
        Spec::SwiftServer { .. } => "swift-server",
        Spec::Port { .. } => "port",
        Spec::PortFromIni { .. } => "port-from-ini",
        Spec::Listen { .. } => "listen",
        Spec::Socket { .. } => "socket",
        Spec::Process { .. } => "process",
        Spec::SwiftReplication { .. } => "swift-replication",
        Spec::Cron => "cron",
        Spec::Redis => "redis",
        Spec::Memcached => "memcached",
        Spec::Etcd => "etcd",
        Spec::Clustercheck => "clustercheck",
        Spec::Mysql => "mysql",
        Spec::Rabbitmq => "rabbitmq",
        Spec::OvnDbs => "ovn-dbs",
        Spec::OvnController { .. } => "ovn-controller",
        Spec::Qdrouterd => "qdrouterd",
        Spec::Collectd => "collectd",
        Spec::Iscsid => "iscsid",
        Spec::Multipathd => "multipathd",
        Spec::Libvirt => "libvirt",
        // The default check is the one underneath; `list` names the deep ones apart.
        Spec::Deep { check, .. } => kind(check),
    }
}

/// The default ports, processes and files anywhere in a spec tree.
fn facts(spec: &Spec) -> (Vec<u16>, Vec<&'static str>, Vec<String>) {
    let (mut ports, mut processes, mut files) = (Vec::new(), Vec::new(), Vec::new());
    walk(spec, &mut |s| match s {
        Spec::IfRunning { process, .. } => processes.push(*process),
        Spec::IfFileContains { file, .. } => files.push(file.to_string()),
        Spec::Vhost { conf } => files.push(format!("/etc/httpd/conf.d/{conf}")),
        Spec::IniUrl(u) => {
            ports.push(u.default_port);
            files.push(u.file.to_string());
        }
        Spec::IniHostListenPort { ini, vhost, .. } => {
            files.extend([ini.to_string(), vhost.to_string()])
        }
        Spec::SwiftServer {
            process,
            conf,
            default_port,
        } => {
            ports.push(*default_port);
            processes.push(*process);
            files.push(conf.to_string());
        }
        Spec::Port {
            process, ports: p, ..
        }
        | Spec::Listen { process, ports: p } => {
            ports.extend_from_slice(p);
            processes.push(*process);
        }
        Spec::PortFromIni {
            process,
            file,
            default_port,
            ..
        } => {
            ports.push(*default_port);
            processes.push(*process);
            files.push(file.to_string());
        }
        Spec::Socket { process, path } => {
            processes.push(*process);
            files.push(path.to_string());
        }
        Spec::Process { pattern } => processes.push(*pattern),
        Spec::OvnController { ports: p } => {
            ports.extend_from_slice(p);
            processes.push("ovn-controller");
        }
        Spec::SwiftReplication { conf, cache, .. } => {
            files.extend([conf.to_string(), cache.to_string()])
        }
        _ => {}
    });
    ports.dedup();
    processes.sort_unstable();
    processes.dedup();
    files.dedup();
    (ports, processes, files)
}

/// `list`: a table of the services (name, kolla image, what it checks) followed by kolla's
/// drop-in names, or, with `json`, one object
/// `{"services": [{name, image, image_note, check, summary, ports, processes, files, http,
/// deep}],
/// "kolla_names": [...]}`. Packaging and the Ansible collection take every service name,
/// image and drop-in name from here, so the binary is the one list there is. The drop-in
/// names are the command line's (`cli::dispatch`), handed down so this layer stays below it.
pub fn list(json: bool, kolla_names: &[&str]) -> String {
    if !json {
        return list_text(kolla_names);
    }
    let services: Vec<serde_json::Value> = SERVICES
        .iter()
        .map(|s| {
            let (ports, processes, files) = facts(&s.spec);
            serde_json::json!({
                "name": s.name,
                "image": s.image.name,
                "image_note": (!s.image.note.is_empty()).then_some(s.image.note),
                "check": kind(&s.spec),
                "summary": s.summary,
                "ports": ports,
                "processes": processes,
                "files": files,
                "http": s.uses_http(),
                "deep": deep_of(&s.spec).map(deep_json),
            })
        })
        .collect();
    serde_json::json!({ "services": services, "kolla_names": kolla_names }).to_string()
}

/// What `list --format json` says of a service's deep checks (null when it has none).
fn deep_json(d: &Deep) -> serde_json::Value {
    serde_json::json!({
        "configs": d.configs,
        "rpc": d.rpc_topic.map(|topic| serde_json::json!({
            "topic": topic,
            "exchange": d.exchange,
            "server_backends_key": d.backends_key,
        })),
        "heartbeat": d.heartbeat.map(|binary| serde_json::json!({
            "service": binary,
            "table": crate::checks::heartbeat::table_for(binary).name,
        })),
    })
}

/// `list` for people: aligned columns under a header, then the drop-in names on one line.
fn list_text(kolla_names: &[&str]) -> String {
    const HEADER: [&str; 3] = ["SERVICE", "KOLLA IMAGE", "CHECKS"];
    let name_width = SERVICES
        .iter()
        .map(|s| s.name.len())
        .chain([HEADER[0].len()])
        .max()
        .unwrap_or(0);
    let image_width = SERVICES
        .iter()
        .map(|s| s.image.name.len())
        .chain([HEADER[1].len()])
        .max()
        .unwrap_or(0);
    let row = |name: &str, image: &str, summary: &str| {
        format!("{name:name_width$}  {image:image_width$}  {summary}")
    };
    let mut lines = vec![row(HEADER[0], HEADER[1], HEADER[2])];
    lines.extend(
        SERVICES
            .iter()
            .map(|s| row(s.name, s.image.name, s.summary)),
    );
    lines.push(String::new());
    lines.push(format!(
        "kolla drop-in names (kolla's arguments): {}",
        kolla_names.join(" ")
    ));
    lines.join("\n")
}

#[cfg(test)]
mod tests;
