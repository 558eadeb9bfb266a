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
            created_by_job -> Nullable<Uuid>,
            purge_after -> Nullable<Timestamptz>,
            max_users -> Nullable<Int4>,
            max_storage_bytes -> Nullable<Int8>,
            cluster -> Text,
            read_only -> Bool,
            moving_to -> Nullable<Text>,
        }
    }

    diesel::table! {
        catalog.clusters (name) {
            name -> Text,
            url_enc -> Nullable<Text>,
            capacity -> Int4,
            status -> Text,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        catalog.tenant_hosts (host) {
            host -> Text,
            tenant_id -> Uuid,
            is_primary -> Bool,
            created_at -> Timestamptz,
            cert_path -> Nullable<Text>,
            key_path -> Nullable<Text>,
        }
    }

    diesel::table! {
        catalog.tenant_modules (tenant_id, module) {
            tenant_id -> Uuid,
            module -> Text,
            enabled_at -> Timestamptz,
        }
    }

    diesel::table! {
        catalog.staff_accounts (id) {
            id -> Uuid,
            email -> Text,
            password_hash -> Nullable<Text>,
            totp_secret_enc -> Nullable<Text>,
            totp_last_step -> Nullable<Int8>,
            setup_token_hash -> Nullable<Text>,
            setup_expires_at -> Nullable<Timestamptz>,
            disabled_at -> Nullable<Timestamptz>,
            created_at -> Timestamptz,
            last_sign_in_at -> Nullable<Timestamptz>,
        }
    }

    diesel::table! {
        catalog.staff_sessions (token_hash) {
            token_hash -> Text,
            staff_id -> Uuid,
            second_factor_at -> Nullable<Timestamptz>,
            created_at -> Timestamptz,
            expires_at -> Timestamptz,
        }
    }

    diesel::table! {
        catalog.api_tokens (id) {
            id -> Uuid,
            staff_id -> Uuid,
            name -> Text,
            token_hash -> Text,
            scopes -> Array<Text>,
            expires_at -> Timestamptz,
            created_at -> Timestamptz,
            last_used_at -> Nullable<Timestamptz>,
            revoked_at -> Nullable<Timestamptz>,
        }
    }

    diesel::table! {
        catalog.audit_log (id) {
            id -> Int8,
            at -> Timestamptz,
            actor -> Text,
            action -> Text,
            target -> Nullable<Text>,
            before -> Nullable<Jsonb>,
            after -> Nullable<Jsonb>,
        }
    }

    diesel::table! {
        catalog.jobs (id) {
            id -> Uuid,
            kind -> Text,
            tenant_slug -> Nullable<Text>,
            payload -> Jsonb,
            status -> Text,
            steps_done -> Array<Text>,
            current_step -> Nullable<Text>,
            progress -> Int4,
            result -> Nullable<Jsonb>,
            error -> Nullable<Text>,
            attempts -> Int4,
            max_attempts -> Int4,
            locked_by -> Nullable<Text>,
            locked_until -> Nullable<Timestamptz>,
            run_after -> Timestamptz,
            created_by -> Text,
            created_at -> Timestamptz,
            started_at -> Nullable<Timestamptz>,
            finished_at -> Nullable<Timestamptz>,
        }
    }

    diesel::table! {
        catalog.tenant_identity_providers (tenant_id, key) {
            tenant_id -> Uuid,
            key -> Text,
            kind -> Text,
            label -> Text,
            issuer -> Text,
            client_id -> Text,
            client_secret_enc -> Text,
            scopes -> Array<Text>,
            acr_values -> Nullable<Text>,
            enabled -> Bool,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        catalog.backups (id) {
            id -> Uuid,
            tenant_id -> Nullable<Uuid>,
            slug -> Text,
            status -> Text,
            started_at -> Timestamptz,
            finished_at -> Nullable<Timestamptz>,
            manifest_key -> Nullable<Text>,
            manifest_sha256 -> Nullable<Text>,
            size_bytes -> Nullable<Int8>,
            error -> Nullable<Text>,
        }
    }

    diesel::table! {
        catalog.tenant_exports (id) {
            id -> Uuid,
            tenant_id -> Uuid,
            blob_key -> Text,
            size_bytes -> Int8,
            sha256 -> Text,
            created_by -> Text,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        catalog.tenant_keys (tenant_id) {
            tenant_id -> Uuid,
            hash_key_enc -> Text,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        catalog.tenant_mail_settings (tenant_id) {
            tenant_id -> Uuid,
            from_address -> Text,
            from_name -> Text,
            smtp_host -> Text,
            smtp_port -> Int4,
            smtp_tls -> Text,
            smtp_username -> Text,
            smtp_password_enc -> Nullable<Text>,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        catalog.tenant_usage (tenant_id) {
            tenant_id -> Uuid,
            users -> Int8,
            storage_bytes -> Int8,
            last_sign_in_at -> Nullable<Timestamptz>,
            measured_at -> Timestamptz,
        }
    }

    diesel::joinable!(backups -> tenants (tenant_id));
    diesel::joinable!(tenant_exports -> tenants (tenant_id));
    diesel::joinable!(tenant_identity_providers -> tenants (tenant_id));
    diesel::joinable!(staff_sessions -> staff_accounts (staff_id));
    diesel::joinable!(api_tokens -> staff_accounts (staff_id));
    diesel::joinable!(tenant_hosts -> tenants (tenant_id));
    diesel::joinable!(tenant_modules -> tenants (tenant_id));
    diesel::allow_tables_to_appear_in_same_query!(
        tenants,
        clusters,
        tenant_hosts,
        tenant_modules,
        staff_accounts,
        staff_sessions,
        api_tokens,
        audit_log,
        jobs,
        tenant_identity_providers,
        tenant_exports,
        backups,
        tenant_keys,
        tenant_mail_settings,
        tenant_usage
    );
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

    diesel::table! {
        users (id) {
            id -> Int8,
            nickname -> Nullable<Text>,
            email -> Nullable<Text>,
            email_confirmed_at -> Nullable<Timestamptz>,
            password_hash -> Nullable<Text>,
            locale -> Text,
            role -> Text,
            terms_accepted_at -> Nullable<Timestamptz>,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
            last_sign_in_at -> Nullable<Timestamptz>,
            deleted_at -> Nullable<Timestamptz>,
            blocked_at -> Nullable<Timestamptz>,
            blocked_reason -> Nullable<Text>,
            notifications_digest -> Text,
            last_digest_at -> Nullable<Timestamptz>,
        }
    }

    diesel::table! {
        user_sessions (token_hash) {
            token_hash -> Text,
            user_id -> Int8,
            created_at -> Timestamptz,
            expires_at -> Timestamptz,
            last_seen_at -> Timestamptz,
            method -> Text,
            id_token -> Nullable<Text>,
        }
    }

    diesel::table! {
        email_tokens (token_hash) {
            token_hash -> Text,
            user_id -> Int8,
            purpose -> Text,
            email -> Text,
            created_at -> Timestamptz,
            expires_at -> Timestamptz,
            used_at -> Nullable<Timestamptz>,
        }
    }

    diesel::table! {
        user_identities (id) {
            id -> Int8,
            user_id -> Int8,
            provider -> Text,
            subject_hash -> Text,
            created_at -> Timestamptz,
            last_used_at -> Timestamptz,
        }
    }

    diesel::table! {
        verifications (id) {
            id -> Int8,
            user_id -> Int8,
            kind -> Text,
            source -> Text,
            granted_at -> Timestamptz,
            expires_at -> Nullable<Timestamptz>,
            granted_by -> Text,
            details -> Jsonb,
        }
    }

    diesel::table! {
        anonymous_proofs (purpose, subject_hash) {
            purpose -> Text,
            subject_hash -> Text,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        resident_list (email_hash) {
            email_hash -> Text,
            uploaded_at -> Timestamptz,
        }
    }

    diesel::table! {
        spaces (id) {
            id -> Int8,
            kind -> Text,
            slug -> Text,
            title -> Jsonb,
            subtitle -> Jsonb,
            description -> Jsonb,
            hero_image_key -> Nullable<Text>,
            start_date -> Nullable<Date>,
            end_date -> Nullable<Date>,
            private -> Bool,
            published_at -> Nullable<Timestamptz>,
            position -> Int4,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        space_phases (id) {
            id -> Int8,
            space_id -> Int8,
            position -> Int4,
            title -> Jsonb,
            description -> Jsonb,
            start_date -> Nullable<Date>,
            end_date -> Nullable<Date>,
            active -> Bool,
        }
    }

    diesel::table! {
        space_members (space_id, user_id) {
            space_id -> Int8,
            user_id -> Int8,
            added_at -> Timestamptz,
        }
    }

    diesel::table! {
        components (id) {
            id -> Int8,
            space_id -> Int8,
            module -> Text,
            name -> Jsonb,
            position -> Int4,
            settings -> Jsonb,
            phase_settings -> Jsonb,
            published_at -> Nullable<Timestamptz>,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        space_categories (id) {
            id -> Int8,
            space_id -> Int8,
            name -> Jsonb,
            position -> Int4,
        }
    }

    diesel::table! {
        proposal_supports (proposal_id, user_id) {
            proposal_id -> Int8,
            user_id -> Int8,
            component_id -> Int8,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        follows (user_id, resource_kind, resource_id) {
            user_id -> Int8,
            resource_kind -> Text,
            resource_id -> Int8,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        proposal_attachments (id) {
            id -> Int8,
            proposal_id -> Int8,
            blob_key -> Text,
            filename -> Text,
            content_type -> Text,
            size_bytes -> Int8,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        proposal_versions (proposal_id, version) {
            proposal_id -> Int8,
            version -> Int4,
            title -> Text,
            body -> Text,
            author_id -> Nullable<Int8>,
            cause -> Text,
            amendment_id -> Nullable<Int8>,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        proposal_amendments (id) {
            id -> Int8,
            proposal_id -> Int8,
            author_id -> Int8,
            base_version -> Int4,
            title -> Text,
            body -> Text,
            state -> Text,
            created_at -> Timestamptz,
            decided_at -> Nullable<Timestamptz>,
        }
    }

    diesel::table! {
        notifications (id) {
            id -> Int8,
            user_id -> Int8,
            event -> Text,
            actor_id -> Nullable<Int8>,
            resource_kind -> Text,
            resource_id -> Int8,
            data -> Jsonb,
            created_at -> Timestamptz,
            read_at -> Nullable<Timestamptz>,
            emailed_at -> Nullable<Timestamptz>,
        }
    }

    diesel::table! {
        comments (id) {
            id -> Int8,
            resource_kind -> Text,
            resource_id -> Int8,
            parent_id -> Nullable<Int8>,
            ancestors -> Array<Int8>,
            depth -> Int2,
            author_id -> Int8,
            body -> Text,
            alignment -> Nullable<Int2>,
            up_votes -> Int4,
            down_votes -> Int4,
            reply_count -> Int4,
            created_at -> Timestamptz,
            edited_at -> Nullable<Timestamptz>,
            deleted_at -> Nullable<Timestamptz>,
            hidden_at -> Nullable<Timestamptz>,
        }
    }

    diesel::table! {
        comment_votes (comment_id, user_id) {
            comment_id -> Int8,
            user_id -> Int8,
            value -> Int2,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        reports (id) {
            id -> Int8,
            resource_kind -> Text,
            resource_id -> Int8,
            reporter_id -> Int8,
            reason -> Text,
            details -> Text,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        moderations (resource_kind, resource_id) {
            resource_kind -> Text,
            resource_id -> Int8,
            report_count -> Int4,
            hidden_at -> Nullable<Timestamptz>,
            hidden_by -> Nullable<Int8>,
            reviewed_at -> Nullable<Timestamptz>,
            last_reported_at -> Nullable<Timestamptz>,
            excerpt -> Text,
            url -> Text,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        home_blocks (id) {
            id -> Int8,
            position -> Int4,
            kind -> Text,
            texts -> Jsonb,
            enabled -> Bool,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        admin_log (id) {
            id -> Int8,
            at -> Timestamptz,
            actor_id -> Nullable<Int8>,
            action -> Text,
            resource_kind -> Text,
            resource_id -> Int8,
            details -> Jsonb,
        }
    }

    diesel::joinable!(follows -> users (user_id));
    diesel::joinable!(admin_log -> users (actor_id));
    diesel::joinable!(comments -> users (author_id));
    diesel::joinable!(comment_votes -> comments (comment_id));
    diesel::joinable!(reports -> users (reporter_id));
    diesel::joinable!(space_phases -> spaces (space_id));
    diesel::joinable!(space_members -> spaces (space_id));
    diesel::joinable!(components -> spaces (space_id));
    diesel::joinable!(user_sessions -> users (user_id));
    diesel::joinable!(email_tokens -> users (user_id));
    diesel::joinable!(user_identities -> users (user_id));
    diesel::joinable!(verifications -> users (user_id));
    diesel::allow_tables_to_appear_in_same_query!(
        pages,
        blog_posts,
        users,
        user_sessions,
        email_tokens,
        user_identities,
        verifications,
        anonymous_proofs,
        resident_list,
        spaces,
        space_phases,
        space_members,
        space_categories,
        proposal_supports,
        proposal_attachments,
        proposal_versions,
        proposal_amendments,
        components,
        follows,
        notifications,
        comments,
        comment_votes,
        reports,
        moderations,
        home_blocks,
        admin_log
    );
}
