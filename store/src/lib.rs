//! Where oncelink keeps ciphertext until it is read once or expires.
//!
//! Two backends share one contract ([`Store`]):
//! * [`RedisStore`] (through `fred`), for production and for several app servers;
//! * [`EmbeddedStore`], in-process, the zero-setup default.
//!
//! The store sees only opaque payloads, ids and aliases; it never sees keys or plaintext.
//! It is storage only: the rules (validation, limits, metrics) live in the `service` crate.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod embedded;
mod redis;
mod requests;

use std::time::Duration;

use bytes::Bytes;
pub use crypto_core::{Alias, SecretId, SecretRef, Verifier};

pub use embedded::{EmbeddedConfig, EmbeddedStore};
pub use redis::{RedisConfig, RedisStore};
pub use requests::{AnswerAt, Answered, Cancelled, NewRequest, RequestProof, RequestRecord, Stage};

/// How many fresh aliases a create tries before giving up (62^8 makes even two rare).
const ALIAS_ATTEMPTS: usize = 8;

/// A validated secret, ready to store (the service checks it first).
#[derive(Clone)]
pub struct NewSecret {
    /// The secret's id: the AES-GCM associated data, chosen by the client or the server.
    pub id: SecretId,
    /// The encrypted payload, raw bytes (never base64 in the store).
    pub payload: Bytes,
    /// How long the secret lives if nobody reads it.
    pub ttl: Duration,
    /// Who may read it, how often, and who may manage it.
    pub access: Access,
}

impl std::fmt::Debug for NewSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSecret")
            .field("payload_len", &self.payload.len())
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// The access rules of a secret. The default is the reference behaviour: one view, no
/// proofs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// How many reveals before the ciphertext is deleted (at least 1).
    pub max_views: u32,
    /// SHA-256 of the access proof; when set, a reveal must present the proof.
    pub access_verifier: Option<Verifier>,
    /// SHA-256 of the passphrase proof; when set, a reveal must present it too.
    pub passphrase_verifier: Option<Verifier>,
    /// Wrong passphrases allowed before the secret is destroyed.
    pub passphrase_tries: u32,
    /// SHA-256 of the sender's manage token; when set, the sender can see the status and
    /// destroy the secret, and a record without the ciphertext stays until expiry.
    pub manage_verifier: Option<Verifier>,
    /// A longer claim window for this secret's views than the one a reveal asks for: set when
    /// the secret has file data, so a claim lasts as long as its download may take.
    pub claim_window: Option<Duration>,
}

impl Default for Access {
    fn default() -> Self {
        Self {
            max_views: 1,
            access_verifier: None,
            passphrase_verifier: None,
            passphrase_tries: 5,
            manage_verifier: None,
            claim_window: None,
        }
    }
}

/// What a create returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// The secret's id.
    pub id: SecretId,
    /// The alias generated for it.
    pub alias: Alias,
}

/// What a reveal presents: hashes of the proofs the caller sent (the store never sees a
/// proof itself).
#[derive(Debug, Clone, Copy, Default)]
pub struct Presented {
    /// Verifier of the access proof sent, if any.
    pub access: Option<Verifier>,
    /// Verifier of the passphrase proof sent, if any.
    pub passphrase: Option<Verifier>,
    /// The client's claim on the view, if it made one: it can fetch that view again.
    pub claim: Option<Claim>,
}

/// A claim on one view: the verifier of a nonce the client chose, and how long the view stays
/// deliverable to it. Presenting the same claim (with the same access proof) inside the
/// window delivers the same view again without counting another; after the window, or once
/// confirmed, the claim gets nothing.
#[derive(Debug, Clone, Copy)]
pub struct Claim {
    /// SHA-256 of the claim nonce.
    pub verifier: Verifier,
    /// How long the claimed view can be fetched again.
    pub window: Duration,
}

/// The window of the claims the store makes itself for clients that name none (the reference
/// API's read): long enough to read the payload once, given back if that read fails.
pub const SERVER_CLAIM_WINDOW: Duration = Duration::from_secs(60);

