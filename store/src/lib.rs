//! Where oncelink keeps ciphertext until it is read once or expires.
//!
//! Two backends share one contract ([`Store`]):
//! * [`RedisStore`] (through `fred`), for production and for several app servers;
//! * [`EmbeddedStore`], in-process, the zero-setup default.
//!
//! The store sees only opaque payloads, ids and aliases; it never sees keys or plaintext.
//! [`validate`] holds the input rules that every entry point (REST API and server
//! functions) applies before anything reaches a store.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod embedded;
mod redis;
pub mod validate;

use std::time::Duration;

use bytes::Bytes;
pub use crypto_core::{Alias, SecretId, SecretRef};

pub use embedded::{EmbeddedConfig, EmbeddedStore};
pub use redis::{RedisConfig, RedisStore};

/// How many fresh aliases a create tries before giving up (62^8 makes even two rare).
const ALIAS_ATTEMPTS: usize = 8;

/// A validated secret, ready to store. Build it with [`validate::new_secret`].
#[derive(Clone)]
pub struct NewSecret {
    /// The secret's id: the AES-GCM associated data, chosen by the client or the server.
    pub id: SecretId,
    /// The encrypted payload, raw bytes (never base64 in the store).
    pub payload: Bytes,
    /// How long the secret lives if nobody reads it.
    pub ttl: Duration,
}

impl std::fmt::Debug for NewSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSecret")
            .field("payload_len", &self.payload.len())
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// What a successful create returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// The secret's id.
    pub id: SecretId,
    /// The alias generated for it.
    pub alias: Alias,
}

/// A secret that was just consumed: it is no longer in the store.
#[derive(Clone)]
pub struct Consumed {
    /// The secret's id (the client needs it to derive the key).
    pub id: SecretId,
    /// The encrypted payload.
    pub payload: Bytes,
}

impl std::fmt::Debug for Consumed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumed")
            .field("payload_len", &self.payload.len())
            .finish_non_exhaustive()
    }
}

/// Store failures. Messages carry no ids, aliases or payloads.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A secret with this id already exists.
    #[error("a secret with this id already exists")]
    Conflict,
    /// The embedded store reached its memory cap.
    #[error("the store is full")]
    Full,
    /// No free alias was found after several attempts.
    #[error("no free alias could be found")]
    AliasesExhausted,
    /// The backend could not be reached or failed; the detail is for logs only.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
}

/// The store, with its backend chosen by configuration.
#[derive(Clone)]
pub enum Store {
    /// In-process, lost on restart.
    Embedded(EmbeddedStore),
    /// Redis (standalone, Sentinel or Cluster).
    Redis(RedisStore),
}

impl Store {
    /// Stores a secret under a fresh random alias.
    ///
    /// The ciphertext and its alias are written in one atomic step with the TTL; an
    /// existing id is never overwritten ([`StoreError::Conflict`]).
    pub async fn create(&self, secret: NewSecret) -> Result<Created, StoreError> {
        self.create_with_aliases(secret, &mut || {
            Alias::generate().map_err(|e| StoreError::Unavailable(e.to_string()))
        })
        .await
    }

    /// Like [`Store::create`], taking aliases from `aliases` (tests use it to force
    /// collisions). Retries with the next alias while the previous one is taken.
    pub async fn create_with_aliases(
        &self,
        secret: NewSecret,
        aliases: &mut (dyn FnMut() -> Result<Alias, StoreError> + Send),
    ) -> Result<Created, StoreError> {
        match self {
            Store::Embedded(s) => s.create(secret, aliases),
            Store::Redis(s) => s.create(secret, aliases).await,
        }
    }

    /// Atomically reads and deletes a secret by id or alias. `None` when it does not exist,
    /// was already consumed, or expired: callers cannot tell which, and neither can clients.
    pub async fn consume(&self, key: &SecretRef) -> Result<Option<Consumed>, StoreError> {
        match self {
            Store::Embedded(s) => Ok(s.consume(key)),
            Store::Redis(s) => s.consume(key).await,
        }
    }

    /// Whether a secret is waiting, without consuming it (for the reveal page, which must
    /// not burn anything before the recipient clicks).
    pub async fn exists(&self, key: &SecretRef) -> Result<bool, StoreError> {
        match self {
            Store::Embedded(s) => Ok(s.exists(key)),
            Store::Redis(s) => s.exists(key).await,
        }
    }

    /// Whether the backend answers.
    pub async fn health(&self) -> Result<(), StoreError> {
        match self {
            Store::Embedded(_) => Ok(()),
            Store::Redis(s) => s.health().await,
        }
    }

    /// The backend's name, for logs and health output.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Embedded(_) => "embedded",
            Store::Redis(_) => "redis",
        }
    }
}
