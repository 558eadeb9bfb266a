//! Exports and imports.
//!
//! An export is a `.tar.gz` in the blob store (`<tenant id>/exports/<id>.tar.gz`):
//! `manifest.json` (the tenant's catalog entry, its applied migrations, checksums),
//! `data.sql` (a data-only `pg_dump` of its schema) and `files/...` (its files).
//! An import creates a tenant under a new slug and hosts, then loads the data in one
//! `psql` transaction; if that fails, the new tenant is removed again.
use std::io::{Read, Write};
use std::sync::Arc;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tenant_core::blob::{BlobKey, BlobStore};
use tenant_core::names::{SchemaName, TenantSlug};
use tenant_core::schema::catalog::{tenant_exports, tenants};
use tenant_core::{catalog, CoreError, CoreResult, Db, Tenant};
use uuid::Uuid;

use crate::audit::{self, Actor};
use crate::jobs::{self, JobContext, JobHandler, NewJob};
use crate::pg_tools;
use crate::spec::{Logo, TenantSpec};

pub const KIND: &str = "export_tenant";
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Payload {
    tenant_id: Uuid,
    slug: String,
    export_id: Uuid,
}

/// What an archive says about itself.
#[derive(Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub tenant: serde_json::Value,
    pub slug: String,
    pub migrations: Vec<String>,
    pub data_sha256: String,
    pub files: Vec<(String, String)>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// An export as staff see it.
#[derive(Debug, Serialize, Queryable)]
pub struct ExportView {
    pub id: Uuid,
    pub size_bytes: i64,
    pub sha256: String,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub fn enqueue_export(db: &Db, slug: &TenantSlug, actor: &Actor) -> CoreResult<Uuid> {
    db.catalog(|conn| {
        let tenant = catalog::load_one(conn, slug)?;
        let payload =
            serde_json::to_value(Payload { tenant_id: tenant.id, slug: slug.to_string(), export_id: Uuid::new_v4() })
                .map_err(|e| CoreError::Invalid(e.to_string()))?;
        let id = jobs::enqueue(
            conn,
            NewJob {
                kind: KIND,
                tenant_slug: Some(slug.as_str()),
                payload,
                created_by: actor.as_str(),
                max_attempts: 3,
            },
        )?;
        audit::record(conn, actor, "tenant.export", Some(slug.as_str()), None, None)?;
        Ok(id)
    })
}

pub fn list_exports(db: &Db, slug: &TenantSlug) -> CoreResult<Vec<ExportView>> {
    db.catalog(|conn| {
        let tenant = catalog::load_one(conn, slug)?;
        Ok(tenant_exports::table
            .filter(tenant_exports::tenant_id.eq(tenant.id))
            .order(tenant_exports::created_at.desc())
            .select((
                tenant_exports::id,
                tenant_exports::size_bytes,
                tenant_exports::sha256,
                tenant_exports::created_by,
                tenant_exports::created_at,
            ))
            .load(conn)?)
    })
}

/// The archive's bytes, for download.
pub fn read_export(db: &Db, blobs: &dyn BlobStore, slug: &TenantSlug, id: Uuid) -> CoreResult<Vec<u8>> {
    let (tenant, key): (Uuid, String) = db.catalog(|conn| {
        let tenant = catalog::load_one(conn, slug)?;
        let key = tenant_exports::table
            .filter(tenant_exports::id.eq(id).and(tenant_exports::tenant_id.eq(tenant.id)))
            .select(tenant_exports::blob_key)
            .first(conn)
            .optional()?
            .ok_or_else(|| CoreError::NotFound("no such export".into()))?;
        Ok((tenant.id, key))
    })?;
    blobs
        .get(&BlobKey::parse_owned(tenant, &key)?)?
        .ok_or_else(|| CoreError::NotFound("the export file is missing".into()))
}

/// Builds the archive in memory: manifest, data, files.
fn build_archive(db: &Db, blobs: &dyn BlobStore, tenant: &Tenant) -> CoreResult<Vec<u8>> {
    let schema = tenant.schema.as_str();
    let out = pg_tools::command("pg_dump", &db.cluster_url(&tenant.cluster)?)?
        .args(["--data-only", "--no-owner", "--no-privileges", "--format=plain", "--schema", schema])
        .arg(format!("--exclude-table={schema}.__diesel_schema_migrations"))
        // Kept by triggers from the proposals as they are loaded back.
        .arg(format!("--exclude-table-data={schema}.proposal_counts"))
        .output()
        .map_err(|e| CoreError::io("running pg_dump", e))?;
    if !out.status.success() {
        return Err(CoreError::Unavailable(format!("pg_dump failed: {}", String::from_utf8_lossy(&out.stderr).trim())));
    }
    let data = out.stdout;
    let migrations: Vec<String> = db.tenant(tenant, |conn| {
        #[derive(QueryableByName)]
        struct V {
            #[diesel(sql_type = diesel::sql_types::Text)]
            version: String,
        }
        Ok(diesel::sql_query("SELECT version FROM __diesel_schema_migrations ORDER BY version")
            .load::<V>(conn)?
            .into_iter()
            .map(|v| v.version)
            .collect())
    })?;
    let mut files = Vec::new();
    for key in blobs.list_tenant(tenant.id)? {
        if tenant_core::blob::is_operator_copy(key.name()) {
            continue;
        }
        if let Some(bytes) = blobs.get(&key)? {
            files.push((key.name().to_owned(), bytes));
        }
    }
    let manifest = Manifest {
        format: FORMAT,
        tenant: serde_json::to_value(tenant).map_err(|e| CoreError::Invalid(e.to_string()))?,
        slug: tenant.slug.to_string(),
        migrations,
        data_sha256: sha256(&data),
        files: files.iter().map(|(n, b)| (n.clone(), sha256(b))).collect(),
        created_at: chrono::Utc::now(),
    };
    let manifest = serde_json::to_vec_pretty(&manifest).map_err(|e| CoreError::Invalid(e.to_string()))?;
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mut add = |name: &str, bytes: &[u8]| -> std::io::Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(chrono::Utc::now().timestamp().max(0) as u64);
        header.set_cksum();
        tar.append_data(&mut header, name, bytes)
    };
    let io = |e| CoreError::io("writing the export archive", e);
    add("manifest.json", &manifest).map_err(io)?;
    add("data.sql", &data).map_err(io)?;
    for (name, bytes) in &files {
        add(&format!("files/{name}"), bytes).map_err(io)?;
    }
    let gz = tar.into_inner().map_err(io)?;
    gz.finish().map_err(io)
}

