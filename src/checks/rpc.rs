//! The RPC ping check: is the service's RPC server consuming its own queue and
//! answering? It calls `ping` (namespace `baseapi`, version 1.1, which nova's services
//! serve from `nova/baserpc.py`) on `TOPIC.HOST`, as openstack-helm's worker probe does,
//! with the broker, credentials, vhost, control exchange and TLS options the service's
//! own oslo.config files give. A process stopped with SIGSTOP keeps its broker
//! connections (so passes a port check) but answers nothing: this check fails on it.
//!
//! Any answer proves the server consumed the request and replied: a server without the
//! `baseapi` endpoint (every non-nova service) answers `UnsupportedVersion` or
//! `NoSuchMethod`, which counts as alive and the reason says so. No answer within the
//! deadline is unhealthy.

use crate::config::{ini, transport_url};
use crate::context::Context;
use crate::deadline::Deadline;
use crate::net::tls::TlsOptions;
use crate::net::Endpoint;
use crate::proto::amqp::{self, basic, Login, Session};
use crate::proto::oslo_rpc::{self, CallError, Reply, Request, Target};
use crate::verdict::{Checked, Outcome};
use std::time::Duration;

/// Options of `probe rpc` (and of the services' deep RPC check).
#[derive(Debug, Clone, Default)]
pub struct RpcOptions {
    /// The service's oslo.config files in the order it reads them (later values win),
    /// each followed by its `.d` directory.
    pub configs: Vec<String>,
    /// The topic its RPC server listens on (`conductor`, `dhcp_agent`...).
    pub topic: String,
    /// The server (host) part of the queue; default: the config's `[DEFAULT] host`,
    /// else this machine's host name, as oslo.config's default for `host` is.
    pub server: Option<String>,
    /// The exchange to publish to, whatever the config says.
    pub exchange: Option<String>,
    /// The exchange when neither `exchange` nor the config's `control_exchange` names
    /// one; default: the first config file's name (nova.conf gives nova), which is the
    /// control exchange each project sets as its default.
    pub default_exchange: Option<String>,
    /// A config key listing backends (`enabled_backends`): when it names some, the
    /// server is `HOST@FIRST`, as cinder-volume and manila-share run one RPC server per
    /// backend under that name.
    pub backends_key: Option<String>,
}

/// What to reach and how, read from the config files.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Brokers in the order of the transport URL, each with its login.
    pub brokers: Vec<(Endpoint, Login)>,
    pub tls: Option<TlsOptions>,
    pub target: Target,
    /// The transport URL without credentials, for the verdict's target.
    pub url: String,
}

/// `probe rpc --config FILE... --topic TOPIC [--server HOST] [--exchange NAME]`.
pub fn probe(opts: &RpcOptions, ctx: &Context) -> Checked {
    ctx.trace(format_args!("reading {}", opts.configs.join(", ")));
    match resolve(opts) {
        Ok(resolved) => {
            let target = format!("{} via {}", resolved.target.queue(), resolved.url);
            Checked::new(target, ping(&resolved, ctx))
        }
        Err(e) => Checked::new(opts.topic.clone(), Err(e)),
    }
}

