//! The config readers side by side with what the originals used: TripleO's
//! `get_url_from_vhost` (common.sh from the tripleo-common 18.0.0 wheel) and crudini
//! (`get_config_val`), on files written in the style TripleO deploys. Where the originals
//! are wrong (documented in docs/services.md) the expected value is written out instead.
use crate::util::{original, TempDir};
use openstack_healthcheck::config::{ini, vhost};
use std::process::Command;

/// The original `get_url_from_vhost FILE`.
fn original_vhost_url(file: &std::path::Path) -> String {
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {} && get_url_from_vhost \"$1\"",
            original("tripleo/common.sh")
        ))
        .arg("get_url_from_vhost")
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("bash: {e}"));
    assert!(
        out.status.success(),
        "original get_url_from_vhost failed: {out:?} (run `bash tests/setup/install.sh`)"
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The original `get_config_val FILE SECTION KEY DEFAULT` (crudini).
fn original_config_val(file: &std::path::Path, section: &str, key: &str, default: &str) -> String {
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {} && get_config_val \"$1\" \"$2\" \"$3\" \"$4\"",
            original("tripleo/common.sh")
        ))
        .args([
            "get_config_val",
            &file.display().to_string(),
            section,
            key,
            default,
        ])
        .output()
        .unwrap_or_else(|e| panic!("bash: {e}"));
    String::from_utf8(out.stdout)
        .unwrap()
        .trim_end_matches('\n')
        .to_string()
}

const VHOSTS: &[&str] = &[
    // keystone as puppetlabs-apache writes it, TLS everywhere.
    "# ************************************\n# Vhost template in module puppetlabs-apache\n# Managed by Puppet\n\
     # ************************************\n#\n<VirtualHost 172.17.1.10:5000>\n  ServerName controller-0.internalapi.localdomain\n\n\
     ## Vhost docroot\n  DocumentRoot \"/var/www/cgi-bin/keystone\"\n\n  ## SSL directives\n  SSLEngine on\n\
     SSLCertificateFile      \"/etc/pki/tls/certs/httpd/httpd-internal_api.crt\"\n  WSGIApplicationGroup %{GLOBAL}\n\
     WSGIDaemonProcess keystone display-name=keystone group=keystone processes=4 threads=1 user=keystone\n\
     WSGIProcessGroup keystone\n  WSGIScriptAlias / \"/var/www/cgi-bin/keystone/keystone\"\n  WSGIPassAuthorization On\n</VirtualHost>\n",
    // placement under an alias, no TLS.
    "<VirtualHost 172.17.1.10:8778>\n  ServerName controller-0.internalapi.localdomain\n  SSLEngine off\n\
     WSGIScriptAlias /placement \"/var/www/cgi-bin/placement/placement-api\"\n</VirtualHost>\n",
    // IPv6 listen address.
    "<VirtualHost [fd00:fd00:fd00:2000::14]:8774>\n  ServerName controller-0.internalapi.localdomain\n\
     WSGIScriptAlias / \"/var/www/cgi-bin/nova/nova-api\"\n</VirtualHost>\n",
    // horizon: no WSGIScriptAlias line matched by the original's pattern.
    "<VirtualHost *:80>\n  ServerName overcloud.localdomain\n  DocumentRoot \"/var/www/\"\n</VirtualHost>\n",
];

#[test]
fn vhost_urls_match_the_original_where_it_is_right() {
    let dir = TempDir::new("cfg-vhost");
    for (i, text) in VHOSTS.iter().enumerate() {
        let file = dir.path().join(format!("10-{i}_wsgi.conf"));
        std::fs::write(&file, text).unwrap();
        let ours = vhost::url_from_vhost(text).unwrap_or_else(|e| panic!("vhost {i}: {e}"));
        assert_eq!(ours, original_vhost_url(&file), "vhost {i}");
    }
}

