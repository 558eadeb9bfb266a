//! The database clusters tenants are placed on. `main` (the catalog's own cluster,
//! reached through the platform's database setting) is registered by the catalog
//! migrations; every other cluster's URL is sealed with the master key, since it may
//! carry a password, and opens only in the process that holds the key.
use diesel::dsl::count_star;
use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::db::DatabaseUrl;
use crate::error::{CoreError, CoreResult};
use crate::names::ClusterName;
use crate::schema::catalog::{clusters, tenants};
use crate::secrets::Keyring;

/// A cluster as staff see it: never its URL.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ClusterInfo {
    pub name: ClusterName,
    /// Tenants whose schema lives there.
    pub tenants: i64,
    /// How many tenants it is meant to hold.
    pub capacity: i32,
    /// `open` takes new tenants; `closed` keeps its own but takes no more.
    pub status: String,
}

fn context(cluster: &ClusterName) -> String {
    format!("cluster_url:{cluster}")
}

/// Every cluster with its tenant count, by name.
pub fn list(conn: &mut PgConnection) -> CoreResult<Vec<ClusterInfo>> {
    let rows: Vec<(String, i32, String)> = clusters::table
        .select((clusters::name, clusters::capacity, clusters::status))
        .order(clusters::name)
        .load(conn)?;
    let counts: Vec<(String, i64)> =
        tenants::table.group_by(tenants::cluster).select((tenants::cluster, count_star())).load(conn)?;
    rows.into_iter()
        .map(|(name, capacity, status)| {
            let tenants = counts.iter().find(|(c, _)| *c == name).map_or(0, |(_, n)| *n);
            Ok(ClusterInfo { name: ClusterName::parse(&name)?, tenants, capacity, status })
        })
        .collect()
}

/// Registers a cluster, its URL sealed.
pub fn add(
    conn: &mut PgConnection,
    keyring: &Keyring,
    name: &ClusterName,
    url: &DatabaseUrl,
    capacity: i32,
) -> CoreResult<()> {
    if capacity < 1 {
        return Err(CoreError::Invalid("a cluster's capacity is at least 1 tenant".into()));
    }
    let url_text = url.expose();
    if !(url_text.starts_with("postgres://") || url_text.starts_with("postgresql://")) {
        return Err(CoreError::Invalid("a cluster URL starts with postgresql:// or postgres://".into()));
    }
    let taken: Option<String> = clusters::table.find(name.as_str()).select(clusters::name).first(conn).optional()?;
    if taken.is_some() {
        return Err(CoreError::Conflict(format!("a cluster named {name} already exists")));
    }
    let sealed = keyring.seal(url_text.as_bytes(), &context(name)).map_err(|e| CoreError::Invalid(e.to_string()))?;
    diesel::insert_into(clusters::table)
        .values((clusters::name.eq(name.as_str()), clusters::url_enc.eq(sealed), clusters::capacity.eq(capacity)))
        .execute(conn)?;
    Ok(())
}

/// Changes a cluster's capacity and/or status (`open`, `closed`).
pub fn update(
    conn: &mut PgConnection,
    name: &ClusterName,
    capacity: Option<i32>,
    status: Option<&str>,
) -> CoreResult<()> {
    exists(conn, name)?;
    if let Some(capacity) = capacity {
        if capacity < 1 {
            return Err(CoreError::Invalid("a cluster's capacity is at least 1 tenant".into()));
        }
        diesel::update(clusters::table.find(name.as_str())).set(clusters::capacity.eq(capacity)).execute(conn)?;
    }
    if let Some(status) = status {
        if !matches!(status, "open" | "closed") {
            return Err(CoreError::Invalid(format!("a cluster is open or closed, not {status:?}")));
        }
        diesel::update(clusters::table.find(name.as_str())).set(clusters::status.eq(status)).execute(conn)?;
    }
    Ok(())
}

