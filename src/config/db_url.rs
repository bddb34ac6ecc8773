//! SQLAlchemy database URLs (`[database] connection` of every OpenStack service):
//! `mysql+pymysql://user:pass@host[:port]/db?read_default_file=...&unix_socket=...`,
//! read with the rules of SQLAlchemy's `make_url`: the user stops at `:` or `/`, the
//! password runs to the first `@` (so a literal `@` in it must be written `%40`), both
//! percent-decoded; an IPv6 host is bracketed. What the driver takes from the query
//! (PyMySQL's `unix_socket`, `read_default_file`, `read_default_group`) is kept.
//!
//! The password is registered with `secrets` as soon as it is read.

use super::transport_url::percent_decode;

/// A parsed database URL.
#[derive(Clone, PartialEq, Eq)]
pub struct DbUrl {
    /// `mysql`, `postgresql`, `sqlite`...
    pub dialect: String,
    /// `pymysql`, `mysqldb`... when named.
    pub driver: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub database: Option<String>,
    pub query: Vec<(String, String)>,
}

/// Debug output never shows the password.
impl std::fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbUrl")
            .field("dialect", &self.dialect)
            .field("driver", &self.driver)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database", &self.database)
            .field("query", &self.query)
            .finish()
    }
}

impl DbUrl {
    /// The last value of a query parameter.
    pub fn query_value(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Parse a database URL. The password is remembered as a secret before anything can fail.
pub fn parse(text: &str) -> Result<DbUrl, String> {
    let text = text.trim();
    let (name, rest) = text
        .split_once("://")
        .ok_or("the database connection URL has no scheme (expected mysql+pymysql://...)")?;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '+')
    {
        return Err("the database connection URL has no valid dialect".into());
    }
    let (dialect, driver) = match name.split_once('+') {
        Some((d, drv)) => (d.to_string(), Some(drv.to_string())),
        None => (name.to_string(), None),
    };
    let (username, password, rest) = credentials(rest);
    if let Some(raw) = &password {
        crate::secrets::remember(raw);
        crate::secrets::remember(&percent_decode(raw, false));
    }
    let (hostport, rest) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    let (host, port_text) = if let Some(inner) = hostport.strip_prefix('[') {
        let (h, after) = inner
            .split_once(']')
            .ok_or("the database host is an IPv6 address without its closing ']'")?;
        (h, after.strip_prefix(':'))
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    let port = match port_text {
        None | Some("") => None,
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("the database port {p:?} is not a port number"))?,
        ),
    };
    let (path, query_text) = match rest.split_once('?') {
        Some((p, q)) => (p, q),
        None => (rest, ""),
    };
    let database = path
        .strip_prefix('/')
        .filter(|d| !d.is_empty())
        .map(|d| percent_decode(d, false));
    let query = query_text
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (percent_decode(k, true), percent_decode(v, true)))
        .collect();
    Ok(DbUrl {
        dialect,
        driver,
        username: username.map(|u| percent_decode(u, false)),
        password: password.map(|p| percent_decode(p, false)),
        host: (!host.is_empty()).then(|| percent_decode(host, false)),
        port,
        database,
        query,
    })
}

/// `user[:password]@` at the front, as SQLAlchemy's pattern reads it: the user is
/// `[^:/]*`, the password `[^@]*`, and the group only counts when its `@` is there.
fn credentials(rest: &str) -> (Option<&str>, Option<&str>, &str) {
    let user_end = rest.find([':', '/', '@']).unwrap_or(rest.len());
    let user = &rest[..user_end];
    match rest[user_end..].chars().next() {
        Some('@') => (Some(user), None, &rest[user_end + 1..]),
        Some(':') => {
            let after = &rest[user_end + 1..];
            match after.find('@') {
                Some(at) => (Some(user), Some(&after[..at]), &after[at + 1..]),
                None => (None, None, rest),
            }
        }
        _ => (None, None, rest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_kolla_connection() {
        let url = parse(
            "mysql+pymysql://nova:Db%40pw:1/x@10.0.0.5:3307/nova?read_default_file=/etc/my.cnf&unix_socket=/run/mysqld/mysqld.sock",
        )
        .unwrap();
        assert_eq!(url.dialect, "mysql");
        assert_eq!(url.driver.as_deref(), Some("pymysql"));
        assert_eq!(url.username.as_deref(), Some("nova"));
        assert_eq!(url.password.as_deref(), Some("Db@pw:1/x"));
        assert_eq!(url.host.as_deref(), Some("10.0.0.5"));
        assert_eq!(url.port, Some(3307));
        assert_eq!(url.database.as_deref(), Some("nova"));
        assert_eq!(url.query_value("read_default_file"), Some("/etc/my.cnf"));
        assert_eq!(
            url.query_value("unix_socket"),
            Some("/run/mysqld/mysqld.sock")
        );
        assert!(!format!("{url:?}").contains("Db@pw"));
        assert!(!crate::secrets::redact("Db@pw:1/x").contains("Db@pw:1/x"));
    }

    #[test]
    fn hosts_users_and_defaults() {
        let url = parse("mysql://[fd00::5]/neutron").unwrap();
        assert_eq!(url.host.as_deref(), Some("fd00::5"));
        assert_eq!((url.username, url.password, url.port), (None, None, None));
        let url = parse("mysql+pymysql://root@/cinder?unix_socket=/s").unwrap();
        assert_eq!(url.username.as_deref(), Some("root"));
        assert_eq!(url.host, None);
        assert_eq!(url.database.as_deref(), Some("cinder"));
        let url = parse("sqlite:////var/lib/nova/nova.sqlite").unwrap();
        assert_eq!(url.dialect, "sqlite");
        assert_eq!(url.host, None);
    }

    #[test]
    fn malformed_urls_are_one_line_errors() {
        assert!(parse("nova:pw@db/nova").unwrap_err().contains("no scheme"));
        assert!(parse("mysql://u:Du-port-pw@db:port/nova")
            .unwrap_err()
            .contains("not a port"));
        assert!(parse("mysql://u:Du-v6-pw@[fd00::1/nova")
            .unwrap_err()
            .contains("closing ']'"));
    }
}
