//! The command line of MariaDB's `healthcheck.sh` (kolla installs it as
//! /usr/bin/healthcheck.sh): its arguments, in order, as [`ShStep`]s. Tests are `--NAME`;
//! `--defaults-file`, `--defaults-extra-file`, `--defaults-group-suffix` and `--datadir`
//! take `=VALUE` or the next argument (none when that starts with `--`, as the script
//! reads it); `--su=USER`, `--su USER`, `--su-mysql` switch the unix user.

use crate::checks::mariadb::{ShStep, ShTest};

/// The steps `args` ask for, or the one-line reason they are not understood.
pub fn parse(args: &[String]) -> Result<Vec<ShStep>, String> {
    let mut steps = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        // The value of an option given as `--opt VALUE`: the next argument unless it is an option.
        let mut next_value = || match args.get(i + 1) {
            Some(v) if !v.starts_with("--") => {
                i += 1;
                v.clone()
            }
            _ => String::new(),
        };
        let step =
            match arg.split_once('=') {
                Some(("--su", user)) => ShStep::SwitchUser(user.to_string()),
                Some(("--datadir", dir)) => ShStep::Datadir(dir.to_string()),
                Some(("--defaults-file", f)) => ShStep::DefaultsFile(f.to_string()),
                Some(("--defaults-extra-file", f)) => ShStep::ExtraFile(f.to_string()),
                Some(("--defaults-group-suffix", g)) => ShStep::GroupSuffix(g.to_string()),
                _ => match arg {
                    "--su" => {
                        let user = next_value();
                        if user.is_empty() {
                            return Err("--su needs a user name".into());
                        }
                        ShStep::SwitchUser(user)
                    }
                    "--su-mysql" => ShStep::SwitchUser("mysql".into()),
                    "--datadir" => ShStep::Datadir(next_value()),
                    "--no-defaults" => ShStep::NoDefaults,
                    "--defaults-file" => ShStep::DefaultsFile(next_value()),
                    "--defaults-extra-file" => ShStep::ExtraFile(next_value()),
                    "--defaults-group-suffix" => ShStep::GroupSuffix(next_value()),
                    _ if arg.starts_with("--replication") => {
                        return Err(format!(
                            "{arg}: the replication tests are not supported by this drop-in"
                        ))
                    }
                    _ => match arg.strip_prefix("--") {
                        Some(name) => ShStep::Test(ShTest::from_name(name).ok_or_else(|| {
                            format!("healthcheck unknown option or test '{name}'")
                        })?),
                        None => return Err(format!("Unknown healthcheck option {arg}")),
                    },
                },
            };
        steps.push(step);
        i += 1;
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn kolla_ansibles_command_line() {
        assert_eq!(
            parse(&s(&[
                "--defaults-file",
                "/etc/mysql/healthcheck.cnf",
                "--connect",
                "--galera_online"
            ]))
            .unwrap(),
            vec![
                ShStep::DefaultsFile("/etc/mysql/healthcheck.cnf".into()),
                ShStep::Test(ShTest::Connect),
                ShStep::Test(ShTest::GaleraOnline),
            ]
        );
    }

    #[test]
    fn options_take_values_like_the_script() {
        assert_eq!(
            parse(&s(&[
                "--su-mysql",
                "--datadir=/d",
                "--defaults-file",
                "--connect"
            ]))
            .unwrap(),
            vec![
                ShStep::SwitchUser("mysql".into()),
                ShStep::Datadir("/d".into()),
                ShStep::DefaultsFile(String::new()),
                ShStep::Test(ShTest::Connect),
            ]
        );
        assert_eq!(
            parse(&s(&[
                "--su",
                "mysql",
                "--no-defaults",
                "--innodb_initialized"
            ]))
            .unwrap(),
            vec![
                ShStep::SwitchUser("mysql".into()),
                ShStep::NoDefaults,
                ShStep::Test(ShTest::InnodbInitialized),
            ]
        );
    }

    #[test]
    fn unknown_arguments_are_named() {
        assert_eq!(
            parse(&s(&["--bogus"])).unwrap_err(),
            "healthcheck unknown option or test 'bogus'"
        );
        assert_eq!(
            parse(&s(&["connect"])).unwrap_err(),
            "Unknown healthcheck option connect"
        );
        assert!(parse(&s(&["--replication_io"]))
            .unwrap_err()
            .contains("not supported"));
        assert!(parse(&s(&["--su"])).unwrap_err().contains("needs a user"));
    }
}
