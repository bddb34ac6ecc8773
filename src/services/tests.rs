//! Config resolution of every service kind against temporary trees (`HEALTHCHECK_ROOT`),
//! with a fake process table: what each service would check, without any peer.

use super::plan::infra::{memcached_address, socat_bind};
use super::plan::{plan, Processes};
use super::*;
use crate::config::testing::{with_root, Tree};

/// Drop-in names as the command line hands them to `list`.
const KOLLA_NAMES: &[&str] = &["healthcheck_curl", "healthcheck_port"];

/// A process table holding exactly these command-line substrings.
struct Running(&'static [&'static str]);

impl Processes for Running {
    fn running(&self, pattern: &str) -> bool {
        self.0.iter().any(|p| p.contains(pattern))
    }
}

const NOTHING: Running = Running(&[]);

fn resolve(tree: &Tree, name: &str, args: &[&str], procs: &Running) -> Result<String, String> {
    let _root = with_root(&tree.0);
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    plan(
        &find(name).expect("known service").spec,
        &args,
        DeepMode::OFF,
        procs,
    )
    .map(|p| p.to_string())
}

const VHOST: &str = "<VirtualHost 172.17.1.10:5000>\n  ServerName ctl.internalapi\n  SSLEngine on\n  WSGIScriptAlias /identity \"/x\"\n</VirtualHost>\n";

#[test]
fn every_name_is_unique_and_sorted() {
    let names: Vec<&str> = SERVICES.iter().map(|s| s.name).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(names, sorted);
}

#[test]
fn vhost_services_use_their_own_vhost_file() {
    let tree = Tree::new("svc-vhost");
    tree.write("/etc/httpd/conf.d/10-keystone_wsgi.conf", VHOST);
    assert_eq!(
        resolve(&tree, "keystone", &[], &NOTHING).unwrap(),
        "http https://ctl.internalapi:5000/identity/"
    );
    let err = resolve(&tree, "barbican-api", &[], &NOTHING).unwrap_err();
    assert!(
        err.contains("10-barbican_wsgi_main.conf does not exist"),
        "{err}"
    );
    tree.write("/etc/httpd/conf.d/10-cinder_wsgi.conf", "ServerName x\n");
    let err = resolve(&tree, "cinder-api", &[], &NOTHING).unwrap_err();
    assert!(
        err.contains("10-cinder_wsgi.conf") && err.contains("VirtualHost"),
        "{err}"
    );
}

#[test]
fn nova_api_picks_the_metadata_vhost_when_nova_metadata_runs() {
    let tree = Tree::new("svc-nova-api");
    tree.write(
        "/etc/httpd/conf.d/10-nova_api_wsgi.conf",
        "<VirtualHost *:8774>\nServerName api\n</VirtualHost>\n",
    );
    tree.write(
        "/etc/httpd/conf.d/10-nova_metadata_wsgi.conf",
        "<VirtualHost *:8775>\nServerName md\n</VirtualHost>\n",
    );
    assert_eq!(
        resolve(&tree, "nova-api", &[], &NOTHING).unwrap(),
        "http http://api:8774/"
    );
    let procs = Running(&["/usr/bin/python3 /usr/bin/nova_metadata_wsgi"]);
    assert_eq!(
        resolve(&tree, "nova-api", &[], &procs).unwrap(),
        "http http://md:8775/"
    );
}

#[test]
fn horizon_tries_the_plain_then_the_ssl_vhost() {
    let tree = Tree::new("svc-horizon");
    tree.write(
        "/etc/httpd/conf.d/10-horizon_ssl_vhost.conf",
        "<VirtualHost *:443>\nServerName h\nSSLEngine on\n</VirtualHost>\n",
    );
    let target = resolve(&tree, "horizon", &[], &NOTHING).unwrap();
    assert!(
        target.contains("10-horizon_vhost.conf does not exist")
            && target.ends_with("http https://h:443/"),
        "{target}"
    );
}