/// Read the config files: brokers and logins from `transport_url`, the exchange, the
/// server name, and TLS from `[oslo_messaging_rabbit]`.
pub fn resolve(opts: &RpcOptions) -> Result<Resolved, String> {
    if opts.topic.is_empty() {
        return Err("no topic given".into());
    }
    let (conf, first) = load_configs(&opts.configs)?;
    let url_text = conf
        .get("DEFAULT", "transport_url")
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            format!(
                "no transport_url in [DEFAULT] of {}",
                opts.configs.join(", ")
            )
        })?;
    let url = transport_url::parse(&url_text)?;
    if !matches!(url.scheme.as_str(), "rabbit" | "kombu") {
        return Err(format!(
            "transport_url uses {}://: only the rabbit driver (rabbit://) speaks AMQP 0-9-1",
            url.scheme
        ));
    }
    if url.hosts.is_empty() {
        return Err("transport_url names no broker host".into());
    }
    let vhost = match url.virtual_host.as_deref() {
        None | Some("") => "/".to_string(),
        Some(v) => v.to_string(),
    };
    // A host written without credentials uses the first ones the URL gives, else
    // RabbitMQ's default account, as oslo.messaging does for a URL without any.
    let first_credentials = url
        .hosts
        .iter()
        .find_map(|h| Some((h.username.clone()?, h.password.clone()?)));
    let brokers = url
        .hosts
        .iter()
        .map(|h| {
            let (user, password) = match (&h.username, &h.password) {
                (Some(u), Some(p)) => (u.clone(), p.clone()),
                _ => first_credentials
                    .clone()
                    .unwrap_or_else(|| ("guest".into(), "guest".into())),
            };
            let endpoint = Endpoint::Tcp {
                host: h.hostname.clone(),
                port: h.port.unwrap_or(amqp::DEFAULT_PORT),
            };
            let login = Login {
                user,
                password,
                vhost: vhost.clone(),
            };
            (endpoint, login)
        })
        .collect();
    let exchange = opts
        .exchange
        .clone()
        .or_else(|| {
            conf.get("DEFAULT", "control_exchange")
                .filter(|e| !e.is_empty())
        })
        .or_else(|| opts.default_exchange.clone())
        .unwrap_or_else(|| file_stem(&first));
    let mut server = match &opts.server {
        Some(s) => s.clone(),
        None => match conf.get("DEFAULT", "host").filter(|h| !h.is_empty()) {
            Some(h) => h,
            None => local_hostname()?,
        },
    };
    if opts.server.is_none() {
        if let Some(key) = &opts.backends_key {
            if let Some(backend) = first_listed(&conf, key) {
                server = format!("{server}@{backend}");
            }
        }
    }
    Ok(Resolved {
        brokers,
        tls: tls_options(&conf)?,
        target: Target {
            exchange,
            topic: opts.topic.clone(),
            server,
        },
        url: url.display_without_credentials(),
    })
}

/// Ping the target through the first broker that lets us in; healthy on any answer.
pub fn ping(resolved: &Resolved, ctx: &Context) -> Outcome {
    let queue = resolved.target.queue();
    let mut failures = Vec::new();
    let count = resolved.brokers.len();
    for (index, (endpoint, login)) in resolved.brokers.iter().enumerate() {
        // Each broker left gets an equal share of the time left to let us in, so one
        // that swallows packets cannot starve the others; the call then has it all.
        let left = ctx.deadline.remaining(&format!(
            "connecting to the brokers ({})",
            failures.join("; ")
        ))?;
        let share = left / (count - index) as u32;
        let attempt = Context::new(Deadline::after(share), ctx.debug);
        let session = match Session::open(endpoint, login, resolved.tls.as_ref(), &attempt) {
            Ok(s) => s,
            Err(e) => {
                ctx.trace(format_args!("{endpoint}: {e}"));
                failures.push(format!("{endpoint}: {e}"));
                continue;
            }
        };
        let product = session.product.clone();
        let reply_deadline = Deadline::after(reply_wait(ctx)?);
        let request = ping_request();
        let answered = oslo_rpc::call(session, &resolved.target, &request, reply_deadline, ctx);
        let via = format!(
            "exchange {}, broker {endpoint} {product}",
            resolved.target.exchange
        );
        return verdict(&resolved.target, &queue, &via, answered, reply_deadline);
    }
    Err(format!(
        "no broker of the transport_url let us in: {}",
        failures.join("; ")
    ))
}

/// The call nova's services answer: `ping(arg)` of BaseRPCAPI, namespace baseapi 1.1.
fn ping_request() -> Request {
    Request {
        method: "ping".into(),
        namespace: Some("baseapi".into()),
        version: "1.1".into(),
        args: serde_json::json!({ "arg": "openstack-healthcheck" }),
    }
}

/// How long to wait for the reply: the time left, less what a clean close needs
/// (a tenth of the budget, at most a second).
fn reply_wait(ctx: &Context) -> Result<Duration, String> {
    let reserve = (ctx.deadline.budget() / 10).min(Duration::from_secs(1));
    let left = ctx.deadline.remaining("waiting for the reply")?;
    left.checked_sub(reserve)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| "no time left to wait for a reply".into())
}

