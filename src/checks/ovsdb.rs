//! OVSDB check (OVS, OVN NB/SB): healthy when the server answers `list_dbs`. With a
//! database (e.g. OVN_Southbound) the server must list it, and, where the server has
//! the `_Server` database (OVS 2.9+), its row there must say `connected`: a clustered
//! member cut off from its cluster still lists the database, so `list_dbs` alone
//! (kolla's `ovsdb-client list-dbs`) calls it healthy.

use crate::context::Context;
use crate::net::Endpoint;
use crate::proto::ovsdb::{self, Cluster};
use crate::verdict::{Checked, Outcome};

/// `probe ovsdb ADDR [--database NAME]`.
pub fn probe(address: &str, database: Option<&str>, ctx: &Context) -> Checked {
    if address.starts_with("ssl:") {
        return Checked::new(
            address,
            Err(
                "ssl: OVSDB endpoints are not supported; probe the unix socket or a tcp: remote"
                    .into(),
            ),
        );
    }
    super::with_endpoint(Some(address), None, Some(ovsdb::DEFAULT_PORT), |endpoint| {
        list_dbs(endpoint, database, ctx)
    })
}

/// JSON-RPC list_dbs; healthy when it answers (and lists `want_db` when given,
/// connected to its cluster if it is clustered).
pub fn list_dbs(endpoint: &Endpoint, want_db: Option<&str>, ctx: &Context) -> Outcome {
    let answer = ovsdb::list_dbs(endpoint, want_db, ctx)?;
    let listed = answer.databases.join(", ");
    let Some(want) = want_db else {
        return Ok(format!("databases: {listed}"));
    };
    let Some(cluster) = answer.cluster else {
        return Err(format!("does not serve {want}; it serves: {listed}"));
    };
    match cluster? {
        Cluster::Status(status) if status.connected => {
            Ok(format!("serves {want} ({})", status.describe()))
        }
        Cluster::Status(status) => Err(format!(
            "serves {want} but it is not connected to its cluster ({})",
            status.describe()
        )),
        // Servers older than OVS 2.9 have no _Server database: listing is all they can tell.
        Cluster::Unknown(e) => {
            ctx.trace(format_args!("no cluster status for {want}: {e}"));
            Ok(format!(
                "serves {want} (databases: {listed}; no cluster status: {e})"
            ))
        }
    }
}