/// Removes a cluster that holds no tenant (and is no move's target). `main` stays.
pub fn remove(conn: &mut PgConnection, name: &ClusterName) -> CoreResult<()> {
    if name.is_main() {
        return Err(CoreError::Invalid("the main cluster holds the catalog and cannot be removed".into()));
    }
    exists(conn, name)?;
    let used: i64 = tenants::table
        .filter(tenants::cluster.eq(name.as_str()).or(tenants::moving_to.eq(name.as_str())))
        .count()
        .get_result(conn)?;
    if used > 0 {
        return Err(CoreError::Conflict(format!(
            "cluster {name} still holds {used} tenant(s): move them to another cluster first"
        )));
    }
    diesel::delete(clusters::table.find(name.as_str())).execute(conn)?;
    Ok(())
}

fn exists(conn: &mut PgConnection, name: &ClusterName) -> CoreResult<()> {
    let found: Option<String> = clusters::table.find(name.as_str()).select(clusters::name).first(conn).optional()?;
    found.map(|_| ()).ok_or_else(|| CoreError::NotFound(format!("no cluster named {name}")))
}

/// Where a new tenant goes: the named cluster (which must exist and have room), or
/// the open cluster with the lowest share of its capacity used (ties: by name).
pub fn place(conn: &mut PgConnection, wanted: Option<&ClusterName>) -> CoreResult<ClusterName> {
    let all = list(conn)?;
    if let Some(name) = wanted {
        let found = all
            .iter()
            .find(|c| c.name == *name)
            .ok_or_else(|| CoreError::NotFound(format!("no cluster named {name}")))?;
        if found.tenants >= i64::from(found.capacity) {
            return Err(CoreError::Conflict(format!(
                "cluster {name} is full ({} of {} tenants)",
                found.tenants, found.capacity
            )));
        }
        return Ok(found.name.clone());
    }
    all.into_iter()
        .filter(|c| c.status == "open" && c.tenants < i64::from(c.capacity))
        // a/b < c/d without floats: a*d < c*b.
        .min_by(|a, b| {
            (i64::from(b.capacity) * a.tenants)
                .cmp(&(i64::from(a.capacity) * b.tenants))
                .then_with(|| a.name.cmp(&b.name))
        })
        .map(|c| c.name)
        .ok_or_else(|| CoreError::Conflict("every open cluster is full: add a cluster or raise a capacity".into()))
}

/// The sealed URL of a cluster other than `main`.
pub fn sealed_url(conn: &mut PgConnection, name: &ClusterName) -> CoreResult<String> {
    let found: Option<Option<String>> =
        clusters::table.find(name.as_str()).select(clusters::url_enc).first(conn).optional()?;
    match found {
        None => Err(CoreError::NotFound(format!("no cluster named {name}"))),
        Some(None) => Err(CoreError::Invalid(format!("cluster {name} has no URL of its own"))),
        Some(Some(sealed)) => Ok(sealed),
    }
}

/// Opens a sealed cluster URL.
pub fn open_url(keyring: &Keyring, name: &ClusterName, sealed: &str) -> CoreResult<DatabaseUrl> {
    let url = keyring.open_string(sealed, &context(name)).map_err(|e| CoreError::Invalid(e.to_string()))?;
    Ok(DatabaseUrl::new(url.expose().to_owned()))
}

/// Re-seals cluster URLs sealed by an older master key; returns how many.
pub fn reseal_all(conn: &mut PgConnection, keyring: &Keyring) -> CoreResult<usize> {
    let rows: Vec<(String, Option<String>)> =
        clusters::table.select((clusters::name, clusters::url_enc)).for_update().load(conn)?;
    let mut count = 0;
    for (name, sealed) in rows {
        let Some(sealed) = sealed else { continue };
        if keyring.needs_rotation(&sealed) {
            let name = ClusterName::parse(&name)?;
            let fresh = keyring.reseal(&sealed, &context(&name)).map_err(|e| CoreError::Invalid(e.to_string()))?;
            diesel::update(clusters::table.find(name.as_str())).set(clusters::url_enc.eq(fresh)).execute(conn)?;
            count += 1;
        }
    }
    Ok(count)
}