#[test]
fn vhost_urls_where_the_original_is_wrong() {
    // Two ServerName lines (a commented one): awk printed both, giving a URL with a line break.
    let text = "# ServerName old.example\n<VirtualHost *:9311>\n  ServerName new.example\n</VirtualHost>\n";
    assert_eq!(
        vhost::url_from_vhost(text).unwrap(),
        "http://new.example:9311/"
    );
    // An alias ending in '/': the original doubled it.
    let text =
        "<VirtualHost *:80>\n  ServerName h\n  WSGIScriptAlias /dashboard/ /x\n</VirtualHost>\n";
    assert_eq!(
        vhost::url_from_vhost(text).unwrap(),
        "http://h:80/dashboard/"
    );
}

const GLANCE_API_CONF: &str = "\
[DEFAULT]
# Address to bind the server.  Useful when selecting a particular
# network interface. (string value)
bind_host=172.17.1.10
bind_port=9292
enable_v2_api=True
debug: False
log_dir=/var/log/glance

[glance_store]
stores=http,rbd
default_store = rbd

[paste_deploy]
flavor=keystone

[oslo_messaging_notifications]
driver=noop
; old style comment
transport_url=rabbit://guest:secret@controller-0.internalapi.localdomain:5672/?ssl=0
";

const PROXY_SERVER_CONF: &str = "\
[DEFAULT]
bind_port = 8080
bind_ip = 172.17.3.10
workers = auto

[pipeline:main]
pipeline = catch_errors healthcheck proxy-logging cache ratelimit bulk tempurl formpost authtoken
    s3api s3token keystone staticweb copy container_quotas account_quotas slo dlo versioned_writes
    proxy-logging proxy-server

[filter:healthcheck]
use = egg:swift#healthcheck
";

#[test]
fn ini_values_match_crudini() {
    let dir = TempDir::new("cfg-ini");
    let cases: &[(&str, &[(&str, &str)])] = &[
        (
            GLANCE_API_CONF,
            &[
                ("DEFAULT", "bind_host"),
                ("DEFAULT", "bind_port"),
                ("DEFAULT", "debug"),
                ("glance_store", "default_store"),
                ("glance_store", "bind_host"),
                ("oslo_messaging_notifications", "transport_url"),
                ("paste_deploy", "missing"),
            ],
        ),
        (
            PROXY_SERVER_CONF,
            &[
                ("DEFAULT", "bind_ip"),
                ("pipeline:main", "pipeline"),
                ("filter:healthcheck", "use"),
            ],
        ),
    ];
    for (n, (text, keys)) in cases.iter().enumerate() {
        let file = dir.path().join(format!("{n}.conf"));
        std::fs::write(&file, text).unwrap();
        let parsed = ini::parse(text).unwrap();
        for (section, key) in keys.iter() {
            let ours = parsed.get_or(section, key, "DEFAULTVALUE").unwrap();
            assert_eq!(
                ours,
                original_config_val(&file, section, key, "DEFAULTVALUE"),
                "[{section}] {key}"
            );
        }
    }
}

#[test]
fn ini_where_oslo_config_differs_from_crudini() {
    // oslo.config strips one pair of quotes; crudini kept them and the URL broke.
    let parsed = ini::parse("[vnc]\nnovncproxy_host = \"172.17.1.10\"\n").unwrap();
    assert_eq!(
        parsed.get("vnc", "novncproxy_host").unwrap().as_deref(),
        Some("172.17.1.10")
    );
}

/// What the real oslo.config (Debian's python3-oslo.config) reads for `opts` from `file`
/// and its `FILE.d` directory: `Ok(values)` (null for unset, `{"error": ..}` for an
/// option it refuses) or `Err` for a file it cannot parse.
fn oslo_read(
    file: &std::path::Path,
    opts: &[(&str, &str, &str)],
) -> Result<serde_json::Value, String> {
    let conf_d = format!("{}.d", file.display());
    let spec = serde_json::json!({
        "files": [file],
        "config_dir": std::path::Path::new(&conf_d).is_dir().then_some(conf_d),
        "opts": opts.iter().map(|(g, k, t)| [g, k, t]).collect::<Vec<_>>(),
    });
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oslo/read_config.py");
    let mut child = Command::new("/usr/bin/python3")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("Debian's python3 with python3-oslo.config (tests/setup/packages)");
    std::io::Write::write_all(
        &mut child.stdin.take().unwrap(),
        spec.to_string().as_bytes(),
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "oslo.config reader failed: {out:?}");
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    match value.get("parse_error") {
        Some(e) => Err(e.to_string()),
        None => Ok(value),
    }
}

