//! The heartbeat check: has the service reported itself alive recently? Every nova,
//! cinder and manila service writes its row of the `services` table each report
//! interval (`updated_at`), and the API counts it down after `[DEFAULT]
//! service_down_time` (60 s); every neutron agent writes `agents.heartbeat_timestamp`,
//! counted down after `agent_down_time` (75 s). This check reads that row from the
//! service's own database (`[database] connection` of its config) with one query, and
//! compares the age on the database's clock (`UTC_TIMESTAMP()`), never ours.
//!
//! When the database cannot be reached or the row is missing the check cannot tell
//! ([`Failure::CannotTell`]): never healthy, and the reason says "cannot tell" rather
//! than "down".

use crate::checks::rpc::{load_configs, local_hostname};
use crate::config::{db_url, mycnf};
use crate::context::Context;
use crate::net::Endpoint;
use crate::proto::mysql::{self, Session};
use crate::system::System;
use crate::verdict::{Checked, Decided, Failure};

/// Options of `probe heartbeat` (and of the services' deep heartbeat check).
#[derive(Debug, Clone, Default)]
pub struct HeartbeatOptions {
    /// The service's oslo.config files in the order it reads them (later values win).
    pub configs: Vec<String>,
    /// The service's binary name as its row names it (`nova-conductor`,
    /// `neutron-dhcp-agent`); `neutron-*` rows are agents, the others services.
    pub service: String,
    /// The host of the row; default: the config's `[DEFAULT] host`, else this
    /// machine's host name.
    pub host: Option<String>,
}

/// Which table holds a service's heartbeat, and what counts it down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    pub name: &'static str,
    pub timestamp: &'static str,
    /// The `[DEFAULT]` option and its default, in seconds.
    pub down_time_key: &'static str,
    pub down_time_default: u64,
    /// Whether rows are soft-deleted (`deleted = 0` for live ones).
    pub soft_delete: bool,
}

/// nova, cinder and manila: `services.updated_at` against `service_down_time`.
pub const SERVICES: Table = Table {
    name: "services",
    timestamp: "COALESCE(updated_at, created_at)",
    down_time_key: "service_down_time",
    down_time_default: 60,
    soft_delete: true,
};

/// neutron: `agents.heartbeat_timestamp` against `agent_down_time`.
pub const AGENTS: Table = Table {
    name: "agents",
    timestamp: "heartbeat_timestamp",
    down_time_key: "agent_down_time",
    down_time_default: 75,
    soft_delete: false,
};

/// The table a service's binary reports in.
pub fn table_for(service: &str) -> Table {
    if service.starts_with("neutron-") {
        AGENTS
    } else {
        SERVICES
    }
}

/// `probe heartbeat --config FILE... --service NAME [--host HOST]`.
pub fn probe(opts: &HeartbeatOptions, ctx: &Context) -> Checked {
    let table = table_for(&opts.service);
    ctx.trace(format_args!("reading {}", opts.configs.join(", ")));
    let (conf, _) = match load_configs(&ctx.system, &opts.configs) {
        Ok(c) => c,
        Err(e) => return Checked::cannot_tell(opts.service.clone(), format!("cannot tell: {e}")),
    };
    let configured_host = match conf.get("DEFAULT", "host") {
        Ok(h) => h.filter(|h| !h.is_empty()),
        Err(e) => return Checked::cannot_tell(opts.service.clone(), format!("cannot tell: {e}")),
    };
    let host = match opts.host.clone().or(configured_host) {
        Some(h) => h,
        None => match local_hostname() {
            Ok(h) => h,
            Err(e) => {
                return Checked::cannot_tell(opts.service.clone(), format!("cannot tell: {e}"))
            }
        },
    };
    let target = format!("{} {}@{host}", table.name, opts.service);
    let down_time = match down_time(&conf, table) {
        Ok(d) => d,
        Err(e) => return Checked::cannot_tell(target, e),
    };
    let db = match database(&conf, &ctx.system) {
        Ok(db) => db,
        Err(e) => return Checked::cannot_tell(target, format!("cannot tell: {e}")),
    };
    let target = format!("{target} in {} at {}", db.name, db.endpoint);
    let outcome = heartbeat_age(&db, table, &opts.service, &host, ctx)
        .map_err(|e| Failure::CannotTell(format!("cannot tell: {e}")))
        .and_then(|rows| judge(&rows, table, &opts.service, &host, down_time));
    Checked::decided(target, outcome)
}