fn verdict(
    target: &Target,
    queue: &str,
    via: &str,
    answered: Result<Reply, CallError>,
    reply_deadline: Deadline,
) -> Outcome {
    let took = reply_deadline.elapsed().as_secs_f64();
    match answered {
        Ok(Reply::Result(result)) => {
            let service = result
                .get("service")
                .and_then(|s| s.as_str())
                .map(|s| format!(" (service {s})"))
                .unwrap_or_default();
            Ok(format!("{queue} answered the ping in {took:.3}s{service}; {via}"))
        }
        Ok(Reply::Failure(f)) if matches!(f.class.as_str(), "UnsupportedVersion" | "NoSuchMethod") => {
            Ok(format!(
                "{queue} is alive: it answered in {took:.3}s but serves no baseapi 1.1 ping ({}: {}); {via}",
                f.class, f.message
            ))
        }
        Ok(Reply::Failure(f)) => Ok(format!(
            "{queue} is alive: it answered the ping in {took:.3}s with {}: {}; {via}",
            if f.class.is_empty() { "a failure" } else { &f.class },
            f.message
        )),
        Err(CallError::NoReply { waited }) => Err(format!(
            "no reply from {queue} in {:.1}s: its RPC server does not consume its queue; {via}",
            waited.as_secs_f64()
        )),
        Err(CallError::NoRoute { code, text }) => Err(format!(
            "no queue {queue} is bound to exchange {} ({} {}): no RPC server for topic {} ever listened as {}; {via}",
            target.exchange,
            code,
            text,
            target.topic,
            target.server
        )),
        Err(CallError::ChannelClosed { code, text }) => {
            let name = basic::channel_reply_name(code);
            let detail = text
                .strip_prefix(name)
                .map(|t| t.trim_start_matches([' ', '-']))
                .unwrap_or(&text);
            Err(format!("the broker refused the request to {queue} ({name}): {detail}; {via}"))
        }
        Err(CallError::Failed(e)) => Err(format!("{queue}: {e}; {via}")),
    }
}

/// TLS as `[oslo_messaging_rabbit]` asks: `ssl`, then `ssl_ca_file` (the chain is
/// verified, and the host name only with `ssl_enforce_hostname_verification`, as
/// oslo.messaging does), `ssl_cert_file` and `ssl_key_file`.
fn tls_options(conf: &ini::Ini) -> Result<Option<TlsOptions>, String> {
    const SECTION: &str = "oslo_messaging_rabbit";
    if !oslo_bool(conf, SECTION, "ssl")? {
        return Ok(None);
    }
    let file = |key: &str| {
        conf.get_exact(SECTION, key)
            .filter(|v| !v.is_empty())
            .map(|v| crate::config::host_path_string(&v))
    };
    let ca_file = file("ssl_ca_file");
    Ok(Some(TlsOptions {
        verify: ca_file.is_some(),
        chain_only: !oslo_bool(conf, SECTION, "ssl_enforce_hostname_verification")?,
        ca_file,
        client_cert: file("ssl_cert_file"),
        client_key: file("ssl_key_file"),
    }))
}

/// An oslo.config boolean (false when unset): true/false, yes/no, on/off, 1/0.
fn oslo_bool(conf: &ini::Ini, section: &str, key: &str) -> Result<bool, String> {
    match conf.get_exact(section, key) {
        None => Ok(false),
        Some(v) => match v.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(true),
            "false" | "no" | "off" | "0" | "" => Ok(false),
            _ => Err(format!("[{section}] {key} is not a boolean: {v:?}")),
        },
    }
}

/// Read the config files in order (each with its `.d` directory), later values winning.
/// Returns the merged file and the first file's path. The first file must exist (the
/// check cannot guess a broker or a database); a later one that does not is skipped, as
/// an agent's own `.ini` may be absent.
pub fn load_configs(configs: &[String]) -> Result<(ini::Ini, String), String> {
    let first = configs.first().cloned().ok_or("no config file given")?;
    if !crate::config::exists(&first) && !crate::config::exists(&format!("{first}.d")) {
        return Err(format!(
            "{} does not exist",
            crate::config::host_path_string(&first)
        ));
    }
    let mut merged = ini::Ini::default();
    for path in configs {
        merged.merge(ini::load(path)?);
    }
    Ok((merged, first))
}

/// The first entry of a comma-separated list option.
fn first_listed(conf: &ini::Ini, key: &str) -> Option<String> {
    conf.get("DEFAULT", key)?
        .split(',')
        .map(str::trim)
        .find(|b| !b.is_empty())
        .map(str::to_string)
}

/// `/etc/nova/nova.conf` → `nova`.
fn file_stem(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.strip_suffix(".conf").unwrap_or(name).to_string()
}

