//! Creating a tenant, as a job with three steps:
//! 1. `create`: in one transaction, the catalog rows (status `provisioning`), the
//!    schema `t_<slug>`, the tenant migrations and the default pages; on a cluster
//!    other than `main`, the schema is committed there just before the catalog rows
//!    (a failure between the two leaves a schema no tenant claims, which a retry or
//!    [`CreateTenantJob::abandon`] drops);
//! 2. `invite_admin`: when a first administrator's address was given, their account
//!    and an invitation mailed to them ([`crate::invitation`]);
//! 3. `activate`: status `active`, which the catalog trigger announces to every
//!    serving process.
//!
//! Killed at any moment, the job either resumes (a worker takes it over when its
//! lease expires) or, failing for good, is rolled back by [`CreateTenantJob::abandon`].
use std::collections::BTreeMap;
use std::sync::Arc;

use diesel::migration::{Migration, MigrationSource};
use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use tenant_core::blob::{BlobKey, BlobStore};
use tenant_core::catalog::{self, NewTenant};
use tenant_core::content::pages::{self, PageInput};
use tenant_core::migrations::{create_tenant_schema, TENANT};
use tenant_core::names::{ClusterName, Color, HostName, Locale, ModuleName, TenantSlug, ThemeName};
use tenant_core::schema::catalog::{tenant_hosts, tenants};
use tenant_core::{CoreError, CoreResult, Db, Tenant, TenantStatus};
use uuid::Uuid;

use crate::audit::{self, Actor};
use crate::invitation::Invitations;
use crate::jobs::{self, JobContext, JobHandler, NewJob, Runner, RunnerOptions};
use crate::spec::{FieldError, TenantSpec};

pub const KIND: &str = "create_tenant";

/// The tenant migrations a create job runs; tests substitute a failing set.
pub type MigrationsFactory = Arc<dyn Fn() -> Box<dyn MigrationSource<Pg>> + Send + Sync>;

/// The embedded tenant migrations.
pub fn embedded_migrations() -> MigrationsFactory {
    Arc::new(|| Box::new(TENANT))
}

/// A boxed migration set, as diesel's runner takes a `MigrationSource` by value.
pub(crate) struct Boxed(pub(crate) Box<dyn MigrationSource<Pg>>);

impl MigrationSource<Pg> for Boxed {
    fn migrations(&self) -> diesel::migration::Result<Vec<Box<dyn Migration<Pg>>>> {
        self.0.migrations()
    }
}

/// What a create job carries: the spec in its string form, and the chosen id.
#[derive(Serialize, Deserialize)]
struct Payload {
    tenant_id: Uuid,
    slug: String,
    name: String,
    description: BTreeMap<String, String>,
    hosts: Vec<String>,
    locales: Vec<String>,
    modules: Vec<String>,
    theme: String,
    color: String,
    logo_key: Option<String>,
    #[serde(default)]
    max_users: Option<i32>,
    #[serde(default)]
    max_storage_bytes: Option<i64>,
    #[serde(default)]
    admin_email: Option<String>,
    /// Chosen when the job is queued; older jobs have none (the main cluster).
    #[serde(default)]
    cluster: Option<String>,
}

impl Payload {
    fn to_new_tenant(&self, job: Uuid) -> CoreResult<NewTenant> {
        Ok(NewTenant {
            id: self.tenant_id,
            slug: TenantSlug::parse(&self.slug)?,
            name: self.name.clone(),
            description: self
                .description
                .iter()
                .map(|(l, d)| Ok((Locale::parse(l)?, d.clone())))
                .collect::<CoreResult<_>>()?,
            status: TenantStatus::Provisioning,
            theme: ThemeName::parse(&self.theme)?,
            primary_color: Color::parse(&self.color)?,
            locales: self.locales.iter().map(|l| Locale::parse(l)).collect::<CoreResult<_>>()?,
            hosts: self.hosts.iter().map(|h| HostName::parse(h)).collect::<CoreResult<_>>()?,
            modules: self.modules.iter().map(|m| ModuleName::parse(m)).collect::<CoreResult<_>>()?,
            logo_key: self.logo_key.clone(),
            created_by_job: Some(job),
            max_users: self.max_users,
            max_storage_bytes: self.max_storage_bytes,
            cluster: self.cluster()?,
        })
    }

