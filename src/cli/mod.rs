//! Command-line front end: turns argv into one check run and its one output line.
//! This layer is the only one that parses arguments (the only user of clap); below it,
//! checks take typed options.
//!
//! Three personalities (see `dispatch`): the main command with subcommands, a
//! service name (TripleO's `/openstack/healthcheck [ARGS]`), and kolla's drop-in
//! `healthcheck_*` names (`kolla`). `probe <kind>` takes its arguments from the
//! registry in `probes`. Every path ends in `(line, exit status)`; usage errors are
//! "cannot tell" verdicts with a one-line reason, never clap's multi-line report. The
//! output format (`--format`, else `HEALTHCHECK_FORMAT`, which kolla's names, taking no
//! options of ours, can use) decides the exit contract (see `exit`).
//!
//! The same command lines run embedded in the host agent (`agent`, [`embedded`]): on a
//! container's [`System`] instead of this machine's, without the watchdog or any exit.

pub mod dispatch;
pub mod embedded;
pub mod kolla;
pub mod probes;

use crate::agent;
use crate::context::Context;
use crate::deadline::{parse_max_time, parse_seconds, Deadline, DEFAULT_TIMEOUT};
use crate::output::{self, Format};
use crate::services;
use crate::system::System;
use crate::verdict::{Checked, Verdict};
use clap::builder::PossibleValuesParser;
use clap::{Arg, ArgAction, Command};
use dispatch::{personality_in, Personality, MAIN_NAME};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Grace the watchdog leaves after the deadline for a check to report by itself.
const WATCHDOG_GRACE: Duration = Duration::from_millis(300);

/// Options that every check accepts, before its own arguments.
#[derive(Debug, Default, Clone)]
pub struct Globals {
    pub format: Option<Format>,
    pub timeout: Option<Duration>,
    /// `--deep MODE`: the RPC workers' opt-in deep checks (else `HEALTHCHECK_DEEP`).
    pub deep: Option<services::DeepMode>,
}

/// The environment variable that chooses the output format where `--format` is not given.
pub const FORMAT_VARIABLE: &str = "HEALTHCHECK_FORMAT";

/// What a command line produced: a verdict to render, or text that is no verdict (help,
/// `list`, `status`, the agent's summary) with its exit status.
enum Ran {
    Verdict(Verdict, Format),
    Text(String, bool),
}

/// How a command line runs: on which system, and whether it owns the process (the
/// command line) or runs embedded in the host agent.
struct Invocation {
    system: Arc<System>,
    embedded: bool,
}

/// Run the command line `args` (argv[0] first) as this process: the output and the exit
/// status.
pub fn run(args: Vec<String>) -> (String, i32) {
    let invocation = Invocation {
        system: Arc::new(System::from_process()),
        embedded: false,
    };
    match run_on(args, &invocation) {
        Ran::Verdict(verdict, format) => rendered(&verdict, format),
        Ran::Text(text, ok) => (text, if ok { 0 } else { 1 }),
    }
}

fn run_on(args: Vec<String>, inv: &Invocation) -> Ran {
    // Before anything can fail (and quote an argument), every secret on the command line.
    remember_argument_secrets(&args);
    let argv0 = args
        .first()
        .cloned()
        .unwrap_or_else(|| MAIN_NAME.to_string());
    let rest = args.get(1..).unwrap_or(&[]).to_vec();
    let path = inv.system.var("PATH");
    let called = personality_in(
        &argv0,
        &|name| services::find(name).is_some(),
        &inv.system.given,
        path.as_deref(),
    );
    match called {
        Personality::Service(name) => match split_globals(&rest) {
            Ok((globals, rest)) => run_service(&name, &rest, &globals, inv),
            Err(e) => usage_failure(&name, &e, requested_format(&rest, &inv.system)),
        },
        // kolla's scripts take no options of ours: every argument is theirs.
        Personality::Kolla(name) => run_check(
            &name,
            kolla::uses_http(&name),
            &Globals::default(),
            inv,
            |ctx| kolla::run(&name, &rest, ctx),
        ),
        Personality::Main => run_main(rest, inv),
    }
}

