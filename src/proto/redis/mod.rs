//! Redis: AUTH (password from a file, optionally as an ACL user) then PING, expecting
//! +PONG. Both commands go out in one write; the replies are read in order, and a
//! Redis error reply (`-NOAUTH`, `-WRONGPASS`, `-LOADING`...) becomes the reason.

pub mod resp;

use crate::cli::probes::ProbeKind;
use crate::context::Context;
use crate::net::Endpoint;
use crate::proto::exchange;
use crate::verdict::{Checked, Outcome};
use clap::{Arg, ArgMatches, Command};
use resp::Value;

pub const PROBE: ProbeKind = ProbeKind {
    name: "redis",
    about: "Redis: AUTH (password from a file) and PING, expecting +PONG",
    args,
    run,
    http_budget: false,
};

pub const DEFAULT_PORT: u16 = 6379;

/// The replies to AUTH and PING are a few bytes; anything near this is not Redis.
const REPLY_LIMIT: usize = 64 * 1024;

fn args(cmd: Command) -> Command {
    cmd.arg(exchange::address_arg("HOST[:PORT] (default port 6379) or unix:PATH").required(true))
        .arg(
            Arg::new("password-file")
                .long("password-file")
                .value_name("FILE")
                .help("File whose first line is the password (requirepass or the ACL user's)"),
        )
        .arg(
            Arg::new("user")
                .long("user")
                .value_name("USER")
                .help("ACL user name for AUTH (Redis 6+)"),
        )
}

fn run(m: &ArgMatches, ctx: &Context) -> Checked {
    let user = m.get_one::<String>("user").map(String::as_str);
    let password = match m
        .get_one::<String>("password-file")
        .map(|f| crate::secrets::read_secret_file(f))
        .transpose()
    {
        Ok(p) => p,
        Err(e) => {
            return Checked::new(
                m.get_one::<String>("address").cloned().unwrap_or_default(),
                Err(e),
            )
        }
    };
    if user.is_some() && password.is_none() {
        return Checked::new("", Err("--user needs --password-file".into()));
    }
    exchange::with_endpoint(m, None, Some(DEFAULT_PORT), |endpoint| {
        auth_and_ping(endpoint, user, password.as_deref(), ctx)
    })
}

/// AUTH (when a password is given) then PING; healthy on +PONG.
pub fn ping(endpoint: &Endpoint, password: Option<&str>, ctx: &Context) -> Outcome {
    auth_and_ping(endpoint, None, password, ctx)
}

/// [`ping`] with an ACL user name for AUTH.
pub fn auth_and_ping(
    endpoint: &Endpoint,
    user: Option<&str>,
    password: Option<&str>,
    ctx: &Context,
) -> Outcome {
    if password.is_some_and(str::is_empty) {
        return Err("the password file's first line is empty".into());
    }
    let mut request = Vec::new();
    let mut asked = Vec::new();
    if let Some(password) = password {
        let mut auth: Vec<&[u8]> = vec![b"AUTH"];
        auth.extend(user.map(str::as_bytes));
        auth.push(password.as_bytes());
        request.extend(resp::command(&auth));
        asked.push("AUTH");
    }
    request.extend(resp::command(&[b"PING"]));
    asked.push("PING");
    let reply = exchange::request(endpoint, ctx, &request, REPLY_LIMIT, |b| {
        replies_complete(b, asked.len())
    })?;
    evaluate(&asked, &resp::parse_all(&reply)?, user)
}

/// Whether the pipelined replies are all in (or an error makes the rest moot, or
/// the bytes cannot be RESP, which `evaluate` then reports).
fn replies_complete(buf: &[u8], expected: usize) -> bool {
    match resp::parse_all(buf) {
        Ok(values) => values.len() >= expected || matches!(values.first(), Some(Value::Error(_))),
        Err(_) => true,
    }
}