    fn cluster(&self) -> CoreResult<ClusterName> {
        self.cluster.as_deref().map_or_else(|| Ok(ClusterName::main()), ClusterName::parse)
    }
}

/// Checks a spec against the catalog now, so a taken slug or host is refused at
/// once (the job checks again, for races).
pub fn check_available(conn: &mut PgConnection, spec: &TenantSpec) -> Result<(), FieldError> {
    let field = |field: String, error: CoreError| FieldError { field, error };
    let taken: Option<String> = tenants::table
        .filter(tenants::slug.eq(spec.slug.as_str()))
        .select(tenants::slug)
        .first(conn)
        .optional()
        .map_err(|e| field("slug".into(), e.into()))?;
    if taken.is_some() {
        let msg = format!("a tenant with slug {:?} already exists", spec.slug.as_str());
        return Err(field("slug".into(), CoreError::Conflict(msg)));
    }
    let hosts: Vec<&str> = spec.hosts.iter().map(HostName::as_str).collect();
    let used: Option<(String, String)> = tenant_hosts::table
        .inner_join(tenants::table)
        .filter(tenant_hosts::host.eq_any(&hosts))
        .select((tenant_hosts::host, tenants::slug))
        .first(conn)
        .optional()
        .map_err(|e| field("hosts".into(), e.into()))?;
    if let Some((host, owner)) = used {
        let index = hosts.iter().position(|h| *h == host).unwrap_or(0);
        let msg = format!("the host {host:?} is already used by tenant {owner:?}");
        return Err(field(format!("hosts[{index}]"), CoreError::Conflict(msg)));
    }
    if let Some(cluster) = &spec.cluster {
        // An unknown cluster is a bad value in the request, not a missing resource.
        catalog::clusters::place(conn, Some(cluster)).map_err(|e| match e {
            CoreError::NotFound(m) => field("cluster".into(), CoreError::Invalid(m)),
            e => field("cluster".into(), e),
        })?;
    }
    Ok(())
}

/// Queues a create job (storing the logo first, under the new tenant's id).
pub fn enqueue_create(
    db: &Db,
    blobs: &dyn BlobStore,
    spec: &TenantSpec,
    actor: &Actor,
    max_attempts: i32,
) -> CoreResult<Uuid> {
    let cluster = db.catalog(|conn| {
        check_available(conn, spec).map_err(|e| e.error)?;
        catalog::clusters::place(conn, spec.cluster.as_ref())
    })?;
    let tenant_id = Uuid::new_v4();
    let logo_key = match &spec.logo {
        Some(logo) => {
            let key = BlobKey::new(tenant_id, &format!("branding/logo.{}", logo.extension))?;
            blobs.put(&key, &logo.bytes)?;
            Some(key)
        }
        None => None,
    };
    let payload = Payload {
        tenant_id,
        slug: spec.slug.to_string(),
        name: spec.name.clone(),
        description: spec.description.iter().map(|(l, d)| (l.as_str().to_owned(), d.clone())).collect(),
        hosts: spec.hosts.iter().map(|h| h.to_string()).collect(),
        locales: spec.locales.iter().map(|l| l.as_str().to_owned()).collect(),
        modules: spec.modules.iter().map(|m| m.as_str().to_owned()).collect(),
        theme: spec.theme.to_string(),
        color: spec.primary_color.to_string(),
        logo_key: logo_key.as_ref().map(BlobKey::to_stored),
        max_users: spec.max_users,
        max_storage_bytes: spec.max_storage_bytes,
        admin_email: spec.admin_email.clone(),
        cluster: Some(cluster.as_str().to_owned()),
    };
    let payload = serde_json::to_value(&payload).map_err(|e| CoreError::Invalid(e.to_string()))?;
    let queued = db.catalog(|conn| {
        let id = jobs::enqueue(
            conn,
            NewJob {
                kind: KIND,
                tenant_slug: Some(spec.slug.as_str()),
                payload: payload.clone(),
                created_by: actor.as_str(),
                max_attempts,
            },
        )?;
        audit::record(conn, actor, "tenant.create", Some(spec.slug.as_str()), None, Some(payload))?;
        Ok(id)
    });
    if queued.is_err() {
        if let Some(key) = logo_key {
            let _ = blobs.delete(&key);
        }
    }
    queued
}

