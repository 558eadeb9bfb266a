//! Each tenant's hashing key: random, made on first use, sealed with the master key.
//! Keyed hashes of identity subjects, anonymous proofs and resident lists use it, so
//! the same value hashes differently on two tenants and nothing outside the platform
//! can recompute them.
use diesel::pg::PgConnection;
use diesel::prelude::*;
use hmac::{KeyInit, Mac};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::error::{CoreError, CoreResult};
use crate::schema::catalog::tenant_keys;
use crate::secrets::Keyring;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// A tenant's hashing key.
#[derive(Clone)]
pub struct TenantKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for TenantKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TenantKey(..)")
    }
}

impl TenantKey {
    /// HMAC-SHA256 of `value` under this key, separated by `purpose` (so a hash made
    /// for one purpose says nothing about another), as lowercase hex.
    pub fn hash(&self, purpose: &str, value: &str) -> String {
        // The key length is fixed at 32 bytes, which HMAC always accepts.
        let mut mac = match HmacSha256::new_from_slice(&self.0[..]) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(&(purpose.len() as u64).to_be_bytes());
        mac.update(purpose.as_bytes());
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn context(tenant: Uuid) -> String {
    format!("tenant_hash_key:{tenant}")
}

/// The tenant's key, made and stored the first time it is asked for.
pub fn tenant_key(conn: &mut PgConnection, keyring: &Keyring, tenant: Uuid) -> CoreResult<TenantKey> {
    let found: Option<String> =
        tenant_keys::table.find(tenant).select(tenant_keys::hash_key_enc).first(conn).optional()?;
    let sealed = match found {
        Some(s) => s,
        None => {
            let mut fresh = Zeroizing::new([0u8; 32]);
            getrandom::fill(&mut fresh[..]).map_err(|e| CoreError::Invalid(format!("no randomness: {e}")))?;
            let sealed = keyring.seal(&fresh[..], &context(tenant)).map_err(|e| CoreError::Invalid(e.to_string()))?;
            // Two processes may race here: the first insert wins and both read it back.
            diesel::insert_into(tenant_keys::table)
                .values((tenant_keys::tenant_id.eq(tenant), tenant_keys::hash_key_enc.eq(&sealed)))
                .on_conflict_do_nothing()
                .execute(conn)?;
            tenant_keys::table.find(tenant).select(tenant_keys::hash_key_enc).first(conn)?
        }
    };
    let bytes = Zeroizing::new(keyring.open(&sealed, &context(tenant)).map_err(|e| CoreError::Invalid(e.to_string()))?);
    let key: [u8; 32] = bytes[..].try_into().map_err(|_| CoreError::Invalid("a tenant key is 32 bytes".into()))?;
    Ok(TenantKey(Zeroizing::new(key)))
}

/// Re-seals tenant keys sealed by an older master key; returns how many.
pub fn reseal_all(conn: &mut PgConnection, keyring: &Keyring) -> CoreResult<usize> {
    let rows: Vec<(Uuid, String)> =
        tenant_keys::table.select((tenant_keys::tenant_id, tenant_keys::hash_key_enc)).for_update().load(conn)?;
    let mut count = 0;
    for (tenant, sealed) in rows {
        if keyring.needs_rotation(&sealed) {
            let fresh = keyring.reseal(&sealed, &context(tenant)).map_err(|e| CoreError::Invalid(e.to_string()))?;
            diesel::update(tenant_keys::table.find(tenant)).set(tenant_keys::hash_key_enc.eq(fresh)).execute(conn)?;
            count += 1;
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_and_keys_separate_hashes() {
        let a = TenantKey(Zeroizing::new([1u8; 32]));
        let b = TenantKey(Zeroizing::new([2u8; 32]));
        assert_eq!(a.hash("petition:1", "sub"), a.hash("petition:1", "sub"));
        assert_ne!(a.hash("petition:1", "sub"), a.hash("petition:2", "sub"));
        assert_ne!(a.hash("petition:1", "sub"), b.hash("petition:1", "sub"));
        // The purpose's length is hashed, so ("ab","c") and ("a","bc") differ.
        assert_ne!(a.hash("ab", "c"), a.hash("a", "bc"));
        assert_eq!(a.hash("x", "y").len(), 64);
    }
}