/// The main command; `agent` and `status` only `with_agent`. The tree is built for every
/// `probe` run, and those two subcommands cost such a run about 5% more CPU (measured: page
/// faults on the extra code), so [`run_main`] leaves them out when the command line names a
/// probe or a service.
fn main_command_with(with_agent: bool) -> Command {
    let mut probe = Command::new("probe")
        .about("Run one probe primitive")
        .subcommand_required(true);
    for kind in probes::all() {
        probe = probe.subcommand((kind.args)(Command::new(kind.name).about(kind.about)));
    }
    Command::new(MAIN_NAME)
        .version(env!("CARGO_PKG_VERSION"))
        .about("Container health checks for OpenStack services: exit 0 healthy, 1 unhealthy, one line of output")
        .after_help(
            "Run a service's check:  openstack-healthcheck [--format json] [--timeout S] SERVICE [ARGS...]\n\
             List services:          openstack-healthcheck list\n\
             Environment: HEALTHCHECK_TIMEOUT, HEALTHCHECK_CURL_MAX_TIME, HEALTHCHECK_DEBUG=1, HEALTHCHECK_USE_PROXY=1,\n\
             HEALTHCHECK_DEEP=rpc,heartbeat,ovn|all (deep checks, as --deep),\n\
             HEALTHCHECK_FORMAT (as --format, also for kolla's names, which take no options of ours)\n\
             --format nagios exits as a Nagios plugin: 0 OK, 2 CRITICAL (unhealthy), 3 UNKNOWN (cannot tell)",
        )
        .arg(
            Arg::new("format")
                .long("format")
                .global(true)
                .value_parser(PossibleValuesParser::new(output::names()))
                .help(
                    "Output format of the verdict (nagios: the plugin line and exit statuses; \
                     prometheus: the exposition format)",
                ),
        )
        .arg(
            Arg::new("timeout")
                .long("timeout")
                .global(true)
                .value_name("SECONDS")
                .help("Deadline for the whole check (default: HEALTHCHECK_TIMEOUT, else 10)"),
        )
        .arg(
            Arg::new("deep")
                .long("deep")
                .global(true)
                .value_name("MODE")
                .value_parser(|text: &str| services::DeepMode::parse(text))
                .help(
                    "Deep checks to add, a comma-separated list: rpc (ping an RPC \
                     worker's own queue), heartbeat (its row in its database), ovn \
                     (ovn-controller's own connection status), all \
                     (default: HEALTHCHECK_DEEP, else off)",
                ),
        )
        .subcommand(probe)
        .subcommand(
            Command::new("list").about("List every service check and what it checks").arg(
                Arg::new("format")
                    .long("format")
                    .value_parser(PossibleValuesParser::new(output::names())),
            ),
        )
        .subcommands(with_agent.then(agent_command))
        .subcommands(with_agent.then(|| {
            Command::new("status")
                .about("Show the host agent's last round: one row per container (--format json: the state file)")
                .arg(state_file_arg())
        }))
        .allow_external_subcommands(true)
        .disable_help_subcommand(true)
}

/// Whether the command line may name `agent` or `status` (or ask for help listing them):
/// not when its first word after the global options is `probe` or a service.
fn may_name_agent(rest: &[String]) -> bool {
    let words = split_globals(rest)
        .map(|(_, words)| words)
        .unwrap_or_default();
    match words.first().map(String::as_str) {
        Some("probe") => false,
        Some(word) => services::find(word).is_none(),
        None => true,
    }
}

fn agent_command() -> Command {
    Command::new("agent")
        .about("Run every container's check on this host from one process, in each container's context")
        .long_about(
            "Run every container's check on this host from one process: each round, the running \
             containers of Docker and podman whose health test runs this binary (or whose label \
             openstack.healthcheck.check names a check) are checked in-process, in the container's \
             root, network namespace and environment, and the verdicts are written to the state \
             file. Needs CAP_SYS_PTRACE, CAP_SYS_ADMIN and access to the engines' sockets (root).",
        )
        .arg(
            Arg::new("interval")
                .long("interval")
                .value_name("SECONDS")
                .help("Time between rounds, which also bounds a round's checks (default 30)"),
        )
        .arg(state_file_arg())
        .arg(
            Arg::new("once")
                .long("once")
                .action(ArgAction::SetTrue)
                .help("Run one round, write the state file and exit 0 (whatever the verdicts)"),
        )
        .arg(
            Arg::new("textfile")
                .long("textfile")
                .value_name("PATH")
                .help("After each round, write its results for node_exporter's textfile collector to PATH (*.prom, in its --collector.textfile.directory), atomically"),
        )
        .arg(
            Arg::new("metrics-listen")
                .long("metrics-listen")
                .value_name("ADDR:PORT")
                .help("Serve the latest round's metrics at http://ADDR:PORT/metrics for Prometheus (off by default; PORT alone binds 127.0.0.1, loopback only)"),
        )
}