/// Creates the tenant now with the embedded tenant migrations.
pub fn create_tenant(db: &Db, blobs: Arc<dyn BlobStore>, spec: TenantSpec, actor: &Actor) -> CoreResult<Tenant> {
    create_tenant_with(db, blobs, spec, actor, embedded_migrations())
}

/// Creates the tenant now: queues the job and runs it in this process, returning
/// the job's own error when it fails.
pub fn create_tenant_with(
    db: &Db,
    blobs: Arc<dyn BlobStore>,
    spec: TenantSpec,
    actor: &Actor,
    migrations: MigrationsFactory,
) -> CoreResult<Tenant> {
    let id = enqueue_create(db, &*blobs, &spec, actor, 1)?;
    let runner = Runner::new(
        db.clone(),
        vec![Arc::new(CreateTenantJob { blobs, migrations, invitations: None })],
        RunnerOptions::default(),
    );
    runner.run_job(&format!("inline-{}", std::process::id()), id)?;
    db.catalog(|conn| catalog::load_one(conn, &spec.slug))
}

/// The create job's handler.
pub struct CreateTenantJob {
    pub blobs: Arc<dyn BlobStore>,
    pub migrations: MigrationsFactory,
    /// How invitations are mailed; `None` (the CLI's inline create) refuses a spec
    /// with a first administrator.
    pub invitations: Option<Invitations>,
}

impl JobHandler for CreateTenantJob {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn steps(&self) -> &'static [&'static str] {
        &["create", "invite_admin", "activate"]
    }

    fn run(&self, ctx: &mut JobContext) -> CoreResult<serde_json::Value> {
        let payload: Payload = ctx.payload()?;
        let new = payload.to_new_tenant(ctx.job.id)?;
        let source = Boxed((self.migrations)());
        let fill = |conn: &mut PgConnection| {
            let schema = new.slug.schema();
            create_tenant_schema(conn, &schema, source)?;
            tenant_core::migrations::with_schema(conn, &schema, |conn| {
                for locale in &new.locales {
                    for page in default_pages(*locale, &new.name) {
                        pages::upsert(conn, &page)?;
                    }
                }
                Ok::<_, CoreError>(())
            })
        };
        let db = ctx.db.clone();
        ctx.step("create", |conn| {
            catalog::insert_tenant(conn, &new)?;
            if new.cluster.is_main() {
                return fill(conn);
            }
            // The slug is ours (the insert above holds it), so a schema of that name
            // on the target is a leftover of an earlier attempt of this job.
            db.on_cluster(&new.cluster, |tconn| {
                drop_schema(tconn, &new.slug.schema())?;
                fill(tconn)
            })
        })?;
        let db = ctx.db.clone();
        ctx.step_outside("invite_admin", || {
            let Some(email) = &payload.admin_email else { return Ok(()) };
            let invitations = self.invitations.as_ref().ok_or_else(|| {
                CoreError::Invalid("this process cannot send mail: create tenants with a first administrator through the provisioning API or console".into())
            })?;
            let tenant = db.catalog(|conn| catalog::load_one(conn, &new.slug))?;
            invitations.invite(&db, &tenant, email)
        })?;
        ctx.step("activate", |conn| {
            catalog::set_status(conn, &new.slug, TenantStatus::Active)?;
            Ok(())
        })?;
        let tenant = ctx.db.catalog(|conn| catalog::load_one(conn, &new.slug))?;
        tracing::info!(slug = %tenant.slug, id = %tenant.id, "tenant created");
        serde_json::to_value(&tenant).map_err(|e| CoreError::Invalid(e.to_string()))
    }

    /// Drops what this job created: its tenant (if the `create` step committed) and logo.
    fn abandon(&self, ctx: &mut JobContext) -> CoreResult<()> {
        let payload: Payload = ctx.payload()?;
        let job = ctx.job.id;
        let cluster = payload.cluster()?;
        let slug = TenantSlug::parse(&payload.slug)?;
        if !cluster.is_main() {
            // Ours unless the catalog gives that slug to another tenant (a later one).
            let claimed: Option<Uuid> = ctx.db.catalog(|conn| {
                Ok(tenants::table
                    .filter(tenants::slug.eq(slug.as_str()).and(tenants::id.ne(payload.tenant_id)))
                    .select(tenants::id)
                    .first(conn)
                    .optional()?)
            })?;
            if claimed.is_none() {
                ctx.db.on_cluster(&cluster, |conn| drop_schema(conn, &slug.schema()))?;
            }
        }
        ctx.db.catalog(|conn| {
            let ours: Option<String> = tenants::table
                .filter(tenants::id.eq(payload.tenant_id).and(tenants::created_by_job.eq(job)))
                .select(tenants::schema_name)
                .first(conn)
                .optional()?;
            if let Some(schema) = ours {
                let schema = tenant_core::names::SchemaName::parse(&schema)?;
                diesel::sql_query(format!("DROP SCHEMA IF EXISTS {} CASCADE", schema.quoted())).execute(conn)?;
                diesel::delete(tenants::table.find(payload.tenant_id)).execute(conn)?;
            }
            Ok(())
        })?;
        if let Some(stored) = &payload.logo_key {
            self.blobs.delete(&BlobKey::parse_owned(payload.tenant_id, stored)?)?;
        }
        Ok(())
    }
}

