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
            let ours = parsed.get_or(section, key, "DEFAULTVALUE");
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
        parsed.get("vnc", "novncproxy_host").as_deref(),
        Some("172.17.1.10")
    );
}