fn state_file_arg() -> Arg {
    Arg::new("state-file")
        .long("state-file")
        .value_name("PATH")
        .help(concat!(
            "The agent's state file (default ",
            "/run/openstack-healthcheck/agent.json",
            ")"
        ))
}

fn state_file(m: &clap::ArgMatches) -> PathBuf {
    m.get_one::<String>("state-file")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(agent::state::DEFAULT_STATE_FILE))
}

fn run_main(rest: Vec<String>, inv: &Invocation) -> Ran {
    let with_agent = may_name_agent(&rest);
    // For a usage error, the format asked for, as far as the words show it.
    let asked = requested_format(&rest, &inv.system);
    let mut argv = vec![MAIN_NAME.to_string()];
    argv.extend(rest);
    let matches = match main_command_with(with_agent).try_get_matches_from(&argv) {
        Ok(m) => m,
        Err(e) => {
            use clap::error::ErrorKind::{
                DisplayHelp, DisplayHelpOnMissingArgumentOrSubcommand, DisplayVersion,
            };
            if !inv.embedded
                && matches!(
                    e.kind(),
                    DisplayHelp | DisplayVersion | DisplayHelpOnMissingArgumentOrSubcommand
                )
            {
                // Help is not a check: print it whole and exit 0 (or 1 if nothing was asked).
                let _ = e.print();
                std::process::exit(if e.kind() == DisplayHelpOnMissingArgumentOrSubcommand {
                    1
                } else {
                    0
                });
            }
            return usage_failure(MAIN_NAME, &clap_reason(&e), asked);
        }
    };
    let globals = match globals_from(&matches) {
        Ok(g) => g,
        Err(e) => return usage_failure(MAIN_NAME, &e, asked),
    };
    match matches.subcommand() {
        Some((not_a_check @ ("list" | "agent" | "status"), _)) if inv.embedded => usage_failure(
            MAIN_NAME,
            &format!("`{not_a_check}` is not a check"),
            Format::default(),
        ),
        Some(("list", sub)) => {
            let json = sub
                .get_one::<String>("format")
                .map(|s| s == "json")
                .unwrap_or(false)
                || globals.format.map(Format::name) == Some("json");
            Ran::Text(services::list(json, dispatch::KOLLA_NAMES), true)
        }
        Some(("agent", sub)) => run_agent(sub),
        Some(("status", sub)) => {
            let json = globals.format.map(Format::name) == Some("json");
            match agent::status(&state_file(sub), json) {
                Ok(text) => Ran::Text(text, true),
                Err(e) => Ran::Text(format!("openstack-healthcheck status: {e}"), false),
            }
        }
        Some(("probe", sub)) => {
            let (kind_name, kind_matches) = sub.subcommand().expect("clap enforces a probe kind");
            let kind = probes::find(kind_name).expect("clap only accepts registered kinds");
            run_check(kind.name, kind.http_budget, &globals, inv, |ctx| {
                (kind.run)(kind_matches, ctx)
            })
        }
        Some((service, sub)) => {
            let mut args: Vec<String> = sub
                .get_many::<std::ffi::OsString>("")
                .map(|vals| vals.map(|v| v.to_string_lossy().into_owned()).collect())
                .unwrap_or_default();
            // Options may also follow the service name.
            let (more, rest) = match split_globals(&args) {
                Ok(x) => x,
                Err(e) => return usage_failure(service, &e, asked),
            };
            args = rest;
            let merged = Globals {
                format: more.format.or(globals.format),
                timeout: more.timeout.or(globals.timeout),
                deep: more.deep.or(globals.deep),
            };
            run_service(service, &args, &merged, inv)
        }
        None => usage_failure(
            MAIN_NAME,
            "no check named: try `openstack-healthcheck list`",
            asked,
        ),
    }
}

/// `agent`: its options, then the agent itself (which returns only with `--once`).
fn run_agent(m: &clap::ArgMatches) -> Ran {
    let mut options = agent::Options {
        state_file: state_file(m),
        once: m.get_flag("once"),
        textfile: m.get_one::<String>("textfile").map(PathBuf::from),
        ..agent::Options::default()
    };
    if let Some(text) = m.get_one::<String>("metrics-listen") {
        match agent::endpoint::listen_address(text) {
            Ok(address) => options.metrics_listen = Some(address),
            Err(e) => {
                return Ran::Text(
                    format!("openstack-healthcheck agent: --metrics-listen: {e}"),
                    false,
                )
            }
        }
    }
    if let Some(text) = m.get_one::<String>("interval") {
        match parse_seconds(text) {
            Ok(interval) => options.interval = interval,
            Err(e) => {
                return Ran::Text(
                    format!("openstack-healthcheck agent: --interval: {e}"),
                    false,
                )
            }
        }
    }
    match agent::run(&options, &embedded::CLI) {
        Ok(summary) => Ran::Text(summary, true),
        Err(e) => Ran::Text(format!("openstack-healthcheck agent: {e}"), false),
    }
}

