//! kolla's `healthcheck_rabbitmq` as a drop-in. The script runs six `rabbitmq-diagnostics`
//! commands (ping, status, check_running, check_local_alarms, check_port_connectivity,
//! check_virtual_hosts), each starting an Erlang VM; this asks the broker the same
//! things over its own listeners:
//!
//! - every AMQP listener of `rabbitmq.conf` (else the node port) must speak AMQP: the
//!   node is up and its application runs (ping, status, check_running) and its ports
//!   accept (check_port_connectivity); with credentials, the login and every virtual host
//!   of the definitions file open;
//! - where the management plugin runs (`enabled_plugins`), its health endpoints
//!   `/api/health/checks/local-alarms` and `/api/health/checks/virtual-hosts` must answer
//!   ok (check_local_alarms, check_virtual_hosts), with the same credentials.
//!
//! The credentials are the definitions file's (kolla-ansible writes the `openstack`
//! administrator there, and a monitoring user when configured: the monitoring one is
//! preferred), or `HEALTHCHECK_RABBITMQ_USER` with `HEALTHCHECK_RABBITMQ_PASSWORD_FILE`.
//! Without credentials only the AMQP handshake is possible, and the reason says what
//! was left unchecked.

use super::http::{self, HttpOptions, Url};
use crate::config::{self, rabbitmq as conf, sysconfig};
use crate::context::Context;
use crate::net::tls::TlsOptions;
use crate::net::Endpoint;
use crate::proto::amqp::{self, Login};
use crate::proto::exchange::printable;
use crate::verdict::{Checked, Outcome};

const CONF: &str = "/etc/rabbitmq/rabbitmq.conf";
const ENV_CONF: &str = "/etc/rabbitmq/rabbitmq-env.conf";
const ENABLED_PLUGINS: &str = "/etc/rabbitmq/enabled_plugins";
const DEFINITIONS: &str = "/etc/rabbitmq/definitions.json";
const MANAGEMENT_PLUGIN: &str = "rabbitmq_management";
/// The health endpoints asked, with the diagnostics command each stands for.
const HEALTH_CHECKS: &[(&str, &str)] = &[
    ("local-alarms", "check_local_alarms"),
    ("virtual-hosts", "check_virtual_hosts"),
];

/// Where the broker listens and how to log in, from its files.
#[derive(Debug, Clone)]
pub struct Broker {
    /// AMQP listeners to connect to, each with whether it is TLS.
    pub amqp: Vec<(Endpoint, bool)>,
    /// The management plugin's base URL (`http://127.0.0.1:15672`), if it runs.
    pub management: Option<String>,
    pub login: Option<(String, String)>,
    pub vhosts: Vec<String>,
    /// What could not be read, said in the reason rather than failing the check.
    pub notes: Vec<String>,
}

/// `healthcheck_rabbitmq`: the broker of this container, as its files describe it.
pub fn kolla(ctx: &Context) -> Checked {
    match broker_from_files() {
        Ok(broker) => check(&broker, ctx),
        Err(e) => Checked::new("", Err(e)),
    }
}

/// A file named by a RabbitMQ environment variable (as the broker and its tools take
/// it), else the default path under `HEALTHCHECK_ROOT`.
fn file_of(var: &str, default: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| config::host_path_string(default))
}

fn read(path: &str) -> Result<Option<String>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!(
            "cannot read {path}: {}",
            crate::util::io_reason(&e)
        )),
    }
}

/// Read rabbitmq.conf, rabbitmq-env.conf, enabled_plugins and the definitions file.
pub fn broker_from_files() -> Result<Broker, String> {
    let conf_path = file_of("RABBITMQ_CONFIG_FILE", CONF);
    // RABBITMQ_CONFIG_FILE may name the file without its .conf suffix.
    let conf_text = match read(&conf_path)? {
        Some(text) => Some(text),
        None if !conf_path.ends_with(".conf") => read(&format!("{conf_path}.conf"))?,
        None => None,
    };
    let rabbit = match conf_text {
        Some(text) => conf::parse_conf(&text).map_err(|e| format!("{conf_path}: {e}"))?,
        None => conf::RabbitmqConf::default(),
    };
    let mut notes = Vec::new();
    let amqp = amqp_listeners(&rabbit)?;
    let plugins = read(&file_of("RABBITMQ_ENABLED_PLUGINS_FILE", ENABLED_PLUGINS))?;
    let management_on = plugins
        .as_deref()
        .is_some_and(|p| conf::plugin_enabled(p, MANAGEMENT_PLUGIN));
    let management = management_on.then(|| {
        let listener = rabbit.management.clone().unwrap_or(conf::Listener {
            ip: None,
            port: conf::DEFAULT_MANAGEMENT_PORT,
        });
        let scheme = if rabbit.management_tls {
            "https"
        } else {
            "http"
        };
        format!(
            "{scheme}://{}:{}",
            config::wrap_ipv6(&loopback_for(listener.ip.as_deref())),
            listener.port
        )
    });
    let definitions_path = rabbit
        .definitions
        .clone()
        .unwrap_or_else(|| config::host_path_string(DEFINITIONS));
    let definitions = match read(&definitions_path) {
        Ok(Some(text)) => conf::parse_definitions(&text)
            .map_err(|e| notes.push(format!("{definitions_path}: {e}")))
            .unwrap_or_default(),
        Ok(None) => conf::Definitions::default(),
        Err(e) => {
            notes.push(e);
            conf::Definitions::default()
        }
    };
    let login = match login_from_environment()? {
        Some(login) => Some(login),
        None => definitions
            .check_user()
            .map(|u| (u.name.clone(), u.password.clone())),
    };
    if let Some((_, password)) = &login {
        crate::secrets::remember(password);
    }
    let mut vhosts = definitions.vhosts;
    if vhosts.is_empty() {
        vhosts.push("/".into());
    }
    Ok(Broker {
        amqp,
        management,
        login,
        vhosts,
        notes,
    })
}

