//! Addresses of the infrastructure services, read from their own configuration files
//! (redis.conf, /etc/sysconfig/memcached, etcd.conf, clustercheck, my.cnf,
//! rabbitmq-env.conf, the OVN run directories, qdrouterd.conf): one resolver per
//! service, each returning the [`Plan`] the check runs.

use super::{connectable, Plan};
use crate::config::{self, mycnf, qdrouterd, redis_conf, sysconfig, wrap_ipv6};
use crate::net::Endpoint;

/// A unix socket we connect to ourselves: under `HEALTHCHECK_ROOT` like the config files.
pub fn socket_under_root(path: &str) -> Endpoint {
    Endpoint::Unix(config::host_path_string(path))
}

fn tcp(host: &str, port: u16) -> Endpoint {
    Endpoint::Tcp {
        host: connectable(host),
        port,
    }
}

/// The first of `paths` that exists under the root.
fn first_existing<S: AsRef<str>>(paths: impl IntoIterator<Item = S>) -> Option<String> {
    paths
        .into_iter()
        .find(|p| config::exists(p.as_ref()))
        .map(|p| p.as_ref().to_string())
}

fn load_sysconfig(path: &str) -> Result<sysconfig::Assignments, String> {
    match config::read_optional(path)? {
        Some(text) => sysconfig::parse(&text).map_err(|e| config::in_file(path, e)),
        None => Ok(Vec::new()),
    }
}

const REDIS_CONF: &str = "/etc/redis/redis.conf";

pub fn redis() -> Result<Plan, String> {
    let conf = match config::read_optional(REDIS_CONF)? {
        Some(text) => redis_conf::parse(&text).map_err(|e| config::in_file(REDIS_CONF, e))?,
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

pub fn memcached() -> Result<Plan, String> {
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

pub fn etcd() -> Result<Plan, String> {
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

pub fn clustercheck() -> Result<Plan, String> {
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
    let text = std::fs::read_to_string("/proc/sys/kernel/hostname").map_err(|e| {
        format!(
            "no bind address in {CLUSTERCHECK_CONF} and no host name: {}",
            crate::util::io_reason(&e)
        )
    })?;
    Ok(text.trim().to_string())
}

/// MySQL option files in the order the clients read them (later wins): RHEL's and
/// TripleO's /etc/my.cnf, Debian's /etc/mysql/my.cnf (which includes conf.d and
/// mariadb.conf.d), then root's own.
const MY_CNF: &[&str] = &["/etc/my.cnf", "/etc/mysql/my.cnf", "/root/.my.cnf"];
/// Where the server listens when no option file says: Debian's, then RHEL's (also
/// the answer when neither exists, so the reason names the path TripleO uses).
const MYSQL_SOCKETS: &[&str] = &["/run/mysqld/mysqld.sock", "/var/lib/mysql/mysql.sock"];

pub fn mysql() -> Result<Plan, String> {
    let options = mycnf::read_host_option_files(MY_CNF)?;
    let password = options.password.filter(|p| !p.is_empty());
    let user = options
        .user
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "root".into());
    let endpoint = match options.host.filter(|h| !h.is_empty() && h != "localhost") {
        Some(host) => tcp(&host, options.port.unwrap_or(3306)),
        None => {
            let socket = options
                .socket
                .or(options.server_socket)
                .filter(|s| !s.is_empty())
                .or_else(|| first_existing(MYSQL_SOCKETS))
                .unwrap_or_else(|| MYSQL_SOCKETS[MYSQL_SOCKETS.len() - 1].into());
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

pub fn rabbitmq() -> Result<Plan, String> {
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

pub fn ovn_dbs() -> Result<Plan, String> {
    let in_run_dirs =
        |name: &str| first_existing(OVN_RUN_DIRS.iter().map(|d| format!("{d}/{name}")));
    let servers: Vec<(Endpoint, &'static str)> = OVN_DATABASES
        .iter()
        .filter_map(|(sock, db)| in_run_dirs(sock).map(|p| (socket_under_root(&p), *db)))
        .collect();
    if !servers.is_empty() {
        return Ok(Plan::Ovsdb { servers });
    }
    // No database here: ovn-northd alone, asked for its version as the original did
    // with `ovs-appctl -t ovn-northd version`.
    for dir in OVN_RUN_DIRS {
        let Some(pid) = config::read_optional(&format!("{dir}/ovn-northd.pid"))? else {
            continue;
        };
        let ctl = format!("{dir}/ovn-northd.{}.ctl", pid.trim());
        if config::exists(&ctl) {
            return Ok(Plan::NorthdVersion {
                endpoint: socket_under_root(&ctl),
            });
        }
    }
    Err(format!(
        "no OVN database socket (ovnnb_db.sock, ovnsb_db.sock) nor ovn-northd control socket in {}",
        OVN_RUN_DIRS.join(", ")
    ))
}

/// Where Open vSwitch's own run directory is, newest layout first.
const OVS_RUN_DIRS: &[&str] = &["/run/openvswitch", "/var/run/openvswitch"];

/// The local Open vSwitch database: `OVS_RUNDIR`'s `db.sock` when that is set (as for
/// the OVS tools), else the first run directory that has one.
pub fn ovs_db() -> Endpoint {
    if let Some(dir) = env_dir("OVS_RUNDIR") {
        return Endpoint::Unix(format!("{dir}/db.sock"));
    }
    let path = first_existing(OVS_RUN_DIRS.iter().map(|d| format!("{d}/db.sock")))
        .unwrap_or_else(|| format!("{}/db.sock", OVS_RUN_DIRS[1]));
    socket_under_root(&path)
}

/// ovn-controller's control socket is named by its pidfile in OVN's run directory
/// (`OVN_RUNDIR` when set, as for `ovn-appctl`); ovs-vswitchd's in Open vSwitch's.
pub fn ovn_controller() -> Plan {
    let mut rundirs: Vec<String> = ["OVN_RUNDIR", "OVS_RUNDIR"]
        .iter()
        .filter_map(|name| env_dir(name))
        .collect();
    rundirs.extend(OVN_RUN_DIRS.iter().map(|d| config::host_path_string(d)));
    Plan::OvnController {
        rundirs,
        ovs_db: ovs_db(),
    }
}

/// A run directory named by the environment, as the OVS/OVN tools take it.
fn env_dir(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .map(|v| v.trim_end_matches('/').to_string())
}

const QDROUTERD_CONF: &str = "/etc/qpid-dispatch/qdrouterd.conf";

pub fn qdrouterd_listener() -> Result<Plan, String> {
    let text = config::read_required(QDROUTERD_CONF)?;
    let in_file = |e: String| config::in_file(QDROUTERD_CONF, e);
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