#[test]
fn ini_urls_with_defaults_ipv6_conf_d_and_https_flag() {
    let tree = Tree::new("svc-ini");
    assert_eq!(
        resolve(&tree, "glance-api", &[], &NOTHING).unwrap(),
        "http http://127.0.0.1:9292/"
    );
    assert_eq!(
        resolve(&tree, "neutron-api", &[], &NOTHING).unwrap(),
        "http http://127.0.0.1:9696/"
    );
    tree.write(
        "/etc/glance/glance-api.conf",
        "[DEFAULT]\nbind_host = fd00:fd00::5\nbind_port = 9292\n",
    );
    tree.write(
        "/etc/glance/glance-api.conf.d/50-port.conf",
        "[DEFAULT]\nbind_port = 19292\n",
    );
    assert_eq!(
        resolve(&tree, "glance-api", &[], &NOTHING).unwrap(),
        "http http://[fd00:fd00::5]:19292/"
    );
    tree.write(
        "/etc/nova/nova.conf",
        "[DEFAULT]\nssl_only = True\n[vnc]\nnovncproxy_host = 0.0.0.0\nnovncproxy_port = 6081\n",
    );
    assert_eq!(
        resolve(&tree, "nova-vnc-proxy", &[], &NOTHING).unwrap(),
        "http https://127.0.0.1:6081/"
    );
    tree.write("/etc/neutron/neutron.conf", "[DEFAULT]\nbind_port = many\n");
    assert!(resolve(&tree, "neutron-api", &[], &NOTHING)
        .unwrap_err()
        .contains("bind_port is not a port number"));
    tree.write("/etc/neutron/neutron.conf", "bind_port = 1\n");
    assert!(resolve(&tree, "neutron-api", &[], &NOTHING)
        .unwrap_err()
        .contains("before any [section]"));
}

#[test]
fn ironic_inspector_passes_on_dnsmasq_else_its_api() {
    let tree = Tree::new("svc-inspector");
    tree.write(
        "/etc/ironic-inspector/inspector.conf",
        "[DEFAULT]\nlisten_address = 10.0.0.3\n",
    );
    assert_eq!(
        resolve(&tree, "ironic-inspector", &[], &NOTHING).unwrap(),
        "http http://10.0.0.3:5050"
    );
    assert_eq!(
        resolve(&tree, "ironic-inspector", &[], &Running(&["dnsmasq"])).unwrap(),
        "process dnsmasq"
    );
}

#[test]
fn ironic_pxe_by_run_command() {
    let tree = Tree::new("svc-pxe");
    let err = resolve(&tree, "ironic-pxe", &[], &NOTHING).unwrap();
    assert_eq!(
        err,
        "not applicable: /run_command runs neither httpd nor in.tftpd"
    );
    tree.write("/run_command", "/usr/sbin/httpd -DFOREGROUND\n");
    tree.write("/etc/ironic/ironic.conf", "[DEFAULT]\nmy_ip = fd00::7\n");
    tree.write(
        "/etc/httpd/conf.d/10-ipxe_vhost.conf",
        "Listen 8088\n<VirtualHost *:8088>\n</VirtualHost>\n",
    );
    assert_eq!(
        resolve(&tree, "ironic-pxe", &[], &NOTHING).unwrap(),
        "http http://[fd00::7]:8088/"
    );
    tree.write(
        "/run_command",
        "/usr/sbin/in.tftpd --foreground --address 0.0.0.0:69 /var/lib/ironic/tftpboot\n",
    );
    assert_eq!(
        resolve(&tree, "ironic-pxe", &[], &NOTHING).unwrap(),
        "listen in.tftpd 69"
    );
}

#[test]
fn port_checks_take_args_as_ports() {
    let tree = Tree::new("svc-port");
    assert_eq!(
        resolve(&tree, "neutron-dhcp", &[], &NOTHING).unwrap(),
        "port neutron-dhcp-agent 5671,5672 (RabbitMQ)"
    );
    assert_eq!(
        resolve(&tree, "neutron-dhcp", &["5672"], &NOTHING).unwrap(),
        "port neutron-dhcp-agent 5672 (RabbitMQ)"
    );
    assert_eq!(
        resolve(&tree, "aodh-evaluator", &[], &NOTHING).unwrap(),
        "port aodh-evaluator 6379 (Redis)"
    );
    assert_eq!(
        resolve(&tree, "ovn-controller", &["16642"], &NOTHING).unwrap(),
        "port ovn-controller 16642 (OVN southbound DB)"
    );
    assert_eq!(
        resolve(&tree, "octavia-health-manager", &[], &NOTHING).unwrap(),
        "port octavia-health-manager 5555 (heartbeat)"
    );
    assert_eq!(
        resolve(&tree, "nova-ironic", &[], &NOTHING).unwrap(),
        "port nova-compute 5671,5672 (RabbitMQ)"
    );
    let err = resolve(&tree, "heat-engine", &["rabbit"], &NOTHING).unwrap_err();
    assert!(
        err.contains("port numbers") && err.contains("rabbit"),
        "{err}"
    );
    assert!(resolve(&tree, "heat-engine", &["0"], &NOTHING).is_err());
}

