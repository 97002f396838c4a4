//! The in-process store: the zero-setup default. Lost on restart.

mod requests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use bytes::Bytes;
use subtle::ConstantTimeEq as _;
use tokio::time::Instant;

use crate::{
    ALIAS_ATTEMPTS, Access, Alias, Created, Destroyed, Info, Managed, NewSecret, Presented, Reveal,
    SecretId, SecretRef, State, Status, StoreError, Usage, Verifier, now_unix,
};

/// What an entry costs beside its payload: the record, its two map slots (alias and id) and
/// their keys, rounded up. Counted against the cap so that many tiny secrets cannot use many
/// times the memory the cap allows.
const ENTRY_OVERHEAD: usize = std::mem::size_of::<Entry>() + 2 * 64 + 2 * 48;

/// What each claim and each recorded view time adds to an entry.
const CLAIM_OVERHEAD: usize = std::mem::size_of::<(Verifier, Instant)>() + 8;

/// Settings of the embedded store.
#[derive(Debug, Clone)]
pub struct EmbeddedConfig {
    /// Total bytes held at most (payloads and each entry's overhead); a create beyond it fails
    /// with [`StoreError::Full`].
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
    /// Claimed views: the claim's verifier and the end of its window (now once confirmed).
    claims: Vec<(Verifier, Instant)>,
    /// After the last view: when the payload goes (the last claim's window).
    held_until: Option<Instant>,
}

impl Entry {
    /// Bytes this entry counts against the cap.
    fn cost(&self) -> usize {
        ENTRY_OVERHEAD
            + self.payload.as_ref().map_or(0, Bytes::len)
            + CLAIM_OVERHEAD * (self.claims.len() + self.opened_at.len())
    }

    /// The window's end of `claim`, if this entry has it.
    fn claim(&self, claim: &Verifier) -> Option<Instant> {
        // Every claim is compared, so the time does not tell which one matched.
        self.claims.iter().fold(None, |found, (v, until)| {
            if bool::from(v.ct_eq(claim)) {
                Some(*until)
            } else {
                found
            }
        })
    }

    fn views_left(&self) -> u32 {
        self.access.max_views.saturating_sub(self.views_used)
    }
}

#[derive(Default)]
struct Inner {
    /// Secrets that expired without a view (read by `/metrics`).
    expired_unread: u64,
    /// Fixed-window counters (rate limits), per name.
    counters: HashMap<String, (Instant, u64)>,
    by_alias: HashMap<Alias, Entry>,
    alias_of: HashMap<SecretId, Alias>,
    /// Requests, in their own key space.
    requests: HashMap<Alias, requests::Request>,
    bytes: usize,
}

impl Inner {
    fn remove(&mut self, alias: &Alias) -> Option<Entry> {
        let entry = self.by_alias.remove(alias)?;
        self.alias_of.remove(&entry.id);
        self.bytes -= entry.cost();
        Some(entry)
    }

    /// Changes the entry of `alias` with `change`, keeping the byte count right.
    fn update<T>(&mut self, alias: &Alias, change: impl FnOnce(&mut Entry) -> T) -> Option<T> {
        let entry = self.by_alias.get_mut(alias)?;
        let before = entry.cost();
        let out = change(entry);
        self.bytes = self.bytes - before + entry.cost();
        Some(out)
    }

    /// Drops the ciphertext, keeping a record only when the sender can ask about it.
    fn retire(&mut self, alias: &Alias, state: State) {
        let keep = self
            .by_alias
            .get(alias)
            .is_some_and(|e| e.access.manage_verifier.is_some());
        if keep {
            self.update(alias, |entry| {
                entry.payload = None;
                entry.held_until = None;
                entry.state = state;
            });
        } else {
            self.remove(alias);
        }
    }

    /// Drops a last view's payload once no claim can fetch it any more.
    fn expire_held(&mut self, alias: &Alias, now: Instant) {
        let done = self
            .by_alias
            .get(alias)
            .is_some_and(|e| e.payload.is_some() && e.held_until.is_some_and(|until| until <= now));
        if done {
            self.retire(alias, State::Opened);
        }
    }

