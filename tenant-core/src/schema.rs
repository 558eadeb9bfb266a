//! Diesel table definitions. Catalog tables are schema-qualified; tenant tables are
//! not, and resolve through the transaction's `search_path` to one tenant's schema.
pub mod catalog {
    diesel::table! {
        catalog.tenants (id) {
            id -> Uuid,
            slug -> Text,
            schema_name -> Text,
            name -> Text,
            description -> Jsonb,
            status -> Text,
            theme -> Text,
            primary_color -> Text,
            locales -> Array<Text>,
            default_locale -> Text,
            logo_key -> Nullable<Text>,
            revision -> Int8,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        catalog.tenant_hosts (host) {
            host -> Text,
            tenant_id -> Uuid,
            is_primary -> Bool,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        catalog.tenant_modules (tenant_id, module) {
            tenant_id -> Uuid,
            module -> Text,
            enabled_at -> Timestamptz,
        }
    }

    diesel::joinable!(tenant_hosts -> tenants (tenant_id));
    diesel::joinable!(tenant_modules -> tenants (tenant_id));
    diesel::allow_tables_to_appear_in_same_query!(tenants, tenant_hosts, tenant_modules);
}

pub mod tenant {
    diesel::table! {
        pages (id) {
            id -> Int8,
            slug -> Text,
            locale -> Text,
            title -> Text,
            summary -> Text,
            body -> Text,
            position -> Int4,
            published -> Bool,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        blog_posts (id) {
            id -> Int8,
            locale -> Text,
            title -> Text,
            body -> Text,
            published_at -> Nullable<Timestamptz>,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }
}
