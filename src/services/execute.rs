//! Run a resolved [`Plan`] with the checks (`checks::*`): each leaf is
//! one call; the only logic here is combining alternatives and naming the target.

use super::plan::Plan;
use super::table::Deep;
use super::DeepMode;
use crate::checks::{
    amqp, amqp1, collectd, cron, etcd, heartbeat, http, libvirt, listen, memcached, multipathd,
    mysql, ovn, ovsdb, port, process, redis, rpc, socket, swift_recon, tcp,
};
use crate::context::Context;
use crate::deadline::Deadline;
use crate::net::Endpoint;
use crate::verdict::{Checked, Health, Outcome};

/// Run `plan` within the context's deadline, without deep checks.
pub fn execute(plan: &Plan, ctx: &Context) -> Checked {
    execute_with(plan, DeepMode::OFF, ctx)
}

/// Run `plan` within the context's deadline, with the deep checks `deep` asks for.
pub fn execute_with(plan: &Plan, deep: DeepMode, ctx: &Context) -> Checked {
    ctx.trace(format_args!("checking: {plan}"));
    match plan {
        Plan::Deep { base, deep: checks } => deep_checks(base, checks, deep, ctx),
        Plan::Http { url } => http::get(url, &http_options(ctx), ctx),
        Plan::Port {
            process,
            ports,
            peer,
        } => {
            let mut checked = port::check(process, ports, ctx);
            checked.outcome = checked
                .outcome
                .map_err(|reason| format!("no connection to {peer}: {reason}"));
            checked
        }
        Plan::Listen { process, ports } => listen::check(process, ports, ctx),
        Plan::Socket { process, path } => socket::check(process, path, ctx),
        Plan::Process { pattern } => process::check(pattern, ctx),
        Plan::Replication { cache, interval } => swift_recon::check(cache, *interval, ctx),
        Plan::Cron { path } => cron::check(path, ctx),
        Plan::Redis { endpoint, password } => {
            on(endpoint, redis::ping(endpoint, password.as_deref(), ctx))
        }
        Plan::Memcached { endpoint } => on(endpoint, memcached::version(endpoint, ctx)),
        Plan::Etcd { urls } => every(urls.iter().map(|u| (u.clone(), etcd::health(u, ctx)))),
        Plan::Mysql {
            endpoint,
            user,
            password,
        } => on(
            endpoint,
            mysql::select1(endpoint, user, password.as_deref(), None, ctx),
        ),
        Plan::Amqp { endpoint } => on(endpoint, amqp::handshake(endpoint, None, None, ctx)),
        Plan::Amqp1 { endpoint } => amqp1::header(endpoint, ctx),
        Plan::Ovsdb { servers } => every(
            servers
                .iter()
                .map(|(ep, db)| (ep.to_string(), ovsdb::list_dbs(ep, Some(db), ctx))),
        ),
        Plan::OvnController { rundirs, ovs_db } => ovn::controller(
            &ovn::Chassis {
                rundirs: rundirs.iter().map(std::path::PathBuf::from).collect(),
                ovs_db: ovs_db.clone(),
            },
            ctx,
        ),
        Plan::OvnControllerPort { ports, ovs_db } => {
            let mut checked = port::check("ovn-controller", ports, ctx);
            checked.outcome = checked.outcome.map_err(|reason| {
                let hint = ovn::remote_hint(ovs_db, ports, ctx)
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                format!("no connection to OVN southbound DB: {reason}{hint}")
            });
            checked
        }
        Plan::NorthdVersion { endpoint } => on(endpoint, ovn::northd_version(endpoint, ctx)),
        Plan::Connect { endpoint, what } => {
            let mut checked = tcp::connect(endpoint, ctx);
            checked.outcome = checked
                .outcome
                .map(|r| format!("{what}: {r}"))
                .map_err(|r| format!("{what}: {r}"));
            checked
        }
        Plan::Collectd { endpoint } => collectd::listval(endpoint, ctx),
        Plan::Multipathd { endpoint } => multipathd::show_status(endpoint, ctx),
        Plan::Libvirt { endpoint } => on(endpoint, libvirt::daemon_version(endpoint, ctx)),
        Plan::FirstHealthy(alternatives) => first_healthy(alternatives, deep, ctx),
        Plan::NotApplicable(why) => Checked::new("", Err(format!("not applicable: {why}"))),
    }
}

/// curl's options as TripleO's common.sh set them: `-k`, and its user agent unless
/// `HEALTHCHECK_CURL_USER_AGENT` names another.
fn http_options(ctx: &Context) -> http::HttpOptions {
    let mut options = http::HttpOptions::default();
    if let Some(agent) = ctx.system.var("HEALTHCHECK_CURL_USER_AGENT") {
        options.user_agent = agent;
    }
    options
}

fn on(endpoint: &Endpoint, outcome: Outcome) -> Checked {
    Checked::new(endpoint.to_string(), outcome)
}