/// The outcome of a reveal. Only [`Reveal::Revealed`] counts a view.
#[derive(Clone, PartialEq, Eq)]
pub enum Reveal {
    /// The ciphertext, and how many more reveals remain (0: it is deleted when the claim's
    /// window ends or the claim is confirmed).
    Revealed {
        /// The secret id.
        id: SecretId,
        /// The encrypted payload.
        payload: Bytes,
        /// Reveals left after this one.
        views_left: u32,
        /// Whether this delivered an earlier claim's view again (nothing was counted).
        redelivered: bool,
    },
    /// Unknown, already viewed, destroyed or expired.
    NotFound,
    /// The access proof is missing or wrong; nothing was consumed.
    WrongKey,
    /// A passphrase proof is needed (none was sent); nothing was consumed.
    PassphraseRequired {
        /// Wrong tries left.
        tries_left: u32,
    },
    /// The passphrase proof is wrong; one try was used.
    WrongPassphrase {
        /// Wrong tries left before the secret is destroyed.
        tries_left: u32,
    },
    /// That was the last wrong passphrase: the secret is destroyed.
    Burned,
}

impl std::fmt::Debug for Reveal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reveal::Revealed {
                views_left,
                payload,
                ..
            } => f
                .debug_struct("Revealed")
                .field("payload_len", &payload.len())
                .field("views_left", views_left)
                .finish_non_exhaustive(),
            Reveal::NotFound => f.write_str("NotFound"),
            Reveal::WrongKey => f.write_str("WrongKey"),
            Reveal::PassphraseRequired { tries_left } => {
                write!(f, "PassphraseRequired({tries_left})")
            }
            Reveal::WrongPassphrase { tries_left } => write!(f, "WrongPassphrase({tries_left})"),
            Reveal::Burned => f.write_str("Burned"),
        }
    }
}

/// What anyone holding the alias may learn before revealing (nothing is consumed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    /// Whether a reveal needs the access proof.
    pub needs_proof: bool,
    /// Whether a reveal needs a passphrase.
    pub needs_passphrase: bool,
    /// Wrong passphrase tries left.
    pub tries_left: u32,
    /// Reveals left.
    pub views_left: u32,
}

/// Where a secret is in its life, as its sender sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not viewed yet.
    Waiting,
    /// Viewed at least once (`views_used` says how often; it may have views left).
    Opened,
    /// The sender destroyed it.
    Destroyed,
    /// Too many wrong passphrases destroyed it.
    Burned,
}

/// A stored state, as the sender sees it: a secret with views used is "opened" even while
/// views remain.
fn seen(state: State, views_used: u32) -> State {
    match state {
        State::Waiting if views_used > 0 => State::Opened,
        other => other,
    }
}

/// The sender's view of a secret (through the manage token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The state.
    pub state: State,
    /// Views used so far.
    pub views_used: u32,
    /// Views allowed.
    pub max_views: u32,
    /// When each view happened (Unix seconds).
    pub opened_at: Vec<u64>,
    /// When the secret expires (Unix seconds).
    pub expires_at: u64,
    /// Wrong passphrase tries left, if it has a passphrase.
    pub tries_left: Option<u32>,
}

/// The outcome of a manage request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Managed<T> {
    /// Done.
    Ok(T),
    /// Unknown or expired.
    NotFound,
    /// The manage token is wrong (or the secret has none).
    WrongToken,
}

/// The outcome of "destroy now".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destroyed {
    /// The ciphertext is deleted.
    Now,
    /// It was already gone (viewed, destroyed or burned).
    Already,
}

pub(crate) fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// How full the store is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Bytes in use (the embedded store counts each entry's overhead too).
    pub used: u64,
    /// The most it holds.
    pub max: u64,
}

