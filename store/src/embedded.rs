//! The in-process store: the zero-setup default. Lost on restart.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use bytes::Bytes;
use subtle::ConstantTimeEq as _;
use tokio::time::Instant;

use crate::{
    ALIAS_ATTEMPTS, Access, Alias, Created, Destroyed, Info, Managed, NewSecret, Presented, Reveal,
    SecretId, SecretRef, State, Status, StoreError, Verifier, now_unix,
};

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
    /// `None` once viewed, destroyed or burned (the record stays for the sender's status).
    payload: Option<Bytes>,
    access: Access,
    views_used: u32,
    tries_left: u32,
    opened_at: Vec<u64>,
    state: State,
    expires_at: Instant,
    expires_unix: u64,
}

#[derive(Default)]
struct Inner {
    /// Secrets that expired without a view (read by `/metrics`).
    expired_unread: u64,
    /// Fixed-window counters (rate limits), per name.
    counters: HashMap<String, (Instant, u64)>,
    by_alias: HashMap<Alias, Entry>,
    alias_of: HashMap<SecretId, Alias>,
    bytes: usize,
}

impl Inner {
    fn remove(&mut self, alias: &Alias) -> Option<Entry> {
        let entry = self.by_alias.remove(alias)?;
        self.alias_of.remove(&entry.id);
        self.bytes -= entry.payload.as_ref().map_or(0, Bytes::len);
        Some(entry)
    }

    /// Drops the ciphertext, keeping a record only when the sender can ask about it.
    fn retire(&mut self, alias: &Alias, state: State) {
        let Some(entry) = self.by_alias.get_mut(alias) else {
            return;
        };
        if entry.access.manage_verifier.is_some() {
            if let Some(payload) = entry.payload.take() {
                self.bytes -= payload.len();
            }
            entry.state = state;
        } else {
            self.remove(alias);
        }
    }

    fn sweep(&mut self, now: Instant) {
        let expired: Vec<Alias> = self
            .by_alias
            .iter()
            .filter(|(_, e)| e.expires_at <= now)
            .map(|(a, _)| a.clone())
            .collect();
        for alias in expired {
            if self
                .by_alias
                .get(&alias)
                .is_some_and(|e| e.views_used == 0 && e.payload.is_some())
            {
                self.expired_unread += 1;
            }
            self.remove(&alias);
        }
    }

    /// The live record of `alias`, if `token` matches its manage verifier; otherwise the
    /// refusal a manage request gets (a record without a verifier cannot be managed).
    fn managed<T>(&self, alias: &Alias, token: &Verifier) -> Result<&Entry, Managed<T>> {
        let entry = self
            .by_alias
            .get(alias)
            .filter(|e| e.expires_at > Instant::now())
            .ok_or(Managed::NotFound)?;
        if entry
            .access
            .manage_verifier
            .is_some_and(|stored| stored.ct_eq(token).into())
        {
            Ok(entry)
        } else {
            Err(Managed::WrongToken)
        }
    }

    /// The alias of a live record named by `key`.
    fn resolve(&self, key: &SecretRef, now: Instant) -> Option<Alias> {
        let alias = match key {
            SecretRef::Alias(alias) => alias.clone(),
            SecretRef::Id(id) => self.alias_of.get(id)?.clone(),
        };
        self.by_alias
            .get(&alias)
            .filter(|e| e.expires_at > now)
            .map(|_| alias)
    }
}

