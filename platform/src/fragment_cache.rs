//! Rendered pieces of pages (a proposal's card in a list), kept in memory and shared by
//! every visitor's page.
//!
//! A piece's key is a hash of everything it shows (title, counts, answer, the theme and
//! language…): a change to any of it is another key, so a piece is never stale; old
//! pieces are dropped when the cache is full. What differs per visitor (whether they
//! support the proposal) stays out of the piece.
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;

pub struct FragmentCache {
    max_entries: usize,
    entries: RwLock<HashMap<u64, Arc<str>>>,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
}

impl Default for FragmentCache {
    fn default() -> Self {
        Self::new(50_000)
    }
}

/// The key of a piece: a hash of what it shows, and of where (tenant, template).
pub fn key(what: &impl Hash) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    what.hash(&mut h);
    h.finish()
}

impl FragmentCache {
    pub fn new(max_entries: usize) -> Self {
        Self { max_entries, entries: RwLock::default(), hits: AtomicU64::new(0), misses: AtomicU64::new(0) }
    }

    /// The piece under `key`, rendered by `render` when missing.
    pub fn get_or_render<E>(&self, key: u64, render: impl FnOnce() -> Result<String, E>) -> Result<Arc<str>, E> {
        if let Some(found) = self.entries.read().get(&key) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(Arc::clone(found));
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let piece: Arc<str> = render()?.into();
        let mut entries = self.entries.write();
        if entries.len() >= self.max_entries {
            // Full: start again (the pieces in use come back on their next page).
            entries.clear();
        }
        entries.insert(key, Arc::clone(&piece));
        Ok(piece)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_piece_is_rendered_once_per_key_and_the_cache_stays_bounded() {
        let cache = FragmentCache::new(2);
        let mut renders = 0;
        for _ in 0..3 {
            let piece = cache
                .get_or_render::<()>(key(&("t", 1, "Titre", 3)), || {
                    renders += 1;
                    Ok("<h2>Titre</h2>".into())
                })
                .unwrap();
            assert_eq!(&*piece, "<h2>Titre</h2>");
        }
        assert_eq!(renders, 1);
        assert_ne!(key(&("t", 1, "Titre", 3)), key(&("t", 1, "Titre", 4)), "another count, another piece");
        for n in 0..5 {
            cache.get_or_render::<()>(key(&n), || Ok(n.to_string())).unwrap();
        }
        assert!(cache.entries.read().len() <= 2);
    }
}