fn drop_schema(conn: &mut PgConnection, schema: &tenant_core::names::SchemaName) -> CoreResult<()> {
    diesel::sql_query(format!("DROP SCHEMA IF EXISTS {} CASCADE", schema.quoted())).execute(conn)?;
    Ok(())
}

/// The pages every French public body must publish, ready for the admins to complete.
fn default_pages(locale: Locale, name: &str) -> Vec<PageInput> {
    let (a11y_title, a11y_summary, a11y_body, legal_title, legal_summary, legal_body) = match locale {
        Locale::Fr => (
            "Accessibilité",
            "Déclaration d'accessibilité et moyens de nous signaler un défaut.",
            format!(
                "{name} s'engage à rendre ce site accessible conformément à l'article 47 de la loi n° 2005-102 du 11 février 2005.\n\n\
                 État de conformité : ce site n'a pas encore fait l'objet d'un audit RGAA ; il est donc « non conforme » au sens du référentiel.\n\n\
                 Si vous n'arrivez pas à accéder à un contenu ou à un service, contactez-nous pour être orienté vers une alternative accessible.\n\n\
                 Voie de recours : vous pouvez saisir le Défenseur des droits si vous n'obtenez pas de réponse satisfaisante."
            ),
            "Mentions légales",
            "Éditeur du site, hébergement et données personnelles.",
            format!(
                "Ce site est édité par {name}.\n\n\
                 Hébergement : plateforme Civitas.\n\n\
                 Données personnelles : les contributions sont traitées pour permettre la participation citoyenne ; \
                 vous pouvez exercer vos droits d'accès, de rectification et d'effacement auprès de l'éditeur."
            ),
        ),
        Locale::En => (
            "Accessibility",
            "Accessibility statement and how to report a problem.",
            format!(
                "{name} is committed to making this site accessible, as article 47 of French law 2005-102 requires.\n\n\
                 Compliance status: this site has not yet been audited against the RGAA, so it is \"non-compliant\" in the standard's terms.\n\n\
                 If you cannot reach some content or service, contact us and we will provide an accessible alternative."
            ),
            "Legal notice",
            "Publisher, hosting and personal data.",
            format!(
                "This site is published by {name}.\n\n\
                 Hosting: the Civitas platform.\n\n\
                 Personal data: contributions are processed to enable public participation; \
                 you may exercise your rights of access, rectification and erasure with the publisher."
            ),
        ),
    };
    vec![
        PageInput {
            slug: "accessibilite".into(),
            locale,
            title: a11y_title.into(),
            summary: a11y_summary.into(),
            body: a11y_body,
            position: 90,
        },
        PageInput {
            slug: "mentions-legales".into(),
            locale,
            title: legal_title.into(),
            summary: legal_summary.into(),
            body: legal_body,
            position: 91,
        },
    ]
}
