//! Redis check: AUTH (password from a file, optionally as an ACL user) then PING,
//! expecting +PONG. A Redis error reply (`-NOAUTH`, `-WRONGPASS`, `-LOADING`...)
//! becomes the reason, with a hint at what to change where one is known.

use crate::context::Context;
use crate::net::Endpoint;
use crate::proto::exchange;
use crate::proto::redis::{self, resp::Value};
use crate::verdict::{Checked, Outcome};

/// Options of `probe redis`.
#[derive(Debug, Clone, Default)]
pub struct RedisOptions {
    pub address: String,
    /// File whose first line is the password (requirepass or the ACL user's).
    pub password_file: Option<String>,
    /// ACL user name for AUTH (Redis 6+).
    pub user: Option<String>,
}

/// `probe redis ADDR [--password-file FILE] [--user USER]`.
pub fn probe(opts: &RedisOptions, ctx: &Context) -> Checked {
    let user = opts.user.as_deref();
    let password = match opts
        .password_file
        .as_deref()
        .map(crate::secrets::read_secret_file)
        .transpose()
    {
        Ok(p) => p,
        Err(e) => return Checked::new(opts.address.clone(), Err(e)),
    };
    if user.is_some() && password.is_none() {
        return Checked::new("", Err("--user needs --password-file".into()));
    }
    super::with_endpoint(
        Some(&opts.address),
        None,
        Some(redis::DEFAULT_PORT),
        |endpoint| auth_and_ping(endpoint, user, password.as_deref(), ctx),
    )
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
    let replies = redis::auth_and_ping(endpoint, user, password, ctx)?;
    evaluate(&replies.asked, &replies.values, user)
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
}