/// `HEALTHCHECK_RABBITMQ_USER` with the password in `HEALTHCHECK_RABBITMQ_PASSWORD_FILE`.
fn login_from_environment() -> Result<Option<(String, String)>, String> {
    let user = std::env::var("HEALTHCHECK_RABBITMQ_USER")
        .ok()
        .filter(|v| !v.is_empty());
    let file = std::env::var("HEALTHCHECK_RABBITMQ_PASSWORD_FILE")
        .ok()
        .filter(|v| !v.is_empty());
    match (user, file) {
        (None, None) => Ok(None),
        (Some(user), Some(file)) => Ok(Some((user, crate::secrets::read_secret_file(&file)?))),
        _ => Err(
            "HEALTHCHECK_RABBITMQ_USER and HEALTHCHECK_RABBITMQ_PASSWORD_FILE go together".into(),
        ),
    }
}

/// The AMQP listeners: rabbitmq.conf's, else the node port of the environment or
/// rabbitmq-env.conf (5672), on the node address (loopback for a wildcard).
fn amqp_listeners(rabbit: &conf::RabbitmqConf) -> Result<Vec<(Endpoint, bool)>, String> {
    let endpoint = |l: &conf::Listener| Endpoint::Tcp {
        host: loopback_for(l.ip.as_deref()),
        port: l.port,
    };
    let mut listeners: Vec<(Endpoint, bool)> = match &rabbit.tcp {
        Some(tcp) => tcp.iter().map(|l| (endpoint(l), false)).collect(),
        None => {
            let env_file = config::read_optional(ENV_CONF)?;
            let vars = match env_file {
                Some(text) => sysconfig::parse(&text).map_err(|e| config::in_file(ENV_CONF, e))?,
                None => Vec::new(),
            };
            let var = |name: &str| {
                std::env::var(format!("RABBITMQ_{name}"))
                    .ok()
                    .or_else(|| sysconfig::get(&vars, name).map(str::to_string))
                    .or_else(|| {
                        sysconfig::get(&vars, &format!("RABBITMQ_{name}")).map(str::to_string)
                    })
                    .filter(|v| !v.is_empty())
            };
            let port = match var("NODE_PORT") {
                Some(p) => p
                    .parse::<u16>()
                    .map_err(|_| format!("NODE_PORT is not a port number: {p:?}"))?,
                None => conf::DEFAULT_AMQP_PORT,
            };
            vec![(
                endpoint(&conf::Listener {
                    ip: var("NODE_IP_ADDRESS"),
                    port,
                }),
                false,
            )]
        }
    };
    listeners.extend(rabbit.ssl.iter().map(|l| (endpoint(l), true)));
    if listeners.is_empty() {
        return Err(
            "rabbitmq.conf configures no AMQP listener (listeners.tcp = none and no listeners.ssl)"
                .into(),
        );
    }
    Ok(listeners)
}

/// The address to connect to for a listener bound to `ip` (every interface: loopback).
fn loopback_for(ip: Option<&str>) -> String {
    match ip.map(str::trim) {
        None | Some("" | "0.0.0.0" | "*") => "127.0.0.1".into(),
        Some("::" | "::0") => "::1".into(),
        Some(other) => other.to_string(),
    }
}