/// Whether a presented verifier passes: compared in constant time when one is stored.
fn matches(stored: Option<&Verifier>, presented: Option<&Verifier>) -> bool {
    match (stored, presented) {
        (Some(s), Some(p)) => s.ct_eq(p).into(),
        (Some(_), None) => false,
        (None, _) => true,
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
            let tries_left = secret.access.passphrase_tries.max(1);
            inner.by_alias.insert(
                alias.clone(),
                Entry {
                    id: secret.id.clone(),
                    payload: Some(secret.payload),
                    access: secret.access,
                    views_used: 0,
                    tries_left,
                    opened_at: Vec::new(),
                    state: State::Waiting,
                    expires_at: now + secret.ttl,
                    expires_unix: now_unix() + secret.ttl.as_secs(),
                },
            );
            return Ok(Created {
                id: secret.id,
                alias,
            });
        }
        Err(StoreError::AliasesExhausted)
    }

    pub(crate) fn reveal(&self, key: &SecretRef, presented: &Presented) -> Reveal {
        let mut inner = self.lock();
        let Some(alias) = inner.resolve(key, Instant::now()) else {
            return Reveal::NotFound;
        };
        let Some(entry) = inner.by_alias.get_mut(&alias) else {
            return Reveal::NotFound;
        };
        let Some(payload) = entry.payload.clone() else {
            return Reveal::NotFound;
        };
        if !matches(
            entry.access.access_verifier.as_ref(),
            presented.access.as_ref(),
        ) {
            return Reveal::WrongKey;
        }
        if let Some(stored) = &entry.access.passphrase_verifier {
            let Some(given) = &presented.passphrase else {
                return Reveal::PassphraseRequired {
                    tries_left: entry.tries_left,
                };
            };
            if !bool::from(stored.ct_eq(given)) {
                entry.tries_left = entry.tries_left.saturating_sub(1);
                if entry.tries_left == 0 {
                    inner.retire(&alias, State::Burned);
                    return Reveal::Burned;
                }
                return Reveal::WrongPassphrase {
                    tries_left: entry.tries_left,
                };
            }
        }
        entry.views_used += 1;
        entry.opened_at.push(now_unix());
        let views_left = entry.access.max_views.saturating_sub(entry.views_used);
        let id = entry.id.clone();
        if views_left == 0 {
            inner.retire(&alias, State::Opened);
        }
        Reveal::Revealed {
            id,
            payload,
            views_left,
        }
    }

    pub(crate) fn info(&self, key: &SecretRef) -> Option<Info> {
        let inner = self.lock();
        let alias = inner.resolve(key, Instant::now())?;
        let entry = inner.by_alias.get(&alias)?;
        entry.payload.as_ref()?;
        Some(Info {
            needs_proof: entry.access.access_verifier.is_some(),
            needs_passphrase: entry.access.passphrase_verifier.is_some(),
            tries_left: entry.tries_left,
            views_left: entry.access.max_views.saturating_sub(entry.views_used),
        })
    }

    pub(crate) fn status(&self, alias: &Alias, token: &Verifier) -> Managed<Status> {
        let inner = self.lock();
        let entry = match inner.managed(alias, token) {
            Ok(entry) => entry,
            Err(refused) => return refused,
        };
        Managed::Ok(Status {
            state: crate::seen(entry.state, entry.views_used),
            views_used: entry.views_used,
            max_views: entry.access.max_views,
            opened_at: entry.opened_at.clone(),
            expires_at: entry.expires_unix,
            tries_left: entry.access.passphrase_verifier.map(|_| entry.tries_left),
        })
    }

    pub(crate) fn destroy(&self, alias: &Alias, token: &Verifier) -> Managed<Destroyed> {
        let mut inner = self.lock();
        let entry = match inner.managed(alias, token) {
            Ok(entry) => entry,
            Err(refused) => return refused,
        };
        if entry.payload.is_none() {
            return Managed::Ok(Destroyed::Already);
        }
        inner.retire(alias, State::Destroyed);
        Managed::Ok(Destroyed::Now)
    }

    /// Secrets that expired without a single view so far.
    pub fn expired_unread(&self) -> u64 {
        self.lock().expired_unread
    }

    /// Adds `by` to the counter `name` in its current fixed window of `window`: (count, time
    /// left in the window). A window that has passed starts again at zero.
    pub(crate) fn count(&self, name: &str, by: u32, window: Duration) -> (u64, Duration) {
        let now = Instant::now();
        let mut inner = self.lock();
        if inner.counters.len() > 100_000 {
            inner.counters.retain(|_, (start, _)| now < *start + window);
        }
        let entry = inner.counters.entry(name.to_owned()).or_insert((now, 0));
        if now >= entry.0 + window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(u64::from(by));
        (entry.1, (entry.0 + window).saturating_duration_since(now))
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