#[test]
fn gnocchi_statsd_port_from_its_config() {
    let tree = Tree::new("svc-statsd");
    assert_eq!(
        resolve(&tree, "gnocchi-statsd", &[], &NOTHING).unwrap(),
        "port gnocchi-statsd 8125 (statsd (UDP))"
    );
    tree.write("/etc/gnocchi/gnocchi.conf", "[statsd]\nport = 18125\n");
    assert_eq!(
        resolve(&tree, "gnocchi-statsd", &[], &NOTHING).unwrap(),
        "port gnocchi-statsd 18125 (statsd (UDP))"
    );
}

#[test]
fn nova_compute_falls_back_to_sshd_for_migration_targets() {
    let tree = Tree::new("svc-compute");
    assert_eq!(
        resolve(&tree, "nova-compute", &[], &NOTHING).unwrap(),
        "listen sshd 2022"
    );
    assert_eq!(
        resolve(&tree, "nova-compute", &["22"], &NOTHING).unwrap(),
        "listen sshd 22"
    );
    let procs = Running(&["nova-compute"]);
    assert_eq!(
        resolve(&tree, "nova-compute", &[], &procs).unwrap(),
        "port nova-compute 5671,5672 (RabbitMQ)"
    );
}

#[test]
fn nova_libvirt_by_argument() {
    let tree = Tree::new("svc-libvirt");
    assert_eq!(
        resolve(&tree, "nova-libvirt", &["virtlogd"], &NOTHING).unwrap(),
        "socket virtlogd /run/libvirt/virtlogd-sock"
    );
    let sock = tree
        .0
        .join("run/libvirt/libvirt-sock")
        .display()
        .to_string();
    assert_eq!(
        resolve(&tree, "nova-libvirt", &[], &NOTHING).unwrap(),
        format!("libvirt unix:{sock}")
    );
    tree.write("/run/libvirt/virtqemud-sock", "");
    let sock = tree
        .0
        .join("run/libvirt/virtqemud-sock")
        .display()
        .to_string();
    assert_eq!(
        resolve(&tree, "nova-libvirt", &["libvirtd"], &NOTHING).unwrap(),
        format!("libvirt unix:{sock}")
    );
}

#[test]
fn swift_servers_replicators_and_the_rest() {
    let tree = Tree::new("svc-swift");
    let conf = "[DEFAULT]\nbind_ip = 172.17.3.10\nbind_port = 6202\n[pipeline:main]\npipeline = healthcheck recon account-server\n\
                [account-replicator]\ninterval = 60\n";
    tree.write("/etc/swift/account-server.conf", conf);
    let server =
        Running(&["/usr/bin/python3 /usr/bin/swift-account-server /etc/swift/account-server.conf"]);
    assert_eq!(
        resolve(&tree, "swift-account-server", &[], &server).unwrap(),
        "http http://172.17.3.10:6202/healthcheck"
    );
    let replicator = Running(&["swift-account-replicator"]);
    assert_eq!(
        resolve(&tree, "swift-account-server", &[], &replicator).unwrap(),
        "recon /var/cache/swift/account.recon within 60s"
    );
    let auditor = Running(&["swift-account-auditor"]);
    assert_eq!(
        resolve(&tree, "swift-account-server", &[], &auditor).unwrap(),
        "process swift-account-"
    );
    let none = resolve(&tree, "swift-container-server", &[], &NOTHING).unwrap();
    assert_eq!(
        none,
        "not applicable: no swift-container-* process runs in this container"
    );
    // Without the healthcheck middleware the server must listen on its port.
    tree.write(
        "/etc/swift/proxy-server.conf",
        "[pipeline:main]\npipeline = catch_errors proxy-server\n",
    );
    let proxy = Running(&["swift-proxy-server"]);
    assert_eq!(
        resolve(&tree, "swift-proxy", &[], &proxy).unwrap(),
        "listen swift-proxy-server 8080"
    );
    assert!(resolve(&tree, "swift-proxy", &[], &NOTHING)
        .unwrap()
        .starts_with("not applicable"));
    // The object ring also serves rsync, whose port the ARGS replace.
    let rsync = Running(&["rsync --daemon --no-detach"]);
    assert_eq!(
        resolve(&tree, "swift-object-server", &["8873"], &rsync).unwrap(),
        "listen rsync 8873"
    );
    assert_eq!(
        resolve(&tree, "swift-rsync", &[], &NOTHING).unwrap(),
        "listen rsync 873"
    );
    tree.write(
        "/etc/swift/container-server.conf",
        "[container-replicator]\ninterval = soon\n",
    );
    let err = resolve(
        &tree,
        "swift-container-server",
        &[],
        &Running(&["swift-container-replicator"]),
    )
    .unwrap_err();
    assert!(err.contains("interval"), "{err}");
}