fn run_service(name: &str, args: &[String], globals: &Globals, inv: &Invocation) -> Ran {
    let format = match chosen_format(globals, &inv.system) {
        Ok(f) => f,
        Err(e) => return usage_failure(name, &e, Format::default()),
    };
    let Some(service) = services::find(name) else {
        return usage_failure(
            name,
            &format!("unknown service {name:?}: `openstack-healthcheck list` shows the known ones"),
            format,
        );
    };
    let deep = match globals.deep {
        Some(mode) => mode,
        None => match inv.system.var("HEALTHCHECK_DEEP") {
            Some(v) => match services::DeepMode::parse(&v) {
                Ok(mode) => mode,
                Err(e) => return usage_failure(name, &format!("HEALTHCHECK_DEEP: {e}"), format),
            },
            None => services::DeepMode::OFF,
        },
    };
    run_check(service.name, service.uses_http(), globals, inv, |ctx| {
        services::run(service, args, deep, ctx)
    })
}

/// Run one check under a deadline (and, owning the process, a watchdog) on the
/// invocation's system.
fn run_check(
    check: &str,
    http_budget: bool,
    globals: &Globals,
    inv: &Invocation,
    body: impl FnOnce(&Context) -> Checked,
) -> Ran {
    let format = match chosen_format(globals, &inv.system) {
        Ok(f) => f,
        Err(e) => return usage_failure(check, &e, Format::default()),
    };
    let budget = match budget(globals, http_budget, &inv.system) {
        Ok(b) => b,
        Err(e) => return usage_failure(check, &e, format),
    };
    let deadline = Deadline::after(budget);
    if !inv.embedded {
        start_watchdog(check.to_string(), deadline, format);
        report_internal_errors(check.to_string(), deadline, format);
    }
    // Embedded, a container's HEALTHCHECK_DEBUG would trace on the agent's stderr: not there.
    let debug = !inv.embedded && inv.system.flag("HEALTHCHECK_DEBUG");
    let ctx = Context::on(deadline, debug, inv.system.clone());
    let checked = body(&ctx);
    let verdict =
        Verdict::from_checked(check, checked, deadline.elapsed()).with_metrics(ctx.measured());
    Ran::Verdict(verdict, format)
}

/// The verdict's output and exit status in `format`.
fn rendered(verdict: &Verdict, format: Format) -> (String, i32) {
    (
        output::render(verdict, format),
        output::exit_code(verdict, format),
    )
}

/// `--format`, else `HEALTHCHECK_FORMAT`, else the default (text).
fn chosen_format(globals: &Globals, sys: &System) -> Result<Format, String> {
    match globals.format {
        Some(format) => Ok(format),
        None => Ok(format_variable(sys)?.unwrap_or_default()),
    }
}

/// `HEALTHCHECK_FORMAT` of the checked system, if set.
fn format_variable(sys: &System) -> Result<Option<Format>, String> {
    match sys.var(FORMAT_VARIABLE) {
        Some(v) if !v.trim().is_empty() => Format::parse(v.trim())
            .map(Some)
            .map_err(|e| format!("{FORMAT_VARIABLE}: {e}")),
        _ => Ok(None),
    }
}

/// The format a command line asks for before it is parsed (or when it cannot be), so that
/// a bad invocation is reported in that format: the first well-formed `--format` among the
/// words, else `HEALTHCHECK_FORMAT`, else the default.
fn requested_format(words: &[String], sys: &System) -> Format {
    let mut iter = words.iter();
    while let Some(word) = iter.next() {
        let value = match word.strip_prefix("--format") {
            Some("") => iter.next().map(String::as_str),
            Some(inline) => inline.strip_prefix('='),
            None => None,
        };
        if let Some(format) = value.and_then(|v| Format::parse(v).ok()) {
            return format;
        }
    }
    format_variable(sys).ok().flatten().unwrap_or_default()
}

