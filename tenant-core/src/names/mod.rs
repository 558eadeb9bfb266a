//! Parse-once newtypes: an invalid value never gets past its constructor.
mod cluster;
mod color;
mod host;
mod locale;
mod module;
mod slug;
mod theme;

pub use cluster::ClusterName;
pub use color::Color;
pub use host::HostName;
pub use locale::Locale;
pub use module::ModuleName;
pub use slug::{SchemaName, TenantSlug};
pub use theme::ThemeName;