#[test]
fn cron_user_from_the_argument() {
    let tree = Tree::new("svc-cron");
    assert_eq!(
        resolve(&tree, "cron", &[], &NOTHING).unwrap(),
        "cron /var/spool/cron/root"
    );
    assert_eq!(
        resolve(&tree, "cron", &["keystone"], &NOTHING).unwrap(),
        "cron /var/spool/cron/keystone"
    );
    tree.write("/var/spool/cron/crontabs/nova", "x\n");
    assert_eq!(
        resolve(&tree, "cron", &["nova"], &NOTHING).unwrap(),
        "cron /var/spool/cron/crontabs/nova"
    );
    assert!(resolve(&tree, "cron", &["../../etc/shadow"], &NOTHING).is_err());
}

#[test]
fn redis_from_redis_conf_never_shows_the_password() {
    let tree = Tree::new("svc-redis");
    assert_eq!(
        resolve(&tree, "redis", &[], &NOTHING).unwrap(),
        "redis 127.0.0.1:6379"
    );
    tree.write(
        "/etc/redis/redis.conf",
        "bind 172.17.1.20\nport 6380\nrequirepass unit-secret-xyz\n",
    );
    let target = resolve(&tree, "redis", &[], &NOTHING).unwrap();
    assert_eq!(target, "redis 172.17.1.20:6380 (AUTH)");
    assert_eq!(crate::secrets::redact("unit-secret-xyz"), "***");
    tree.write("/etc/redis/redis.conf", "port 0\ntls-port 6379\n");
    assert!(resolve(&tree, "redis", &[], &NOTHING)
        .unwrap_err()
        .contains("TLS"));
}

#[test]
fn memcached_addresses() {
    assert_eq!(
        memcached_address("-l 172.17.1.5,notls:172.17.1.6:11211 -U 0", 11211),
        ("172.17.1.6".into(), 11211)
    );
    assert_eq!(
        memcached_address("-l 172.17.1.5 -U 0", 11212),
        ("172.17.1.5".into(), 11212)
    );
    assert_eq!(
        memcached_address("-l [fd00::5]:11311", 11211),
        ("fd00::5".into(), 11311)
    );
    assert_eq!(
        memcached_address("-lfd00::5", 11211),
        ("fd00::5".into(), 11211)
    );
    assert_eq!(
        memcached_address("-c 8192", 11211),
        ("127.0.0.1".into(), 11211)
    );
    let tree = Tree::new("svc-memcached");
    tree.write(
        "/etc/sysconfig/memcached",
        "PORT=\"11222\"\nOPTIONS=\"-l 127.0.0.2 -U 0\"\n",
    );
    assert_eq!(
        resolve(&tree, "memcached", &[], &NOTHING).unwrap(),
        "memcached 127.0.0.2:11222"
    );
    tree.write("/etc/sysconfig/memcached", "PORT=\"eleven\"\n");
    assert!(resolve(&tree, "memcached", &[], &NOTHING)
        .unwrap_err()
        .contains("PORT"));
}

#[test]
fn etcd_client_urls() {
    let tree = Tree::new("svc-etcd");
    assert_eq!(
        resolve(&tree, "etcd", &[], &NOTHING).unwrap(),
        "etcd http://127.0.0.1:2379"
    );
    tree.write(
        "/etc/etcd/etcd.conf",
        "ETCD_LISTEN_CLIENT_URLS=\"https://172.17.1.5:2379,http://127.0.0.1:2379\"\n",
    );
    assert_eq!(
        resolve(&tree, "etcd", &[], &NOTHING).unwrap(),
        "etcd https://172.17.1.5:2379,http://127.0.0.1:2379"
    );
}

