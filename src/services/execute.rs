//! Run a resolved [`Plan`] with the checks (`checks::*`): each leaf is
//! one call; the only logic here is combining alternatives and naming the target.

use super::plan::Plan;
use crate::checks::{
    amqp, amqp1, collectd, cron, etcd, http, libvirt, listen, memcached, multipathd, mysql, ovn,
    ovsdb, port, process, redis, socket, swift_recon, tcp,
};
use crate::context::Context;
use crate::net::Endpoint;
use crate::verdict::{Checked, Outcome};

/// Run `plan` within the context's deadline.
pub fn execute(plan: &Plan, ctx: &Context) -> Checked {
    ctx.trace(format_args!("checking: {plan}"));
    match plan {
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
        Plan::FirstHealthy(alternatives) => first_healthy(alternatives, ctx),
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

/// Healthy when every (target, outcome) is; the first failure is the verdict.
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

/// The first healthy alternative wins; when none is, every reason is reported.
fn first_healthy(alternatives: &[Result<Plan, String>], ctx: &Context) -> Checked {
    let mut failures = Vec::new();
    let mut targets = Vec::new();
    for alternative in alternatives {
        let checked = match alternative {
            Ok(plan) => execute(plan, ctx),
            Err(e) => Checked::new("", Err(e.clone())),
        };
        if checked.outcome.is_ok() {
            return checked;
        }
        if !checked.target.is_empty() {
            targets.push(checked.target.clone());
        }
        failures.push(checked.outcome.unwrap_err());
    }
    Checked::new(targets.join(" | "), Err(failures.join("; then: ")))
}
