//! Registering the database clusters tenants are placed on (`civitas cluster ...`),
//! each change audited. A new cluster is connected to before it is registered, so a
//! mistyped URL is refused at once rather than at the first tenant placed there.
use diesel::{Connection, PgConnection};
use tenant_core::catalog::clusters::{self, ClusterInfo};
use tenant_core::names::ClusterName;
use tenant_core::secrets::Keyring;
use tenant_core::{CoreError, CoreResult, DatabaseUrl, Db};

use crate::audit::{self, Actor};

/// Checks that `url` answers, then registers it (sealed) as cluster `name`.
pub fn add(
    db: &Db,
    keyring: &Keyring,
    name: &ClusterName,
    url: &DatabaseUrl,
    capacity: i32,
    actor: &Actor,
) -> CoreResult<()> {
    PgConnection::establish(url.expose())
        .map_err(|e| CoreError::Unavailable(format!("cluster {name}: cannot connect: {e}")))?;
    db.catalog(|conn| {
        clusters::add(conn, keyring, name, url, capacity)?;
        audit::record(
            conn,
            actor,
            "cluster.add",
            None,
            None,
            Some(serde_json::json!({ "cluster": name, "capacity": capacity })),
        )
    })
}

pub fn list(db: &Db) -> CoreResult<Vec<ClusterInfo>> {
    db.catalog(clusters::list)
}

/// Changes a cluster's capacity and/or status (`open`, `closed`).
pub fn update(
    db: &Db,
    name: &ClusterName,
    capacity: Option<i32>,
    status: Option<&str>,
    actor: &Actor,
) -> CoreResult<()> {
    db.catalog(|conn| {
        clusters::update(conn, name, capacity, status)?;
        audit::record(
            conn,
            actor,
            "cluster.update",
            None,
            None,
            Some(serde_json::json!({ "cluster": name, "capacity": capacity, "status": status })),
        )
    })
}

/// Removes a cluster that holds no tenant.
pub fn remove(db: &Db, name: &ClusterName, actor: &Actor) -> CoreResult<()> {
    db.catalog(|conn| {
        clusters::remove(conn, name)?;
        audit::record(conn, actor, "cluster.remove", None, None, Some(serde_json::json!({ "cluster": name })))
    })?;
    db.forget_cluster(name);
    Ok(())
}