/// Ask the broker: healthy when every listener speaks AMQP (logging in and opening every
/// virtual host when there are credentials) and the management health checks pass.
pub fn check(broker: &Broker, ctx: &Context) -> Checked {
    let target = broker
        .amqp
        .first()
        .map(|(ep, _)| ep.to_string())
        .unwrap_or_default();
    let mut said = Vec::new();
    for (index, (endpoint, tls)) in broker.amqp.iter().enumerate() {
        // Every virtual host on the first listener; the first one on the others.
        let vhosts = if index == 0 {
            &broker.vhosts[..]
        } else {
            &broker.vhosts[..1]
        };
        match amqp_listener(endpoint, *tls, broker.login.as_ref(), vhosts, ctx) {
            Ok(s) => said.push(s),
            Err(e) => return Checked::new(endpoint.to_string(), Err(e)),
        }
    }
    match (&broker.management, &broker.login) {
        (Some(base), Some((user, password))) => {
            match management_checks(base, user, password, ctx) {
                Ok(s) => said.push(s),
                Err(e) => return Checked::new(base.as_str(), Err(e)),
            }
        }
        (Some(_), None) => said.push(
            "local alarms not checked: no credentials for the management API \
             (definitions file, or HEALTHCHECK_RABBITMQ_USER and _PASSWORD_FILE)"
                .into(),
        ),
        (None, _) => {
            said.push("local alarms not checked: the management plugin is not enabled".into())
        }
    }
    said.extend(broker.notes.iter().cloned());
    Checked::new(target, Ok(said.join("; ")))
}

/// One AMQP listener: the handshake, and with credentials the login into each of `vhosts`.
fn amqp_listener(
    endpoint: &Endpoint,
    tls: bool,
    login: Option<&(String, String)>,
    vhosts: &[String],
    ctx: &Context,
) -> Outcome {
    let tls_options = tls.then(TlsOptions::default);
    let scheme = if tls { "amqps" } else { "amqp" };
    let refused = |e: String| {
        if e.contains("connection refused") {
            format!("{scheme} {endpoint}: {e} (broker or its application stopped?)")
        } else {
            format!("{scheme} {endpoint}: {e}")
        }
    };
    let Some((user, password)) = login else {
        let product =
            amqp::handshake(endpoint, None, tls_options.as_ref(), ctx).map_err(refused)?;
        return Ok(format!(
            "{product} speaks AMQP on {endpoint} (no credentials: login not tried)"
        ));
    };
    let mut product = String::new();
    for vhost in vhosts {
        let login = Login {
            user: user.clone(),
            password: password.clone(),
            vhost: vhost.clone(),
        };
        product =
            amqp::handshake(endpoint, Some(&login), tls_options.as_ref(), ctx).map_err(refused)?;
    }
    Ok(format!(
        "{product} on {endpoint}: logged in as {user}, vhost{} {} open",
        if vhosts.len() == 1 { "" } else { "s" },
        vhosts.join(", ")
    ))
}

/// The management plugin's health checks, each `{"status":"ok"}` with 200, or
/// `{"status":"failed","reason":...}` with 503.
fn management_checks(base: &str, user: &str, password: &str, ctx: &Context) -> Outcome {
    let mut url = Url::parse(base)?;
    url.userinfo = Some(format!("{user}:{password}"));
    let auth = url.basic_auth().ok_or("no credentials")?;
    let opts = HttpOptions::default();
    let mut passed = Vec::new();
    for (check, diagnostics) in HEALTH_CHECKS {
        let path = format!("{base}/api/health/checks/{check}");
        let reply = http::fetch_inner(&path, &opts, &[("Authorization".into(), auth.clone())], ctx)
            .map_err(|e| format!("{diagnostics}: management API {path}: {e}"))?;
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap_or_default();
        let status = body.get("status").and_then(|s| s.as_str()).unwrap_or("");
        match reply.status {
            200 if status == "ok" => passed.push(*diagnostics),
            401 => {
                return Err(format!(
                    "{diagnostics}: the management API refused the login as {user} (HTTP 401)"
                ))
            }
            code => {
                let reason = body
                    .get("reason")
                    .and_then(|r| r.as_str())
                    .map(|r| printable(r.as_bytes(), 200))
                    .unwrap_or_else(|| printable(&reply.body, 120));
                return Err(format!("{diagnostics} failed (HTTP {code}): {reason}"));
            }
        }
    }
    Ok(format!("management: {} ok", passed.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_mean_loopback() {
        assert_eq!(loopback_for(None), "127.0.0.1");
        assert_eq!(loopback_for(Some("0.0.0.0")), "127.0.0.1");
        assert_eq!(loopback_for(Some("::")), "::1");
        assert_eq!(loopback_for(Some("192.0.2.1")), "192.0.2.1");
    }

    #[test]
    fn listeners_from_the_conf() {
        let rabbit =
            conf::parse_conf("listeners.tcp.1 = 0.0.0.0:5673\nlisteners.ssl.1 = 192.0.2.1:5671\n")
                .unwrap();
        let listeners = amqp_listeners(&rabbit).unwrap();
        assert_eq!(listeners[0].0.to_string(), "127.0.0.1:5673");
        assert_eq!(
            listeners[1],
            (Endpoint::parse("192.0.2.1:5671", None).unwrap(), true)
        );
        let none = conf::parse_conf("listeners.tcp = none\n").unwrap();
        assert!(amqp_listeners(&none)
            .unwrap_err()
            .contains("no AMQP listener"));
    }
}