/// `[DEFAULT] service_down_time` / `agent_down_time`, in whole seconds.
fn down_time(conf: &crate::config::ini::Ini, table: Table) -> Result<u64, String> {
    match conf
        .get("DEFAULT", table.down_time_key)?
        .filter(|v| !v.is_empty())
    {
        None => Ok(table.down_time_default),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|s| *s > 0)
            .ok_or_else(|| {
                format!(
                    "[DEFAULT] {} is not a number of seconds: {v:?}",
                    table.down_time_key
                )
            }),
    }
}

/// Where the service's database is and how to log in.
struct Database {
    endpoint: Endpoint,
    user: String,
    password: Option<String>,
    name: String,
}

/// `[database] connection` as PyMySQL reads it: the URL's values, then those of its
/// `read_default_file` (`[client]` group) for what the URL leaves out; TCP to the host
/// (`localhost` included, as PyMySQL does) unless a unix socket is named. Files and sockets
/// it names are of `sys`'s configuration root.
fn database(conf: &crate::config::ini::Ini, sys: &System) -> Result<Database, String> {
    let text = conf
        .get_exact("database", "connection")
        .filter(|c| !c.is_empty())
        .ok_or("no [database] connection in the config")?;
    let url = db_url::parse(&text)?;
    if url.dialect != "mysql" {
        return Err(format!(
            "the database is {}, not MySQL/MariaDB: only MySQL is supported",
            url.dialect
        ));
    }
    let name = url
        .database
        .clone()
        .ok_or("the database URL names no database")?;
    let defaults = match url.query_value("read_default_file") {
        Some(file) => mycnf::read_defaults_file(&sys.given, &sys.files.as_given(file))?,
        None => mycnf::ClientOptions::default(),
    };
    let user = url
        .username
        .clone()
        .filter(|u| !u.is_empty())
        .or(defaults.user)
        .ok_or("the database URL names no user")?;
    let password = url.password.clone().or(defaults.password);
    let socket = url
        .query_value("unix_socket")
        .map(str::to_string)
        .or_else(|| url.host.is_none().then_some(defaults.socket).flatten());
    let endpoint = match (socket, url.host.clone().or(defaults.host)) {
        (Some(path), _) => Endpoint::Unix(sys.files.as_given(&path)),
        (None, host) => Endpoint::Tcp {
            host: host.unwrap_or_else(|| "localhost".into()),
            port: url.port.or(defaults.port).unwrap_or(mysql::DEFAULT_PORT),
        },
    };
    Ok(Database {
        endpoint,
        user,
        password,
        name,
    })
}

/// Log in and read (host, age in seconds) of the service's live rows on `host` (and
/// on `host@backend`, for services that report once per backend).
fn heartbeat_age(
    db: &Database,
    table: Table,
    service: &str,
    host: &str,
    ctx: &Context,
) -> Result<Vec<(String, Option<i64>)>, String> {
    if let Some(pw) = &db.password {
        crate::secrets::remember(pw);
    }
    let (mut session, _) = Session::open(
        &db.endpoint,
        &db.user,
        db.password.as_deref().unwrap_or(""),
        ctx,
    )
    .map_err(|e| format!("database {} unreachable: {e}", db.endpoint))?;
    let sql = query(table, &db.name, service, host);
    ctx.trace(format_args!("query: {sql}"));
    let rows = session.query(&sql);
    session.quit();
    rows?
        .into_iter()
        .map(|row| match row.as_slice() {
            [Some(h), age] => Ok((h.clone(), age.as_deref().and_then(|a| a.parse().ok()))),
            _ => Err("unexpected reply to the heartbeat query".to_string()),
        })
        .collect()
}

/// The one query. Names go in as hex literals converted to the connection's character
/// set, so nothing in them can end the literal; the database is a quoted identifier.
pub fn query(table: Table, database: &str, service: &str, host: &str) -> String {
    let text = |s: &str| {
        let hex: String = s.bytes().map(|b| format!("{b:02X}")).collect();
        if hex.is_empty() {
            "''".to_string()
        } else {
            format!("CONVERT(X'{hex}' USING utf8mb4)")
        }
    };
    let host_lit = text(host);
    let live = if table.soft_delete {
        " AND deleted = 0"
    } else {
        ""
    };
    format!(
        "SELECT host, TIMESTAMPDIFF(SECOND, {ts}, UTC_TIMESTAMP()) FROM `{db}`.`{name}` \
         WHERE `binary` = {binary} AND (host = {host_lit} OR \
         LEFT(host, CHAR_LENGTH({host_lit}) + 1) = CONCAT({host_lit}, '@')){live}",
        ts = table.timestamp,
        db = database.replace('`', "``"),
        name = table.name,
        binary = text(service),
    )
}