/// A panic in the check is reported in the check's format (the default format's line is
/// main's own).
fn report_internal_errors(check: String, deadline: Deadline, format: Format) {
    if format == Format::default() {
        return;
    }
    crate::exit::report_internal_errors_with(Box::new(move |reason| {
        let verdict = Verdict::failure(&check, "", reason, deadline.elapsed());
        rendered(&verdict, format)
    }));
}

/// The deadline: `--timeout`, else `HEALTHCHECK_TIMEOUT`, else for HTTP kolla's
/// `HEALTHCHECK_CURL_MAX_TIME` (where `0` is curl's "no limit": the default holds), else
/// the default (variables of the checked system).
fn budget(globals: &Globals, http: bool, sys: &System) -> Result<Duration, String> {
    if let Some(t) = globals.timeout {
        return Ok(t);
    }
    let from_env =
        |name: &str| -> Option<String> { sys.var(name).filter(|v| !v.trim().is_empty()) };
    if let Some(v) = from_env("HEALTHCHECK_TIMEOUT") {
        return parse_seconds(&v).map_err(|e| format!("HEALTHCHECK_TIMEOUT: {e}"));
    }
    if http {
        if let Some(v) = from_env("HEALTHCHECK_CURL_MAX_TIME") {
            if let Some(t) =
                parse_max_time(&v).map_err(|e| format!("HEALTHCHECK_CURL_MAX_TIME: {e}"))?
            {
                return Ok(t);
            }
        }
    }
    Ok(DEFAULT_TIMEOUT)
}

fn start_watchdog(check: String, deadline: Deadline, format: Format) {
    let after = deadline.budget() + WATCHDOG_GRACE;
    let reason = format!(
        "timed out: no verdict within {:.1}s",
        deadline.budget().as_secs_f64()
    );
    let verdict = Verdict::failure(&check, "", reason, after);
    let (line, code) = rendered(&verdict, format);
    crate::exit::arm_watchdog(after, &line, code);
}

fn usage_failure(check: &str, reason: &str, format: Format) -> Ran {
    Ran::Verdict(Verdict::failure(check, "", reason, Duration::ZERO), format)
}

fn clap_reason(e: &clap::Error) -> String {
    let rendered = e.render().to_string();
    let first = rendered.lines().next().unwrap_or("bad arguments");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    format!("usage: {first} (see --help)")
}

fn globals_from(m: &clap::ArgMatches) -> Result<Globals, String> {
    let format = m
        .get_one::<String>("format")
        .map(|f| Format::parse(f))
        .transpose()?;
    let timeout = m
        .get_one::<String>("timeout")
        .map(|t| parse_seconds(t))
        .transpose()?;
    let deep = m.get_one::<services::DeepMode>("deep").copied();
    Ok(Globals {
        format,
        timeout,
        deep,
    })
}

/// Remember the secrets a command line can carry, whichever personality reads it and
/// whatever fails first: credentials in URLs (any argument with an `@`: HTTP URLs, curl's
/// scheme-less `user:pw@host`, transport URLs), curl's `-u`/`--user USER:PASSWORD` in
/// every spelling (`-uVALUE`, bundled `-ku VALUE`, `--user=VALUE`), and the credentials of
/// `-H`/`--header` lines that carry them (`Authorization`, `Proxy-Authorization`, and
/// names with token, key, secret or password in them).
pub fn remember_argument_secrets(args: &[String]) {
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg.contains('@') {
            crate::proto::http::url::remember_url_secrets(arg);
        }
        let next = args.get(i).map(String::as_str);
        let value = |short: char, long: &str| -> Option<&str> {
            if let Some(v) = arg.strip_prefix(&format!("{long}=")) {
                return Some(v);
            }
            if arg == long {
                return next;
            }
            // Short flags, bundled: the value follows the flag's letter, or is the next word.
            let flags = arg.strip_prefix('-').filter(|f| !f.starts_with('-'))?;
            let at = flags.find(short)?;
            match &flags[at + short.len_utf8()..] {
                "" => next,
                inline => Some(inline),
            }
        };
        if let Some(user) = value('u', "--user") {
            if let Some((_, password)) = user.split_once(':') {
                crate::secrets::remember(password);
            }
        }
        if let Some(header) = value('H', "--header") {
            if let Some((name, credentials)) = header.split_once(':') {
                let name = name.trim().to_ascii_lowercase();
                let credentials = credentials.trim();
                if name.ends_with("authorization") {
                    // `Basic xyz`: the scheme is no secret, what follows is.
                    let token = credentials
                        .split_once(' ')
                        .map(|(_, t)| t.trim())
                        .unwrap_or(credentials);
                    crate::secrets::remember(token);
                } else if ["token", "key", "secret", "password"]
                    .iter()
                    .any(|word| name.contains(word))
                {
                    crate::secrets::remember(credentials);
                }
            }
        }
    }
}