/// Our reader on the same file and options, in the same shape.
fn ours_read(
    file: &std::path::Path,
    opts: &[(&str, &str, &str)],
) -> Result<serde_json::Value, String> {
    let ini = ini::load(
        &openstack_healthcheck::system::Root::Host,
        file.to_str().unwrap(),
    )?;
    let mut out = serde_json::Map::new();
    for (group, key, kind) in opts {
        let value = match ini.get(group, key) {
            Err(e) => serde_json::json!({ "error": e }),
            Ok(None) => serde_json::Value::Null,
            Ok(Some(_)) if *kind == "bool" => match ini.flag(group, key, false) {
                Ok(b) => serde_json::Value::Bool(b),
                Err(e) => serde_json::json!({ "error": e }),
            },
            Ok(Some(text)) => serde_json::Value::String(text),
        };
        out.insert(format!("{group}.{key}"), value);
    }
    Ok(serde_json::Value::Object(out))
}

/// Values equal, or both an error (the messages differ).
fn same_reading(oslo: &serde_json::Value, ours: &serde_json::Value) -> bool {
    let is_error = |v: &serde_json::Value| v.get("error").is_some();
    let (oslo, ours) = (oslo.as_object().unwrap(), ours.as_object().unwrap());
    oslo.len() == ours.len()
        && oslo.iter().all(|(k, v)| {
            ours.get(k)
                .is_some_and(|o| o == v || (is_error(o) && is_error(v)))
        })
}