#[test]
fn mariadb_clustercheck_or_mysql_login() {
    assert_eq!(
        socat_bind("tcp6-listen:9200,bind=\"[fd00::5]\",reuseaddr,fork"),
        (Some("fd00::5".into()), Some(9200))
    );
    assert_eq!(socat_bind(""), (None, None));
    let tree = Tree::new("svc-mariadb");
    tree.write(
        "/etc/sysconfig/clustercheck",
        "TRIPLEO_SOCAT_BIND='tcp4-listen:9201,bind=\"172.17.1.5\",reuseaddr,fork'\n",
    );
    let clustercheck = Running(&["socat tcp4-listen:9200 system:/usr/bin/clustercheck"]);
    assert_eq!(
        resolve(&tree, "mariadb", &[], &clustercheck).unwrap(),
        "http http://172.17.1.5:9201/"
    );
    let sock = tree
        .0
        .join("var/lib/mysql/mysql.sock")
        .display()
        .to_string();
    assert_eq!(
        resolve(&tree, "mariadb", &[], &NOTHING).unwrap(),
        format!("mysql root@unix:{sock}")
    );
    tree.write(
        "/etc/my.cnf",
        "!includedir /etc/my.cnf.d\n[client]\nuser = monitor\n[mysqld]\nskip-name-resolve\n",
    );
    tree.write(
        "/root/.my.cnf",
        "[client]\nhost = 127.0.0.1\nport = 13306\npassword = \"unit-db-secret\"\n",
    );
    assert_eq!(
        resolve(&tree, "mariadb", &[], &NOTHING).unwrap(),
        "mysql monitor@127.0.0.1:13306"
    );
    tree.write(
        "/root/.my.cnf",
        "[client]\nuser = a\n[mysql]\nuser = b\nhost = localhost\nsocket = /run/m.sock\n",
    );
    let sock = tree.0.join("run/m.sock").display().to_string();
    assert_eq!(
        resolve(&tree, "mariadb", &[], &NOTHING).unwrap(),
        format!("mysql b@unix:{sock}")
    );
}

#[test]
fn rabbitmq_port_from_rabbitmq_env() {
    let tree = Tree::new("svc-rabbit");
    assert_eq!(
        resolve(&tree, "rabbitmq", &[], &NOTHING).unwrap(),
        "amqp 127.0.0.1:5672"
    );
    tree.write(
        "/etc/rabbitmq/rabbitmq-env.conf",
        "NODE_IP_ADDRESS=172.17.1.9\nNODE_PORT=5673\n",
    );
    assert_eq!(
        resolve(&tree, "rabbitmq", &[], &NOTHING).unwrap(),
        "amqp 172.17.1.9:5673"
    );
}

#[test]
fn ovn_dbs_sockets_then_northd() {
    let tree = Tree::new("svc-ovn");
    assert!(resolve(&tree, "ovn-dbs", &[], &NOTHING)
        .unwrap_err()
        .contains("no OVN database socket"));
    tree.write("/var/run/ovn/ovn-northd.pid", "4242\n");
    tree.write("/var/run/ovn/ovn-northd.4242.ctl", "");
    assert!(resolve(&tree, "ovn-dbs", &[], &NOTHING)
        .unwrap()
        .ends_with("ovn-northd.4242.ctl version (ovn-northd)"));
    tree.write("/run/ovn/ovnsb_db.sock", "");
    let target = resolve(&tree, "ovn-dbs", &[], &NOTHING).unwrap();
    assert!(
        target.starts_with("ovsdb unix:") && target.ends_with("ovnsb_db.sock=OVN_Southbound"),
        "{target}"
    );
}

#[test]
fn ovn_controller_port_check_knows_the_local_ovsdb() {
    let tree = Tree::new("svc-ovn-controller");
    tree.write("/run/openvswitch/db.sock", "");
    let guard = with_root(&tree.0);
    let spec = &find("ovn-controller").unwrap().spec;
    match plan(spec, &["16641".to_string()], DeepMode::OFF, &NOTHING).unwrap() {
        Plan::OvnControllerPort { ports, ovs_db } => {
            assert_eq!(ports, vec![16641]);
            assert!(
                ovs_db.to_string().ends_with("/run/openvswitch/db.sock"),
                "{ovs_db}"
            );
        }
        other => panic!("expected the port check, got {other}"),
    }
    drop(guard);
}

