-- People of this tenant. Pseudonyms are first-class: a nickname, no real name.
-- An account is erased by clearing its personal fields and setting deleted_at; its
-- contributions keep pointing at the row, shown as from a deleted participant.
CREATE TABLE users (
    id bigserial PRIMARY KEY,
    nickname text CHECK (nickname IS NULL OR length(nickname) BETWEEN 2 AND 40),
    email text CHECK (email IS NULL OR length(email) BETWEEN 3 AND 254),
    email_confirmed_at timestamptz,
    password_hash text,
    locale text NOT NULL CHECK (locale ~ '^[a-z]{2}$'),
    role text NOT NULL DEFAULT 'participant' CHECK (role IN ('participant', 'admin')),
    terms_accepted_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    last_sign_in_at timestamptz,
    deleted_at timestamptz,
    CHECK (deleted_at IS NOT NULL OR nickname IS NOT NULL)
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX users_nickname_key ON users (lower(nickname)) WHERE nickname IS NOT NULL;

-- Signed-in browsers. Only a hash of the cookie's secret is kept.
CREATE TABLE user_sessions (
    token_hash text PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    -- How this session signed in: 'password' or an identity provider's slug.
    method text NOT NULL,
    -- The provider's ID token, kept only to sign out of the provider (id_token_hint).
    id_token text
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);
CREATE INDEX user_sessions_expiry ON user_sessions (expires_at);

-- One-use links sent by email: confirm an address, reset a password, change address,
-- accept an invitation. Only a hash of the token is kept.
CREATE TABLE email_tokens (
    token_hash text PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose text NOT NULL CHECK (purpose IN ('confirm', 'reset', 'change_email', 'invite')),
    email text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX email_tokens_user ON email_tokens (user_id, purpose);

-- Identities at the tenant's OpenID providers linked to an account. The provider's
-- subject is kept only as a keyed hash (key per tenant).
CREATE TABLE user_identities (
    id bigserial PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider text NOT NULL,
    subject_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (provider, subject_hash)
);
CREATE INDEX user_identities_user ON user_identities (user_id);

-- Facts about an account that modules use to gate actions.
CREATE TABLE verifications (
    id bigserial PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('franceconnect', 'oidc', 'resident_list', 'admin')),
    -- The provider slug for franceconnect/oidc; empty otherwise.
    source text NOT NULL DEFAULT '',
    granted_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    granted_by text NOT NULL,
    -- What the source said, e.g. FranceConnect's identity claims (personal data:
    -- part of "download my data", erased with the account).
    details jsonb NOT NULL DEFAULT '{}',
    UNIQUE (user_id, kind, source)
);

-- Anonymous verification: one keyed hash of a provider subject per purpose (say, one
-- petition). The same person is recognised twice for the same purpose; nothing links
-- two purposes, two tenants, or a hash to an account.
CREATE TABLE anonymous_proofs (
    purpose text NOT NULL CHECK (length(purpose) BETWEEN 1 AND 200),
    subject_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (purpose, subject_hash)
);

-- The resident list an admin uploads: keyed hashes of normalised email addresses.
CREATE TABLE resident_list (
    email_hash text PRIMARY KEY,
    uploaded_at timestamptz NOT NULL DEFAULT now()
);