/// Take leading `--format X` / `--timeout S` / `--deep MODE` (also `--opt=value`) off a service's
/// argument list; the rest belongs to the service.
pub fn split_globals(args: &[String]) -> Result<(Globals, Vec<String>), String> {
    let mut g = Globals::default();
    let mut i = 0;
    while i < args.len() {
        let (key, inline) = match args[i].split_once('=') {
            Some((k, v)) if k.starts_with("--") => (k.to_string(), Some(v.to_string())),
            _ => (args[i].clone(), None),
        };
        if key != "--format" && key != "--timeout" && key != "--deep" {
            break;
        }
        let value = match inline {
            Some(v) => v,
            None => {
                i += 1;
                args.get(i)
                    .cloned()
                    .ok_or_else(|| format!("{key} needs a value"))?
            }
        };
        match key.as_str() {
            "--format" => g.format = Some(Format::parse(&value)?),
            "--deep" => g.deep = Some(services::DeepMode::parse(&value)?),
            _ => g.timeout = Some(parse_seconds(&value)?),
        }
        i += 1;
    }
    Ok((g, args[i..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn splits_leading_globals() {
        let (g, rest) = split_globals(&s(&["--format", "json", "--timeout=2", "5672"])).unwrap();
        assert_eq!(g.format.map(Format::name), Some("json"));
        assert_eq!(g.timeout, Some(Duration::from_secs(2)));
        assert_eq!(rest, s(&["5672"]));
        let (g, rest) = split_globals(&s(&["5672", "--format", "json"])).unwrap();
        assert!(g.format.is_none());
        assert_eq!(rest.len(), 3);
        assert!(split_globals(&s(&["--format"])).is_err());
        assert!(split_globals(&s(&["--format", "xml"])).is_err());
    }

    #[test]
    fn secrets_on_the_command_line_are_known_before_parsing() {
        remember_argument_secrets(&s(&[
            "healthcheck_curl",
            "-L",
            "-ksu",
            "u:q1-bundled",
            "--user=u:q2-long",
            "-uu:q3-inline",
            "-H",
            "Authorization: Bearer q4-token",
            "--header=X-Auth-Token: q5-header",
            "http://u:q6-url@h/",
            "rabbit://nova:q7-transport@ctl:5672/",
        ]));
        for n in 1..=7 {
            let line = crate::secrets::redact(&format!(
                "<{}>",
                [
                    "q1-bundled",
                    "q2-long",
                    "q3-inline",
                    "q4-token",
                    "q5-header",
                    "q6-url",
                    "q7-transport"
                ][n - 1]
            ));
            assert_eq!(line, "<***>", "{n}");
        }
        assert_eq!(crate::secrets::redact("Bearer"), "Bearer");
    }

    #[test]
    fn format_asked_for_before_parsing() {
        assert_eq!(
            requested_format(
                &s(&["--format", "nagios", "probe"]),
                &System::from_process()
            )
            .name(),
            "nagios"
        );
        assert_eq!(
            requested_format(
                &s(&["probe", "tcp", "--format=prometheus"]),
                &System::from_process()
            )
            .name(),
            "prometheus"
        );
        // A malformed or unknown value does not count; a later good one does.
        assert_eq!(
            requested_format(
                &s(&["--format", "xml", "--format", "json"]),
                &System::from_process()
            )
            .name(),
            "json"
        );
        assert_eq!(
            requested_format(&s(&["--formats", "json"]), &System::from_process()).name(),
            "text"
        );
    }

    #[test]
    fn command_is_well_formed() {
        main_command_with(true).debug_assert();
        main_command_with(false).debug_assert();
    }

    #[test]
    fn agent_subcommands_only_where_they_can_be_named() {
        assert!(!may_name_agent(&s(&["probe", "tcp", "x:1"])));
        assert!(!may_name_agent(&s(&[
            "--format", "json", "probe", "tcp", "x:1"
        ])));
        assert!(!may_name_agent(&s(&["redis"])));
        assert!(may_name_agent(&s(&["agent", "--once"])));
        assert!(may_name_agent(&s(&["--format", "json", "status"])));
        assert!(may_name_agent(&s(&["--help"])));
        assert!(may_name_agent(&s(&[])));
    }
}
