//! What staff ask for when they create a tenant, parsed once.
use std::collections::BTreeMap;

use tenant_core::blob::sniff_image;
use tenant_core::names::{ClusterName, Color, HostName, Locale, ModuleName, TenantSlug, ThemeName};
use tenant_core::CoreError;

/// A logo as uploaded, already recognised as an image.
#[derive(Clone, Debug)]
pub struct Logo {
    pub bytes: Vec<u8>,
    pub extension: &'static str,
}

impl Logo {
    pub const MAX_BYTES: usize = 1024 * 1024;

    pub fn parse(bytes: Vec<u8>) -> Result<Self, CoreError> {
        if bytes.len() > Self::MAX_BYTES {
            return Err(CoreError::Invalid(format!(
                "the logo is {} KiB; the limit is {} KiB",
                bytes.len() / 1024,
                Self::MAX_BYTES / 1024
            )));
        }
        let (extension, _) = sniff_image(&bytes)
            .ok_or_else(|| CoreError::Invalid("the logo must be a PNG, JPEG, WebP or SVG image".into()))?;
        Ok(Self { bytes, extension })
    }
}

/// A validated request for a new tenant.
#[derive(Clone, Debug)]
pub struct TenantSpec {
    pub slug: TenantSlug,
    pub name: String,
    pub description: BTreeMap<Locale, String>,
    /// The first is the primary host.
    pub hosts: Vec<HostName>,
    /// The first is the default locale.
    pub locales: Vec<Locale>,
    pub modules: Vec<ModuleName>,
    pub theme: ThemeName,
    pub primary_color: Color,
    pub logo: Option<Logo>,
    /// The plan's number of accounts (`None`: no limit).
    pub max_users: Option<i32>,
    /// The plan's stored file space (`None`: no limit).
    pub max_storage_bytes: Option<i64>,
    /// Who gets the invitation to be the tenant's first administrator.
    pub admin_email: Option<String>,
    /// The database cluster to place it on; `None`: the least loaded.
    pub cluster: Option<ClusterName>,
}

/// An invalid value and the field it came in.
#[derive(Debug)]
pub struct FieldError {
    /// The field's name as the API spells it (`hosts[1]` for the second host).
    pub field: String,
    pub error: CoreError,
}

fn at<T>(field: impl Into<String>, r: Result<T, CoreError>) -> Result<T, FieldError> {
    r.map_err(|error| FieldError { field: field.into(), error })
}