pub struct ExportTenantJob {
    pub blobs: Arc<dyn BlobStore>,
}

impl JobHandler for ExportTenantJob {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn steps(&self) -> &'static [&'static str] {
        &["archive", "record"]
    }

    fn run(&self, ctx: &mut JobContext) -> CoreResult<serde_json::Value> {
        let payload: Payload = ctx.payload()?;
        let key = BlobKey::new(payload.tenant_id, &format!("exports/{}.tar.gz", payload.export_id))?;
        let slug = TenantSlug::parse(&payload.slug)?;
        let (db, blobs) = (ctx.db.clone(), Arc::clone(&self.blobs));
        let archive_key = key.clone();
        ctx.step_outside("archive", move || {
            let tenant = db.catalog(|conn| catalog::load_one(conn, &slug))?;
            let bytes = build_archive(&db, &*blobs, &tenant)?;
            blobs.put(&archive_key, &bytes)
        })?;
        let bytes = self.blobs.get(&key)?.ok_or_else(|| CoreError::NotFound("the export file is missing".into()))?;
        let (size, digest, created_by) = (bytes.len() as i64, sha256(&bytes), ctx.job.created_by.clone());
        ctx.step("record", |conn| {
            // Purged while the archive was being written: not retried, and
            // `abandon` removes the archive.
            let alive: Option<Uuid> =
                tenants::table.find(payload.tenant_id).select(tenants::id).for_update().first(conn).optional()?;
            if alive.is_none() {
                return Err(CoreError::NotFound(format!("tenant {:?} was purged during its export", payload.slug)));
            }
            diesel::insert_into(tenant_exports::table)
                .values((
                    tenant_exports::id.eq(payload.export_id),
                    tenant_exports::tenant_id.eq(payload.tenant_id),
                    tenant_exports::blob_key.eq(key.to_stored()),
                    tenant_exports::size_bytes.eq(size),
                    tenant_exports::sha256.eq(&digest),
                    tenant_exports::created_by.eq(&created_by),
                ))
                .execute(conn)?;
            Ok(())
        })?;
        Ok(serde_json::json!({ "export_id": payload.export_id, "size_bytes": size, "sha256": digest }))
    }

    /// Removes an archive that was written but never recorded.
    fn abandon(&self, ctx: &mut JobContext) -> CoreResult<()> {
        let payload: Payload = ctx.payload()?;
        if ctx.is_done("record") {
            return Ok(());
        }
        self.blobs.delete(&BlobKey::new(payload.tenant_id, &format!("exports/{}.tar.gz", payload.export_id))?)
    }
}

