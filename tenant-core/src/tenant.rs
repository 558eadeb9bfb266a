//! A tenant as the serving path sees it: one institution and everything needed to
//! route to it and brand its pages, loaded from the catalog.
use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use crate::error::CoreError;
use crate::names::{ClusterName, Color, HostName, Locale, ModuleName, SchemaName, TenantSlug, ThemeName};

/// Whether a tenant is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TenantStatus {
    /// Being created or changed by a provisioning job: answers 503.
    Provisioning,
    Active,
    /// Switched off by staff: answers 503 with a maintenance page.
    Suspended,
    /// Deleted by staff, offline until purged after its retention period.
    Deleting,
}

impl TenantStatus {
    pub const ALL: [TenantStatus; 4] =
        [TenantStatus::Provisioning, TenantStatus::Active, TenantStatus::Suspended, TenantStatus::Deleting];

    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        match raw {
            "provisioning" => Ok(Self::Provisioning),
            "active" => Ok(Self::Active),
            "suspended" => Ok(Self::Suspended),
            "deleting" => Ok(Self::Deleting),
            other => Err(CoreError::Invalid(format!("unknown tenant status {other:?}"))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provisioning => "provisioning",
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Deleting => "deleting",
        }
    }
}

/// One tenant, as held in the in-memory directory.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Tenant {
    pub id: Uuid,
    pub slug: TenantSlug,
    pub schema: SchemaName,
    pub name: String,
    /// Description per locale.
    pub description: BTreeMap<Locale, String>,
    pub status: TenantStatus,
    pub theme: ThemeName,
    pub primary_color: Color,
    /// The locales served, the default first.
    pub locales: Vec<Locale>,
    pub default_locale: Locale,
    pub logo_key: Option<String>,
    pub modules: BTreeSet<ModuleName>,
    pub primary_host: HostName,
    pub hosts: Vec<HostName>,
    /// Bumped by every change to the tenant's catalog rows; keys caches.
    pub revision: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The plan's number of accounts; `None`: no limit.
    pub max_users: Option<i32>,
    /// The plan's stored file space in bytes; `None`: no limit.
    pub max_storage_bytes: Option<i64>,
    /// The database cluster holding the tenant's schema.
    pub cluster: ClusterName,
    /// Writes answer 503 while set (a move is copying the schema); pages are served.
    pub read_only: bool,
}

impl Tenant {
    pub fn has_module(&self, module: ModuleName) -> bool {
        self.modules.contains(&module)
    }

    /// The description in `locale`, else in the default locale, else any, with the
    /// language it is written in (pages mark text in another language, RGAA 8.7).
    pub fn description_in(&self, locale: Locale) -> (Locale, &str) {
        [locale, self.default_locale]
            .into_iter()
            .find_map(|l| self.description.get(&l).map(|d| (l, d.as_str())))
            .or_else(|| self.description.iter().next().map(|(l, d)| (*l, d.as_str())))
            .unwrap_or((locale, ""))
    }
}
