//! From a table entry and its ARGS to what will be probed: read the configuration files,
//! take the branches, apply the ARGS. The result, a [`Plan`], names concrete targets
//! (URL, ports, socket) and is what `resolve_target` shows; `execute` runs it. Keeping
//! the two apart lets every service's config resolution be tested without any peer.

use super::table::{IniUrl, Spec};
use crate::checks::{cron, multipathd};
use crate::config::{self, ini, qdrouterd, redis_conf, sysconfig, vhost, wrap_ipv6};
use crate::net::Endpoint;
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
pub fn plan(spec: &Spec, args: &[String], procs: &dyn Processes) -> Result<Plan, String> {
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
            procs,
        ),
        Spec::IfArg {
            value,
            then,
            otherwise,
        } => match args.split_first() {
            Some((first, rest)) if first == value => plan(then, rest, procs),
            _ => plan(otherwise, args, procs),
        },
        Spec::IfFileContains {
            file,
            text,
            then,
            otherwise,
        } => {
            let contains =
                config::read_optional(file)?.is_some_and(|content| content.contains(text));
            plan(if contains { then } else { otherwise }, args, procs)
        }
        Spec::FirstHealthy(alternatives) => Ok(Plan::FirstHealthy(
            alternatives.iter().map(|s| plan(s, args, procs)).collect(),
        )),
        Spec::NotApplicable(why) => Ok(Plan::NotApplicable(why.to_string())),
        Spec::Vhost { conf } => {
            let path = format!("{VHOST_DIR}/{conf}");
            let text = config::read_required(&path)?;
            let url = vhost::url_from_vhost(&text)
                .map_err(|e| format!("{}: {e}", config::host_path(&path).display()))?;
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
            let port = vhost::listen_port(&listen)
                .map_err(|e| format!("{}: {e}", config::host_path(vhost_file).display()))?;
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
        Spec::Redis => redis(),
        Spec::Memcached => memcached(),
        Spec::Etcd => etcd(),
        Spec::Clustercheck => clustercheck(),
        Spec::Mysql => mysql(),
        Spec::Rabbitmq => rabbitmq(),
        Spec::OvnDbs => ovn_dbs(),
        Spec::Qdrouterd => qdrouterd_listener(),
        Spec::Collectd => Ok(Plan::Collectd {
            endpoint: socket_under_root("/var/run/collectd-socket"),
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
                endpoint: socket_under_root(path),
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

/// A unix socket we connect to ourselves: under `HEALTHCHECK_ROOT` like the config files.
fn socket_under_root(path: &str) -> Endpoint {
    Endpoint::Unix(config::host_path_string(path))
}

fn tcp(host: &str, port: u16) -> Endpoint {
    Endpoint::Tcp {
        host: connectable(host),
        port,
    }
}

fn load_sysconfig(path: &str) -> Result<sysconfig::Assignments, String> {
    match config::read_optional(path)? {
        Some(text) => sysconfig::parse(&text)
            .map_err(|e| format!("{}: {e}", config::host_path(path).display())),
        None => Ok(Vec::new()),
    }
}

const REDIS_CONF: &str = "/etc/redis/redis.conf";

fn redis() -> Result<Plan, String> {
    let conf = match config::read_optional(REDIS_CONF)? {
        Some(text) => redis_conf::parse(&text)
            .map_err(|e| format!("{}: {e}", config::host_path(REDIS_CONF).display()))?,
        None => redis_conf::RedisConf::default(),
    };
    if let Some(password) = &conf.requirepass {
        crate::secrets::remember(password);
    }
    let port = conf.plain_port()?;
    Ok(Plan::Redis {
        endpoint: tcp(&conf.host(), port),
        password: conf.requirepass.clone(),
    })
}

const MEMCACHED_CONF: &str = "/etc/sysconfig/memcached";
const MEMCACHED_PORT: u16 = 11211;

fn memcached() -> Result<Plan, String> {
    let vars = load_sysconfig(MEMCACHED_CONF)?;
    let options = sysconfig::get(&vars, "OPTIONS").unwrap_or("");
    let port = match sysconfig::get(&vars, "PORT").filter(|p| !p.is_empty()) {
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| format!("{MEMCACHED_CONF}: PORT is not a port number: {p:?}"))?,
        None => MEMCACHED_PORT,
    };
    let (host, port) = memcached_address(options, port);
    Ok(Plan::Memcached {
        endpoint: tcp(&host, port),
    })
}

/// memcached's address from its OPTIONS: with TLS, TripleO adds a `notls:ADDR:11211`
/// listener, which is the one to ask; else the first address given to `-l`.
pub fn memcached_address(options: &str, port: u16) -> (String, u16) {
    let words: Vec<&str> = options.split_whitespace().collect();
    let mut listens: Vec<&str> = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let value = match *word {
            "-l" | "--listen" => words.get(i + 1).copied(),
            w => w
                .strip_prefix("--listen=")
                .or_else(|| w.strip_prefix("-l").filter(|v| !v.is_empty())),
        };
        listens.extend(value.into_iter().flat_map(|v| v.split(',')));
    }
    for item in &listens {
        if let Some(rest) = item.strip_prefix("notls:") {
            if let Some((addr, _)) = rest
                .rsplit_once(':')
                .filter(|(_, p)| *p == MEMCACHED_PORT.to_string())
            {
                return (addr.trim_matches(['[', ']']).to_string(), MEMCACHED_PORT);
            }
        }
    }
    match listens.iter().find(|item| !item.starts_with("notls:")) {
        Some(first) => match crate::net::split_host_port(first) {
            Ok((host, explicit)) => (host, explicit.unwrap_or(port)),
            Err(_) => (first.to_string(), port),
        },
        None => ("127.0.0.1".into(), port),
    }
}

const ETCD_CONF: &str = "/etc/etcd/etcd.conf";

fn etcd() -> Result<Plan, String> {
    let vars = load_sysconfig(ETCD_CONF)?;
    // etcd's own default when the file does not say.
    let urls = sysconfig::get(&vars, "ETCD_LISTEN_CLIENT_URLS").unwrap_or("http://127.0.0.1:2379");
    let urls: Vec<String> = urls
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(String::from)
        .collect();
    if urls.is_empty() {
        return Err(format!("{ETCD_CONF}: ETCD_LISTEN_CLIENT_URLS is empty"));
    }
    Ok(Plan::Etcd { urls })
}

const CLUSTERCHECK_CONF: &str = "/etc/sysconfig/clustercheck";

fn clustercheck() -> Result<Plan, String> {
    let vars = load_sysconfig(CLUSTERCHECK_CONF)?;
    let bind = sysconfig::get(&vars, "TRIPLEO_SOCAT_BIND").unwrap_or("");
    let (addr, port) = socat_bind(bind);
    let host = match addr {
        Some(a) => a,
        None => local_hostname()?,
    };
    Ok(Plan::Http {
        url: format!(
            "http://{}:{}/",
            wrap_ipv6(&connectable(&host)),
            port.unwrap_or(9200)
        ),
    })
}

/// The address and port of a socat listen spec such as
/// `tcp6-listen:9200,bind="[fd00::5]",reuseaddr,fork`.
pub fn socat_bind(spec: &str) -> (Option<String>, Option<u16>) {
    let port = spec
        .split(',')
        .next()
        .and_then(|head| head.split_once("listen:"))
        .and_then(|(_, p)| p.parse::<u16>().ok());
    let addr = spec
        .split(',')
        .find_map(|opt| opt.trim().strip_prefix("bind="))
        .map(|a| a.trim_matches(['"', '\'', '[', ']']).to_string())
        .filter(|a| !a.is_empty());
    (addr, port)
}

/// The host name (`$(hostname)` in the script): the kernel's, not a file of the checked tree.
fn local_hostname() -> Result<String, String> {
    let text = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map_err(|e| format!("no bind address in {CLUSTERCHECK_CONF} and no host name: {}", crate::util::io_reason(&e)))?;
    Ok(text.trim().to_string())
}

/// MySQL option files in the order the client reads them (later wins).
const MY_CNF: &[&str] = &["/etc/my.cnf", "/root/.my.cnf"];
const MYSQL_SOCKET: &str = "/var/lib/mysql/mysql.sock";

fn mysql() -> Result<Plan, String> {
    let mut options = ini::Ini::default();
    for file in MY_CNF {
        options.merge(ini::load_dialect(file, ini::Dialect::MyCnf)?);
    }
    let client = |key: &str| options.get_exact("client", key).filter(|v| !v.is_empty());
    let password = client("password");
    if let Some(p) = &password {
        crate::secrets::remember(p);
    }
    let user = client("user").unwrap_or_else(|| "root".into());
    let endpoint = match client("host").filter(|h| h != "localhost") {
        Some(host) => {
            let port_text = client("port").unwrap_or_else(|| "3306".into());
            let port = port_text
                .parse::<u16>()
                .map_err(|_| format!("my.cnf [client] port is not a number: {port_text:?}"))?;
            tcp(&host, port)
        }
        None => {
            let socket = client("socket")
                .or_else(|| options.get_exact("mysqld", "socket"))
                .unwrap_or_else(|| MYSQL_SOCKET.into());
            socket_under_root(&socket)
        }
    };
    Ok(Plan::Mysql {
        endpoint,
        user,
        password,
    })
}

const RABBITMQ_ENV: &str = "/etc/rabbitmq/rabbitmq-env.conf";

fn rabbitmq() -> Result<Plan, String> {
    let vars = load_sysconfig(RABBITMQ_ENV)?;
    // rabbitmq-env.conf names its variables without the RABBITMQ_ prefix; accept both.
    let var = |name: &str| {
        sysconfig::get(&vars, name)
            .or_else(|| sysconfig::get(&vars, &format!("RABBITMQ_{name}")))
            .filter(|v| !v.is_empty())
    };
    let port = match var("NODE_PORT") {
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| format!("{RABBITMQ_ENV}: NODE_PORT is not a port number: {p:?}"))?,
        None => 5672,
    };
    Ok(Plan::Amqp {
        endpoint: tcp(var("NODE_IP_ADDRESS").unwrap_or("127.0.0.1"), port),
    })
}

