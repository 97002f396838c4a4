//! The one error body of the REST API and the server functions.

use serde::{Deserialize, Serialize};

/// Why a request failed: stable, machine-readable, `snake_case` on the wire.
///
/// Codes are never renamed or reused; new ones are added. A client that meets a code it does
/// not know reads it as [`ErrorCode::Unknown`] (and falls back on the HTTP status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The body is missing, not JSON, not an object, or unreadable.
    InvalidBody,
    /// `ciphertext` is missing, not a string, not base64, empty or too short.
    InvalidCiphertext,
    /// The payload's version byte is not one this server stores.
    UnsupportedVersion,
    /// `ttl_hours`/`ttl_seconds` out of range, not integers, or both given.
    InvalidTtl,
    /// `max_views` out of range or not an integer.
    InvalidMaxViews,
    /// A verifier, proof or token is not 32 bytes of base64url.
    InvalidProof,
    /// `id` is not a UUID.
    InvalidId,
    /// The path's secret reference is neither a UUID nor an alias (or an id where only an
    /// alias is taken).
    InvalidReference,
    /// The body or payload is over the size limit.
    TooLarge,
    /// An upload's length, a part's number or a part's body does not fit the upload.
    InvalidPart,
    /// A download's `Range` is outside the data.
    InvalidRange,
    /// The upload token is missing or wrong.
    WrongUploadToken,
    /// The secret was created before every part of its upload arrived.
    UploadIncomplete,
    /// No longer sent: servers before the web page could open files answered its reveal of
    /// a secret with files with it (nothing was consumed). Kept so that the shape stays
    /// pinned.
    FilesUnsupported,
    /// A secret with this id exists.
    IdExists,
    /// Unknown, used up, destroyed or expired: deliberately one answer.
    NotFound,
    /// The secret needs proofs this request did not carry (the reference `GET` on a guarded
    /// secret); nothing was consumed.
    ProofRequired,
    /// The access proof is missing or wrong; nothing was consumed.
    WrongAccessProof,
    /// A passphrase is needed; nothing was consumed (`tries_left` says how many remain).
    PassphraseRequired,
    /// The passphrase is wrong; one try was used (`tries_left`).
    WrongPassphrase,
    /// That was the last wrong passphrase: the secret is destroyed.
    Burned,
    /// The manage token is wrong.
    WrongManageToken,
    /// The secret is already gone (viewed, destroyed, burned or expired).
    AlreadyGone,
    /// The request was answered already: it takes one answer.
    AlreadyAnswered,
    /// The request was cancelled by its requester.
    RequestClosed,
    /// Too many requests or failures from this client (`Retry-After` says when to retry).
    RateLimited,
    /// The server is busy with other large uploads (`Retry-After`).
    Busy,
    /// This client stored as many bytes as it may in the quota's window (`Retry-After`).
    QuotaExceeded,
    /// The store is full.
    StoreFull,
    /// The store is unreachable or failing.
    Unavailable,
    /// No such endpoint.
    NoRoute,
    /// The endpoint does not take this method.
    MethodNotAllowed,
    /// The server failed in a way it did not expect (the detail is in its log).
    Internal,
    /// A code this client does not know (a newer server), or none (a reference server).
    #[default]
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// Every code a server sends, for documentation and fixture tests.
    pub const ALL: [ErrorCode; 33] = [
        ErrorCode::InvalidBody,
        ErrorCode::InvalidCiphertext,
        ErrorCode::UnsupportedVersion,
        ErrorCode::InvalidTtl,
        ErrorCode::InvalidMaxViews,
        ErrorCode::InvalidProof,
        ErrorCode::InvalidId,
        ErrorCode::InvalidReference,
        ErrorCode::TooLarge,
        ErrorCode::InvalidPart,
        ErrorCode::InvalidRange,
        ErrorCode::WrongUploadToken,
        ErrorCode::UploadIncomplete,
        ErrorCode::FilesUnsupported,
        ErrorCode::IdExists,
        ErrorCode::NotFound,
        ErrorCode::ProofRequired,
        ErrorCode::WrongAccessProof,
        ErrorCode::PassphraseRequired,
        ErrorCode::WrongPassphrase,
        ErrorCode::Burned,
        ErrorCode::WrongManageToken,
        ErrorCode::AlreadyGone,
        ErrorCode::AlreadyAnswered,
        ErrorCode::RequestClosed,
        ErrorCode::RateLimited,
        ErrorCode::Busy,
        ErrorCode::QuotaExceeded,
        ErrorCode::StoreFull,
        ErrorCode::Unavailable,
        ErrorCode::NoRoute,
        ErrorCode::MethodNotAllowed,
        ErrorCode::Internal,
    ];

    /// Whether the request's input was at fault (a 4xx other than not found or limits).
    pub fn is_bad_input(self) -> bool {
        matches!(
            self,
            ErrorCode::InvalidBody
                | ErrorCode::InvalidCiphertext
                | ErrorCode::UnsupportedVersion
                | ErrorCode::InvalidTtl
                | ErrorCode::InvalidMaxViews
                | ErrorCode::InvalidProof
                | ErrorCode::InvalidId
                | ErrorCode::InvalidReference
                | ErrorCode::InvalidPart
        )
    }
}

/// `{"error": "<what is wrong>", "code": "<stable code>", "tries_left"?: n}`.
///
/// `error` is for people and may change; `code` is for programs. A reference server sends
/// only `error`: `code` then reads as [`ErrorCode::Unknown`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What is wrong, in English, for people.
    pub error: String,
    /// What is wrong, for programs.
    #[serde(default)]
    pub code: ErrorCode,
    /// Wrong passphrase tries left (with `passphrase_required` and `wrong_passphrase`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tries_left: Option<u32>,
}

impl ErrorBody {
    /// An error with no extra fields.
    pub fn new(code: ErrorCode, error: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            code,
            tries_left: None,
        }
    }
}

impl std::fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.error)
    }
}

impl std::error::Error for ErrorBody {}
