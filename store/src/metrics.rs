//! Process-wide counters for `/metrics`. Totals only: never an id, an alias or the size of
//! one secret.

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
}

impl Rejected {
    /// Every reason, in output order.
    pub const ALL: [Rejected; 10] = [
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
        }
    }
}

/// The counters.
pub struct Counters {
    /// Secrets stored.
    pub created: AtomicU64,
    /// Views served (each view of a multi-view secret counts).
    pub revealed: AtomicU64,
    /// Secrets that expired without a single view (embedded store only: Redis expires keys
    /// silently).
    pub expired_unread: AtomicU64,
    /// Store operations that failed (Redis unreachable, timeouts).
    pub store_errors: AtomicU64,
    rejected: [AtomicU64; 10],
}

/// The process's counters.
pub static COUNTERS: Counters = Counters {
    created: AtomicU64::new(0),
    revealed: AtomicU64::new(0),
    expired_unread: AtomicU64::new(0),
    store_errors: AtomicU64::new(0),
    rejected: [const { AtomicU64::new(0) }; 10],
};

impl Counters {
    /// Counts a rejection.
    pub fn reject(&self, reason: Rejected) {
        self.rejected[reason as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Rejections so far for `reason`.
    pub fn rejected(&self, reason: Rejected) -> u64 {
        self.rejected[reason as usize].load(Ordering::Relaxed)
    }
}

/// Adds one.
pub(crate) fn inc(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}
