//! Creating a tenant: catalog rows, schema, migrations and default pages, all in one
//! transaction.
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use tenant_core::blob::{BlobKey, BlobStore};
use tenant_core::catalog::{self, NewTenant};
use tenant_core::content::pages::{self, PageInput};
use tenant_core::migrations::{create_tenant_schema, TENANT};
use tenant_core::names::Locale;
use tenant_core::{CoreError, CoreResult, Db, Tenant, TenantStatus};
use uuid::Uuid;

use crate::spec::TenantSpec;

/// Creates the tenant with the embedded tenant migrations.
pub fn create_tenant(db: &Db, blobs: &dyn BlobStore, spec: TenantSpec) -> CoreResult<Tenant> {
    create_tenant_with(db, blobs, spec, TENANT)
}

/// Creates the tenant, running `migrations` in its new schema. Tests pass a source
/// that fails part-way to prove nothing is left behind.
pub fn create_tenant_with<S: MigrationSource<Pg>>(
    db: &Db,
    blobs: &dyn BlobStore,
    spec: TenantSpec,
    migrations: S,
) -> CoreResult<Tenant> {
    let id = Uuid::new_v4();
    // The logo goes in first under the new id: should the transaction fail, it is
    // removed; nothing in the catalog ever names a missing file.
    let logo_key = match &spec.logo {
        Some(logo) => {
            let key = BlobKey::new(id, &format!("branding/logo.{}", logo.extension))?;
            blobs.put(&key, &logo.bytes)?;
            Some(key)
        }
        None => None,
    };
    let new = NewTenant {
        id,
        slug: spec.slug.clone(),
        name: spec.name.clone(),
        description: spec.description.clone(),
        status: TenantStatus::Active,
        theme: spec.theme.clone(),
        primary_color: spec.primary_color,
        locales: spec.locales.clone(),
        hosts: spec.hosts.clone(),
        modules: spec.modules.clone(),
        logo_key: logo_key.as_ref().map(BlobKey::to_stored),
    };
    let created = db.catalog(|conn| {
        catalog::insert_tenant(conn, &new)?;
        let schema = new.slug.schema();
        create_tenant_schema(conn, &schema, migrations)?;
        seed_pages(conn, &schema, &new.locales, &new.name)?;
        catalog::load_one(conn, &new.slug)
    });
    match created {
        Ok(tenant) => {
            tracing::info!(slug = %tenant.slug, id = %tenant.id, "tenant created");
            Ok(tenant)
        }
        Err(e) => {
            if let Some(key) = logo_key {
                let _ = blobs.delete(&key);
            }
            Err(e)
        }
    }
}

/// The pages every French public body must publish, ready for the admins to complete.
fn seed_pages(
    conn: &mut diesel::PgConnection,
    schema: &tenant_core::names::SchemaName,
    locales: &[Locale],
    name: &str,
) -> CoreResult<()> {
    tenant_core::migrations::with_schema(conn, schema, |conn| {
        for locale in locales {
            for page in default_pages(*locale, name) {
                pages::upsert(conn, &page)?;
            }
        }
        Ok::<_, CoreError>(())
    })
}

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
