//! The per-service checks of tripleo-common 18.0.0 as data: one entry per script of its
//! `healthcheck/` directory, each a [`Spec`] tree the interpreter (`services::run`)
//! executes. Branches (`IfRunning`, `IfArg`, `IfFileContains`, `FirstHealthy`) mirror the
//! scripts' own `if`s; leaves are the primitive checks with their parameters. Where a
//! leaf takes ports, a process or a user, the service's ARGS replace the default as the
//! script's `${@:-...}` / `$1` did. docs/services.md says, per service, what differs.

/// What one service check does.
#[derive(Debug)]
pub enum Spec {
    // ---- branches -------------------------------------------------------------------
    /// `then` when a process matching `process` runs, else `otherwise`.
    IfRunning {
        process: &'static str,
        then: &'static Spec,
        otherwise: &'static Spec,
    },
    /// `then` when the first ARG is `value` (consumed), else `otherwise` (nova-libvirt's `$1`).
    IfArg {
        value: &'static str,
        then: &'static Spec,
        otherwise: &'static Spec,
    },
    /// `then` when `file` contains `text`, else `otherwise` (ironic-pxe's /run_command).
    IfFileContains {
        file: &'static str,
        text: &'static str,
        then: &'static Spec,
        otherwise: &'static Spec,
    },
    /// Each in turn until one is healthy (horizon: the plain vhost, then the SSL one).
    FirstHealthy(&'static [Spec]),
    /// Nothing this check knows runs: unhealthy, saying why (the originals passed silently).
    NotApplicable(&'static str),

    // ---- HTTP -------------------------------------------------------------------------
    /// GET the URL of the Apache vhost `/etc/httpd/conf.d/<conf>` (`get_url_from_vhost`).
    Vhost { conf: &'static str },
    /// GET `PROTO://HOST:PORT<path>` with HOST and PORT read from an INI file.
    IniUrl(&'static IniUrl),
    /// GET `http://HOST:PORT/`: HOST from an INI key, PORT from a vhost's `Listen` (ironic-pxe).
    IniHostListenPort {
        ini: &'static str,
        host_key: &'static str,
        vhost: &'static str,
    },
    /// A swift server: GET `/healthcheck` when that filter is in `[pipeline:main]`, else the
    /// server must listen on its bind_port.
    SwiftServer {
        process: &'static str,
        conf: &'static str,
        default_port: u16,
    },

    // ---- sockets and processes -------------------------------------------------------
    /// `healthcheck_port PROCESS PORTS`: an established connection to `peer` (RabbitMQ, Redis...).
    Port {
        process: &'static str,
        ports: &'static [u16],
        peer: &'static str,
    },
    /// A port check whose port comes from an INI key (gnocchi-statsd's UDP port).
    PortFromIni {
        process: &'static str,
        file: &'static str,
        section: &'static str,
        key: &'static str,
        default_port: u16,
    },
    /// `healthcheck_listen PROCESS PORTS`.
    Listen {
        process: &'static str,
        ports: &'static [u16],
    },
    /// `healthcheck_socket PROCESS PATH`.
    Socket {
        process: &'static str,
        path: &'static str,
    },
    /// A process matching `pattern` runs.
    Process { pattern: &'static str },
    /// The swift recon cache's last replication is within the replicator's `interval`.
    SwiftReplication {
        conf: &'static str,
        section: &'static str,
        cache: &'static str,
    },
    /// `/var/spool/cron/<user>` (ARG, default root) holds at least two entries.
    Cron,

    // ---- native protocols ------------------------------------------------------------
    /// RESP AUTH + PING at the address of /etc/redis/redis.conf.
    Redis,
    /// memcached `version` at the address of /etc/sysconfig/memcached.
    Memcached,
    /// etcd /health at each of ETCD_LISTEN_CLIENT_URLS of /etc/etcd/etcd.conf.
    Etcd,
    /// TripleO's clustercheck HTTP service at TRIPLEO_SOCAT_BIND of /etc/sysconfig/clustercheck.
    Clustercheck,
    /// MySQL login with the client credentials of /etc/my.cnf, /etc/mysql/my.cnf (and their
    /// includes) and /root/.my.cnf, over the configured or a well-known socket; SELECT 1.
    Mysql,
    /// AMQP 0-9-1 handshake on the port of /etc/rabbitmq/rabbitmq-env.conf (5672).
    Rabbitmq,
    /// OVSDB list_dbs on the OVN NB/SB database sockets, else ovn-northd's `version` over
    /// its control socket.
    OvnDbs,
    /// ovn-controller: TripleO's port check on `ports` (ARGS replace them); with
    /// `HEALTHCHECK_DEEP=ovn` its own `connection-status` over its control socket.
    OvnController { ports: &'static [u16] },
    /// AMQP 1.0 protocol header exchange with the first listener of qdrouterd.conf.
    Qdrouterd,
    /// collectd's unixsock plugin answers LISTVAL.
    Collectd,
    /// iscsid accepts on its abstract socket.
    Iscsid,
    /// multipathd answers `show status` on its abstract socket.
    Multipathd,
    /// The libvirt daemon answers its version on its socket (`virsh version --daemon`).
    Libvirt,

    // ---- opt-in deep checks ---------------------------------------------------------
    /// `check`, then, when asked for (`HEALTHCHECK_DEEP` / `--deep`), the proofs that the
    /// service works that `deep` names: an RPC ping of its own queue, its heartbeat row.
    /// Without the switch it is `check` alone, as tripleo-common's script.
    Deep {
        check: &'static Spec,
        deep: &'static Deep,
    },
}

/// The deep checks an RPC worker supports, and where they read their settings.
#[derive(Debug)]
pub struct Deep {
    /// The oslo.config files the service reads, in its order (later values win).
    pub configs: &'static [&'static str],
    /// The project's default control exchange (used when the config sets none).
    pub exchange: &'static str,
    /// The topic its RPC server listens on as `TOPIC.HOST`; `None` for a service that
    /// runs no RPC server.
    pub rpc_topic: Option<&'static str>,
    /// A key listing backends whose first entry makes the server `HOST@BACKEND`.
    pub backends_key: Option<&'static str>,
    /// The binary its heartbeat row names (`services` or, for neutron, `agents`);
    /// `None` for a service that writes none.
    pub heartbeat: Option<&'static str>,
}

/// An HTTP URL built from INI keys.
#[derive(Debug)]
pub struct IniUrl {
    pub file: &'static str,
    pub section: &'static str,
    pub host_key: &'static str,
    pub default_host: &'static str,
    pub port_key: &'static str,
    pub default_port: u16,
    pub path: &'static str,
    /// `(section, key)` of a boolean that switches to https (nova's `[DEFAULT] ssl_only`).
    pub https_flag: Option<(&'static str, &'static str)>,
}

/// One service of the table.
#[derive(Debug)]
pub struct Service {
    pub name: &'static str,
    /// The kolla image that runs the service (`list` gives it to the Ansible collection,
    /// which writes the check into that image's footer block).
    pub image: Image,
    /// What it checks, one line, for `list`.
    pub summary: &'static str,
    pub spec: Spec,
}

/// A kolla image: kolla-build's name of the image kolla 23.0.0 builds for the service or,
/// for services kolla no longer builds, the name TripleO's own override file used (last
/// master, tripleo-common 1c0af446).
#[derive(Debug)]
pub struct Image {
    pub name: &'static str,
    /// What a user picking the image should know (the image differs from TripleO's, kolla
    /// no longer builds it...); empty when nothing.
    pub note: &'static str,
}

/// An image with nothing to note.
const fn kolla(name: &'static str) -> Image {
    Image { name, note: "" }
}

const RABBITMQ: &[u16] = &[5671, 5672];
const REDIS: &[u16] = &[6379];
const OVN_SB: &[u16] = &[6642];

/// An RPC agent: an established connection to RabbitMQ.
const fn rpc(process: &'static str) -> Spec {
    Spec::Port {
        process,
        ports: RABBITMQ,
        peer: "RabbitMQ",
    }
}

/// An RPC worker's port check with its opt-in deep checks.
macro_rules! worker {
    ($process:literal, $deep:expr) => {
        Spec::Deep {
            check: &rpc($process),
            deep: &$deep,
        }
    };
}

/// The topics below are each server's `oslo_messaging.Target(topic=..., server=host)`:
/// nova `nova/conductor/rpcapi.py`, `nova/scheduler/rpcapi.py`, `nova/compute/rpcapi.py`
/// (`RPC_TOPIC`); neutron-lib `neutron_lib/agent/topics.py` (`DHCP_AGENT`, `L3_AGENT`,
/// and `AGENT` + `PORT` + `UPDATE` for the L2 agents' `create_consumers`, whose
/// `neutron_lib/rpc.py` `Connection.create_consumer` serves `server=cfg.CONF.host`);
/// cinder `cinder/common/constants.py` (`*_TOPIC`, volume servers named `host@backend`);
/// heat `heat/rpc/api.py` (`ENGINE_TOPIC`); manila `manila/common/config.py`
/// (`scheduler_topic`, `share_topic`); octavia `octavia/controller/queue/v2/consumer.py`
/// (`TOPIC_AMPHORA_V2`). The neutron metadata agent serves no RPC. The exchanges are
/// each project's `set_transport_defaults(control_exchange=...)`.
const NOVA_CONF: &[&str] = &["/etc/nova/nova.conf"];
const CINDER_CONF: &[&str] = &["/etc/cinder/cinder.conf"];
const MANILA_CONF: &[&str] = &["/etc/manila/manila.conf"];

const fn nova(topic: &'static str, binary: &'static str) -> Deep {
    Deep {
        configs: NOVA_CONF,
        exchange: "nova",
        rpc_topic: Some(topic),
        backends_key: None,
        heartbeat: Some(binary),
    }
}

const fn neutron(
    configs: &'static [&'static str],
    topic: Option<&'static str>,
    binary: &'static str,
) -> Deep {
    Deep {
        configs,
        exchange: "neutron",
        rpc_topic: topic,
        backends_key: None,
        heartbeat: Some(binary),
    }
}

const fn storage(
    configs: &'static [&'static str],
    exchange: &'static str,
    topic: &'static str,
    backends_key: Option<&'static str>,
) -> Deep {
    Deep {
        configs,
        exchange,
        rpc_topic: Some(topic),
        backends_key,
        heartbeat: Some(topic),
    }
}

const L2_AGENT_TOPIC: &str = "q-agent-notifier-port-update";

static NOVA_CONDUCTOR: Deep = nova("conductor", "nova-conductor");
static NOVA_SCHEDULER: Deep = nova("scheduler", "nova-scheduler");
static NOVA_COMPUTE: Deep = nova("compute", "nova-compute");
static NEUTRON_DHCP: Deep = neutron(
    &["/etc/neutron/neutron.conf", "/etc/neutron/dhcp_agent.ini"],
    Some("dhcp_agent"),
    "neutron-dhcp-agent",
);
static NEUTRON_L3: Deep = neutron(
    &["/etc/neutron/neutron.conf", "/etc/neutron/l3_agent.ini"],
    Some("l3_agent"),
    "neutron-l3-agent",
);
static NEUTRON_METADATA: Deep = neutron(
    &[
        "/etc/neutron/neutron.conf",
        "/etc/neutron/metadata_agent.ini",
    ],
    None,
    "neutron-metadata-agent",
);
static NEUTRON_OVS: Deep = neutron(
    &[
        "/etc/neutron/neutron.conf",
        "/etc/neutron/plugins/ml2/openvswitch_agent.ini",
    ],
    Some(L2_AGENT_TOPIC),
    "neutron-openvswitch-agent",
);
static NEUTRON_SRIOV: Deep = neutron(
    &[
        "/etc/neutron/neutron.conf",
        "/etc/neutron/plugins/ml2/sriov_agent.ini",
    ],
    Some(L2_AGENT_TOPIC),
    "neutron-sriov-nic-agent",
);
static CINDER_SCHEDULER: Deep = storage(CINDER_CONF, "cinder", "cinder-scheduler", None);
static CINDER_VOLUME: Deep = storage(
    CINDER_CONF,
    "cinder",
    "cinder-volume",
    Some("enabled_backends"),
);
static CINDER_BACKUP: Deep = storage(CINDER_CONF, "cinder", "cinder-backup", None);
static MANILA_SCHEDULER: Deep = storage(MANILA_CONF, "manila", "manila-scheduler", None);
static MANILA_SHARE: Deep = storage(
    MANILA_CONF,
    "manila",
    "manila-share",
    Some("enabled_share_backends"),
);
static HEAT_ENGINE: Deep = Deep {
    configs: &["/etc/heat/heat.conf"],
    exchange: "heat",
    rpc_topic: Some("engine"),
    backends_key: None,
    heartbeat: None,
};
static OCTAVIA_WORKER: Deep = Deep {
    configs: &["/etc/octavia/octavia.conf"],
    exchange: "octavia",
    rpc_topic: Some("octavia_provisioning_v2"),
    backends_key: None,
    heartbeat: None,
};

/// A Redis client (the coordination backend of aodh, ceilometer and gnocchi).
const fn redis_client(process: &'static str) -> Spec {
    Spec::Port {
        process,
        ports: REDIS,
        peer: "Redis",
    }
}

/// An eventlet API: `http://[DEFAULT] bind_host:bind_port/` of its config file.
const fn bind_url(file: &'static str, default_port: u16) -> IniUrl {
    IniUrl {
        file,
        section: "DEFAULT",
        host_key: "bind_host",
        default_host: "127.0.0.1",
        port_key: "bind_port",
        default_port,
        path: "/",
        https_flag: None,
    }
}

const fn vhost(conf: &'static str) -> Spec {
    Spec::Vhost { conf }
}

/// A swift account/container/object container: the server, else its replicator, else
/// any other daemon of the same ring, else not applicable.
macro_rules! swift_ring {
    ($kind:literal, $port:literal, $fallback:expr) => {
        Spec::IfRunning {
            process: concat!("swift-", $kind, "-server"),
            then: &Spec::SwiftServer {
                process: concat!("swift-", $kind, "-server"),
                conf: concat!("/etc/swift/", $kind, "-server.conf"),
                default_port: $port,
            },
            otherwise: &Spec::IfRunning {
                process: concat!("swift-", $kind, "-replicator"),
                then: &Spec::SwiftReplication {
                    conf: concat!("/etc/swift/", $kind, "-server.conf"),
                    section: concat!($kind, "-replicator"),
                    cache: concat!("/var/cache/swift/", $kind, ".recon"),
                },
                otherwise: $fallback,
            },
        }
    };
}

/// The last resort of a swift ring container: its auditor, reaper, updater... runs.
macro_rules! swift_other_daemons {
    ($kind:literal) => {
        &Spec::IfRunning {
            process: concat!("swift-", $kind, "-"),
            then: &Spec::Process {
                pattern: concat!("swift-", $kind, "-"),
            },
            otherwise: &Spec::NotApplicable(concat!(
                "no swift-",
                $kind,
                "-* process runs in this container"
            )),
        }
    };
}

/// Every service of tripleo-common 18.0.0's healthcheck directory, sorted by name.
pub static SERVICES: &[Service] = &[
    Service {
        name: "aodh-api",
        image: kolla("aodh-api"),
        summary: "GET the URL of the aodh_wsgi vhost",
        spec: vhost("10-aodh_wsgi.conf"),
    },
    Service {
        name: "aodh-evaluator",
        image: kolla("aodh-evaluator"),
        summary: "aodh-evaluator connected to Redis (6379)",
        spec: redis_client("aodh-evaluator"),
    },
    Service {
        name: "aodh-listener",
        image: kolla("aodh-listener"),
        summary: "aodh-listener connected to RabbitMQ (5671, 5672)",
        spec: rpc("aodh-listener"),
    },
    Service {
        name: "aodh-notifier",
        image: kolla("aodh-notifier"),
        summary: "aodh-notifier connected to RabbitMQ (5671, 5672)",
        spec: rpc("aodh-notifier"),
    },
    Service {
        name: "barbican-api",
        image: kolla("barbican-api"),
        summary: "GET the URL of the barbican_wsgi_main vhost",
        spec: vhost("10-barbican_wsgi_main.conf"),
    },
    Service {
        name: "barbican-keystone-listener",
        image: kolla("barbican-keystone-listener"),
        summary: "barbican-keystone-listener connected to RabbitMQ (5671, 5672)",
        spec: rpc("barbican-keystone-listener"),
    },
    Service {
        name: "barbican-worker",
        image: kolla("barbican-worker"),
        summary: "barbican-worker connected to RabbitMQ (5671, 5672)",
        spec: rpc("barbican-worker"),
    },
    Service {
        name: "ceilometer-agent-central",
        image: kolla("ceilometer-central"),
        summary: "ceilometer-polling connected to Redis (6379)",
        spec: redis_client("ceilometer-polling"),
    },
    Service {
        name: "ceilometer-agent-compute",
        image: kolla("ceilometer-compute"),
        summary: "ceilometer-polling connected to Redis (6379)",
        spec: redis_client("ceilometer-polling"),
    },
    Service {
        name: "ceilometer-agent-ipmi",
        image: kolla("ceilometer-ipmi"),
        summary: "ceilometer-polling connected to Redis (6379)",
        spec: redis_client("ceilometer-polling"),
    },
    Service {
        name: "ceilometer-agent-notification",
        image: kolla("ceilometer-notification"),
        summary: "ceilometer-agent-notification connected to RabbitMQ (5671, 5672)",
        spec: rpc("ceilometer-agent-notification"),
    },
    Service {
        name: "cinder-api",
        image: kolla("cinder-api"),
        summary: "GET the URL of the cinder_wsgi vhost",
        spec: vhost("10-cinder_wsgi.conf"),
    },
    Service {
        name: "cinder-backup",
        image: kolla("cinder-backup"),
        summary: "cinder-backup connected to RabbitMQ (5671, 5672)",
        spec: worker!("cinder-backup", CINDER_BACKUP),
    },
    Service {
        name: "cinder-scheduler",
        image: kolla("cinder-scheduler"),
        summary: "cinder-scheduler connected to RabbitMQ (5671, 5672)",
        spec: worker!("cinder-scheduler", CINDER_SCHEDULER),
    },
    Service {
        name: "cinder-volume",
        image: kolla("cinder-volume"),
        summary: "cinder-volume connected to RabbitMQ (5671, 5672)",
        spec: worker!("cinder-volume", CINDER_VOLUME),
    },
    Service {
        name: "collectd",
        image: kolla("collectd"),
        summary: "collectd's unix socket answers LISTVAL",
        spec: Spec::Collectd,
    },
    Service {
        name: "cron",
        image: kolla("cron"),
        summary: "/var/spool/cron/USER (default root) holds at least two entries",
        spec: Spec::Cron,
    },
    Service {
        name: "etcd",
        image: kolla("etcd"),
        summary: "etcd /health at ETCD_LISTEN_CLIENT_URLS of /etc/etcd/etcd.conf",
        spec: Spec::Etcd,
    },
    Service {
        name: "frr",
        image: Image {
            name: "frr",
            note: "TripleO's image: kolla builds none",
        },
        summary: "a watchfrr process runs",
        spec: Spec::Process { pattern: "watchfrr" },
    },
    Service {
        name: "glance-api",
        image: kolla("glance-api"),
        summary: "GET http://bind_host:bind_port/ of glance-api.conf (127.0.0.1:9292)",
        spec: Spec::IniUrl(&bind_url("/etc/glance/glance-api.conf", 9292)),
    },
    Service {
        name: "gnocchi-api",
        image: kolla("gnocchi-api"),
        summary: "GET the URL of the gnocchi_wsgi vhost",
        spec: vhost("10-gnocchi_wsgi.conf"),
    },
    Service {
        name: "gnocchi-metricd",
        image: kolla("gnocchi-metricd"),
        summary: "gnocchi-metricd connected to Redis (6379)",
        spec: redis_client("gnocchi-metricd"),
    },
    Service {
        name: "gnocchi-statsd",
        image: kolla("gnocchi-statsd"),
        summary: "gnocchi-statsd holds its UDP port (gnocchi.conf [statsd] port, 8125)",
        spec: Spec::PortFromIni {
            process: "gnocchi-statsd",
            file: "/etc/gnocchi/gnocchi.conf",
            section: "statsd",
            key: "port",
            default_port: 8125,
        },
    },
    Service {
        name: "heat-api",
        image: kolla("heat-api"),
        summary: "GET the URL of the heat_api_wsgi vhost",
        spec: vhost("10-heat_api_wsgi.conf"),
    },
    Service {
        name: "heat-api-cfn",
        image: kolla("heat-api-cfn"),
        summary: "GET the URL of the heat_api_cfn_wsgi vhost",
        spec: vhost("10-heat_api_cfn_wsgi.conf"),
    },
    Service {
        name: "heat-engine",
        image: kolla("heat-engine"),
        summary: "heat-engine connected to RabbitMQ (5671, 5672)",
        spec: worker!("heat-engine", HEAT_ENGINE),
    },
    Service {
        name: "horizon",
        image: kolla("horizon"),
        summary: "GET the URL of the horizon vhost, else of the horizon SSL vhost",
        spec: Spec::FirstHealthy(&[
            vhost("10-horizon_vhost.conf"),
            vhost("10-horizon_ssl_vhost.conf"),
        ]),
    },
    Service {
        name: "ironic-api",
        image: kolla("ironic-api"),
        summary: "GET the URL of the ironic_wsgi vhost",
        spec: vhost("10-ironic_wsgi.conf"),
    },
    Service {
        name: "ironic-conductor",
        image: kolla("ironic-conductor"),
        summary: "ironic-conductor connected to RabbitMQ (5671, 5672)",
        spec: rpc("ironic-conductor"),
    },
    Service {
        name: "ironic-inspector",
        image: Image {
            name: "ironic-inspector",
            note: "kolla dropped the image after 2024.2",
        },
        summary: "dnsmasq runs, else GET listen_address:listen_port of inspector.conf (5050)",
        spec: Spec::IfRunning {
            process: "dnsmasq",
            then: &Spec::Process { pattern: "dnsmasq" },
            otherwise: &Spec::IniUrl(&IniUrl {
                file: "/etc/ironic-inspector/inspector.conf",
                section: "DEFAULT",
                host_key: "listen_address",
                default_host: "127.0.0.1",
                port_key: "listen_port",
                default_port: 5050,
                path: "",
                https_flag: None,
            }),
        },
    },
    Service {
        name: "ironic-neutron-agent",
        image: kolla("ironic-neutron-agent"),
        summary: "ironic-neutron-agent connected to RabbitMQ (5671, 5672)",
        spec: rpc("ironic-neutron-agent"),
    },
    Service {
        name: "ironic-pxe",
        image: kolla("ironic-pxe"),
        summary: "httpd: GET http://my_ip:Listen/ (ironic.conf, 10-ipxe_vhost.conf); tftp: in.tftpd on 69",
        spec: Spec::IfFileContains {
            file: "/run_command",
            text: "/httpd ",
            then: &Spec::IniHostListenPort {
                ini: "/etc/ironic/ironic.conf",
                host_key: "my_ip",
                vhost: "/etc/httpd/conf.d/10-ipxe_vhost.conf",
            },
            otherwise: &Spec::IfFileContains {
                file: "/run_command",
                text: "in.tftpd",
                then: &Spec::Listen { process: "in.tftpd", ports: &[69] },
                otherwise: &Spec::NotApplicable("/run_command runs neither httpd nor in.tftpd"),
            },
        },
    },
    Service {
        name: "iscsid",
        image: kolla("iscsid"),
        summary: "iscsid accepts on @ISCSIADM_ABSTRACT_NAMESPACE",
        spec: Spec::Iscsid,
    },
    Service {
        name: "keystone",
        image: Image {
            name: "keystone",
            note: "kolla's keystone-api image shares the keystone_footer block",
        },
        summary: "GET the URL of the keystone_wsgi vhost",
        spec: vhost("10-keystone_wsgi.conf"),
    },
    Service {
        name: "manila-api",
        image: kolla("manila-api"),
        summary: "GET the URL of the manila_wsgi vhost",
        spec: vhost("10-manila_wsgi.conf"),
    },
    Service {
        name: "manila-scheduler",
        image: kolla("manila-scheduler"),
        summary: "manila-scheduler connected to RabbitMQ (5671, 5672)",
        spec: worker!("manila-scheduler", MANILA_SCHEDULER),
    },
    Service {
        name: "manila-share",
        image: kolla("manila-share"),
        summary: "manila-share connected to RabbitMQ (5671, 5672)",
        spec: worker!("manila-share", MANILA_SHARE),
    },
    Service {
        name: "mariadb",
        image: Image {
            name: "mariadb-server",
            note: "TripleO's image was mariadb; both use the mariadb_footer block",
        },
        summary: "clustercheck HTTP if its socat runs, else MySQL login ([client] of my.cnf), SELECT 1",
        spec: Spec::IfRunning {
            process: "clustercheck",
            then: &Spec::Clustercheck,
            otherwise: &Spec::Mysql,
        },
    },
    Service {
        name: "memcached",
        image: kolla("memcached"),
        summary: "memcached answers 'version' at the address of /etc/sysconfig/memcached",
        spec: Spec::Memcached,
    },
    Service {
        name: "multipathd",
        image: kolla("multipathd"),
        summary: "multipathd answers 'show status' on its socket",
        spec: Spec::Multipathd,
    },
    Service {
        name: "neutron-api",
        image: kolla("neutron-server"),
        summary: "GET http://bind_host:bind_port/ of neutron.conf (127.0.0.1:9696)",
        spec: Spec::IniUrl(&bind_url("/etc/neutron/neutron.conf", 9696)),
    },
    Service {
        name: "neutron-dhcp",
        image: kolla("neutron-dhcp-agent"),
        summary: "neutron-dhcp-agent connected to RabbitMQ (5671, 5672)",
        spec: worker!("neutron-dhcp-agent", NEUTRON_DHCP),
    },
    Service {
        name: "neutron-l3",
        image: kolla("neutron-l3-agent"),
        summary: "neutron-l3-agent connected to RabbitMQ (5671, 5672)",
        spec: worker!("neutron-l3-agent", NEUTRON_L3),
    },
    Service {
        name: "neutron-metadata",
        image: kolla("neutron-metadata-agent"),
        summary: "neutron-metadata-agent connected to RabbitMQ (5671, 5672)",
        spec: worker!("neutron-metadata-agent", NEUTRON_METADATA),
    },
    Service {
        name: "neutron-ovs-agent",
        image: kolla("neutron-openvswitch-agent"),
        summary: "neutron-openvswitch-agent connected to RabbitMQ (5671, 5672)",
        spec: worker!("neutron-openvswitch-agent", NEUTRON_OVS),
    },
    Service {
        name: "neutron-sriov-agent",
        image: kolla("neutron-sriov-agent"),
        summary: "neutron-sriov-nic-agent connected to RabbitMQ (5671, 5672)",
        spec: worker!("neutron-sriov-nic-agent", NEUTRON_SRIOV),
    },
    Service {
        name: "nova-api",
        image: kolla("nova-api"),
        summary: "GET the nova_metadata_wsgi vhost URL if nova_metadata runs, else nova_api_wsgi's",
        spec: Spec::IfRunning {
            process: "nova_metadata",
            then: &vhost("10-nova_metadata_wsgi.conf"),
            otherwise: &vhost("10-nova_api_wsgi.conf"),
        },
    },
    Service {
        name: "nova-compute",
        image: kolla("nova-compute"),
        summary: "nova-compute connected to RabbitMQ (5671, 5672); else sshd listening on 2022",
        spec: Spec::IfRunning {
            process: "nova-compute",
            then: &worker!("nova-compute", NOVA_COMPUTE),
            otherwise: &Spec::Listen { process: "sshd", ports: &[2022] },
        },
    },
    Service {
        name: "nova-conductor",
        image: kolla("nova-conductor"),
        summary: "nova-conductor connected to RabbitMQ (5671, 5672)",
        spec: worker!("nova-conductor", NOVA_CONDUCTOR),
    },
    Service {
        name: "nova-ironic",
        image: kolla("nova-compute-ironic"),
        summary: "nova-compute connected to RabbitMQ (5671, 5672)",
        spec: worker!("nova-compute", NOVA_COMPUTE),
    },
    Service {
        name: "nova-libvirt",
        image: kolla("nova-libvirt"),
        summary: "virtlogd: it holds /run/libvirt/virtlogd-sock; else libvirt answers its version",
        spec: Spec::IfArg {
            value: "virtlogd",
            then: &Spec::Socket { process: "virtlogd", path: "/run/libvirt/virtlogd-sock" },
            otherwise: &Spec::Libvirt,
        },
    },
    Service {
        name: "nova-metadata",
        image: Image {
            name: "nova-api",
            note: "the metadata API runs from the nova-api image",
        },
        summary: "GET the URL of the nova_metadata_wsgi vhost",
        spec: vhost("10-nova_metadata_wsgi.conf"),
    },
    Service {
        name: "nova-scheduler",
        image: kolla("nova-scheduler"),
        summary: "nova-scheduler connected to RabbitMQ (5671, 5672)",
        spec: worker!("nova-scheduler", NOVA_SCHEDULER),
    },
    Service {
        name: "nova-vnc-proxy",
        image: kolla("nova-novncproxy"),
        summary: "GET novncproxy_host:novncproxy_port of nova.conf [vnc] (6080; https if ssl_only)",
        spec: Spec::IniUrl(&IniUrl {
            file: "/etc/nova/nova.conf",
            section: "vnc",
            host_key: "novncproxy_host",
            default_host: "127.0.0.1",
            port_key: "novncproxy_port",
            default_port: 6080,
            path: "/",
            https_flag: Some(("DEFAULT", "ssl_only")),
        }),
    },
    Service {
        name: "octavia-api",
        image: kolla("octavia-api"),
        summary: "GET the URL of the octavia_wsgi vhost",
        spec: vhost("10-octavia_wsgi.conf"),
    },
    Service {
        name: "octavia-health-manager",
        image: kolla("octavia-health-manager"),
        summary: "octavia-health-manager holds its UDP heartbeat port (5555)",
        spec: Spec::Port { process: "octavia-health-manager", ports: &[5555], peer: "heartbeat" },
    },
    Service {
        name: "octavia-housekeeping",
        image: kolla("octavia-housekeeping"),
        summary: "octavia-housekeeping connected to MySQL (3306)",
        spec: Spec::Port { process: "octavia-housekeeping", ports: &[3306], peer: "MySQL" },
    },
    Service {
        name: "octavia-worker",
        image: kolla("octavia-worker"),
        summary: "octavia-worker connected to RabbitMQ (5671, 5672)",
        spec: worker!("octavia-worker", OCTAVIA_WORKER),
    },
    Service {
        name: "ovn-bgp-agent",
        image: Image {
            name: "ovn-bgp-agent",
            note: "TripleO's image: kolla builds none",
        },
        summary: "an ovn-bgp-agent process runs",
        spec: Spec::Process { pattern: "ovn-bgp-agent" },
    },
    Service {
        name: "ovn-controller",
        image: kolla("ovn-controller"),
        summary: "ovn-controller connected to the OVN southbound DB (6642); HEALTHCHECK_DEEP=ovn: its own connection-status",
        spec: Spec::OvnController { ports: OVN_SB },
    },
    Service {
        name: "ovn-dbs",
        image: kolla("ovn-northd"),
        summary: "OVN NB/SB ovsdb-servers answer list_dbs, else ovn-northd answers version on its control socket",
        spec: Spec::OvnDbs,
    },
    Service {
        name: "ovn-metadata",
        image: Image {
            name: "neutron-metadata-agent",
            note: "kolla-ansible runs the OVN metadata agent from neutron-metadata-agent (TripleO: neutron-metadata-agent-ovn)",
        },
        summary: "networking-ovn-metadata-agent connected to the OVN southbound DB (6642)",
        spec: Spec::Port {
            process: "networking-ovn-metadata-agent",
            ports: OVN_SB,
            peer: "OVN southbound DB",
        },
    },
    Service {
        name: "placement-api",
        image: kolla("placement-api"),
        summary: "GET the URL of the placement_wsgi vhost",
        spec: vhost("10-placement_wsgi.conf"),
    },
    Service {
        name: "qdrouterd",
        image: Image {
            name: "qdrouterd",
            note: "TripleO's image: kolla builds none",
        },
        summary: "the first listener of qdrouterd.conf answers the AMQP 1.0 header",
        spec: Spec::Qdrouterd,
    },
    Service {
        name: "rabbitmq",
        image: kolla("rabbitmq"),
        summary: "AMQP 0-9-1 handshake on the RabbitMQ port (rabbitmq-env.conf, 5672)",
        spec: Spec::Rabbitmq,
    },
    Service {
        name: "redis",
        image: Image {
            name: "redis",
            note: "kolla 2025.1 and later build valkey-server instead: give the image explicitly",
        },
        summary: "RESP AUTH + PING at bind/port/requirepass of /etc/redis/redis.conf",
        spec: Spec::Redis,
    },
    Service {
        name: "swift-account-server",
        image: Image {
            name: "swift-account",
            note: "kolla dropped the swift images after 2024.2",
        },
        summary: "server: GET /healthcheck (6002); replicator: last replication within interval",
        spec: swift_ring!("account", 6002, swift_other_daemons!("account")),
    },
    Service {
        name: "swift-container-server",
        image: Image {
            name: "swift-container",
            note: "kolla dropped the swift images after 2024.2",
        },
        summary: "server: GET /healthcheck (6001); replicator: last replication within interval",
        spec: swift_ring!("container", 6001, swift_other_daemons!("container")),
    },
    Service {
        name: "swift-object-server",
        image: Image {
            name: "swift-object",
            note: "kolla dropped the swift images after 2024.2",
        },
        summary: "server: GET /healthcheck (6000); replicator: last replication in interval; rsync 873",
        spec: swift_ring!(
            "object",
            6000,
            &Spec::IfRunning {
                process: "rsync",
                then: &Spec::Listen { process: "rsync", ports: &[873] },
                otherwise: swift_other_daemons!("object"),
            }
        ),
    },
    Service {
        name: "swift-proxy",
        image: Image {
            name: "swift-proxy-server",
            note: "kolla dropped the swift images after 2024.2",
        },
        summary: "GET /healthcheck of swift-proxy-server (proxy-server.conf, 8080)",
        spec: Spec::IfRunning {
            process: "swift-proxy-server",
            then: &Spec::SwiftServer {
                process: "swift-proxy-server",
                conf: "/etc/swift/proxy-server.conf",
                default_port: 8080,
            },
            otherwise: &Spec::NotApplicable("no swift-proxy-server process runs in this container"),
        },
    },
    Service {
        name: "swift-rsync",
        image: Image {
            name: "swift-rsyncd",
            note: "kolla dropped the swift images after 2024.2",
        },
        summary: "rsync listening on 873",
        spec: Spec::Listen { process: "rsync", ports: &[873] },
    },
];
