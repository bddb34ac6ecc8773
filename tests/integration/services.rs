//! The per-service checks run as the binary, against real peers started here on loopback
//! and free ports, with their configuration written into a temporary root
//! (`HEALTHCHECK_ROOT`) the way TripleO lays it out.
use crate::util::etcd::start_etcd;
use crate::util::libvirtd::start_session_libvirtd;
use crate::util::mariadb::{start_mariadb, MariaDb};
use crate::util::ovsdb::ovsdb_tool;
use crate::util::rabbitmq::start_rabbitmq;
use crate::util::servers::{python_http_server, scratch_dir, spawn, wait_ready};
use crate::util::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Run `openstack-healthcheck ARGS` with `HEALTHCHECK_ROOT=root`.
fn run_in(root: &Path, args: &[&str]) -> Run {
    let mut cmd = command(bin());
    cmd.args(args).env("HEALTHCHECK_ROOT", root);
    run_cmd(cmd)
}

/// Write `text` at the absolute `path` inside `root`.
fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, text).unwrap();
}

fn accepts(addr: &str) -> bool {
    std::net::TcpStream::connect(addr).is_ok()
}

/// Run a check until it is healthy or `timeout` passes; the last run is returned either way.
fn until_healthy(timeout: Duration, mut check: impl FnMut() -> Run) -> Run {
    let start = std::time::Instant::now();
    loop {
        let r = check();
        if r.healthy() || start.elapsed() > timeout {
            return r;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn script_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(original("tripleo"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n != "common.sh" && n != "README.md" && !n.ends_with(".py") && !n.ends_with(".yaml")
        })
        .collect();
    names.sort();
    names
}

#[test]
fn the_table_has_exactly_the_tripleo_scripts() {
    let ours: Vec<String> = openstack_healthcheck::services::SERVICES
        .iter()
        .map(|s| s.name.to_string())
        .collect();
    let theirs = script_names();
    assert!(
        theirs.len() >= 70,
        "expected about 70 scripts in {ORIGINALS}/tripleo, found {}",
        theirs.len()
    );
    assert_eq!(ours, theirs);
}

#[test]
fn list_shows_every_service_as_text_and_json() {
    let out = command(bin()).arg("list").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    // A header, one row per script, a blank line and the kolla drop-in names.
    assert_eq!(text.lines().count(), script_names().len() + 3);
    let keystone_row = "keystone keystone GET the URL of the keystone_wsgi vhost";
    assert!(text
        .lines()
        .any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ") == keystone_row));
    let out = command(bin())
        .args(["list", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("list --format json is JSON");
    let listed: Vec<String> = json["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, script_names());
    assert_eq!(json["kolla_names"][0], "healthcheck_curl");
    let keystone = json["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "keystone")
        .expect("keystone listed");
    assert_eq!(keystone["check"], "vhost");
    assert_eq!(keystone["image"], "keystone");
    assert_eq!(keystone["http"], true);
    assert_eq!(
        keystone["files"][0],
        "/etc/httpd/conf.d/10-keystone_wsgi.conf"
    );
}

fn keystone_vhost(root: &Path, port: u16, alias: &str) {
    let text = format!(
        "# Managed by Puppet\n<VirtualHost 127.0.0.1:{port}>\n  ServerName 127.0.0.1\n  SSLEngine off\n  \
         WSGIDaemonProcess keystone display-name=keystone\n  WSGIScriptAlias {alias} \"/var/www/cgi-bin/keystone/keystone\"\n\
         </VirtualHost>\n"
    );
    write(root, "/etc/httpd/conf.d/10-keystone_wsgi.conf", &text);
}

#[test]
fn keystone_checks_the_url_of_its_vhost() {
    let root = TempDir::new("svc-keystone");
    let www = TempDir::new("svc-keystone-www");
    std::fs::create_dir_all(www.path().join("identity")).unwrap();
    let port = free_port();
    keystone_vhost(root.path(), port, "/identity");
    let server = python_http_server(www.path(), "127.0.0.1", port);
    let r = run_in(root.path(), &["keystone"]);
    assert!(r.healthy(), "{r:?}");
    // An alias the server does not have: 404 is unhealthy.
    keystone_vhost(root.path(), port, "/missing");
    let r = run_in(root.path(), &["keystone"]);
    assert!(!r.healthy(), "{r:?}");
    drop(server);
    keystone_vhost(root.path(), port, "/identity");
    let r = run_in(root.path(), &["keystone"]);
    assert!(
        !r.healthy() && r.line().contains(&port.to_string()),
        "{r:?}"
    );
}

#[test]
fn keystone_through_a_symlink_chain() {
    let root = TempDir::new("svc-chain");
    let www = TempDir::new("svc-chain-www");
    let port = free_port();
    keystone_vhost(root.path(), port, "/");
    let _server = python_http_server(www.path(), "127.0.0.1", port);
    let links = TempDir::new("svc-links");
    std::fs::create_dir_all(links.path().join("openstack")).unwrap();
    let share = link_to_bin(&links.path().join("share"), "keystone");
    let healthcheck = links.path().join("openstack/healthcheck");
    std::os::unix::fs::symlink(&share, &healthcheck).unwrap();
    let mut cmd = command(&healthcheck);
    cmd.env("HEALTHCHECK_ROOT", root.path());
    let r = run_cmd(cmd);
    assert!(r.healthy(), "{r:?}");
    let mut cmd = command(&healthcheck);
    cmd.env("HEALTHCHECK_ROOT", root.path())
        .args(["--format", "json"]);
    let r = run_cmd(cmd);
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).expect("json verdict");
    assert_eq!(v["check"], "keystone");
}

#[test]
fn glance_api_on_ipv6_loopback_from_its_ini() {
    let root = TempDir::new("svc-glance");
    let www = TempDir::new("svc-glance-www");
    let port = free_port();
    write(
        root.path(),
        "/etc/glance/glance-api.conf",
        "[DEFAULT]\n# bind_host = 10.0.0.1\nbind_host = ::1\nbind_port = 1\n",
    );
    write(
        root.path(),
        "/etc/glance/glance-api.conf.d/99-port.conf",
        &format!("[DEFAULT]\nbind_port = {port}\n"),
    );
    let _server = python_http_server(www.path(), "::1", port);
    let r = run_in(root.path(), &["glance-api"]);
    assert!(r.healthy(), "{r:?}");
}

#[test]
fn horizon_falls_back_to_its_second_vhost() {
    let root = TempDir::new("svc-horizon");
    let www = TempDir::new("svc-horizon-www");
    let (dead, alive) = (free_port(), free_port());
    let vhost = |port: u16| {
        format!("<VirtualHost *:{port}>\n  ServerName 127.0.0.1\n  WSGIScriptAlias /dashboard /x\n</VirtualHost>\n")
    };
    write(
        root.path(),
        "/etc/httpd/conf.d/10-horizon_vhost.conf",
        &vhost(dead),
    );
    write(
        root.path(),
        "/etc/httpd/conf.d/10-horizon_ssl_vhost.conf",
        &vhost(alive),
    );
    std::fs::create_dir_all(www.path().join("dashboard")).unwrap();
    let _server = python_http_server(www.path(), "127.0.0.1", alive);
    let r = run_in(root.path(), &["horizon"]);
    assert!(r.healthy(), "{r:?}");
}

#[test]
fn a_missing_vhost_is_unhealthy_and_named() {
    let root = TempDir::new("svc-novhost");
    let r = run_in(root.path(), &["placement-api"]);
    assert_eq!(r.code, 1);
    assert!(
        r.line().contains("10-placement_wsgi.conf does not exist"),
        "{r:?}"
    );
}

#[test]
fn a_malformed_config_is_one_clear_line() {
    let root = TempDir::new("svc-badini");
    write(
        root.path(),
        "/etc/neutron/neutron.conf",
        "[DEFAULT\nbind_port = 9696\n",
    );
    let r = run_in(root.path(), &["neutron-api"]);
    assert_eq!(r.code, 1);
    assert!(
        r.line().contains("neutron.conf") && r.line().contains("line 1"),
        "{r:?}"
    );
}

#[test]
fn bad_port_arguments_are_refused() {
    let r = run(&["neutron-dhcp", "amqp"]);
    assert_eq!(r.code, 1);
    assert!(r.line().contains("port numbers"), "{r:?}");
}

#[test]
fn nothing_applicable_is_unhealthy_not_a_silent_pass() {
    let root = TempDir::new("svc-na");
    let r = run_in(root.path(), &["ironic-pxe"]);
    assert_eq!(r.code, 1);
    assert!(r.line().contains("not applicable"), "{r:?}");
    let r = run_in(root.path(), &["swift-proxy"]);
    assert_eq!(r.code, 1);
    assert!(r.line().contains("not applicable"), "{r:?}");
}

#[test]
fn cron_needs_an_installed_crontab() {
    let root = TempDir::new("svc-cron");
    let r = run_in(root.path(), &["cron"]);
    assert!(
        !r.healthy() && r.line().contains("/var/spool/cron/root"),
        "{r:?}"
    );
    write(
        root.path(),
        "/var/spool/cron/keystone",
        "# HEADER: This file was autogenerated by puppet.\n# Puppet Name: keystone-manage token_flush\n\
         PATH=/bin:/usr/bin:/usr/sbin SHELL=/bin/sh\n1 * * * * keystone-manage token_flush >>/var/log/keystone/cron.log 2>&1\n",
    );
    assert!(run_in(root.path(), &["cron", "keystone"]).healthy());
    write(
        root.path(),
        "/var/spool/cron/root",
        "# only comments\n\n\n\n",
    );
    let r = run_in(root.path(), &["cron"]);
    assert!(
        !r.healthy() && r.line().contains("0 crontab entries"),
        "{r:?}"
    );
}

#[test]
fn collectd_answers_listval_on_its_socket() {
    let root = TempDir::new("svc-collectd");
    let socket = root.path().join("var/run/collectd-socket");
    std::fs::create_dir_all(socket.parent().unwrap()).unwrap();
    let conf = format!(
        "Hostname \"test\"\nFQDNLookup false\nInterval 1\nBaseDir \"{dir}\"\nPIDFile \"{dir}/collectd.pid\"\n\
         TypesDB \"/usr/share/collectd/types.db\"\nLoadPlugin load\nLoadPlugin unixsock\n\
         <Plugin unixsock>\n  SocketFile \"{sock}\"\n</Plugin>\n",
        dir = root.path().display(),
        sock = socket.display()
    );
    write(root.path(), "/collectd.conf", &conf);
    let conf_path = root.path().join("collectd.conf").display().to_string();
    let collectd = spawn("/usr/sbin/collectd", &["-f", "-C", &conf_path]);
    wait_for("collectd's unix socket", START_TIMEOUT, || socket.exists());
    let r = run_in(root.path(), &["collectd"]);
    assert!(r.healthy() && r.line().contains("LISTVAL"), "{r:?}");
    drop(collectd);
    let r = run_in(root.path(), &["collectd"]);
    assert!(!r.healthy(), "{r:?}");
}

#[test]
fn redis_with_a_password_from_redis_conf() {
    let root = TempDir::new("svc-redis");
    let data = TempDir::new("svc-redis-data");
    let port = free_port();
    let secret = "svc-test-redis-pw-8c1f";
    let conf = format!(
        "bind 127.0.0.1\nport {port}\nrequirepass \"{secret}\"\nsave \"\"\nappendonly no\ndir {}\n",
        data.path().display()
    );
    write(root.path(), "/etc/redis/redis.conf", &conf);
    let conf_path = root
        .path()
        .join("etc/redis/redis.conf")
        .display()
        .to_string();
    let _redis = spawn("/usr/bin/redis-server", &[&conf_path]);
    wait_tcp("redis-server", port);
    let r = run_in(root.path(), &["redis"]);
    assert!(r.healthy(), "{r:?}");
    // The same server with a wrong password in the file: unhealthy, and no password printed.
    write(
        root.path(),
        "/etc/redis/redis.conf",
        &format!("bind 127.0.0.1\nport {port}\nrequirepass wrong-{secret}\n"),
    );
    let r = run_in(root.path(), &["--format", "json", "redis"]);
    assert!(!r.healthy(), "{r:?}");
    assert!(!r.line().contains(secret), "{r:?}");
}

#[test]
fn memcached_from_its_sysconfig() {
    let root = TempDir::new("svc-memcached");
    let port = free_port();
    write(
        root.path(),
        "/etc/sysconfig/memcached",
        &format!("PORT=\"{port}\"\nUSER=\"memcached\"\nOPTIONS=\"-l 127.0.0.1 -U 0\"\n"),
    );
    let port_text = port.to_string();
    let _memcached = spawn(
        "/usr/bin/memcached",
        &["-u", "root", "-l", "127.0.0.1", "-p", &port_text, "-U", "0"],
    );
    wait_tcp("memcached", port);
    let r = run_in(root.path(), &["memcached"]);
    assert!(r.healthy(), "{r:?}");
}

#[test]
fn etcd_from_its_listen_client_urls() {
    let root = TempDir::new("svc-etcd");
    let data = TempDir::new("svc-etcd-data");
    let (_etcd, client) = start_etcd(&data, &[]);
    write(
        root.path(),
        "/etc/etcd/etcd.conf",
        &format!("ETCD_NAME=default\nETCD_LISTEN_CLIENT_URLS=\"http://127.0.0.1:{client}\"\n"),
    );
    // The listener opens before the member is ready: allow it a moment to elect itself.
    let r = until_healthy(START_TIMEOUT, || run_in(root.path(), &["etcd"]));
    assert!(r.healthy(), "{r:?}");
}

#[test]
fn swift_rsync_listens_on_the_port_given_as_argument() {
    let root = TempDir::new("svc-rsync");
    let port = free_port();
    write(
        root.path(),
        "/rsyncd.conf",
        &format!(
            "pid file = {}/rsyncd.pid\nuse chroot = no\n[x]\npath = /tmp\n",
            root.path().display()
        ),
    );
    let conf = root.path().join("rsyncd.conf").display().to_string();
    let port_text = port.to_string();
    let _rsync = spawn(
        "/usr/bin/rsync",
        &[
            "--daemon",
            "--no-detach",
            "--port",
            &port_text,
            "--config",
            &conf,
        ],
    );
    wait_tcp("rsync daemon", port);
    let r = run_in(root.path(), &["swift-rsync", &port_text]);
    assert!(r.healthy(), "{r:?}");
    let r = run_in(root.path(), &["swift-rsync", &free_port().to_string()]);
    assert!(!r.healthy(), "{r:?}");
}

#[test]
fn an_rpc_agent_connected_to_the_port_given_as_argument() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // A process whose command line names the agent, holding an established connection.
    let script = format!(
        "import socket,time; s=socket.create_connection(('127.0.0.1',{port})); time.sleep(60)"
    );
    let _agent = spawn("/usr/bin/python3", &["-c", &script, "neutron-dhcp-agent"]);
    let (_conn, _) = listener.accept().unwrap();
    let r = run(&["neutron-dhcp", &port.to_string()]);
    assert!(r.healthy(), "{r:?}");
    let r = run(&["neutron-l3", &port.to_string()]);
    assert!(!r.healthy(), "{r:?}");
}

#[test]
fn a_swift_replicator_with_a_fresh_or_stale_recon_cache() {
    let root = TempDir::new("svc-recon");
    write(
        root.path(),
        "/etc/swift/account-server.conf",
        "[DEFAULT]\nbind_port = 6002\n[account-replicator]\ninterval = 120\n",
    );
    let _replicator = spawn(
        "/bin/bash",
        &["-c", "exec -a swift-account-replicator sleep 60"],
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    write(
        root.path(),
        "/var/cache/swift/account.recon",
        &format!("{{\"replication_last\": {now}, \"replication_time\": 0.5}}"),
    );
    let r = run_in(root.path(), &["swift-account-server"]);
    assert!(r.healthy(), "{r:?}");
    write(
        root.path(),
        "/var/cache/swift/account.recon",
        &format!("{{\"replication_last\": {}}}", now - 600.0),
    );
    let r = run_in(root.path(), &["swift-account-server"]);
    assert!(
        !r.healthy() && r.line().contains("interval of 120s"),
        "{r:?}"
    );
}

/// An ovsdb-server serving `schema` on `socket`, its files in `dir`.
fn ovsdb_server(dir: &Path, name: &str, schema: &str, socket: &Path) -> Child {
    let db = dir.join(format!("{name}.db")).display().to_string();
    ovsdb_tool(&["create", &db, schema]);
    let remote = format!("--remote=punix:{}", socket.display());
    let unixctl = format!("--unixctl={}/{name}.ctl", dir.display());
    let pidfile = format!("--pidfile={}/{name}.pid", dir.display());
    let server = spawn(
        "/usr/sbin/ovsdb-server",
        &[&db, &remote, &unixctl, &pidfile, "--no-chdir"],
    );
    wait_unix(&format!("ovsdb-server {name}"), socket);
    server
}

#[test]
fn ovn_dbs_answer_list_dbs_on_their_sockets() {
    let root = TempDir::new("svc-ovn");
    let run_dir = root.path().join("run/ovn");
    std::fs::create_dir_all(&run_dir).unwrap();
    let _nb = ovsdb_server(
        root.path(),
        "nb",
        "/usr/share/ovn/ovn-nb.ovsschema",
        &run_dir.join("ovnnb_db.sock"),
    );
    let sb = ovsdb_server(
        root.path(),
        "sb",
        "/usr/share/ovn/ovn-sb.ovsschema",
        &run_dir.join("ovnsb_db.sock"),
    );
    let r = run_in(root.path(), &["ovn-dbs"]);
    assert!(r.healthy(), "{r:?}");
    // The southbound server gone: its socket file is left behind, and nobody answers on it.
    drop(sb);
    let r = run_in(root.path(), &["ovn-dbs"]);
    assert!(!r.healthy() && r.line().contains("ovnsb_db.sock"), "{r:?}");
}

/// A MariaDB server (data in a scratch directory) whose socket is `socket` inside
/// `root`, and whose TCP port is returned; user `monitor` has `password`.
fn mariadb(root: &Path, socket: &str, password: &str) -> MariaDb {
    let server = start_mariadb(
        &scratch_dir(&format!("svc-mariadb-{}", free_port())),
        &root.join(socket.trim_start_matches('/')),
        &format!(
            "CREATE USER 'monitor'@'localhost' IDENTIFIED BY '{password}';\n\
             CREATE USER 'monitor'@'127.0.0.1' IDENTIFIED BY '{password}';\n"
        ),
        &[],
    );
    wait_ready("mariadbd", Duration::from_secs(60), &server.log(), || {
        accepts(&server.tcp())
    });
    server
}

#[test]
fn mariadb_logs_in_with_the_client_section_of_my_cnf() {
    let root = TempDir::new("svc-mariadb");
    let password = "svc-test-db-pw-41d2";
    // The default path the check resolves on RHEL/TripleO.
    let server = mariadb(root.path(), "/var/lib/mysql/mysql.sock", password);
    let port = server.port;
    // Over the default socket, credentials in /root/.my.cnf as TripleO writes them.
    write(
        root.path(),
        "/etc/my.cnf",
        "[mysqld]\nskip-name-resolve\n!includedir /etc/my.cnf.d\n",
    );
    write(
        root.path(),
        "/root/.my.cnf",
        &format!("[client]\nuser=monitor\npassword=\"{password}\"\n"),
    );
    let r = until_healthy(START_TIMEOUT, || run_in(root.path(), &["mariadb"]));
    assert!(r.healthy() && r.line().contains("mysql.sock"), "{r:?}");
    // Over TCP from [client] host/port.
    write(
        root.path(),
        "/root/.my.cnf",
        &format!("[client]\nuser=monitor\npassword={password}\nhost=127.0.0.1\nport={port}\n"),
    );
    let r = run_in(root.path(), &["mariadb"]);
    assert!(r.healthy() && r.line().contains(&port.to_string()), "{r:?}");
    // A wrong password: unhealthy, and neither password is printed.
    write(
        root.path(),
        "/root/.my.cnf",
        &format!("[client]\nuser=monitor\npassword=x{password}\n"),
    );
    let r = run_in(root.path(), &["--format", "json", "mariadb"]);
    assert!(!r.healthy(), "{r:?}");
    assert!(!r.line().contains(password), "{r:?}");
}

#[test]
fn mariadb_on_debian_finds_its_socket_through_etc_mysql() {
    let root = TempDir::new("svc-mariadb-debian");
    let password = "svc-test-db-pw-9e07";
    let _server = mariadb(root.path(), "/run/mysqld/mysqld.sock", password);
    // No socket configured anywhere: Debian's well-known socket is found.
    write(
        root.path(),
        "/root/.my.cnf",
        &format!("[client]\nuser=monitor\npassword={password}\n"),
    );
    let r = until_healthy(START_TIMEOUT, || run_in(root.path(), &["mariadb"]));
    assert!(
        r.healthy() && r.line().contains("run/mysqld/mysqld.sock"),
        "{r:?}"
    );
    // Debian's layout: /etc/mysql/my.cnf includes its directories, which hold the
    // credentials and the server's socket.
    std::fs::remove_file(root.path().join("root/.my.cnf")).unwrap();
    write(
        root.path(),
        "/etc/mysql/my.cnf",
        "[client-server]\n!includedir /etc/mysql/conf.d/\n!includedir /etc/mysql/mariadb.conf.d/\n",
    );
    write(
        root.path(),
        "/etc/mysql/conf.d/monitor.cnf",
        &format!("[client]\nuser = monitor\npassword = \"{password}\"\n"),
    );
    write(
        root.path(),
        "/etc/mysql/mariadb.conf.d/50-server.cnf",
        "[server]\n[mysqld]\nuser = mysql\nsocket = /run/mysqld/mysqld.sock\nskip-name-resolve\n",
    );
    let r = run_in(root.path(), &["mariadb"]);
    assert!(
        r.healthy() && r.line().contains("run/mysqld/mysqld.sock"),
        "{r:?}"
    );
    // The configured socket is the one tried: a server configured elsewhere is not found.
    write(
        root.path(),
        "/etc/mysql/mariadb.conf.d/50-server.cnf",
        "[mysqld]\nsocket = /run/mysqld/elsewhere.sock\n",
    );
    let r = run_in(root.path(), &["mariadb"]);
    assert!(!r.healthy() && r.line().contains("elsewhere.sock"), "{r:?}");
    assert!(!r.line().contains(password), "{r:?}");
}

#[test]
fn nova_vnc_proxy_over_https_when_ssl_only() {
    let root = TempDir::new("svc-vnc");
    let port = free_port();
    let (cert, key) = (root.path().join("cert.pem"), root.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl");
    assert!(made.success(), "openssl req");
    let (cert_text, key_text) = (cert.display().to_string(), key.display().to_string());
    let _server = spawn(
        "/usr/bin/openssl",
        &[
            "s_server",
            "-quiet",
            "-www",
            "-accept",
            &format!("127.0.0.1:{port}"),
            "-cert",
            &cert_text,
            "-key",
            &key_text,
        ],
    );
    wait_tcp("openssl s_server", port);
    let conf = format!("[DEFAULT]\nssl_only = True\n[vnc]\nnovncproxy_host = 127.0.0.1\nnovncproxy_port = {port}\n");
    write(root.path(), "/etc/nova/nova.conf", &conf);
    let r = run_in(root.path(), &["nova-vnc-proxy"]);
    assert!(r.healthy(), "{r:?}");
    // Plain HTTP to the TLS server is not healthy: the flag decides the scheme.
    write(
        root.path(),
        "/etc/nova/nova.conf",
        &conf.replace("True", "False"),
    );
    let r = run_in(root.path(), &["nova-vnc-proxy"]);
    assert!(!r.healthy(), "{r:?}");
}

#[test]
fn ironic_pxe_in_the_httpd_container() {
    let root = TempDir::new("svc-pxe");
    let www = TempDir::new("svc-pxe-www");
    let port = free_port();
    write(
        root.path(),
        "/run_command",
        "/usr/sbin/httpd -DFOREGROUND\n",
    );
    write(
        root.path(),
        "/etc/ironic/ironic.conf",
        "[DEFAULT]\nmy_ip = 127.0.0.1\n",
    );
    write(
        root.path(),
        "/etc/httpd/conf.d/10-ipxe_vhost.conf",
        &format!("Listen {port}\n<VirtualHost *:{port}>\n</VirtualHost>\n"),
    );
    let _server = python_http_server(www.path(), "127.0.0.1", port);
    let r = run_in(root.path(), &["ironic-pxe"]);
    assert!(r.healthy(), "{r:?}");
}

#[test]
fn swift_proxy_healthcheck_middleware() {
    let root = TempDir::new("svc-swift-proxy");
    let www = TempDir::new("svc-swift-proxy-www");
    std::fs::write(www.path().join("healthcheck"), "OK").unwrap();
    let port = free_port();
    let conf = format!(
        "[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = {port}\n[pipeline:main]\npipeline = catch_errors healthcheck\n    proxy-logging proxy-server\n"
    );
    write(root.path(), "/etc/swift/proxy-server.conf", &conf);
    let _proxy = spawn("/bin/bash", &["-c", "exec -a swift-proxy-server sleep 60"]);
    let _server = python_http_server(www.path(), "127.0.0.1", port);
    let r = until_healthy(START_TIMEOUT, || run_in(root.path(), &["swift-proxy"]));
    assert!(r.healthy() && r.line().contains("/healthcheck"), "{r:?}");
}

#[test]
fn octavia_health_manager_holds_its_udp_port() {
    let port = free_port();
    let script = format!("import socket,time; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('127.0.0.1',{port})); time.sleep(60)");
    let _manager = spawn(
        "/usr/bin/python3",
        &["-c", &script, "octavia-health-manager"],
    );
    let r = until_healthy(START_TIMEOUT, || {
        run(&["octavia-health-manager", &port.to_string()])
    });
    assert!(r.healthy(), "{r:?}");
    let r = run(&["octavia-health-manager", &free_port().to_string()]);
    assert!(!r.healthy(), "{r:?}");
}

#[test]
fn nova_libvirt_asks_the_daemon_its_version() {
    // libvirtd in session mode as nobody (no /dev/kvm or system paths needed), its socket
    // where the check looks for it: ROOT/run/libvirt/libvirt-sock.
    let root = TempDir::new("svc-libvirt");
    let runtime = root.path().join("run/libvirt");
    let daemon = start_session_libvirtd(root.path(), &runtime, &root.path().join("home"));
    let r = run_in(root.path(), &["nova-libvirt"]);
    assert!(r.healthy() && r.line().contains("libvirt-sock"), "{r:?}");
    let r = run_in(root.path(), &["nova-libvirt", "libvirtd"]);
    assert!(r.healthy(), "{r:?}");
    drop(daemon);
    let r = run_in(root.path(), &["nova-libvirt"]);
    assert!(!r.healthy(), "{r:?}");
}

#[test]
fn rabbitmq_handshake_on_the_port_of_rabbitmq_env() {
    let root = TempDir::new("svc-rabbitmq");
    let broker = start_rabbitmq(&scratch_dir("svc-rabbitmq"), "");
    let port = broker.port;
    // The port as TripleO's rabbitmq-env.conf names it (no RABBITMQ_ prefix).
    write(
        root.path(),
        "/etc/rabbitmq/rabbitmq-env.conf",
        &format!("NODE_IP_ADDRESS=127.0.0.1\nNODE_PORT={port}\n"),
    );
    let r = until_healthy(Duration::from_secs(90), || {
        run_in(root.path(), &["rabbitmq"])
    });
    assert!(r.healthy() && r.line().contains(&port.to_string()), "{r:?}");
    broker.kill();
    let r = run_in(root.path(), &["rabbitmq"]);
    assert!(!r.healthy(), "{r:?}");
}