#[test]
fn qdrouterd_listener_plain_or_tls() {
    let tree = Tree::new("svc-qdr");
    assert!(resolve(&tree, "qdrouterd", &[], &NOTHING)
        .unwrap_err()
        .contains("qdrouterd.conf does not exist"));
    tree.write(
        "/etc/qpid-dispatch/qdrouterd.conf",
        "listener {\n    host: 172.17.1.5\n    port: 31459\n}\n",
    );
    assert_eq!(
        resolve(&tree, "qdrouterd", &[], &NOTHING).unwrap(),
        "amqp1 172.17.1.5:31459"
    );
    tree.write(
        "/etc/qpid-dispatch/qdrouterd.conf",
        "listener {\n    host: 172.17.1.5\n    port: 31459\n    sslProfile: p\n}\n",
    );
    assert_eq!(
        resolve(&tree, "qdrouterd", &[], &NOTHING).unwrap(),
        "connect 172.17.1.5:31459 (qdrouterd TLS listener)"
    );
}

#[test]
fn fixed_sockets_and_processes() {
    let tree = Tree::new("svc-fixed");
    let collectd = tree.0.join("var/run/collectd-socket").display().to_string();
    assert_eq!(
        resolve(&tree, "collectd", &[], &NOTHING).unwrap(),
        format!("collectd unix:{collectd}")
    );
    assert_eq!(
        resolve(&tree, "iscsid", &[], &NOTHING).unwrap(),
        "connect @ISCSIADM_ABSTRACT_NAMESPACE (iscsid control socket)"
    );
    assert_eq!(
        resolve(&tree, "multipathd", &[], &NOTHING).unwrap(),
        "multipathd @/org/kernel/linux/storage/multipathd"
    );
    assert_eq!(
        resolve(&tree, "frr", &[], &NOTHING).unwrap(),
        "process watchfrr"
    );
    assert_eq!(
        resolve(&tree, "ovn-bgp-agent", &[], &NOTHING).unwrap(),
        "process ovn-bgp-agent"
    );
}

#[test]
fn resolve_target_reads_the_live_tree() {
    let tree = Tree::new("svc-live");
    tree.write(
        "/etc/httpd/conf.d/10-octavia_wsgi.conf",
        "<VirtualHost *:9876>\nServerName o\n</VirtualHost>\n",
    );
    let _root = with_root(&tree.0);
    assert_eq!(
        resolve_target("octavia-api", &[], DeepMode::OFF).unwrap(),
        "http http://o:9876/"
    );
    assert_eq!(
        resolve_target("cinder-volume", &["5672".into()], DeepMode::OFF).unwrap(),
        "port cinder-volume 5672 (RabbitMQ)"
    );
    assert!(resolve_target("no-such", &[], DeepMode::OFF)
        .unwrap_err()
        .contains("unknown service"));
}

#[test]
fn http_services_use_the_http_budget() {
    assert!(find("keystone").unwrap().uses_http());
    assert!(find("horizon").unwrap().uses_http());
    assert!(find("swift-proxy").unwrap().uses_http());
    assert!(!find("neutron-dhcp").unwrap().uses_http());
    assert!(!find("redis").unwrap().uses_http());
}

#[test]
fn list_json_gives_the_facts_of_each_check() {
    let json: serde_json::Value = serde_json::from_str(&list(true, KOLLA_NAMES)).unwrap();
    let entries = json["services"].as_array().unwrap();
    assert_eq!(entries.len(), SERVICES.len());
    let dhcp = entries
        .iter()
        .find(|e| e["name"] == "neutron-dhcp")
        .unwrap();
    assert_eq!(dhcp["check"], "port");
    assert_eq!(dhcp["ports"], serde_json::json!([5671, 5672]));
    assert_eq!(dhcp["processes"], serde_json::json!(["neutron-dhcp-agent"]));
}