#[test]
fn oslo_config_files_read_as_oslo_config_reads_them() {
    let dir = TempDir::new("oslo-side");
    type Case<'a> = (
        &'a str,
        &'a [(&'a str, &'a str)],
        &'a [(&'a str, &'a str, &'a str)],
    );
    let cases: &[Case] = &[
        // Interpolation: $name, ${name}, ${group.opt}, $group.opt, $$ and \$, the group
        // first then DEFAULT, chains, an undefined reference, a loop, DEFAULT by group.
        (
            "[DEFAULT]\nmy_ip = 10.1.2.3\nhost_ref = $my_ip\nbraced = ${my_ip}:80\nescaped = $$my_ip\n\
             backslash = \\$my_ip and $ alone $1 end$\nundefined = $nosuch\ngrp = ${vnc.novncproxy_port}\n\
             dotted = $vnc.novncproxy_port\nmixed = a$my_ip-b\nchain = $host_ref\nloop_a = $loop_b\nloop_b = $loop_a\n\
             by_default = ${DEFAULT.my_ip}\nupper_group = ${VNC.novncproxy_port}\ndot_after = $my_ip.x\n\
             [vnc]\nnovncproxy_host = $my_ip\nnovncproxy_port = 6081\nserver = ${novncproxy_port}\nmy_ip = 192.0.2.9\nown = $my_ip\n",
            &[],
            &[
                ("DEFAULT", "host_ref", "str"),
                ("DEFAULT", "braced", "str"),
                ("DEFAULT", "escaped", "str"),
                ("DEFAULT", "backslash", "str"),
                ("DEFAULT", "undefined", "str"),
                ("DEFAULT", "grp", "str"),
                ("DEFAULT", "dotted", "str"),
                ("DEFAULT", "mixed", "str"),
                ("DEFAULT", "chain", "str"),
                ("DEFAULT", "loop_a", "str"),
                ("DEFAULT", "by_default", "str"),
                ("DEFAULT", "upper_group", "str"),
                ("DEFAULT", "dot_after", "str"),
                ("vnc", "novncproxy_host", "str"),
                ("vnc", "server", "str"),
                ("vnc", "own", "str"),
            ],
        ),
        // Group names: [DEFAULT] only so spelled; other groups in any case, merged.
        (
            "[default]\nx = lower\n[DEFAULT]\ny = upper\n[VNC]\nnovncproxy_host = first\nport = 1\n[Vnc]\nnovncproxy_host = second\n",
            &[],
            &[
                ("DEFAULT", "x", "str"),
                ("DEFAULT", "y", "str"),
                ("vnc", "novncproxy_host", "str"),
                ("VNC", "port", "str"),
            ],
        ),
        // Quotes, inline '#', continuation lines (an indented comment continues).
        (
            "[DEFAULT]\nq = \"quoted\"\nlone = \"\nmixed = 'a\"\nhash = x # not a comment\n\
             multi = first\n  # second\n\tthird\nlast = 1\nlast = 2\n",
            &[],
            &[
                ("DEFAULT", "q", "str"),
                ("DEFAULT", "lone", "str"),
                ("DEFAULT", "mixed", "str"),
                ("DEFAULT", "hash", "str"),
                ("DEFAULT", "multi", "str"),
                ("DEFAULT", "last", "str"),
            ],
        ),
        // A later file of the config dir wins, in name order; interpolation across files.
        (
            "[DEFAULT]\nbind_host = $my_ip\nbind_port = 9292\nmy_ip = 10.0.0.1\n",
            &[
                ("20-late.conf", "[DEFAULT]\nbind_port = 9999\n"),
                ("10-early.conf", "[DEFAULT]\nbind_port = 1111\nmy_ip = 10.0.0.2\n"),
                ("ignored.txt", "[DEFAULT]\nbind_port = 1\n"),
            ],
            &[("DEFAULT", "bind_host", "str"), ("DEFAULT", "bind_port", "str")],
        ),
    ];
    let bools: Vec<String> = [
        "true", "True", "TRUE", "yes", "Yes", "on", "ON", "1", "false", "False", "no", "NO", "off",
        "Off", "0", "y", "t", "2", "enabled", "",
    ]
    .iter()
    .map(|v| format!("[DEFAULT]\nb = {v}\nref = $b\n[DEFAULT]\n"))
    .collect();
    let bool_opts: &[(&str, &str, &str)] = &[("DEFAULT", "b", "bool"), ("DEFAULT", "ref", "bool")];
    let all: Vec<Case> = cases
        .iter()
        .copied()
        .chain(bools.iter().map(|text| (text.as_str(), &[][..], bool_opts)))
        .collect();
    for (n, (text, conf_d, opts)) in all.iter().enumerate() {
        let file = dir.path().join(format!("case{n}.conf"));
        std::fs::write(&file, text).unwrap();
        for (name, content) in *conf_d {
            let d = dir.path().join(format!("case{n}.conf.d"));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(name), content).unwrap();
        }
        let oslo = oslo_read(&file, opts).expect("oslo.config parses it");
        let ours = ours_read(&file, opts).expect("we parse it");
        assert!(
            same_reading(&oslo, &ours),
            "case {n}:\n{text}\noslo.config: {oslo}\nours:        {ours}"
        );
    }
}

#[test]
fn oslo_config_refuses_what_we_refuse() {
    let dir = TempDir::new("oslo-refuse");
    for (n, text) in [
        "[DEFAULT]\n#c\n  x = 1\n",
        "[DEFAULT]\nx = 1\n\n  y = 2\n",
        "x = before any section\n",
        "[DEFAULT\nx = 1\n",
        "[]\nx = 1\n",
        "[DEFAULT]\njust words\n",
        "[DEFAULT]\n= value\n",
    ]
    .iter()
    .enumerate()
    {
        let file = dir.path().join(format!("bad{n}.conf"));
        std::fs::write(&file, text).unwrap();
        let opts = [("DEFAULT", "x", "str")];
        assert!(
            oslo_read(&file, &opts).is_err(),
            "oslo.config takes {text:?}"
        );
        assert!(ours_read(&file, &opts).is_err(), "we take {text:?}");
    }
}

