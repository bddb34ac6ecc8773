//! From a table entry and its ARGS to what will be probed: read the configuration files,
//! take the branches, apply the ARGS. The result, a [`Plan`], names concrete targets
//! (URL, ports, socket) and is what `resolve_target` shows; `execute` runs it. Keeping
//! the two apart lets every service's config resolution be tested without any peer.
//! The infrastructure services (Redis, MySQL, RabbitMQ, OVN...) take their addresses from
//! their own configuration files; their resolvers are the child module [`infra`].

pub mod infra;

use crate::checks::{cron, multipathd};
use crate::config::{self, ini, vhost, wrap_ipv6};
use crate::net::Endpoint;
use crate::services::table::{Deep, IniUrl, Spec};
use crate::services::DeepMode;
use std::fmt;
use std::time::Duration;

/// A resolved check, ready to run.
#[derive(Debug, Clone)]
pub enum Plan {
    Http {
        url: String,
    },
    Port {
        process: String,
        ports: Vec<u16>,
        peer: &'static str,
    },
    Listen {
        process: String,
        ports: Vec<u16>,
    },
    Socket {
        process: String,
        path: String,
    },
    Process {
        pattern: String,
    },
    Replication {
        cache: String,
        interval: Duration,
    },
    Cron {
        path: String,
    },
    Redis {
        endpoint: Endpoint,
        password: Option<String>,
    },
    Memcached {
        endpoint: Endpoint,
    },
    Etcd {
        urls: Vec<String>,
    },
    Mysql {
        endpoint: Endpoint,
        user: String,
        password: Option<String>,
    },
    Amqp {
        endpoint: Endpoint,
    },
    Amqp1 {
        endpoint: Endpoint,
    },
    /// OVSDB servers to ask `list_dbs`, each with the database it must serve.
    Ovsdb {
        servers: Vec<(Endpoint, &'static str)>,
    },
    /// ovn-controller's own `connection-status` over its control socket, found through its
    /// pidfile in `rundirs`; the southbound endpoint is read from `ovs_db` (HEALTHCHECK_DEEP=ovn).
    OvnController {
        rundirs: Vec<String>,
        ovs_db: Endpoint,
    },
    /// TripleO's port check of ovn-controller; when it fails, the reason names
    /// `external_ids:ovn-remote` from `ovs_db` if that is on another port.
    OvnControllerPort {
        ports: Vec<u16>,
        ovs_db: Endpoint,
    },
    /// ovn-northd answers `version` on its control socket.
    NorthdVersion {
        endpoint: Endpoint,
    },
    /// A socket that must accept a connection; `what` names it.
    Connect {
        endpoint: Endpoint,
        what: &'static str,
    },
    Collectd {
        endpoint: Endpoint,
    },
    Multipathd {
        endpoint: Endpoint,
    },
    Libvirt {
        endpoint: Endpoint,
    },
    /// Alternatives tried in order (each may have failed to resolve).
    FirstHealthy(Vec<Result<Plan, String>>),
    /// `base`, and the deep checks when asked for; their settings are read from the
    /// service's config files only then, so the default check never depends on them.
    Deep {
        base: Box<Plan>,
        deep: &'static Deep,
    },
    NotApplicable(String),
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |ports: &[u16]| {
            ports
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        match self {
            Plan::Http { url } => write!(f, "http {url}"),
            Plan::Port {
                process,
                ports,
                peer,
            } => write!(f, "port {process} {} ({peer})", join(ports)),
            Plan::Listen { process, ports } => write!(f, "listen {process} {}", join(ports)),
            Plan::Socket { process, path } => write!(f, "socket {process} {path}"),
            Plan::Process { pattern } => write!(f, "process {pattern}"),
            Plan::Replication { cache, interval } => {
                write!(f, "recon {cache} within {}s", interval.as_secs())
            }
            Plan::Cron { path } => write!(f, "cron {path}"),
            // Never the password: only whether there is one.
            Plan::Redis { endpoint, password } => {
                write!(
                    f,
                    "redis {endpoint}{}",
                    if password.is_some() { " (AUTH)" } else { "" }
                )
            }
            Plan::Memcached { endpoint } => write!(f, "memcached {endpoint}"),
            Plan::Etcd { urls } => write!(f, "etcd {}", urls.join(",")),
            Plan::Mysql { endpoint, user, .. } => write!(f, "mysql {user}@{endpoint}"),
            Plan::Amqp { endpoint } => write!(f, "amqp {endpoint}"),
            Plan::Amqp1 { endpoint } => write!(f, "amqp1 {endpoint}"),
            Plan::Ovsdb { servers } => {
                let list: Vec<String> = servers
                    .iter()
                    .map(|(ep, db)| format!("{ep}={db}"))
                    .collect();
                write!(f, "ovsdb {}", list.join(","))
            }
            Plan::OvnController { rundirs, ovs_db } => write!(
                f,
                "unixctl ovn-controller connection-status (pidfile in {}; ovn-remote from {ovs_db})",
                rundirs.join(", ")
            ),
            Plan::OvnControllerPort { ports, .. } => {
                write!(f, "port ovn-controller {} (OVN southbound DB)", join(ports))
            }
            Plan::NorthdVersion { endpoint } => write!(f, "unixctl {endpoint} version (ovn-northd)"),
            Plan::Connect { endpoint, what } => write!(f, "connect {endpoint} ({what})"),
            Plan::Collectd { endpoint } => write!(f, "collectd {endpoint}"),
            Plan::Multipathd { endpoint } => write!(f, "multipathd {endpoint}"),
            Plan::Libvirt { endpoint } => write!(f, "libvirt {endpoint}"),
            Plan::FirstHealthy(alternatives) => {
                let list: Vec<String> = alternatives
                    .iter()
                    .map(|a| match a {
                        Ok(p) => p.to_string(),
                        Err(e) => format!("({e})"),
                    })
                    .collect();
                write!(f, "{}", list.join(" | "))
            }
            Plan::NotApplicable(why) => write!(f, "not applicable: {why}"),
            // What the default check resolves to, as before deep checks existed;
            // `list --format json` names the deep ones.
            Plan::Deep { base, .. } => write!(f, "{base}"),
        }
    }
}

/// Whether processes run, asked by the branches; the real one reads /proc, tests pass their own.
pub trait Processes {
    fn running(&self, pattern: &str) -> bool;
}

/// The process table of this host (or container).
pub struct LiveProcesses;

impl Processes for LiveProcesses {
    fn running(&self, pattern: &str) -> bool {
        crate::checks::process::running(pattern)
    }
}

/// Resolve `spec` with the service's `args`.
pub fn plan(
    spec: &Spec,
    args: &[String],
    deep: DeepMode,
    procs: &dyn Processes,
) -> Result<Plan, String> {
    match spec {
        Spec::IfRunning {
            process,
            then,
            otherwise,
        } => plan(
            if procs.running(process) {
                then
            } else {
                otherwise
            },
            args,
            deep,
            procs,
        ),
        Spec::IfArg {
            value,
            then,
            otherwise,
        } => match args.split_first() {
            Some((first, rest)) if first == value => plan(then, rest, deep, procs),
            _ => plan(otherwise, args, deep, procs),
        },
        Spec::IfFileContains {
            file,
            text,
            then,
            otherwise,
        } => {
            let contains =
                config::read_optional(file)?.is_some_and(|content| content.contains(text));
            plan(if contains { then } else { otherwise }, args, deep, procs)
        }
        Spec::FirstHealthy(alternatives) => Ok(Plan::FirstHealthy(
            alternatives
                .iter()
                .map(|s| plan(s, args, deep, procs))
                .collect(),
        )),
        Spec::NotApplicable(why) => Ok(Plan::NotApplicable(why.to_string())),
        Spec::Deep {
            check,
            deep: checks,
        } => Ok(Plan::Deep {
            base: Box::new(plan(check, args, deep, procs)?),
            deep: checks,
        }),
        Spec::Vhost { conf } => {
            let path = format!("{VHOST_DIR}/{conf}");
            let text = config::read_required(&path)?;
            let url = vhost::url_from_vhost(&text).map_err(|e| config::in_file(&path, e))?;
            Ok(Plan::Http { url })
        }
        Spec::IniUrl(url) => ini_url(url),
        Spec::IniHostListenPort {
            ini: file,
            host_key,
            vhost: vhost_file,
        } => {
            let host = ini_host(&ini::load(file)?, "DEFAULT", host_key, "127.0.0.1");
            let listen = config::read_required(vhost_file)?;
            let port = vhost::listen_port(&listen).map_err(|e| config::in_file(vhost_file, e))?;
            Ok(Plan::Http {
                url: format!("http://{}:{port}/", wrap_ipv6(&host)),
            })
        }
        Spec::SwiftServer {
            process,
            conf,
            default_port,
        } => {
            let ini = ini::load(conf)?;
            let host = ini_host(&ini, "DEFAULT", "bind_ip", "127.0.0.1");
            let port = ini_port(&ini, "DEFAULT", "bind_port", *default_port, conf)?;
            if ini
                .get("pipeline:main", "pipeline")
                .is_some_and(|p| p.contains("healthcheck"))
            {
                Ok(Plan::Http {
                    url: format!("http://{}:{port}/healthcheck", wrap_ipv6(&host)),
                })
            } else {
                // No healthcheck middleware: the original passed silently; the server must at least listen.
                Ok(Plan::Listen {
                    process: process.to_string(),
                    ports: vec![port],
                })
            }
        }
        Spec::Port {
            process,
            ports,
            peer,
        } => Ok(Plan::Port {
            process: process.to_string(),
            ports: ports_or(args, ports)?,
            peer,
        }),
        Spec::PortFromIni {
            process,
            file,
            section,
            key,
            default_port,
        } => {
            let port = ini_port(&ini::load(file)?, section, key, *default_port, file)?;
            Ok(Plan::Port {
                process: process.to_string(),
                ports: vec![port],
                peer: "statsd (UDP)",
            })
        }
        Spec::Listen { process, ports } => Ok(Plan::Listen {
            process: process.to_string(),
            ports: ports_or(args, ports)?,
        }),
        Spec::Socket { process, path } => Ok(Plan::Socket {
            process: process.to_string(),
            path: path.to_string(),
        }),
        Spec::Process { pattern } => Ok(Plan::Process {
            pattern: pattern.to_string(),
        }),
        Spec::SwiftReplication {
            conf,
            section,
            cache,
        } => {
            let interval = ini::load(conf)?.get_or(section, "interval", "300");
            let secs: f64 = interval
                .parse()
                .ok()
                .filter(|s: &f64| s.is_finite() && *s > 0.0)
                .ok_or_else(|| {
                    format!("{conf} [{section}] interval is not a number of seconds: {interval:?}")
                })?;
            Ok(Plan::Replication {
                cache: cache.to_string(),
                interval: Duration::from_secs_f64(secs),
            })
        }
        Spec::Cron => {
            let user = args.first().map(String::as_str).unwrap_or("root");
            Ok(Plan::Cron {
                path: cron::crontab_path(user)?,
            })
        }
        Spec::Redis => infra::redis(),
        Spec::Memcached => infra::memcached(),
        Spec::Etcd => infra::etcd(),
        Spec::Clustercheck => infra::clustercheck(),
        Spec::Mysql => infra::mysql(),
        Spec::Rabbitmq => infra::rabbitmq(),
        Spec::OvnDbs => infra::ovn_dbs(),
        Spec::OvnController { ports } => {
            if deep.ovn() {
                Ok(infra::ovn_controller())
            } else {
                Ok(Plan::OvnControllerPort {
                    ports: ports_or(args, ports)?,
                    ovs_db: infra::ovs_db(),
                })
            }
        }
        Spec::Qdrouterd => infra::qdrouterd_listener(),
        Spec::Collectd => Ok(Plan::Collectd {
            endpoint: infra::socket_under_root("/var/run/collectd-socket"),
        }),
        Spec::Iscsid => Ok(Plan::Connect {
            endpoint: Endpoint::Abstract("ISCSIADM_ABSTRACT_NAMESPACE".into()),
            what: "iscsid control socket",
        }),
        Spec::Multipathd => Ok(Plan::Multipathd {
            endpoint: Endpoint::Abstract(multipathd::SOCKET.into()),
        }),
        Spec::Libvirt => {
            // The monolithic libvirtd's socket, else the modular virtqemud's (qemu:///system either way).
            let path = LIBVIRT_SOCKETS
                .iter()
                .find(|p| config::exists(p))
                .unwrap_or(&LIBVIRT_SOCKETS[0]);
            Ok(Plan::Libvirt {
                endpoint: infra::socket_under_root(path),
            })
        }
    }
}

const VHOST_DIR: &str = "/etc/httpd/conf.d";
const LIBVIRT_SOCKETS: &[&str] = &["/run/libvirt/libvirt-sock", "/run/libvirt/virtqemud-sock"];

/// ARGS as ports (the script's `${@:-DEFAULTS}`), or the defaults without ARGS.
fn ports_or(args: &[String], defaults: &[u16]) -> Result<Vec<u16>, String> {
    if args.is_empty() {
        return Ok(defaults.to_vec());
    }
    args.iter()
        .map(|a| {
            a.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("arguments must be port numbers (1-65535), got {a:?}"))
        })
        .collect()
}