/// Healthy when every (target, outcome) is; the first failure is the verdict (these
/// outcomes are never "cannot tell").
fn every(results: impl Iterator<Item = (String, Outcome)>) -> Checked {
    let mut targets = Vec::new();
    let mut reasons = Vec::new();
    for (target, outcome) in results {
        match outcome {
            Ok(reason) => reasons.push(reason),
            Err(reason) => return Checked::new(target, Err(reason)),
        }
        targets.push(target);
    }
    Checked::new(targets.join(","), Ok(reasons.join("; ")))
}

/// The first healthy alternative wins; when none is, every reason is reported. If one of
/// them could not tell, neither can the whole: it might have been the healthy one.
///
/// Each alternative gets its share of what is left of the deadline: with `k`
/// alternatives still to try, the next one may take `1/k` of the time left (of two, the
/// first gets half, the second the rest, at least the other half). A stalled first
/// alternative (horizon's plain vhost accepting and never answering) therefore cannot
/// starve the next, as it could the originals' `curl A || curl B`, each with the whole
/// `--max-time`, under Docker's timeout.
fn first_healthy(alternatives: &[Result<Plan, String>], deep: DeepMode, ctx: &Context) -> Checked {
    let mut failures = Vec::new();
    let mut targets = Vec::new();
    let mut cannot_tell = false;
    for (index, alternative) in alternatives.iter().enumerate() {
        let still_to_try = (alternatives.len() - index) as u32;
        let checked = match (alternative, ctx.deadline.remaining("before trying it")) {
            (Ok(plan), Ok(left)) => {
                let mut share = ctx.clone();
                share.deadline = Deadline::after(left / still_to_try);
                ctx.trace(format_args!(
                    "alternative {} of {}: {:.1}s of the {:.1}s left",
                    index + 1,
                    alternatives.len(),
                    share.deadline.budget().as_secs_f64(),
                    left.as_secs_f64()
                ));
                execute_with(plan, deep, &share)
            }
            (Ok(plan), Err(late)) => Checked::new("", Err(format!("{plan}: {late}"))),
            (Err(e), _) => Checked::cannot_tell("", e.clone()),
        };
        if checked.outcome.is_ok() {
            return checked;
        }
        cannot_tell |= checked.cannot_tell;
        if !checked.target.is_empty() {
            targets.push(checked.target.clone());
        }
        failures.push(checked.outcome.unwrap_err());
    }
    Checked {
        cannot_tell,
        ..Checked::new(targets.join(" | "), Err(failures.join("; then: ")))
    }
}

/// The default check first (its failure is the verdict, as tripleo-common's), then the
/// deep checks asked for that the service has; healthy when every one is. A deep check
/// the service lacks (the metadata agent serves no RPC) is named, not failed.
fn deep_checks(base: &Plan, checks: &'static Deep, mode: DeepMode, ctx: &Context) -> Checked {
    let mut checked = execute_with(base, DeepMode::OFF, ctx);
    if mode.is_off() || checked.outcome.is_err() {
        return checked;
    }
    ctx.trace(format_args!(
        "deep checks ({mode:?}): rpc topic {:?}, heartbeat {:?}, from {}",
        checks.rpc_topic,
        checks.heartbeat,
        checks.configs.join(", ")
    ));
    let configs: Vec<String> = checks.configs.iter().map(|c| c.to_string()).collect();
    // (health, reason) of the default check and of each deep one, in order.
    let mut results = vec![(Health::Healthy, checked.outcome.clone().unwrap_or_default())];
    let mut add = |name: &str, deep: Checked| {
        let health = deep.health();
        let (Ok(t) | Err(t)) = deep.outcome;
        results.push((health, format!("{name}: {t}")));
    };
    if mode.rpc() {
        match checks.rpc_topic {
            Some(topic) => {
                let opts = rpc::RpcOptions {
                    configs: configs.clone(),
                    topic: topic.to_string(),
                    default_exchange: Some(checks.exchange.to_string()),
                    backends_key: checks.backends_key.map(str::to_string),
                    ..Default::default()
                };
                add("rpc", rpc::probe(&opts, ctx));
            }
            None => add(
                "rpc",
                Checked::new(
                    "",
                    Ok("not applicable: the service runs no RPC server".into()),
                ),
            ),
        }
    }
    if mode.heartbeat() {
        match checks.heartbeat {
            Some(binary) => {
                let opts = heartbeat::HeartbeatOptions {
                    configs,
                    service: binary.to_string(),
                    host: None,
                };
                add("heartbeat", heartbeat::probe(&opts, ctx));
            }
            None => add(
                "heartbeat",
                Checked::new(
                    "",
                    Ok("not applicable: the service writes no heartbeat row".into()),
                ),
            ),
        }
    }
    let healthy = results.iter().all(|(h, _)| h.is_healthy());
    // Cannot tell only when nothing was found unhealthy.
    let unhealthy = results.iter().any(|(h, _)| *h == Health::Unhealthy);
    // Failures lead the line, so the 500 bytes a container engine keeps show them.
    results.sort_by_key(|(h, _)| h.is_healthy());
    let reasons: Vec<String> = results.into_iter().map(|(_, r)| r).collect();
    let text = reasons.join("; ");
    checked.outcome = if healthy { Ok(text) } else { Err(text) };
    checked.cannot_tell = !healthy && !unhealthy;
    checked
}
