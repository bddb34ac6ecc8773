//! The command line as the host agent uses it ([`agent::Commands`]): whether a container's
//! health test runs this binary, and running that same command line in-process on the
//! container's [`System`] with every personality, option and probe of the binary, so the
//! agent's verdict is the one the check gives inside the container.

use super::dispatch::{self, personality_in, Personality, KOLLA_NAMES, MAIN_NAME};
use super::{run_on, split_globals, Invocation, Ran};
use crate::agent;
use crate::output::{self, Format};
use crate::services;
use crate::system::System;
use crate::verdict::Verdict;
use std::sync::Arc;
use std::time::Duration;

/// The command line, handed to the agent.
pub struct Cli;

pub static CLI: Cli = Cli;

impl agent::Commands for Cli {
    fn recognise(&self, argv: &[String], sys: &System) -> Result<String, String> {
        let argv0 = argv.first().ok_or("an empty command line")?;
        let path = sys.var("PATH");
        let located = dispatch::locate_in(argv0, &sys.given, path.as_deref());
        if !located.contains('/') {
            return Err(format!("{argv0} is not in the container's PATH"));
        }
        dispatch::is_this_binary(&sys.given, &located)?;
        let is_service = |name: &str| services::find(name).is_some();
        match personality_in(argv0, &is_service, &sys.given, path.as_deref()) {
            Personality::Service(name) | Personality::Kolla(name) => Ok(name),
            Personality::Main => main_check(argv.get(1..).unwrap_or(&[])),
        }
    }

    fn knows(&self, name: &str) -> bool {
        services::find(name).is_some() || KOLLA_NAMES.contains(&name)
    }

    fn run(&self, argv: &[String], system: Arc<System>) -> (Verdict, String) {
        let invocation = Invocation {
            system,
            embedded: true,
        };
        match run_on(argv.to_vec(), &invocation) {
            Ran::Verdict(verdict, format) => {
                let line = output::render(&verdict, format);
                (verdict, line)
            }
            // Embedded, only checks produce something else than a verdict: say so.
            Ran::Text(..) => {
                let verdict = Verdict::failure(MAIN_NAME, "", "not a check", Duration::ZERO);
                let line = output::render(&verdict, Format::default());
                (verdict, line)
            }
        }
    }
}

/// The check `openstack-healthcheck ARGS` runs: the probe kind or the service named, or
/// why the command is no check (help, `list`, `agent`, `status`, nothing).
fn main_check(args: &[String]) -> Result<String, String> {
    let rest = match split_globals(args) {
        Ok((_, rest)) => rest,
        // The bad option is the check's own failure to report, as in the container.
        Err(_) => return Ok(MAIN_NAME.into()),
    };
    match rest.first().map(String::as_str) {
        None => Err(format!("runs {MAIN_NAME} without a check")),
        Some("probe") => Ok(rest.get(1).cloned().unwrap_or_else(|| "probe".into())),
        Some(word @ ("agent" | "status" | "list")) => {
            Err(format!("runs `{MAIN_NAME} {word}`, which is not a check"))
        }
        Some(word) if word.starts_with('-') => {
            Err(format!("runs `{MAIN_NAME} {word}`, which is not a check"))
        }
        Some(service) => Ok(service.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::Commands;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn main_command_checks() {
        assert_eq!(main_check(&s(&["redis"])).unwrap(), "redis");
        assert_eq!(
            main_check(&s(&["--format", "json", "probe", "tcp", "127.0.0.1:1"])).unwrap(),
            "tcp"
        );
        for not_a_check in [
            &[][..],
            &["agent"][..],
            &["--help"][..],
            &["status"][..],
            &["list"][..],
        ] {
            assert!(main_check(&s(not_a_check)).is_err(), "{not_a_check:?}");
        }
        assert!(CLI.knows("memcached") && CLI.knows("healthcheck_curl"));
        assert!(!CLI.knows("no-such-check"));
    }

    #[test]
    fn runs_embedded_without_exiting() {
        let sys = Arc::new(System::from_process());
        // Help would print and exit the process from the command line; embedded it is a verdict.
        let (verdict, line) = CLI.run(&s(&[MAIN_NAME, "--help"]), sys.clone());
        assert!(
            !verdict.healthy() && line.starts_with("unhealthy: "),
            "{line}"
        );
        let (verdict, line) = CLI.run(&s(&[MAIN_NAME, "agent", "--once"]), sys.clone());
        assert!(!verdict.healthy() && line.contains("not a check"), "{line}");
        let (verdict, line) = CLI.run(
            &s(&[MAIN_NAME, "--format", "json", "probe", "tcp", "127.0.0.1:1"]),
            sys,
        );
        assert_eq!(verdict.check, "tcp");
        assert!(!verdict.healthy());
        assert!(line.starts_with('{'), "{line}");
    }

    #[test]
    fn deep_checks_come_from_the_containers_environment() {
        // The container's HEALTHCHECK_DEEP is read, whatever this process's is: a bad word
        // there fails the container's check, and naming the areas is the same list as --deep.
        let in_container = |deep: &str| {
            let sys = System {
                env: crate::system::Env::from_assignments(&[deep]),
                ..System::from_process()
            };
            CLI.run(&s(&["nova-conductor", "1"]), Arc::new(sys))
        };
        let (verdict, line) = in_container("HEALTHCHECK_DEEP=rpc,deeper");
        assert!(!verdict.healthy());
        assert!(
            line.contains("HEALTHCHECK_DEEP") && line.contains("\"deeper\" unknown"),
            "{line}"
        );
        let (_, line) = in_container("HEALTHCHECK_DEEP=ovn, heartbeat");
        assert!(!line.contains("HEALTHCHECK_DEEP"), "{line}");
    }
}