#[test]
fn mariadb_on_debian_finds_the_socket_in_etc_mysql() {
    let tree = Tree::new("svc-mariadb-debian");
    let resolved = || resolve(&tree, "mariadb", &[], &NOTHING).unwrap();
    let expected = |user: &str, socket: &str| {
        let full = tree.0.join(socket.trim_start_matches('/'));
        format!("mysql {user}@unix:{}", full.display())
    };
    // Nothing configured: the well-known sockets, Debian's first when it exists.
    tree.write("/run/mysqld/mysqld.sock", "");
    assert_eq!(resolved(), expected("root", "/run/mysqld/mysqld.sock"));
    // Debian's my.cnf includes its directories (conf.d may be empty or missing); a
    // client group's socket wins over the server's.
    tree.write(
        "/etc/mysql/my.cnf",
        "[client-server]\nsocket = /run/mysqld/mysqld.sock\n\
         !includedir /etc/mysql/conf.d/\n!includedir /etc/mysql/mariadb.conf.d/\n",
    );
    tree.write(
        "/etc/mysql/mariadb.conf.d/50-server.cnf",
        "[server]\n[mysqld]\nuser = mysql\nsocket = /run/mysqld/other.sock\nskip-name-resolve\n",
    );
    assert_eq!(resolved(), expected("root", "/run/mysqld/mysqld.sock"));
    // Without a client socket, the server's [mysqld] socket is where the check connects.
    tree.write(
        "/etc/mysql/my.cnf",
        "!includedir /etc/mysql/conf.d/\n!includedir /etc/mysql/mariadb.conf.d/\n",
    );
    assert_eq!(resolved(), expected("root", "/run/mysqld/other.sock"));
    // The client's own settings in an included file win over the server's socket.
    tree.write(
        "/etc/mysql/conf.d/mysql.cnf",
        "[mysql]\nuser = monitor\nsocket = /run/mysqld/client.sock\n",
    );
    assert_eq!(resolved(), expected("monitor", "/run/mysqld/client.sock"));
}

