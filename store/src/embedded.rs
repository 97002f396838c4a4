//! The in-process store: the zero-setup default. Lost on restart.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use crate::{ALIAS_ATTEMPTS, Alias, Consumed, Created, NewSecret, SecretId, SecretRef, StoreError};

/// Settings of the embedded store.
#[derive(Debug, Clone)]
pub struct EmbeddedConfig {
    /// Total payload bytes held at most; a create beyond it fails with [`StoreError::Full`].
    pub max_bytes: usize,
    /// How often expired secrets are swept out (they are also refused on read).
    pub sweep_interval: Duration,
}

impl Default for EmbeddedConfig {
    fn default() -> Self {
        Self {
            max_bytes: 512 * 1024 * 1024,
            sweep_interval: Duration::from_secs(30),
        }
    }
}

struct Entry {
    id: SecretId,
    payload: Bytes,
    expires_at: Instant,
}

#[derive(Default)]
struct Inner {
    by_alias: HashMap<Alias, Entry>,
    alias_of: HashMap<SecretId, Alias>,
    bytes: usize,
}

impl Inner {
    fn remove(&mut self, alias: &Alias) -> Option<Entry> {
        let entry = self.by_alias.remove(alias)?;
        self.alias_of.remove(&entry.id);
        self.bytes -= entry.payload.len();
        Some(entry)
    }

    fn sweep(&mut self, now: Instant) {
        let expired: Vec<Alias> = self
            .by_alias
            .iter()
            .filter(|(_, e)| e.expires_at <= now)
            .map(|(a, _)| a.clone())
            .collect();
        for alias in expired {
            self.remove(&alias);
        }
    }
}

/// The in-process store. Cloning shares the same data.
#[derive(Clone)]
pub struct EmbeddedStore {
    inner: Arc<Mutex<Inner>>,
    max_bytes: usize,
}

impl EmbeddedStore {
    /// A new empty store. Inside a Tokio runtime it also starts a periodic sweep, which
    /// stops when the last clone of the store is dropped.
    pub fn new(config: EmbeddedConfig) -> Self {
        let store = Self {
            inner: Arc::new(Mutex::new(Inner::default())),
            max_bytes: config.max_bytes,
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(sweeper(Arc::downgrade(&store.inner), config.sweep_interval));
        }
        store
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters more than losing the store, so keep serving.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn create(
        &self,
        secret: NewSecret,
        aliases: &mut (dyn FnMut() -> Result<Alias, StoreError> + Send),
    ) -> Result<Created, StoreError> {
        let now = Instant::now();
        let mut inner = self.lock();
        if let Some(alias) = inner.alias_of.get(&secret.id).cloned() {
            if inner
                .by_alias
                .get(&alias)
                .is_some_and(|e| e.expires_at > now)
            {
                return Err(StoreError::Conflict);
            }
            inner.remove(&alias);
        }
        if inner.bytes + secret.payload.len() > self.max_bytes {
            inner.sweep(now);
            if inner.bytes + secret.payload.len() > self.max_bytes {
                return Err(StoreError::Full);
            }
        }
        for _ in 0..ALIAS_ATTEMPTS {
            let alias = aliases()?;
            match inner.by_alias.get(&alias) {
                Some(e) if e.expires_at > now => continue,
                Some(_) => {
                    inner.remove(&alias);
                }
                None => {}
            }
            inner.bytes += secret.payload.len();
            inner.alias_of.insert(secret.id.clone(), alias.clone());
            inner.by_alias.insert(
                alias.clone(),
                Entry {
                    id: secret.id.clone(),
                    payload: secret.payload,
                    expires_at: now + secret.ttl,
                },
            );
            return Ok(Created {
                id: secret.id,
                alias,
            });
        }
        Err(StoreError::AliasesExhausted)
    }

    pub(crate) fn consume(&self, key: &SecretRef) -> Option<Consumed> {
        let mut inner = self.lock();
        let alias = match key {
            SecretRef::Alias(alias) => alias.clone(),
            SecretRef::Id(id) => inner.alias_of.get(id)?.clone(),
        };
        let entry = inner.remove(&alias)?;
        (entry.expires_at > Instant::now()).then_some(Consumed {
            id: entry.id,
            payload: entry.payload,
        })
    }

    pub(crate) fn exists(&self, key: &SecretRef) -> bool {
        let inner = self.lock();
        let alias = match key {
            SecretRef::Alias(alias) => Some(alias),
            SecretRef::Id(id) => inner.alias_of.get(id),
        };
        alias
            .and_then(|a| inner.by_alias.get(a))
            .is_some_and(|e| e.expires_at > Instant::now())
    }

    /// Payload bytes currently held (expired ones count until swept).
    pub fn bytes_used(&self) -> usize {
        self.lock().bytes
    }
}

async fn sweeper(inner: Weak<Mutex<Inner>>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(inner) = inner.upgrade() else { return };
        let mut guard = inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        guard.sweep(Instant::now());
    }
}