/// Where OVN's daemons put their sockets, newest layout first.
const OVN_RUN_DIRS: &[&str] = &[
    "/run/ovn",
    "/var/run/ovn",
    "/run/openvswitch",
    "/var/run/openvswitch",
];
const OVN_DATABASES: &[(&str, &str)] = &[
    ("ovnnb_db.sock", "OVN_Northbound"),
    ("ovnsb_db.sock", "OVN_Southbound"),
];

fn ovn_dbs() -> Result<Plan, String> {
    let first_existing = |name: &str| {
        OVN_RUN_DIRS
            .iter()
            .map(|d| format!("{d}/{name}"))
            .find(|p| config::exists(p))
    };
    let servers: Vec<(Endpoint, &'static str)> = OVN_DATABASES
        .iter()
        .filter_map(|(sock, db)| first_existing(sock).map(|p| (socket_under_root(&p), *db)))
        .collect();
    if !servers.is_empty() {
        return Ok(Plan::Ovsdb { servers });
    }
    // No database here: ovn-northd alone (what the original asked with ovs-appctl).
    for dir in OVN_RUN_DIRS {
        let Some(pid) = config::read_optional(&format!("{dir}/ovn-northd.pid"))? else {
            continue;
        };
        let ctl = format!("{dir}/ovn-northd.{}.ctl", pid.trim());
        if config::exists(&ctl) {
            return Ok(Plan::Connect {
                endpoint: socket_under_root(&ctl),
                what: "ovn-northd control socket",
            });
        }
    }
    Err(format!(
        "no OVN database socket (ovnnb_db.sock, ovnsb_db.sock) nor ovn-northd control socket in {}",
        OVN_RUN_DIRS.join(", ")
    ))
}

const QDROUTERD_CONF: &str = "/etc/qpid-dispatch/qdrouterd.conf";

fn qdrouterd_listener() -> Result<Plan, String> {
    let text = config::read_required(QDROUTERD_CONF)?;
    let in_file = |e: String| format!("{}: {e}", config::host_path(QDROUTERD_CONF).display());
    let blocks = qdrouterd::parse(&text).map_err(in_file)?;
    let (host, port) = qdrouterd::listener(&blocks).map_err(in_file)?;
    let endpoint = tcp(&host, port);
    let tls = blocks
        .iter()
        .find(|b| b.name == "listener")
        .and_then(|b| b.get("sslProfile"))
        .is_some();
    if tls {
        // The listener wants TLS first: that it accepts is what we can prove without a client certificate.
        Ok(Plan::Connect {
            endpoint,
            what: "qdrouterd TLS listener",
        })
    } else {
        Ok(Plan::Amqp1 { endpoint })
    }
}
