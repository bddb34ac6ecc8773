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

pub mod dispatch;
pub mod kolla;
pub mod probes;

use crate::context::{env_flag, Context};
use crate::deadline::{parse_seconds, Deadline, DEFAULT_TIMEOUT};
use crate::output::{self, Format};
use crate::services;
use crate::verdict::{Checked, Verdict};
use clap::builder::PossibleValuesParser;
use clap::{Arg, Command};
use dispatch::{personality, Personality, MAIN_NAME};
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

/// Run the command line `args` (argv[0] first): the output and the exit status.
pub fn run(args: Vec<String>) -> (String, i32) {
    let argv0 = args
        .first()
        .cloned()
        .unwrap_or_else(|| MAIN_NAME.to_string());
    let rest = args.get(1..).unwrap_or(&[]).to_vec();
    match personality(&argv0, &|name| services::find(name).is_some()) {
        Personality::Service(name) => match split_globals(&rest) {
            Ok((globals, rest)) => run_service(&name, &rest, &globals),
            Err(e) => usage_failure(&name, &e, requested_format(&rest)),
        },
        // kolla's scripts take no options of ours: every argument is theirs.
        Personality::Kolla(name) => {
            run_check(&name, kolla::uses_http(&name), &Globals::default(), |ctx| {
                kolla::run(&name, &rest, ctx)
            })
        }
        Personality::Main => run_main(rest),
    }
}

fn main_command() -> Command {
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
        .allow_external_subcommands(true)
        .disable_help_subcommand(true)
}

fn run_main(rest: Vec<String>) -> (String, i32) {
    // For a usage error, the format asked for, as far as the words show it.
    let asked = requested_format(&rest);
    let mut argv = vec![MAIN_NAME.to_string()];
    argv.extend(rest);
    let matches = match main_command().try_get_matches_from(&argv) {
        Ok(m) => m,
        Err(e) => {
            use clap::error::ErrorKind::{
                DisplayHelp, DisplayHelpOnMissingArgumentOrSubcommand, DisplayVersion,
            };
            if matches!(
                e.kind(),
                DisplayHelp | DisplayVersion | DisplayHelpOnMissingArgumentOrSubcommand
            ) {
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
        Some(("list", sub)) => {
            let json = sub
                .get_one::<String>("format")
                .map(|s| s == "json")
                .unwrap_or(false)
                || globals.format.map(Format::name) == Some("json");
            (services::list(json, dispatch::KOLLA_NAMES), 0)
        }
        Some(("probe", sub)) => {
            let (kind_name, kind_matches) = sub.subcommand().expect("clap enforces a probe kind");
            let kind = probes::find(kind_name).expect("clap only accepts registered kinds");
            run_check(kind.name, kind.http_budget, &globals, |ctx| {
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
            run_service(service, &args, &merged)
        }
        None => usage_failure(
            MAIN_NAME,
            "no check named: try `openstack-healthcheck list`",
            asked,
        ),
    }
}

fn run_service(name: &str, args: &[String], globals: &Globals) -> (String, i32) {
    let format = match chosen_format(globals) {
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
        None => match std::env::var("HEALTHCHECK_DEEP") {
            Ok(v) => match services::DeepMode::parse(&v) {
                Ok(mode) => mode,
                Err(e) => return usage_failure(name, &format!("HEALTHCHECK_DEEP: {e}"), format),
            },
            Err(_) => services::DeepMode::OFF,
        },
    };
    run_check(service.name, service.uses_http(), globals, |ctx| {
        services::run(service, args, deep, ctx)
    })
}

/// Run one check under a deadline and a watchdog, and render its verdict.
fn run_check(
    check: &str,
    http_budget: bool,
    globals: &Globals,
    body: impl FnOnce(&Context) -> Checked,
) -> (String, i32) {
    let format = match chosen_format(globals) {
        Ok(f) => f,
        Err(e) => return usage_failure(check, &e, Format::default()),
    };
    let budget = match budget(globals, http_budget) {
        Ok(b) => b,
        Err(e) => return usage_failure(check, &e, format),
    };
    let deadline = Deadline::after(budget);
    start_watchdog(check.to_string(), deadline, format);
    report_internal_errors(check.to_string(), deadline, format);
    let ctx = Context::new(deadline, env_flag("HEALTHCHECK_DEBUG"));
    let checked = body(&ctx);
    let verdict =
        Verdict::from_checked(check, checked, deadline.elapsed()).with_metrics(ctx.measured());
    rendered(&verdict, format)
}

/// The verdict's output and exit status in `format`.
fn rendered(verdict: &Verdict, format: Format) -> (String, i32) {
    (
        output::render(verdict, format),
        output::exit_code(verdict, format),
    )
}

/// `--format`, else `HEALTHCHECK_FORMAT`, else the default (text).
fn chosen_format(globals: &Globals) -> Result<Format, String> {
    match globals.format {
        Some(format) => Ok(format),
        None => Ok(Format::from_env(FORMAT_VARIABLE)?.unwrap_or_default()),
    }
}

/// The format a command line asks for before it is parsed (or when it cannot be), so that
/// a bad invocation is reported in that format: the first well-formed `--format` among the
/// words, else `HEALTHCHECK_FORMAT`, else the default.
fn requested_format(words: &[String]) -> Format {
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
    Format::from_env(FORMAT_VARIABLE)
        .ok()
        .flatten()
        .unwrap_or_default()
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
/// `HEALTHCHECK_CURL_MAX_TIME`, else the default.
fn budget(globals: &Globals, http: bool) -> Result<Duration, String> {
    if let Some(t) = globals.timeout {
        return Ok(t);
    }
    let from_env = |name: &str| -> Result<Option<Duration>, String> {
        match std::env::var(name) {
            Ok(v) if !v.trim().is_empty() => parse_seconds(&v)
                .map(Some)
                .map_err(|e| format!("{name}: {e}")),
            _ => Ok(None),
        }
    };
    if let Some(t) = from_env("HEALTHCHECK_TIMEOUT")? {
        return Ok(t);
    }
    if http {
        if let Some(t) = from_env("HEALTHCHECK_CURL_MAX_TIME")? {
            return Ok(t);
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

fn usage_failure(check: &str, reason: &str, format: Format) -> (String, i32) {
    rendered(&Verdict::failure(check, "", reason, Duration::ZERO), format)
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
    fn format_asked_for_before_parsing() {
        assert_eq!(
            requested_format(&s(&["--format", "nagios", "probe"])).name(),
            "nagios"
        );
        assert_eq!(
            requested_format(&s(&["probe", "tcp", "--format=prometheus"])).name(),
            "prometheus"
        );
        // A malformed or unknown value does not count; a later good one does.
        assert_eq!(
            requested_format(&s(&["--format", "xml", "--format", "json"])).name(),
            "json"
        );
        assert_eq!(requested_format(&s(&["--formats", "json"])).name(), "text");
    }

    #[test]
    fn command_is_well_formed() {
        main_command().debug_assert();
    }
}
