//! Run a resolved [`Plan`] with the checks (`checks::*`): each leaf is
//! one call; the only logic here is combining alternatives and naming the target.

use super::plan::Plan;
use crate::checks::{
    amqp, amqp1, collectd, cron, etcd, http, libvirt, listen, memcached, multipathd, mysql, ovsdb,
    port, process, redis, socket, swift_recon, tcp,
};
use crate::context::Context;
use crate::deadline::Deadline;
use crate::net::Endpoint;
use crate::verdict::{Checked, Outcome};

/// Run `plan` within the context's deadline.
pub fn execute(plan: &Plan, ctx: &Context) -> Checked {
    ctx.trace(format_args!("checking: {plan}"));
    match plan {
        Plan::Http { url } => http::get(url, &http_options(), ctx),
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
            mysql::select1(endpoint, user, password.as_deref(), false, ctx),
        ),
        Plan::Amqp { endpoint } => on(endpoint, amqp::handshake(endpoint, None, None, ctx)),
        Plan::Amqp1 { endpoint } => amqp1::header(endpoint, ctx),
        Plan::Ovsdb { servers } => every(
            servers
                .iter()
                .map(|(ep, db)| (ep.to_string(), ovsdb::list_dbs(ep, Some(db), ctx))),
        ),
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
fn http_options() -> http::HttpOptions {
    let mut options = http::HttpOptions::default();
    if let Ok(agent) = std::env::var("HEALTHCHECK_CURL_USER_AGENT") {
        if !agent.is_empty() {
            options.user_agent = agent;
        }
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
///
/// Each alternative gets its share of what is left of the deadline: with `k`
/// alternatives still to try, the next one may take `1/k` of the time left (of two, the
/// first gets half, the second the rest, at least the other half). A stalled first
/// alternative (horizon's plain vhost accepting and never answering) therefore cannot
/// starve the next, as it could the originals' `curl A || curl B`, each with the whole
/// `--max-time`, under Docker's timeout.
fn first_healthy(alternatives: &[Result<Plan, String>], ctx: &Context) -> Checked {
    let mut failures = Vec::new();
    let mut targets = Vec::new();
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
                execute(plan, &share)
            }
            (Ok(plan), Err(late)) => Checked::new("", Err(format!("{plan}: {late}"))),
            (Err(e), _) => Checked::new("", Err(e.clone())),
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