/// An archive's contents, checked against its manifest.
pub struct Archive {
    pub manifest: Manifest,
    /// The data-only dump.
    pub data: Vec<u8>,
    /// File name (relative to the tenant) and bytes.
    pub files: Vec<(String, Vec<u8>)>,
}

/// Reads an archive: its manifest, data and files, checked against the manifest.
pub fn open_archive(bytes: &[u8]) -> CoreResult<Archive> {
    let bad = |m: &str| CoreError::Invalid(format!("not a Civitas export archive: {m}"));
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    let (mut manifest, mut data, mut files) = (None, None, Vec::new());
    for entry in archive.entries().map_err(|e| bad(&e.to_string()))? {
        let mut entry = entry.map_err(|e| bad(&e.to_string()))?;
        let name = entry.path().map_err(|e| bad(&e.to_string()))?.to_string_lossy().into_owned();
        let mut content = Vec::new();
        entry.by_ref().take(512 * 1024 * 1024).read_to_end(&mut content).map_err(|e| bad(&e.to_string()))?;
        match name.as_str() {
            "manifest.json" => {
                manifest = Some(serde_json::from_slice::<Manifest>(&content).map_err(|e| bad(&e.to_string()))?)
            }
            "data.sql" => data = Some(content),
            other => {
                if let Some(file) = other.strip_prefix("files/") {
                    files.push((file.to_owned(), content));
                }
            }
        }
    }
    let manifest = manifest.ok_or_else(|| bad("no manifest.json"))?;
    let data = data.ok_or_else(|| bad("no data.sql"))?;
    if manifest.format != FORMAT {
        return Err(bad(&format!("format {} (this Civitas reads format {FORMAT})", manifest.format)));
    }
    if sha256(&data) != manifest.data_sha256 {
        return Err(bad("data.sql does not match its checksum"));
    }
    for (name, bytes) in &files {
        let expected = manifest.files.iter().find(|(n, _)| n == name).map(|(_, h)| h.as_str());
        if expected != Some(sha256(bytes).as_str()) {
            return Err(bad(&format!("files/{name} does not match its checksum")));
        }
    }
    Ok(Archive { manifest, data, files })
}