/// This machine's host name, the kernel's (what oslo.config's `host` defaults to).
pub fn local_hostname() -> Result<String, String> {
    let text = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map_err(|e| format!("cannot read the host name: {}", crate::util::io_reason(&e)))?;
    Ok(text.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::{with_root, Tree};

    fn opts(configs: &[&str], topic: &str) -> RpcOptions {
        RpcOptions {
            configs: configs.iter().map(|s| s.to_string()).collect(),
            topic: topic.into(),
            ..Default::default()
        }
    }

    #[test]
    fn resolves_brokers_exchange_server_and_tls_from_the_config() {
        let tree = Tree::new("rpc");
        tree.write(
            "/etc/nova/nova.conf",
            "[DEFAULT]\ntransport_url = rabbit://nova:Ru-pw%21@ctl-0:5671,ctl-1/prod\nhost = cmp-1\n\
             [oslo_messaging_rabbit]\nssl = True\nssl_ca_file = /etc/pki/ca.pem\n",
        );
        let _g = with_root(&tree.0);
        let r = resolve(&opts(&["/etc/nova/nova.conf"], "conductor")).unwrap();
        assert_eq!(
            r.target.exchange, "nova",
            "the project's default: the file's name"
        );
        assert_eq!(r.target.queue(), "conductor.cmp-1");
        assert_eq!(r.brokers.len(), 2);
        assert_eq!(r.brokers[0].0.to_string(), "ctl-0:5671");
        assert_eq!(r.brokers[1].0.to_string(), "ctl-1:5672");
        assert_eq!(r.brokers[1].1.user, "nova", "credentials of the first host");
        assert_eq!(r.brokers[1].1.password, "Ru-pw!");
        assert_eq!(r.brokers[0].1.vhost, "prod");
        let tls = r.tls.unwrap();
        assert!(tls.verify && tls.chain_only);
        assert!(tls.ca_file.unwrap().ends_with("/etc/pki/ca.pem"));
        assert_eq!(r.url, "rabbit://ctl-0:5671,ctl-1/prod");
    }

    #[test]
    fn later_files_win_and_backends_suffix_the_host() {
        let tree = Tree::new("rpc2");
        tree.write(
            "/etc/cinder/cinder.conf",
            "[DEFAULT]\ntransport_url = rabbit://c:Ru-cinder-pw@mq/\ncontrol_exchange = openstack\nhost = st-1\n\
             enabled_backends = lvm-1, ceph\n",
        );
        tree.write(
            "/etc/cinder/cinder.conf.d/90-host.conf",
            "[DEFAULT]\nhost = st-2\n",
        );
        let _g = with_root(&tree.0);
        let mut o = opts(&["/etc/cinder/cinder.conf"], "cinder-volume");
        o.backends_key = Some("enabled_backends".into());
        let r = resolve(&o).unwrap();
        assert_eq!(r.target.exchange, "openstack");
        assert_eq!(r.target.queue(), "cinder-volume.st-2@lvm-1");
        assert_eq!(r.brokers[0].1.vhost, "/");
        assert!(r.tls.is_none());
        o.server = Some("other".into());
        o.exchange = Some("cinder".into());
        let r = resolve(&o).unwrap();
        assert_eq!(r.target.queue(), "cinder-volume.other");
        assert_eq!(r.target.exchange, "cinder");
    }

    #[test]
    fn config_problems_are_clear_and_never_quote_the_url() {
        let tree = Tree::new("rpc3");
        tree.write("/etc/a.conf", "[DEFAULT]\ndebug = true\n");
        tree.write(
            "/etc/b.conf",
            "[DEFAULT]\ntransport_url = amqp://u:Rpc-cfg-secret@qdr:5672/\n",
        );
        tree.write(
            "/etc/c.conf",
            "[DEFAULT]\ntransport_url = rabbit://u:Rpc-cfg-secret2@mq:56x72/\n",
        );
        tree.write(
            "/etc/d.conf",
            "[DEFAULT]\ntransport_url = rabbit://u:Ru-ssl-pw@mq/\n[oslo_messaging_rabbit]\nssl = maybe\n",
        );
        let _g = with_root(&tree.0);
        assert!(resolve(&opts(&["/etc/a.conf"], "t"))
            .unwrap_err()
            .contains("no transport_url in [DEFAULT] of /etc/a.conf"));
        let err = resolve(&opts(&["/etc/b.conf"], "t")).unwrap_err();
        assert!(
            err.contains("amqp://") && !err.contains("Rpc-cfg-secret"),
            "{err}"
        );
        let err = resolve(&opts(&["/etc/c.conf"], "t")).unwrap_err();
        assert!(
            err.contains("56x72") && !err.contains("Rpc-cfg-secret2"),
            "{err}"
        );
        assert!(resolve(&opts(&["/etc/d.conf"], "t"))
            .unwrap_err()
            .contains("ssl is not a boolean"));
        assert!(resolve(&opts(&["/etc/missing.conf"], "t"))
            .unwrap_err()
            .contains("does not exist"));
        assert!(resolve(&opts(&[], "t"))
            .unwrap_err()
            .contains("no config file"));
    }
}