/// A host to connect to from an INI key: wildcard binds (0.0.0.0, ::) mean loopback.
fn ini_host(ini: &ini::Ini, section: &str, key: &str, default: &str) -> String {
    connectable(&ini.get_or(section, key, default))
}

/// A bind address as an address to connect to.
pub fn connectable(host: &str) -> String {
    let host = host.trim().trim_start_matches('[').trim_end_matches(']');
    match host {
        "" | "*" | "0.0.0.0" => "127.0.0.1".into(),
        "::" | "::0" => "::1".into(),
        other => other.to_string(),
    }
}

fn ini_port(
    ini: &ini::Ini,
    section: &str,
    key: &str,
    default: u16,
    file: &str,
) -> Result<u16, String> {
    let text = ini.get_or(section, key, &default.to_string());
    text.parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| format!("{file} [{section}] {key} is not a port number: {text:?}"))
}

fn ini_url(spec: &IniUrl) -> Result<Plan, String> {
    let ini = ini::load(spec.file)?;
    let host = ini_host(&ini, spec.section, spec.host_key, spec.default_host);
    let port = ini_port(
        &ini,
        spec.section,
        spec.port_key,
        spec.default_port,
        spec.file,
    )?;
    let https = spec
        .https_flag
        .and_then(|(section, key)| ini.get(section, key))
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let proto = if https { "https" } else { "http" };
    Ok(Plan::Http {
        url: format!("{proto}://{}:{port}{}", wrap_ipv6(&host), spec.path),
    })
}