/// Restores an archive as a new tenant `slug` on `hosts`.
pub fn import_tenant(
    db: &Db,
    blobs: Arc<dyn BlobStore>,
    archive: &[u8],
    slug: &str,
    hosts: &[String],
    actor: &Actor,
) -> CoreResult<Tenant> {
    let Archive { manifest, data, files } = open_archive(archive)?;
    let known: Vec<String> =
        diesel::migration::MigrationSource::<diesel::pg::Pg>::migrations(&tenant_core::migrations::TENANT)
            .map_err(|e| CoreError::Migration(e.to_string()))?
            .iter()
            .map(|m| m.name().version().to_string())
            .collect();
    if let Some(newer) = manifest.migrations.iter().find(|v| !known.contains(v)) {
        return Err(CoreError::Invalid(format!(
            "the archive comes from a newer Civitas (migration {newer}); upgrade this one first"
        )));
    }
    let t = &manifest.tenant;
    let strings = |key: &str| -> Vec<String> {
        t[key].as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()).unwrap_or_default()
    };
    let default_locale = t["default_locale"].as_str().unwrap_or("fr").to_owned();
    let mut spec = TenantSpec::parse(
        slug,
        t["name"].as_str().unwrap_or(slug),
        hosts,
        &strings("locales"),
        &strings("modules"),
        t["theme"].as_str(),
        t["primary_color"].as_str(),
        t["description"][default_locale.as_str()].as_str(),
    )?;
    if let Some((_, bytes)) = files.iter().find(|(n, _)| n.starts_with("branding/logo")) {
        spec.logo = Some(Logo::parse(bytes.clone())?);
    }
    let tenant = crate::create_tenant::create_tenant(db, Arc::clone(&blobs), spec, actor)?;
    let loaded = load_data(db, &manifest.slug, &tenant, &data).and_then(|()| {
        for (name, bytes) in &files {
            if !name.starts_with("branding/logo") && !tenant_core::blob::is_operator_copy(name) {
                blobs.put(&BlobKey::new(tenant.id, name)?, bytes)?;
            }
        }
        db.catalog(|conn| {
            audit::record(
                conn,
                actor,
                "tenant.import",
                Some(tenant.slug.as_str()),
                None,
                Some(serde_json::json!({ "from": manifest.slug })),
            )
        })
    });
    if let Err(e) = loaded {
        // All or nothing: the half-imported tenant goes.
        let _ = db.on_cluster(&tenant.cluster, |conn| {
            diesel::sql_query(format!("DROP SCHEMA IF EXISTS {} CASCADE", tenant.schema.quoted())).execute(conn)?;
            Ok(())
        });
        let _ = db.catalog(|conn| {
            diesel::delete(tenants::table.find(tenant.id)).execute(conn)?;
            Ok(())
        });
        let _ = blobs.delete_tenant(tenant.id);
        return Err(e);
    }
    db.catalog(|conn| catalog::load_one(conn, &tenant.slug))
}

/// Loads a data-only dump taken from schema `t_<from>` into `target`, replacing
/// whatever the tables hold (the default pages a new tenant starts with), in one
/// transaction.
fn load_data(db: &Db, from: &str, tenant: &Tenant, data: &[u8]) -> CoreResult<()> {
    let target = &tenant.schema;
    let source = SchemaName::parse(&format!("t_{from}"))?;
    let text = String::from_utf8(data.to_vec()).map_err(|_| CoreError::Invalid("data.sql is not UTF-8".into()))?;
    let (old, new) = (format!("{}.", source.as_str()), format!("{}.", target.as_str()));
    let mut tables = Vec::new();
    let mut script = String::with_capacity(text.len() + 256);
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix(&format!("COPY {old}")) {
            let table = rest.split([' ', '(']).next().unwrap_or("");
            tables.push(format!("{new}{table}"));
            script.push_str(&format!("COPY {new}{rest}\n"));
        } else if line.starts_with("SELECT pg_catalog.setval(") {
            script.push_str(&line.replacen(&format!("'{old}"), &format!("'{new}"), 1));
            script.push('\n');
        } else {
            script.push_str(line);
            script.push('\n');
        }
    }
    let truncate = if tables.is_empty() { String::new() } else { format!("TRUNCATE {};\n", tables.join(", ")) };
    let script = format!("{truncate}{script}");
    let mut child = pg_tools::command("psql", &db.cluster_url(&tenant.cluster)?)?
        .args(["--single-transaction", "--quiet", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| CoreError::io("running psql", e))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(script.as_bytes()).map_err(|e| CoreError::io("feeding psql", e))?;
    }
    let out = child.wait_with_output().map_err(|e| CoreError::io("running psql", e))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(CoreError::Invalid(format!(
            "the archive's data could not be loaded: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}
