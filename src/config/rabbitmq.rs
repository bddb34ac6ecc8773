//! RabbitMQ's own files, as far as a health check needs them: `rabbitmq.conf` (the
//! sysctl-style `key = value` format: the AMQP listeners, the management listener, the
//! definitions file), `enabled_plugins` (an Erlang list: is the management plugin on?)
//! and the definitions file (JSON: its users, with the password of the one a check may
//! log in as, and its virtual hosts). kolla-ansible writes all three; its definitions
//! carry the `openstack` administrator and, when configured, a monitoring user.

use serde_json::Value;

/// The AMQP port when nothing configures one.
pub const DEFAULT_AMQP_PORT: u16 = 5672;
/// The management plugin's port when nothing configures one.
pub const DEFAULT_MANAGEMENT_PORT: u16 = 15672;

/// A listener: address (`None`: every interface) and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub ip: Option<String>,
    pub port: u16,
}

/// What `rabbitmq.conf` says about where the broker listens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RabbitmqConf {
    /// `listeners.tcp.*`; `None` when not configured (the default 5672 applies),
    /// `Some(empty)` for `listeners.tcp = none`.
    pub tcp: Option<Vec<Listener>>,
    /// `listeners.ssl.*`.
    pub ssl: Vec<Listener>,
    /// `management.tcp.*` or `management.listener.*` (plain HTTP); `None`: the default.
    pub management: Option<Listener>,
    /// The management listener is HTTPS (`management.ssl.port`, `management.listener.ssl`).
    pub management_tls: bool,
    /// `load_definitions` or `management.load_definitions`.
    pub definitions: Option<String>,
}

/// Parse `rabbitmq.conf`.
pub fn parse_conf(text: &str) -> Result<RabbitmqConf, String> {
    let mut conf = RabbitmqConf::default();
    let mut management_ip: Option<String> = None;
    let mut management_port: Option<u16> = None;
    for (number, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("line {}: not `key = value`: {line:?}", number + 1));
        };
        let (key, value) = (key.trim(), value.trim());
        let at = |e: String| format!("line {}: {key}: {e}", number + 1);
        match key {
            "listeners.tcp" if value == "none" => conf.tcp = Some(Vec::new()),
            _ if key.starts_with("listeners.tcp.") => conf
                .tcp
                .get_or_insert_with(Vec::new)
                .push(listener(value).map_err(at)?),
            "listeners.ssl" if value == "none" => conf.ssl.clear(),
            _ if key.starts_with("listeners.ssl.") => conf.ssl.push(listener(value).map_err(at)?),
            "management.tcp.port" | "management.listener.port" => {
                management_port = Some(port(value).map_err(at)?)
            }
            "management.ssl.port" => {
                management_port = Some(port(value).map_err(at)?);
                conf.management_tls = true;
            }
            "management.tcp.ip" | "management.listener.ip" | "management.ssl.ip" => {
                management_ip = Some(value.to_string())
            }
            "management.listener.ssl" => conf.management_tls = value == "true",
            "load_definitions" | "management.load_definitions" => {
                conf.definitions = Some(value.to_string())
            }
            _ => {}
        }
    }
    if management_ip.is_some() || management_port.is_some() {
        conf.management = Some(Listener {
            ip: management_ip,
            port: management_port.unwrap_or(DEFAULT_MANAGEMENT_PORT),
        });
    }
    Ok(conf)
}

/// A listener value: `PORT`, `IP:PORT` or a raw IPv6 address and port (`::1:5672`, no
/// brackets, as RabbitMQ takes it).
fn listener(value: &str) -> Result<Listener, String> {
    match value.rsplit_once(':') {
        None => Ok(Listener {
            ip: None,
            port: port(value)?,
        }),
        Some((ip, p)) => Ok(Listener {
            ip: Some(ip.trim_matches(['[', ']']).to_string()).filter(|ip| !ip.is_empty()),
            port: port(p)?,
        }),
    }
}

fn port(text: &str) -> Result<u16, String> {
    text.parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| format!("{text:?} is not a port number"))
}

/// Whether `enabled_plugins` (`[rabbitmq_management,rabbitmq_prometheus].`) lists `plugin`.
pub fn plugin_enabled(enabled_plugins: &str, plugin: &str) -> bool {
    enabled_plugins
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|word| word == plugin)
}

/// A user of the definitions file with a password in the clear.
#[derive(Clone, PartialEq, Eq)]
pub struct DefinedUser {
    pub name: String,
    pub password: String,
    pub tags: Vec<String>,
}

/// Debug output never shows the password.
impl std::fmt::Debug for DefinedUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefinedUser")
            .field("name", &self.name)
            .field("tags", &self.tags)
            .finish_non_exhaustive()
    }
}