    fn sweep(&mut self, now: Instant) {
        let held: Vec<Alias> = self
            .by_alias
            .iter()
            .filter(|(_, e)| e.held_until.is_some())
            .map(|(a, _)| a.clone())
            .collect();
        for alias in held {
            self.expire_held(&alias, now);
        }
        let expired: Vec<Alias> = self
            .by_alias
            .iter()
            .filter(|(_, e)| e.expires_at <= now)
            .map(|(a, _)| a.clone())
            .collect();
        let before = self.requests.len();
        let mut freed = 0;
        self.requests.retain(|_, r| {
            let keep = !r.expired(now);
            if !keep {
                freed += r.cost();
            }
            keep
        });
        if self.requests.len() < before {
            self.bytes -= freed;
        }
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
        let cost = ENTRY_OVERHEAD + secret.payload.len();
        if inner.bytes + cost > self.max_bytes {
            inner.sweep(now);
            if inner.bytes + cost > self.max_bytes {
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
            inner.alias_of.insert(secret.id.clone(), alias.clone());
            let tries_left = secret.access.passphrase_tries.max(1);
            let entry = Entry {
                id: secret.id.clone(),
                payload: Some(secret.payload),
                access: secret.access,
                views_used: 0,
                tries_left,
                opened_at: Vec::new(),
                state: State::Waiting,
                expires_at: now + secret.ttl,
                expires_unix: now_unix() + secret.ttl.as_secs(),
                claims: Vec::new(),
                held_until: None,
            };
            inner.bytes += entry.cost();
            inner.by_alias.insert(alias.clone(), entry);
            return Ok(Created {
                id: secret.id,
                alias,
            });
        }
        Err(StoreError::AliasesExhausted)
    }

    pub(crate) fn reveal(&self, key: &SecretRef, presented: &Presented) -> Reveal {
        let now = Instant::now();
        let mut inner = self.lock();
        let Some(alias) = inner.resolve(key, now) else {
            return Reveal::NotFound;
        };
        inner.expire_held(&alias, now);
        let Some(entry) = inner.by_alias.get(&alias) else {
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
        let claim = presented.claim;
        if let Some(until) = claim.and_then(|c| entry.claim(&c.verifier)) {
            // The same claim again: its view once more while the window lasts.
            return if until > now {
                Reveal::Revealed {
                    id: entry.id.clone(),
                    payload,
                    views_left: entry.views_left(),
                    redelivered: true,
                }
            } else {
                Reveal::NotFound
            };
        }
        if entry.state != State::Waiting || entry.views_left() == 0 {
            return Reveal::NotFound;
        }
        if let Some(stored) = entry.access.passphrase_verifier {
            let Some(given) = presented.passphrase else {
                return Reveal::PassphraseRequired {
                    tries_left: entry.tries_left,
                };
            };
            if !bool::from(stored.ct_eq(&given)) {
                let tries_left = inner
                    .update(&alias, |e| {
                        e.tries_left = e.tries_left.saturating_sub(1);
                        e.tries_left
                    })
                    .unwrap_or(0);
                if tries_left == 0 {
                    inner.retire(&alias, State::Burned);
                    return Reveal::Burned;
                }
                return Reveal::WrongPassphrase { tries_left };
            }
        }
        let counted = inner.update(&alias, |e| {
            e.views_used += 1;
            e.opened_at.push(now_unix());
            // Without a claim the payload is handed over here, in-process: nothing to hold.
            if let Some(claim) = claim {
                let window = e
                    .access
                    .claim_window
                    .map_or(claim.window, |own| own.max(claim.window));
                e.claims.push((claim.verifier, now + window));
            }
            if e.views_left() == 0 {
                // Held until the latest live claim's window ends (earlier claims may still
                // need it); new reveals and info see it as gone.
                e.held_until = e
                    .claims
                    .iter()
                    .map(|(_, until)| *until)
                    .filter(|until| *until > now)
                    .max();
                e.state = State::Opened;
            }
            (e.id.clone(), e.views_left(), e.held_until.is_some())
        });
        let Some((id, views_left, held)) = counted else {
            return Reveal::NotFound;
        };
        if views_left == 0 && !held {
            inner.retire(&alias, State::Opened);
        }
        Reveal::Revealed {
            id,
            payload,
            views_left,
            redelivered: false,
        }
    }

    pub(crate) fn confirm(&self, key: &SecretRef, claim: &Verifier) -> bool {
        let now = Instant::now();
        let mut inner = self.lock();
        let Some(alias) = inner.resolve(key, now) else {
            return false;
        };
        let live = inner
            .by_alias
            .get(&alias)
            .and_then(|e| e.claim(claim))
            .is_some_and(|until| until > now);
        if !live {
            return false;
        }
        let done = inner
            .update(&alias, |e| {
                for (v, until) in &mut e.claims {
                    if bool::from(v.ct_eq(claim)) {
                        *until = now;
                    }
                }
                e.views_left() == 0 && e.claims.iter().all(|(_, until)| *until <= now)
            })
            .unwrap_or(false);
        if done {
            inner.retire(&alias, State::Opened);
        }
        true
    }

    pub(crate) fn held(
        &self,
        alias: &Alias,
        access: Option<Verifier>,
        claim: &Verifier,
    ) -> Option<SecretId> {
        let now = Instant::now();
        let mut inner = self.lock();
        let alias = inner.resolve(&SecretRef::Alias(alias.clone()), now)?;
        inner.expire_held(&alias, now);
        let entry = inner.by_alias.get(&alias)?;
        entry.payload.as_ref()?;
        if !matches(entry.access.access_verifier.as_ref(), access.as_ref()) {
            return None;
        }
        let until = entry.claim(claim)?;
        (until > now).then(|| entry.id.clone())
    }

    pub(crate) fn id_of(&self, alias: &Alias) -> Option<SecretId> {
        let now = Instant::now();
        let inner = self.lock();
        let alias = inner.resolve(&SecretRef::Alias(alias.clone()), now)?;
        inner.by_alias.get(&alias).map(|e| e.id.clone())
    }

    pub(crate) fn has_payload(&self, id: &SecretId) -> bool {
        let now = Instant::now();
        let mut inner = self.lock();
        let Some(alias) = inner.resolve(&SecretRef::Id(id.clone()), now) else {
            return false;
        };
        inner.expire_held(&alias, now);
        inner
            .by_alias
            .get(&alias)
            .is_some_and(|e| e.payload.is_some())
    }

    pub(crate) fn info(&self, key: &SecretRef) -> Option<Info> {
        let inner = self.lock();
        let alias = inner.resolve(key, Instant::now())?;
        let entry = inner.by_alias.get(&alias)?;
        entry.payload.as_ref()?;
        if entry.state != State::Waiting || entry.views_left() == 0 {
            return None;
        }
        Some(Info {
            needs_proof: entry.access.access_verifier.is_some(),
            needs_passphrase: entry.access.passphrase_verifier.is_some(),
            tries_left: entry.tries_left,
            views_left: entry.views_left(),
        })
    }

    /// Bytes held (payloads and overhead) and the cap.
    pub(crate) fn usage(&self) -> Usage {
        Usage {
            used: self.lock().bytes as u64,
            max: self.max_bytes as u64,
        }
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
        if entry.payload.is_none() || entry.state != State::Waiting {
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
    pub(crate) fn count(&self, name: &str, by: i64, window: Duration) -> (u64, Duration) {
        let now = Instant::now();
        let mut inner = self.lock();
        if inner.counters.len() > 100_000 {
            inner.counters.retain(|_, (start, _)| now < *start + window);
        }
        let entry = inner.counters.entry(name.to_owned()).or_insert((now, 0));
        if now >= entry.0 + window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add_signed(by);
        (entry.1, (entry.0 + window).saturating_duration_since(now))
    }

    /// Bytes currently held, payloads and overhead (expired ones count until swept).
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