/// Judge the replies to the commands `asked`, in order: AUTH must say +OK, PING +PONG.
pub fn evaluate(asked: &[&str], replies: &[Value], user: Option<&str>) -> Outcome {
    for (command, reply) in asked.iter().zip(replies) {
        let expected = if *command == "PING" { "PONG" } else { "OK" };
        match reply {
            Value::Simple(s) if s == expected => {}
            Value::Error(e) => {
                return Err(format!(
                    "{command} refused: {}{}",
                    exchange::printable(e.as_bytes(), 160),
                    hint(e)
                ))
            }
            other => {
                return Err(format!(
                    "{command}: expected +{expected}, got {}",
                    describe(other)
                ))
            }
        }
    }
    if replies.len() < asked.len() {
        return Err(format!("no reply to {}", asked[replies.len()]));
    }
    Ok(match user {
        Some(user) => format!("PONG (authenticated as {user})"),
        None if asked.len() > 1 => "PONG (authenticated)".into(),
        None => "PONG".into(),
    })
}

/// What to do about the Redis errors a health check typically meets.
fn hint(error: &str) -> &'static str {
    let code = error.split_whitespace().next().unwrap_or("");
    match code {
        "NOAUTH" => " (give --password-file with the requirepass password)",
        "WRONGPASS" => " (check the password file and --user)",
        // Redis 6+ refuses AUTH when no password is set; the server is up but the check
        // is configured for a password the server does not have.
        "ERR" if error.contains("without any password configured") => {
            " (the server has no password: drop --password-file, or set requirepass)"
        }
        _ => "",
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Simple(s) => format!("+{}", exchange::printable(s.as_bytes(), 60)),
        Value::Error(e) => format!("-{}", exchange::printable(e.as_bytes(), 60)),
        Value::Integer(n) => format!("integer {n}"),
        Value::Bulk(Some(b)) => format!("bulk string \"{}\"", exchange::printable(b, 60)),
        Value::Bulk(None) | Value::Array(None) => "null".into(),
        Value::Array(Some(items)) => format!("array of {}", items.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simple(s: &str) -> Value {
        Value::Simple(s.into())
    }

    #[test]
    fn healthy_on_ok_then_pong() {
        assert_eq!(
            evaluate(&["PING"], &[simple("PONG")], None).unwrap(),
            "PONG"
        );
        assert_eq!(
            evaluate(
                &["AUTH", "PING"],
                &[simple("OK"), simple("PONG")],
                Some("hc")
            )
            .unwrap(),
            "PONG (authenticated as hc)"
        );
    }

    #[test]
    fn error_replies_become_reasons() {
        let noauth = evaluate(
            &["PING"],
            &[Value::Error("NOAUTH Authentication required.".into())],
            None,
        )
        .unwrap_err();
        assert!(
            noauth.starts_with("PING refused: NOAUTH") && noauth.contains("--password-file"),
            "{noauth}"
        );
        let wrong = evaluate(
            &["AUTH", "PING"],
            &[Value::Error(
                "WRONGPASS invalid username-password pair".into(),
            )],
            None,
        );
        assert!(wrong.unwrap_err().starts_with("AUTH refused: WRONGPASS"));
        let no_password =
            "ERR AUTH <password> called without any password configured for the default user.";
        let unneeded =
            evaluate(&["AUTH", "PING"], &[Value::Error(no_password.into())], None).unwrap_err();
        assert!(unneeded.contains("drop --password-file"), "{unneeded}");
        let loading = evaluate(
            &["PING"],
            &[Value::Error(
                "LOADING Redis is loading the dataset in memory".into(),
            )],
            None,
        );
        assert!(loading.unwrap_err().contains("LOADING"));
    }

    #[test]
    fn unexpected_or_missing_replies_are_unhealthy() {
        assert!(evaluate(&["PING"], &[Value::Integer(1)], None)
            .unwrap_err()
            .contains("expected +PONG, got integer 1"));
        assert!(evaluate(&["AUTH", "PING"], &[simple("OK")], None)
            .unwrap_err()
            .contains("no reply to PING"));
    }

    #[test]
    fn completion_waits_for_every_reply_unless_an_error_comes_first() {
        assert!(!replies_complete(b"+OK\r\n", 2));
        assert!(replies_complete(b"+OK\r\n+PONG\r\n", 2));
        assert!(replies_complete(b"-WRONGPASS x\r\n", 2));
        assert!(replies_complete(b"garbage\n", 2));
    }
}