/// Store failures. Messages carry no ids, aliases or payloads.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A secret with this id already exists.
    #[error("a secret with this id already exists")]
    Conflict,
    /// The store reached its memory cap (the embedded store's, or Redis's `maxmemory`).
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

    /// Reveals a secret: checks the proofs and claims one view in one atomic step, then reads
    /// the payload. The claimed view stays deliverable to the same claim for its window; the
    /// last view's payload is deleted when that window ends or the claim is confirmed. Without
    /// a claim the store makes its own, and gives the view back if the payload cannot be read.
    /// Wrong or missing proofs consume nothing.
    pub async fn reveal(
        &self,
        key: &SecretRef,
        presented: &Presented,
    ) -> Result<Reveal, StoreError> {
        match self {
            Store::Embedded(s) => Ok(s.reveal(key, presented)),
            Store::Redis(s) => s.reveal(key, presented).await,
        }
    }

    /// The client has its claimed view: the claim is spent, and a last view's payload is
    /// deleted now. `false` when the claim was not live (unknown, confirmed or past its window).
    pub async fn confirm(&self, key: &SecretRef, claim: &Verifier) -> Result<bool, StoreError> {
        match self {
            Store::Embedded(s) => Ok(s.confirm(key, claim)),
            Store::Redis(s) => s.confirm(key, claim).await,
        }
    }

    /// The id of the secret behind `alias` if `claim` is live on it and `access` is its
    /// access proof's verifier (when it has one): what a download of its file data must show.
    /// Counts and changes nothing.
    pub async fn held(
        &self,
        alias: &Alias,
        access: Option<Verifier>,
        claim: &Verifier,
    ) -> Result<Option<SecretId>, StoreError> {
        match self {
            Store::Embedded(s) => Ok(s.held(alias, access, claim)),
            Store::Redis(s) => s.held(alias, access, claim).await,
        }
    }

    /// The id of the secret behind `alias`, while its record exists (to find its file data).
    pub async fn id_of(&self, alias: &Alias) -> Result<Option<SecretId>, StoreError> {
        match self {
            Store::Embedded(s) => Ok(s.id_of(alias)),
            Store::Redis(s) => s.id_of(alias).await,
        }
    }

    /// Whether secret `id` still has its payload (so its file data may still be fetched): no
    /// once it is viewed and its claims are over, destroyed, burned or expired.
    pub async fn has_payload(&self, id: &SecretId) -> Result<bool, StoreError> {
        match self {
            Store::Embedded(s) => Ok(s.has_payload(id)),
            Store::Redis(s) => s.has_payload(id).await,
        }
    }

    /// Bytes in use and the most the backend will hold, where it can tell (Redis without
    /// `maxmemory` has no maximum: `None`).
    pub async fn usage(&self) -> Result<Option<Usage>, StoreError> {
        match self {
            Store::Embedded(s) => Ok(Some(s.usage())),
            Store::Redis(s) => s.usage().await,
        }
    }

    /// What a recipient may know before revealing. `None` when there is nothing to reveal.
    pub async fn info(&self, key: &SecretRef) -> Result<Option<Info>, StoreError> {
        match self {
            Store::Embedded(s) => Ok(s.info(key)),
            Store::Redis(s) => s.info(key).await,
        }
    }

    /// The sender's status of a secret, given the hash of their manage token.
    pub async fn status(
        &self,
        alias: &Alias,
        token: &Verifier,
    ) -> Result<Managed<Status>, StoreError> {
        match self {
            Store::Embedded(s) => Ok(s.status(alias, token)),
            Store::Redis(s) => s.status(alias, token).await,
        }
    }

    /// Deletes the ciphertext now, given the hash of the sender's manage token.
    pub async fn destroy(
        &self,
        alias: &Alias,
        token: &Verifier,
    ) -> Result<Managed<Destroyed>, StoreError> {
        match self {
            Store::Embedded(s) => Ok(s.destroy(alias, token)),
            Store::Redis(s) => s.destroy(alias, token).await,
        }
    }

    /// Adds `by` (negative: takes back) to the fixed-window counter `name` (rate limits,
    /// quotas): (count in the current window, never below zero; time left in it). Kept where the secrets are, so Redis shares the counts
    /// between app instances; one atomic step on one key.
    pub async fn count(
        &self,
        name: &str,
        by: i64,
        window: Duration,
    ) -> Result<(u64, Duration), StoreError> {
        match self {
            Store::Embedded(s) => Ok(s.count(name, by, window)),
            Store::Redis(s) => s.count(name, by, window).await,
        }
    }

    /// Secrets that expired without a view, where the backend can tell (the embedded store;
    /// Redis expires keys silently).
    pub fn expired_unread(&self) -> Option<u64> {
        match self {
            Store::Embedded(s) => Some(s.expired_unread()),
            Store::Redis(_) => None,
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