#[test]
fn every_service_names_a_kolla_image() {
    let image_name = |name: &str| {
        name.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    for s in SERVICES {
        assert!(
            image_name(s.image.name),
            "{}: image {:?}",
            s.name,
            s.image.name
        );
        assert_eq!(s.image.note.trim(), s.image.note, "{}", s.name);
    }
    // The services whose image is not named after them, and the images kolla no longer builds.
    let image = |name| find(name).unwrap().image.name;
    assert_eq!(image("neutron-ovs-agent"), "neutron-openvswitch-agent");
    assert_eq!(image("mariadb"), "mariadb-server");
    assert_eq!(image("nova-metadata"), image("nova-api"));
    assert!(find("swift-proxy").unwrap().image.note.contains("2024.2"));
    assert!(find("redis").unwrap().image.note.contains("valkey-server"));
}

#[test]
fn list_json_gives_each_service_its_image_and_the_kolla_names() {
    let listed: serde_json::Value = serde_json::from_str(&list(true, KOLLA_NAMES)).unwrap();
    let services = listed["services"].as_array().unwrap();
    assert_eq!(services.len(), SERVICES.len());
    for (entry, s) in services.iter().zip(SERVICES) {
        assert_eq!(entry["name"], s.name);
        assert_eq!(entry["image"], s.image.name);
        assert_eq!(entry["summary"], s.summary);
        assert_eq!(entry["check"], kind(&s.spec));
        if s.image.note.is_empty() {
            assert!(entry["image_note"].is_null(), "{}", s.name);
        } else {
            assert_eq!(entry["image_note"], s.image.note);
        }
    }
    let kolla: Vec<&str> = listed["kolla_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(kolla, KOLLA_NAMES);
    assert!(kolla.contains(&"healthcheck_curl"));
}

#[test]
fn list_text_is_a_table_with_the_kolla_names_last() {
    let text = list(false, KOLLA_NAMES);
    let lines: Vec<&str> = text.lines().collect();
    // Header, one row per service, a blank line, the drop-in names.
    assert_eq!(lines.len(), SERVICES.len() + 3);
    assert!(lines[0].starts_with("SERVICE ") && lines[0].contains("KOLLA IMAGE"));
    let ovs = lines
        .iter()
        .find(|l| l.starts_with("neutron-ovs-agent "))
        .unwrap();
    let columns: Vec<&str> = ovs.split_whitespace().collect();
    assert_eq!(
        columns[..2],
        ["neutron-ovs-agent", "neutron-openvswitch-agent"]
    );
    // Columns line up: every summary starts where the header's CHECKS does.
    let at = lines[0].find("CHECKS").unwrap();
    for (line, s) in lines[1..=SERVICES.len()].iter().zip(SERVICES) {
        assert_eq!(&line[at..], s.summary, "{line}");
    }
    assert_eq!(lines[SERVICES.len() + 1], "");
    assert!(lines.last().unwrap().ends_with(&KOLLA_NAMES.join(" ")));
}

#[test]
fn the_rpc_workers_carry_their_deep_checks_and_list_says_so() {
    let listed: serde_json::Value = serde_json::from_str(&list(true, KOLLA_NAMES)).unwrap();
    let entry = |name: &str| {
        listed["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap()
            .clone()
    };
    let conductor = entry("nova-conductor");
    assert_eq!(conductor["check"], "port", "the default check is unchanged");
    assert_eq!(conductor["deep"]["rpc"]["topic"], "conductor");
    assert_eq!(conductor["deep"]["rpc"]["exchange"], "nova");
    assert_eq!(conductor["deep"]["heartbeat"]["table"], "services");
    assert_eq!(entry("nova-compute")["deep"]["rpc"]["topic"], "compute");
    let dhcp = entry("neutron-dhcp");
    assert_eq!(dhcp["deep"]["heartbeat"]["service"], "neutron-dhcp-agent");
    assert_eq!(dhcp["deep"]["heartbeat"]["table"], "agents");
    assert_eq!(
        dhcp["deep"]["configs"],
        serde_json::json!(["/etc/neutron/neutron.conf", "/etc/neutron/dhcp_agent.ini"])
    );
    assert!(entry("neutron-metadata")["deep"]["rpc"].is_null());
    assert!(entry("heat-engine")["deep"]["heartbeat"].is_null());
    assert_eq!(
        entry("cinder-volume")["deep"]["rpc"]["server_backends_key"],
        "enabled_backends"
    );
    for name in [
        "keystone",
        "octavia-health-manager",
        "aodh-listener",
        "redis",
    ] {
        assert!(entry(name)["deep"].is_null(), "{name}");
    }
}

#[test]
fn deep_checks_resolve_without_reading_their_configs() {
    // The default check must not depend on the files the deep checks read.
    let tree = Tree::new("svc-deep");
    let _root = with_root(&tree.0);
    let args = vec!["5672".to_string()];
    let spec = &find("nova-conductor").unwrap().spec;
    let Plan::Deep { base, deep } = plan(spec, &args, DeepMode::OFF, &NOTHING).unwrap() else {
        panic!("nova-conductor has deep checks")
    };
    assert_eq!(base.to_string(), "port nova-conductor 5672 (RabbitMQ)");
    assert_eq!(deep.rpc_topic, Some("conductor"));
    let compute = &find("nova-compute").unwrap().spec;
    assert!(matches!(
        plan(compute, &[], DeepMode::OFF, &Running(&["nova-compute"])).unwrap(),
        Plan::Deep { .. }
    ));
    // The migration target (sshd) branch has none.
    assert!(matches!(
        plan(compute, &[], DeepMode::OFF, &NOTHING).unwrap(),
        Plan::Listen { .. }
    ));
}

#[test]
fn deep_modes_are_lists_of_areas_or_all() {
    let rpc = DeepMode::parse("RPC").unwrap();
    assert!(rpc.rpc() && !rpc.heartbeat() && !rpc.ovn());
    assert!(DeepMode::parse("").unwrap().is_off());
    assert!(DeepMode::parse("off").unwrap().is_off());
    assert_eq!(DeepMode::parse("all").unwrap(), DeepMode::ALL);
    let two = DeepMode::parse("rpc, OVN").unwrap();
    assert!(two.rpc() && two.ovn() && !two.heartbeat());
    assert_eq!(DeepMode::parse("rpc ovn").unwrap(), two);
    assert!(!DeepMode::parse("heartbeat").unwrap().rpc());
    let err = DeepMode::parse("rpc,ovn-controller").unwrap_err();
    assert!(
        err.contains("\"ovn-controller\" unknown") && err.contains("off, rpc, heartbeat, ovn, all"),
        "{err}"
    );
}
