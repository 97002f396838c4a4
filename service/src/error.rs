//! What an operation of the service can fail with, each with its stable wire code.

use std::time::Duration;

use protocol::{ErrorBody, ErrorCode};

use crate::validate::InputError;

/// Why a request's body could not be decoded. The door decodes; the service decides when it
/// matters (after the rate limit and the reference, as for any other input).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// The body is over the door's limit, in bytes.
    #[error("request body is larger than the limit of {0} bytes")]
    TooLarge(usize),
    /// The body is empty, not JSON, not an object, or unreadable (the text says which).
    #[error("{0}")]
    Invalid(&'static str),
}

/// Everything create, info, reveal, status and destroy can answer other than success.
/// Messages are for people and carry no id, alias, proof or store detail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The request body could not be decoded.
    #[error("{0}")]
    Body(#[from] BodyError),
    /// The input is invalid.
    #[error("{0}")]
    Input(#[from] InputError),
    /// Too many requests or failures from this client; retry after the duration.
    #[error("too many failed attempts; try again later")]
    RateLimited(Duration),
    /// Unknown, already viewed, destroyed and expired look the same.
    #[error("secret not found: it may have been viewed already or expired")]
    NotFound,
    /// The reference read of a secret that needs proofs; nothing was consumed.
    #[error("this secret needs proofs: use POST /api/secrets/{{key}}/reveal")]
    ProofRequired,
    /// The access proof is missing or wrong; nothing was consumed.
    #[error("the access proof is missing or wrong")]
    WrongAccessProof,
    /// A passphrase proof is needed; nothing was consumed.
    #[error("a passphrase is required")]
    PassphraseRequired {
        /// Wrong tries left.
        tries_left: u32,
    },
    /// The passphrase proof is wrong; one try was used.
    #[error("wrong passphrase")]
    WrongPassphrase {
        /// Wrong tries left before the secret is destroyed.
        tries_left: u32,
    },
    /// That was the last wrong passphrase: the secret is destroyed.
    #[error("too many wrong passphrases: the secret was destroyed")]
    Burned,
    /// The manage token is wrong (or the secret has none).
    #[error("the manage token is wrong")]
    WrongManageToken,
    /// Destroy of a secret that is already gone.
    #[error("the secret is already gone (viewed, destroyed or expired)")]
    AlreadyGone,
    /// A request takes one answer, and it has it.
    #[error("this request was answered already")]
    AlreadyAnswered,
    /// The requester cancelled the request.
    #[error("this request was cancelled by the person who made it")]
    RequestClosed,
    /// A secret with this id exists.
    #[error("a secret with this id already exists")]
    IdExists,
    /// The client stored its quota of bytes for the window; retry after the duration.
    #[error("this address has stored as much as it may for now; try again later")]
    QuotaExceeded(Duration),
    /// The store is at its capacity.
    #[error("the server is full right now; try again later")]
    StoreFull,
    /// This server keeps no file data.
    #[error("this server does not take files")]
    NoFiles,
    /// The upload token is missing or wrong.
    #[error("the upload token is missing or wrong")]
    WrongUploadToken,
    /// A secret was created before every part of its upload arrived.
    #[error("the upload is not complete: {received} of {expected} parts arrived")]
    UploadIncomplete {
        /// Parts received.
        received: u64,
        /// Parts expected.
        expected: u64,
    },
    /// A download's range is outside the data.
    #[error("the range is outside the data")]
    BadRange {
        /// The data's length.
        total: u64,
    },
    /// The store failed; the detail is for the log, never for the client.
    #[error("the secret store is unavailable; try again later")]
    Unavailable(String),
}

impl ServiceError {
    /// The stable code on the wire.
    pub fn code(&self) -> ErrorCode {
        match self {
            ServiceError::Body(BodyError::TooLarge(_)) => ErrorCode::TooLarge,
            ServiceError::Body(BodyError::Invalid(_)) => ErrorCode::InvalidBody,
            ServiceError::Input(e) => e.code(),
            ServiceError::RateLimited(_) => ErrorCode::RateLimited,
            ServiceError::NotFound => ErrorCode::NotFound,
            ServiceError::ProofRequired => ErrorCode::ProofRequired,
            ServiceError::WrongAccessProof => ErrorCode::WrongAccessProof,
            ServiceError::PassphraseRequired { .. } => ErrorCode::PassphraseRequired,
            ServiceError::WrongPassphrase { .. } => ErrorCode::WrongPassphrase,
            ServiceError::Burned => ErrorCode::Burned,
            ServiceError::WrongManageToken => ErrorCode::WrongManageToken,
            ServiceError::AlreadyGone => ErrorCode::AlreadyGone,
            ServiceError::IdExists => ErrorCode::IdExists,
            ServiceError::AlreadyAnswered => ErrorCode::AlreadyAnswered,
            ServiceError::RequestClosed => ErrorCode::RequestClosed,
            ServiceError::QuotaExceeded(_) => ErrorCode::QuotaExceeded,
            ServiceError::StoreFull => ErrorCode::StoreFull,
            ServiceError::Unavailable(_) => ErrorCode::Unavailable,
            ServiceError::NoFiles => ErrorCode::NoRoute,
            ServiceError::WrongUploadToken => ErrorCode::WrongUploadToken,
            ServiceError::UploadIncomplete { .. } => ErrorCode::UploadIncomplete,
            ServiceError::BadRange { .. } => ErrorCode::InvalidRange,
        }
    }

    /// The body a client gets: text, code, and `tries_left` where it applies.
    pub fn body(&self) -> ErrorBody {
        let mut body = ErrorBody::new(self.code(), self.to_string());
        if let ServiceError::PassphraseRequired { tries_left }
        | ServiceError::WrongPassphrase { tries_left } = self
        {
            body.tries_left = Some(*tries_left);
        }
        body
    }

    /// How long to wait before retrying, for `Retry-After`.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ServiceError::RateLimited(wait) | ServiceError::QuotaExceeded(wait) => Some(*wait),
            _ => None,
        }
    }

    /// The internal detail to log (never sent).
    pub fn internal_detail(&self) -> Option<&str> {
        match self {
            ServiceError::Unavailable(detail) => Some(detail),
            _ => None,
        }
    }
}

impl From<store::StoreError> for ServiceError {
    fn from(e: store::StoreError) -> Self {
        match e {
            store::StoreError::Conflict => ServiceError::IdExists,
            store::StoreError::Full => ServiceError::StoreFull,
            other => ServiceError::Unavailable(other.to_string()),
        }
    }
}
