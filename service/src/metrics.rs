//! The service's counters for `/metrics`: totals only, never an id, an alias or the size of
//! one secret. One set per [`crate::Service`] (not process globals), so tests see exact
//! counts.

use std::sync::atomic::{AtomicU64, Ordering};

/// Why a request was turned down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    /// Unknown, used up or expired.
    NotFound,
    /// Missing or wrong access proof.
    WrongProof,
    /// Wrong passphrase.
    WrongPassphrase,
    /// Destroyed after too many wrong passphrases.
    Burned,
    /// Wrong manage token.
    WrongToken,
    /// Over a rate limit.
    RateLimited,
    /// Malformed input.
    BadInput,
    /// Body over the size limit.
    TooLarge,
    /// No turn for a large upload in time.
    Busy,
    /// Duplicate id or state conflict.
    Conflict,
    /// Over the client's byte quota.
    OverQuota,
    /// The store is full (the global budget, or the backend's own limit).
    StoreFull,
}

impl Rejected {
    /// Every reason, in output order.
    pub const ALL: [Rejected; 12] = [
        Rejected::NotFound,
        Rejected::WrongProof,
        Rejected::WrongPassphrase,
        Rejected::Burned,
        Rejected::WrongToken,
        Rejected::RateLimited,
        Rejected::BadInput,
        Rejected::TooLarge,
        Rejected::Busy,
        Rejected::Conflict,
        Rejected::OverQuota,
        Rejected::StoreFull,
    ];

    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            Rejected::NotFound => "not_found",
            Rejected::WrongProof => "wrong_proof",
            Rejected::WrongPassphrase => "wrong_passphrase",
            Rejected::Burned => "burned",
            Rejected::WrongToken => "wrong_token",
            Rejected::RateLimited => "rate_limited",
            Rejected::BadInput => "bad_input",
            Rejected::TooLarge => "too_large",
            Rejected::Busy => "busy",
            Rejected::Conflict => "conflict",
            Rejected::OverQuota => "over_quota",
            Rejected::StoreFull => "store_full",
        }
    }
}

/// The counters.
#[derive(Debug, Default)]
pub struct Metrics {
    created: AtomicU64,
    revealed: AtomicU64,
    requests_opened: AtomicU64,
    requests_answered: AtomicU64,
    store_errors: AtomicU64,
    rejected: [AtomicU64; Rejected::ALL.len()],
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// Secrets stored.
    pub created: u64,
    /// Views served (each view of a multi-view secret counts).
    pub revealed: u64,
    /// Requests opened.
    pub requests_opened: u64,
    /// Requests answered (each answer is also a secret stored).
    pub requests_answered: u64,
    /// Store operations that failed (unreachable, timeouts).
    pub store_errors: u64,
    /// Secrets that expired without a view, where the store can tell (embedded only).
    pub expired_unread: Option<u64>,
    /// Rejections, in the order of [`Rejected::ALL`].
    pub rejected: [u64; Rejected::ALL.len()],
}

impl Snapshot {
    /// Rejections for `reason`.
    pub fn rejected(&self, reason: Rejected) -> u64 {
        self.rejected[reason as usize]
    }
}

impl Metrics {
    /// Counts a rejection.
    pub fn reject(&self, reason: Rejected) {
        self.rejected[reason as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn created(&self) {
        self.created.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn revealed(&self) {
        self.revealed.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn request_opened(&self) {
        self.requests_opened.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn request_answered(&self) {
        self.requests_answered.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn store_error(&self) {
        self.store_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now (`expired_unread` is filled in by the service from the store).
    pub(crate) fn snapshot(&self) -> Snapshot {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Snapshot {
            created: load(&self.created),
            revealed: load(&self.revealed),
            requests_opened: load(&self.requests_opened),
            requests_answered: load(&self.requests_answered),
            store_errors: load(&self.store_errors),
            expired_unread: None,
            rejected: std::array::from_fn(|i| load(&self.rejected[i])),
        }
    }
}