/// Apache's own reading of a vhost file (`apache2 -S`, Debian's apache2-bin with mod_ssl
/// and mod_wsgi): for each block, `ADDR:PORT` and the name it serves, in file order.
/// `server_name` is the server's own, given outside the file as the main config would.
fn apache_blocks(dir: &std::path::Path, vhost: &std::path::Path) -> Vec<(Vec<String>, String)> {
    let modules = "/usr/lib/apache2/modules";
    let conf = dir.join("httpd.conf");
    std::fs::write(
        &conf,
        format!(
            "ServerRoot {root}\nPidFile {root}/pid\nErrorLog /dev/null\n\
             LoadModule mpm_prefork_module {modules}/mod_mpm_prefork.so\n\
             LoadModule ssl_module {modules}/mod_ssl.so\n\
             LoadModule wsgi_module {modules}/mod_wsgi.so\n\
             LoadModule alias_module {modules}/mod_alias.so\n\
             LoadModule authz_core_module {modules}/mod_authz_core.so\n\
             Include {vhost}\n",
            root = dir.display(),
            vhost = vhost.display()
        ),
    )
    .unwrap();
    let out = Command::new("/usr/sbin/apache2")
        .args(["-f", conf.to_str().unwrap(), "-S"])
        .output()
        .expect("apache2 (apache2-bin, libapache2-mod-wsgi-py3: tests/setup/packages)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "apache2 -S failed: {out:?}");
    // "ADDR:PORT   NAME (FILE:LINE)", sorted by Apache; put back in file order.
    let mut blocks: Vec<(usize, String, String)> = text
        .lines()
        .filter_map(|l| {
            let (head, place) = l.trim_end().strip_suffix(')')?.rsplit_once(" (")?;
            let line: usize = place.rsplit_once(':')?.1.parse().ok()?;
            let mut words = head.split_whitespace();
            Some((line, words.next()?.to_string(), words.next()?.to_string()))
        })
        .collect();
    // One line per address of a block: one entry per block (its file line).
    blocks.sort();
    let mut out: Vec<(usize, Vec<String>, String)> = Vec::new();
    for (line, address, name) in blocks {
        match out.last_mut() {
            Some((last, addresses, _)) if *last == line => addresses.push(address),
            _ => out.push((line, vec![address], name)),
        }
    }
    out.into_iter().map(|(_, a, n)| (a, n)).collect()
}

#[test]
fn vhost_blocks_read_as_apache_reads_them() {
    let dir = TempDir::new("vhost-apache");
    let files = [
        // A plain block redirecting to the SSL block of the application.
        "Listen 8080\nServerName global.example\n<VirtualHost *:8080>\n  ServerName redirect.example\n  \
         Redirect / https://api.example:13000/\n</VirtualHost>\n<VirtualHost 172.17.1.10:13000>\n  \
         ServerName api.example\n  SSLEngine on\n  SSLCertificateFile /nonexistent.pem\n  WSGIScriptAlias /identity \"/var/www/x\"\n\
         </VirtualHost>\n",
        // A '*' block without a name takes the server's; directives in any case, continued lines.
        "ServerName global.example\n<virtualhost *:8081>\n  WSGIScriptAlias /x \"/var/www/x\"\n</virtualhost>\n\
         <VirtualHost 127.0.0.1:8082 [::1]:8083>\n  ServerName two.example:9999\n</VirtualHost>\n\
         <VirtualHost *:8085>\n  SERVERNAME \\\n    continued.example\n</VirtualHost>\n",
        // IPv6 and nested sections.
        "ServerName global.example\n<VirtualHost [::1]:8774>\n  ServerName fd00-api.example\n  <Directory /var/www>\n    \
         Require all granted\n  </Directory>\n  <IfModule mod_ssl.c>\n    SSLEngine off\n  </IfModule>\n\
         WSGIScriptAlias / /var/www/x\n</VirtualHost>\n",
    ];
    let expected_urls = [
        "https://api.example:13000/identity/",
        "http://global.example:8081/x/",
        "http://fd00-api.example:8774/",
    ];
    for (n, (text, url)) in files.iter().zip(expected_urls).enumerate() {
        let vhost = dir.path().join(format!("{n}-vhost.conf"));
        std::fs::write(&vhost, text).unwrap();
        let apache = apache_blocks(dir.path(), &vhost);
        let ours = vhost::parse_file(text).unwrap();
        assert_eq!(
            apache.len(),
            ours.blocks.len(),
            "{text}\napache: {apache:?}"
        );
        for ((addresses, name), block) in apache.iter().zip(&ours.blocks) {
            let shown = if block.address.contains(':') {
                format!("[{}]:{}", block.address, block.port)
            } else {
                format!("{}:{}", block.address, block.port)
            };
            // Apache lists every address of a block; ours is its first.
            assert!(
                addresses.contains(&shown),
                "{shown} not in {addresses:?}: {text}"
            );
            let our_name = block
                .server_name
                .clone()
                .or_else(|| (block.address == "*").then(|| ours.server_name.clone().unwrap()))
                .unwrap();
            let our_name = our_name.split(':').next().unwrap();
            assert_eq!(name, our_name, "{text}");
        }
        assert_eq!(vhost::url_from_vhost(text).unwrap(), url, "{text}");
    }
}

/// Option-file lines in every shape of value, read by MariaDB's own `my_print_defaults`
/// and by us: the same values, escapes, quotes and comments included.
#[test]
fn my_cnf_values_read_as_the_mariadb_client_reads_them() {
    use openstack_healthcheck::config::mycnf;
    let dir = TempDir::new("mycnf-side");
    let text = r#"# a comment
[client]
user = a\\b
host = x\ny
socket = t\tz
password = p\s w\"q\'r\x
database = "quoted \"in\" \\ side"
ssl_cipher = 'single \'q\' x'
ssl_ca = "unbalanced
ssl_key = "first"last"
ssl_cert = trail\
plugin_dir = a # comment
init_command = "a # not comment" # comment
bind_address = "
max_allowed_packet = 'x'
default_character_set =   spaced value   
ssl_crl = back\\\\slashes\q
prompt = 'it''s'
no_beep
[mysqld]
socket = /not/for/the/client
"#;
    let file = dir.path().join("my.cnf");
    std::fs::write(&file, text).unwrap();
    let out = Command::new("my_print_defaults")
        .arg(format!("--defaults-file={}", file.display()))
        .arg("client")
        .output()
        .expect("my_print_defaults (mariadb-client: tests/setup/packages)");
    assert!(out.status.success(), "{out:?}");
    let theirs = String::from_utf8(out.stdout).unwrap();
    let ours: String = mycnf::parse(text)
        .into_iter()
        .filter_map(|line| match line {
            mycnf::Line::Option { group, key, value } if group == "client" => Some(match value {
                Some(v) => format!("--{key}={v}\n"),
                None => format!("--{key}\n"),
            }),
            _ => None,
        })
        .collect();
    assert_eq!(ours, theirs);
}

/// `$my_ip` where the file does not set it: the default nova, ironic and the others give
/// the option, this host's address as oslo.utils' `get_my_ipv4` finds it.
#[test]
fn an_unset_my_ip_is_the_hosts_address_as_oslo_utils_finds_it() {
    let out = Command::new("/usr/bin/python3")
        .args([
            "-c",
            "from oslo_utils import netutils; print(netutils.get_my_ipv4())",
        ])
        .output()
        .expect("Debian's python3 with python3-oslo.utils (tests/setup/packages)");
    assert!(out.status.success(), "{out:?}");
    let theirs = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let parsed =
        ini::parse("[DEFAULT]\nbind_host = $my_ip\n[vnc]\nserver_listen = ${my_ip}\n").unwrap();
    assert_eq!(parsed.get("DEFAULT", "bind_host").unwrap().unwrap(), theirs);
    assert_eq!(parsed.get("vnc", "server_listen").unwrap().unwrap(), theirs);
    let parsed = ini::parse("[DEFAULT]\nmy_ip = 192.0.2.77\nbind_host = $my_ip\n").unwrap();
    assert_eq!(
        parsed.get("DEFAULT", "bind_host").unwrap().as_deref(),
        Some("192.0.2.77")
    );
}