/// What a check takes from a definitions file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Definitions {
    /// Users whose password is given in the clear (hashed ones cannot log in a check).
    pub users: Vec<DefinedUser>,
    pub vhosts: Vec<String>,
}

impl Definitions {
    /// The user a health check logs in as: the first with the `monitoring` tag, else the
    /// first `administrator` (both may read the health endpoints).
    pub fn check_user(&self) -> Option<&DefinedUser> {
        let tagged = |tag: &str| self.users.iter().find(|u| u.tags.iter().any(|t| t == tag));
        tagged("monitoring").or_else(|| tagged("administrator"))
    }
}

/// Parse a definitions file (the management plugin's JSON export format).
pub fn parse_definitions(text: &str) -> Result<Definitions, String> {
    let json: Value =
        serde_json::from_str(text).map_err(|e| format!("not a definitions file (JSON): {e}"))?;
    let list = |key: &str| {
        json.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let users = list("users")
        .iter()
        .filter_map(|u| {
            let name = u.get("name")?.as_str()?.to_string();
            let password = u.get("password")?.as_str()?.to_string();
            // RabbitMQ 3.x writes tags as one comma-separated string, 4.x as a list.
            let tags = match u.get("tags") {
                Some(Value::String(s)) => s.split(',').map(|t| t.trim().to_string()).collect(),
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            };
            Some(DefinedUser {
                name,
                password,
                tags,
            })
        })
        .collect();
    let vhosts = list("vhosts")
        .iter()
        .filter_map(|v| v.get("name")?.as_str().map(str::to_string))
        .collect();
    Ok(Definitions { users, vhosts })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kolla_ansibles_rabbitmq_conf() {
        let conf = parse_conf(
            "listeners.tcp.1 = 192.0.2.10:5672\ncluster_partition_handling = pause_minority\n\n\
             management.listener.ip = 192.0.2.10\nmanagement.listener.port = 15672\n\
             management.load_definitions = /etc/rabbitmq/definitions.json\n",
        )
        .unwrap();
        assert_eq!(
            conf.tcp,
            Some(vec![Listener {
                ip: Some("192.0.2.10".into()),
                port: 5672
            }])
        );
        assert_eq!(
            conf.management,
            Some(Listener {
                ip: Some("192.0.2.10".into()),
                port: 15672
            })
        );
        assert_eq!(
            conf.definitions.as_deref(),
            Some("/etc/rabbitmq/definitions.json")
        );
        assert!(!conf.management_tls);
    }

    #[test]
    fn listener_forms() {
        let conf = parse_conf(
            "listeners.tcp.default = 5673\nlisteners.tcp.v6 = ::1:5674 # loopback\n\
             listeners.ssl.1 = 5671\nmanagement.ssl.port = 15671\n",
        )
        .unwrap();
        let tcp = conf.tcp.unwrap();
        assert_eq!(
            tcp[0],
            Listener {
                ip: None,
                port: 5673
            }
        );
        assert_eq!(tcp[1].ip.as_deref(), Some("::1"));
        assert_eq!(conf.ssl[0].port, 5671);
        assert!(conf.management_tls && conf.management.unwrap().port == 15671);
        assert_eq!(
            parse_conf("listeners.tcp = none\n").unwrap().tcp,
            Some(vec![])
        );
        assert_eq!(parse_conf("").unwrap(), RabbitmqConf::default());
        assert!(parse_conf("listeners.tcp.1 = 127.0.0.1:x\n")
            .unwrap_err()
            .contains("line 1"));
        assert!(parse_conf("just words\n").is_err());
    }

    #[test]
    fn plugins_and_definitions() {
        assert!(plugin_enabled(
            "[rabbitmq_management,rabbitmq_prometheus].\n",
            "rabbitmq_management"
        ));
        assert!(!plugin_enabled(
            "[rabbitmq_management_agent].",
            "rabbitmq_management"
        ));
        assert!(!plugin_enabled("[].", "rabbitmq_management"));
        let defs = parse_definitions(
            r#"{"vhosts":[{"name":"/"}],"users":[
                {"name":"openstack","password":"pw1","tags":"administrator"},
                {"name":"hashed","password_hash":"x","tags":["monitoring"]},
                {"name":"monitor","password":"pw2","tags":["monitoring"]}]}"#,
        )
        .unwrap();
        assert_eq!(defs.vhosts, vec!["/"]);
        assert_eq!(defs.users.len(), 2);
        assert_eq!(defs.check_user().unwrap().name, "monitor");
        assert!(!format!("{:?}", defs).contains("pw2"));
        let admin_only = parse_definitions(
            r#"{"users":[{"name":"openstack","password":"pw1","tags":"administrator"}]}"#,
        )
        .unwrap();
        assert_eq!(admin_only.check_user().unwrap().name, "openstack");
        assert!(parse_definitions("{").is_err());
    }
}