/// The verdict on the rows: every row's heartbeat must be within the down time; the
/// stalest one decides.
fn judge(
    rows: &[(String, Option<i64>)],
    table: Table,
    service: &str,
    host: &str,
    down_time: u64,
) -> Decided {
    if rows.is_empty() {
        return Err(Failure::CannotTell(format!(
            "cannot tell: no {} row for {service} on host {host} (never started here, or another host name)",
            table.name
        )));
    }
    if let Some((row_host, _)) = rows.iter().find(|(_, age)| age.is_none()) {
        return Err(Failure::Unhealthy(format!(
            "{service} on {row_host} has never reported a heartbeat"
        )));
    }
    let (row_host, age) = rows
        .iter()
        .map(|(h, a)| (h, a.unwrap_or_default()))
        .max_by_key(|(_, a)| *a)
        .expect("rows is not empty");
    let others = match rows.len() {
        1 => String::new(),
        n => format!(" (the stalest of {n} rows)"),
    };
    let key = table.down_time_key;
    if age > down_time as i64 {
        return Err(Failure::Unhealthy(format!(
            "last heartbeat of {service} on {row_host} is {age}s old{others}: more than {key} {down_time}s"
        )));
    }
    if age < 0 {
        return Ok(format!(
            "last heartbeat of {service} on {row_host} is {}s ahead of the database's clock{others} ({key} {down_time}s)",
            -age
        ));
    }
    Ok(format!(
        "last heartbeat of {service} on {row_host} {age}s ago{others} ({key} {down_time}s)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_quotes_nothing_it_was_given() {
        let sql = query(SERVICES, "no`va", "nova-conductor", "h'1");
        assert!(sql.contains("FROM `no``va`.`services`"), "{sql}");
        assert!(sql.contains("CONVERT(X'6E6F76612D636F6E647563746F72' USING utf8mb4)"));
        assert!(sql.contains("CONVERT(X'682731' USING utf8mb4)"));
        assert!(!sql.contains("h'1"));
        assert!(sql.ends_with("AND deleted = 0"));
        assert!(query(AGENTS, "neutron", "neutron-dhcp-agent", "h")
            .contains("TIMESTAMPDIFF(SECOND, heartbeat_timestamp, UTC_TIMESTAMP()) FROM `neutron`.`agents`"));
    }

    fn rows(r: &[(&str, Option<i64>)]) -> Vec<(String, Option<i64>)> {
        r.iter().map(|(h, a)| (h.to_string(), *a)).collect()
    }

    #[test]
    fn the_stalest_row_decides() {
        let ok = judge(
            &rows(&[("h1", Some(5))]),
            SERVICES,
            "nova-conductor",
            "h1",
            60,
        )
        .unwrap();
        assert_eq!(
            ok,
            "last heartbeat of nova-conductor on h1 5s ago (service_down_time 60s)"
        );
        let stale = judge(
            &rows(&[("h1@lvm", Some(3)), ("h1@ceph", Some(300))]),
            SERVICES,
            "cinder-volume",
            "h1",
            60,
        )
        .unwrap_err();
        assert!(
            matches!(&stale, Failure::Unhealthy(r) if r.contains("h1@ceph is 300s old (the stalest of 2 rows)")),
            "{stale:?}"
        );
        let missing = judge(&[], AGENTS, "neutron-dhcp-agent", "h9", 75).unwrap_err();
        assert!(
            matches!(&missing, Failure::CannotTell(r) if r.starts_with("cannot tell: no agents row")),
            "{missing:?}"
        );
        let never =
            judge(&rows(&[("h1", None)]), AGENTS, "neutron-l3-agent", "h1", 75).unwrap_err();
        assert!(matches!(&never, Failure::Unhealthy(r) if r.contains("never reported")));
        assert!(judge(&rows(&[("h1", Some(-3))]), SERVICES, "s", "h1", 60)
            .unwrap()
            .contains("ahead of the database's clock"));
    }

    #[test]
    fn neutron_binaries_are_agents() {
        assert_eq!(table_for("neutron-openvswitch-agent"), AGENTS);
        assert_eq!(table_for("nova-compute"), SERVICES);
        assert_eq!(table_for("cinder-volume"), SERVICES);
    }
}