impl TenantSpec {
    /// Builds a spec from raw strings, refusing the first invalid value with a
    /// message that names it.
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        slug: &str,
        name: &str,
        hosts: &[String],
        locales: &[String],
        modules: &[String],
        theme: Option<&str>,
        color: Option<&str>,
        description: Option<&str>,
    ) -> Result<Self, CoreError> {
        Self::parse_fields(slug, name, hosts, locales, modules, theme, color, description).map_err(|e| e.error)
    }

    /// As [`TenantSpec::parse`], naming the field of the first invalid value.
    #[allow(clippy::too_many_arguments)]
    pub fn parse_fields(
        slug: &str,
        name: &str,
        hosts: &[String],
        locales: &[String],
        modules: &[String],
        theme: Option<&str>,
        color: Option<&str>,
        description: Option<&str>,
    ) -> Result<Self, FieldError> {
        let slug = at("slug", TenantSlug::parse(slug))?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return at("name", Err(CoreError::Invalid("the tenant name must have 1 to 200 characters".into())));
        }
        if hosts.is_empty() {
            return at("hosts", Err(CoreError::Invalid("a tenant needs at least one host".into())));
        }
        let mut parsed_hosts: Vec<HostName> = Vec::new();
        for (i, h) in hosts.iter().enumerate() {
            let host = at(format!("hosts[{i}]"), HostName::parse(h))?;
            if parsed_hosts.contains(&host) {
                return at(format!("hosts[{i}]"), Err(CoreError::Invalid(format!("the host {host} is given twice"))));
            }
            parsed_hosts.push(host);
        }
        let mut parsed_locales: Vec<Locale> = Vec::new();
        for (i, l) in locales.iter().enumerate() {
            let locale = at(format!("locales[{i}]"), Locale::parse(l))?;
            if !parsed_locales.contains(&locale) {
                parsed_locales.push(locale);
            }
        }
        if parsed_locales.is_empty() {
            parsed_locales.push(Locale::Fr);
        }
        let mut parsed_modules: Vec<ModuleName> = Vec::new();
        for (i, m) in modules.iter().enumerate() {
            let module = at(format!("modules[{i}]"), ModuleName::parse(m))?;
            if !parsed_modules.contains(&module) {
                parsed_modules.push(module);
            }
        }
        let theme = match theme {
            Some(t) => at("theme", ThemeName::parse(t))?,
            None => ThemeName::default_theme(),
        };
        let primary_color = match color {
            Some(c) => at("color", Color::parse(c))?,
            None => Color::rgb(0x00, 0x00, 0x91),
        };
        let mut descriptions = BTreeMap::new();
        if let Some(d) = description.map(str::trim).filter(|d| !d.is_empty()) {
            if d.chars().count() > 2000 {
                return at(
                    "description",
                    Err(CoreError::Invalid("the description is limited to 2,000 characters".into())),
                );
            }
            descriptions.insert(parsed_locales[0], d.to_owned());
        }
        Ok(Self {
            slug,
            name: name.to_owned(),
            description: descriptions,
            hosts: parsed_hosts,
            locales: parsed_locales,
            modules: parsed_modules,
            theme,
            primary_color,
            logo: None,
            max_users: None,
            max_storage_bytes: None,
            admin_email: None,
            cluster: None,
        })
    }

    /// Sets the plan limits: accounts (1 to 10 million) and storage in MiB (1 to
    /// 10 million); `None` for no limit.
    pub fn set_plan(&mut self, max_users: Option<i64>, max_storage_mb: Option<i64>) -> Result<(), FieldError> {
        self.max_users = plan_users(max_users)?;
        self.max_storage_bytes = plan_storage(max_storage_mb)?;
        Ok(())
    }

    /// Sets the first administrator's address (empty: none).
    /// Places the tenant on the named database cluster (checked by the catalog).
    pub fn set_cluster(&mut self, cluster: Option<&str>) -> Result<(), FieldError> {
        self.cluster = match cluster.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => Some(at("cluster", ClusterName::parse(c))?),
            None => None,
        };
        Ok(())
    }

    pub fn set_admin_email(&mut self, email: Option<&str>) -> Result<(), FieldError> {
        self.admin_email = match email.map(str::trim).filter(|e| !e.is_empty()) {
            Some(e) => Some(at("admin_email", tenant_core::accounts::users::check_email(e))?),
            None => None,
        };
        Ok(())
    }
}

const PLAN_MAX: i64 = 10_000_000;

/// A plan's account limit, checked.
pub fn plan_users(max_users: Option<i64>) -> Result<Option<i32>, FieldError> {
    match max_users {
        None => Ok(None),
        Some(n) if (1..=PLAN_MAX).contains(&n) => Ok(Some(n as i32)),
        Some(_) => {
            at("max_users", Err(CoreError::Invalid("max_users: 1 to 10,000,000 accounts, or null for no limit".into())))
        }
    }
}

/// A plan's storage limit in MiB, checked, in bytes.
pub fn plan_storage(max_storage_mb: Option<i64>) -> Result<Option<i64>, FieldError> {
    match max_storage_mb {
        None => Ok(None),
        Some(n) if (1..=PLAN_MAX).contains(&n) => Ok(Some(n * 1024 * 1024)),
        Some(_) => at(
            "max_storage_mb",
            Err(CoreError::Invalid("max_storage_mb: 1 to 10,000,000 MiB, or null for no limit".into())),
        ),
    }
}
