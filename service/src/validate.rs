//! Input rules: what may be stored, checked the same way behind every door.

use std::time::Duration;

use bytes::Bytes;
use crypto_core::{Error as FormatError, SecretId, check_payload};

use protocol::ErrorCode;
use store::Verifier;

/// Limits on what may be stored.
#[derive(Debug, Clone)]
pub struct Limits {
    /// The largest encrypted payload accepted, in bytes (after base64 decoding).
    pub max_payload_bytes: usize,
    /// The shortest lifetime (`ttl_seconds`).
    pub min_ttl: Duration,
    /// The longest lifetime (`ttl_seconds`). `ttl_hours` keeps the reference's 1–72.
    pub max_ttl: Duration,
    /// The most views a secret may allow.
    pub max_views: u32,
    /// Wrong passphrases allowed before a secret is destroyed.
    pub passphrase_tries: u32,
    /// How long a claimed view can be fetched again by the client that claimed it.
    pub claim_window: Duration,
    /// The longest a request stays open for its answer (from [`Limits::MIN_REQUEST_TTL`]).
    pub max_request_ttl: Duration,
}

impl Limits {
    /// A padded 10 MiB image (11 MiB) plus the payload header and room for text.
    pub const DEFAULT_MAX_PAYLOAD_BYTES: usize = 11 * 1024 * 1024 + 64 * 1024;
    /// The reference API's default lifetime.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 3600);
    /// The reference API's `ttl_hours` range.
    pub const TTL_HOURS: (u64, u64) = (1, 72);
    /// The shortest a request stays open.
    pub const MIN_REQUEST_TTL: Duration = Duration::from_secs(3600);
    /// The largest sealed note of a request, in bytes (a 2000-byte note padded, and room).
    pub const MAX_NOTE_BYTES: usize = 8 * 1024;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_payload_bytes: Self::DEFAULT_MAX_PAYLOAD_BYTES,
            min_ttl: Duration::from_secs(5 * 60),
            max_ttl: Duration::from_secs(7 * 24 * 3600),
            max_views: 10,
            passphrase_tries: 5,
            claim_window: Duration::from_secs(60),
            max_request_ttl: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

/// Why a request's input was refused. The messages are shown to clients as they are (they
/// name the REST API's fields, which the server functions share).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// No payload was sent.
    #[error("ciphertext is required")]
    MissingPayload,
    /// The payload field is not a string.
    #[error("ciphertext must be a string")]
    PayloadNotString,
    /// The payload is not base64.
    #[error("ciphertext must be standard base64")]
    NotBase64,
    /// The payload is empty.
    #[error("ciphertext must not be empty")]
    EmptyPayload,
    /// The payload's version byte is not 0x01.
    #[error(
        "ciphertext has an unsupported version byte (expected 0x01, or 0x10 for a passphrase secret)"
    )]
    UnsupportedVersion,
    /// The payload is shorter than version + IV + tag.
    #[error("ciphertext is too short to hold a version byte, an IV and a tag")]
    PayloadTooShort,
    /// The payload is over the size limit.
    #[error("ciphertext is larger than the limit of {0} bytes")]
    PayloadTooLarge(usize),
    /// The TTL is outside the allowed range.
    #[error("ttl_hours must be an integer from {min} to {max}")]
    TtlHours {
        /// Smallest allowed value.
        min: u64,
        /// Largest allowed value.
        max: u64,
    },
    /// The id is not a UUID.
    #[error("id must be a UUID (8-4-4-4-12 hexadecimal digits)")]
    BadId,
    /// A secret reference is neither a UUID nor an 8-character alias.
    #[error("not a valid secret id or alias")]
    BadRef,
    /// An upload's `length` is missing or not a whole number.
    #[error("length must be a whole number of bytes")]
    BadLength,
    /// An upload's data is over the limit.
    #[error("the file data is larger than the limit of {0} bytes")]
    DataTooLarge(u64),
    /// A part number is not a whole number.
    #[error("the part number must be a whole number")]
    BadPart,
    /// A part does not fit its upload (the text says how).
    #[error("the part does not fit the upload: {0}")]
    PartMismatch(&'static str),
    /// `ttl_seconds` is outside the allowed range.
    #[error("ttl_seconds must be an integer from {min} to {max}")]
    TtlSeconds {
        /// Smallest allowed value.
        min: u64,
        /// Largest allowed value.
        max: u64,
    },
    /// Both `ttl_hours` and `ttl_seconds` were given.
    #[error("give ttl_hours or ttl_seconds, not both")]
    TwoTtls,
    /// `max_views` is outside the allowed range.
    #[error("max_views must be an integer from 1 to {0}")]
    MaxViews(u32),
    /// A passphrase verifier without an access verifier: anyone with the alias alone could
    /// spend the tries and destroy the secret.
    #[error("passphrase_verifier needs an access_verifier")]
    PassphraseWithoutAccess,
    /// A verifier or proof is not 32 bytes of base64url.
    #[error("{0} must be 32 bytes in base64url without padding")]
    BadProof(&'static str),
    /// A request's `ttl_seconds` or `answer_ttl_seconds` is out of range.
    #[error("{field} must be an integer from {min} to {max}")]
    RequestTtl {
        /// The field.
        field: &'static str,
        /// Smallest allowed value.
        min: u64,
        /// Largest allowed value.
        max: u64,
    },
    /// A request's note is missing, not base64, not a payload, or too large.
    #[error("note must be a sealed note in standard base64, at most {0} bytes")]
    BadNote(usize),
    /// An answer's key box is not 80 bytes of base64url.
    #[error("key_box must be 80 bytes in base64url without padding")]
    BadKeyBox,
    /// An answer without its secret (`ciphertext`, `id`, `access_verifier`), or with a
    /// passphrase (the requester has none to give).
    #[error("secret must hold the answer's ciphertext, id and access_verifier, and no passphrase")]
    BadAnswer,
}

impl InputError {
    /// The stable code on the wire.
    pub fn code(&self) -> ErrorCode {
        match self {
            InputError::MissingPayload
            | InputError::PayloadNotString
            | InputError::NotBase64
            | InputError::EmptyPayload
            | InputError::PayloadTooShort => ErrorCode::InvalidCiphertext,
            InputError::UnsupportedVersion => ErrorCode::UnsupportedVersion,
            InputError::PayloadTooLarge(_) => ErrorCode::TooLarge,
            InputError::TtlHours { .. } | InputError::TtlSeconds { .. } | InputError::TwoTtls => {
                ErrorCode::InvalidTtl
            }
            InputError::BadId => ErrorCode::InvalidId,
            InputError::BadRef => ErrorCode::InvalidReference,
            InputError::BadLength | InputError::BadPart | InputError::PartMismatch(_) => {
                ErrorCode::InvalidPart
            }
            InputError::DataTooLarge(_) => ErrorCode::TooLarge,
            InputError::MaxViews(_) => ErrorCode::InvalidMaxViews,
            InputError::BadProof(_) | InputError::PassphraseWithoutAccess => {
                ErrorCode::InvalidProof
            }
            InputError::RequestTtl { .. } => ErrorCode::InvalidTtl,
            InputError::BadNote(_) | InputError::BadKeyBox | InputError::BadAnswer => {
                ErrorCode::InvalidCiphertext
            }
        }
    }
}

/// Checks an encrypted payload's shape and size.
pub fn payload(bytes: Bytes, limits: &Limits) -> Result<Bytes, InputError> {
    if bytes.is_empty() {
        return Err(InputError::EmptyPayload);
    }
    if bytes.len() > limits.max_payload_bytes {
        return Err(InputError::PayloadTooLarge(limits.max_payload_bytes));
    }
    match check_payload(&bytes) {
        Ok(_) => Ok(bytes),
        Err(FormatError::UnknownVersion(_)) => Err(InputError::UnsupportedVersion),
        Err(_) => Err(InputError::PayloadTooShort),
    }
}

/// Decodes and checks a base64 payload.
pub fn payload_base64(text: &str, limits: &Limits) -> Result<Bytes, InputError> {
    // Refuse oversized input before decoding it.
    if text.len() / 4 * 3 > limits.max_payload_bytes + 3 {
        return Err(InputError::PayloadTooLarge(limits.max_payload_bytes));
    }
    let bytes = crypto_core::base64::decode(text).ok_or(InputError::NotBase64)?;
    payload(Bytes::from(bytes), limits)
}

/// Checks a lifetime given in whole hours (the reference API's `ttl_hours`, 1–72).
/// The operator's longest lifetime still holds: the default and whole hours are clamped to it
/// (a reference client keeps working; it cannot ask for more than the server allows).
pub fn ttl_hours(hours: Option<u64>, limits: &Limits) -> Result<Duration, InputError> {
    let (min, max) = Limits::TTL_HOURS;
    let ttl = match hours {
        None => Limits::DEFAULT_TTL,
        Some(h) if (min..=max).contains(&h) => Duration::from_secs(h * 3600),
        Some(_) => return Err(InputError::TtlHours { min, max }),
    };
    Ok(ttl.min(limits.max_ttl))
}

/// The error for a `ttl_hours` that is not an integer.
pub fn ttl_hours_invalid() -> InputError {
    let (min, max) = Limits::TTL_HOURS;
    InputError::TtlHours { min, max }
}

/// Checks a lifetime in seconds (`ttl_seconds`: 5 minutes to the configured maximum).
pub fn ttl_seconds(seconds: u64, limits: &Limits) -> Result<Duration, InputError> {
    let ttl = Duration::from_secs(seconds);
    if ttl < limits.min_ttl || ttl > limits.max_ttl {
        return Err(ttl_seconds_invalid(limits));
    }
    Ok(ttl)
}

/// The error for a `ttl_seconds` out of range or not an integer.
pub fn ttl_seconds_invalid(limits: &Limits) -> InputError {
    InputError::TtlSeconds {
        min: limits.min_ttl.as_secs(),
        max: limits.max_ttl.as_secs(),
    }
}

/// Checks a view limit (default 1).
pub fn max_views(views: Option<u64>, limits: &Limits) -> Result<u32, InputError> {
    match views {
        None => Ok(1),
        Some(v) => u32::try_from(v)
            .ok()
            .filter(|v| (1..=limits.max_views).contains(v))
            .ok_or(InputError::MaxViews(limits.max_views)),
    }
}

/// Parses a stored verifier (32 bytes, base64url), naming the field in the error.
pub fn proof(text: &str, field: &'static str) -> Result<Verifier, InputError> {
    Verifier::from_base64url(text).map_err(|_| InputError::BadProof(field))
}

/// Parses a presented proof (32 bytes, base64url) and returns its verifier: the server
/// compares hashes and never keeps a proof.
pub fn presented(text: &str, field: &'static str) -> Result<Verifier, InputError> {
    crypto_core::Proof::from_base64url(text)
        .map(|p| p.verifier())
        .map_err(|_| InputError::BadProof(field))
}

/// Checks an optional client-chosen id; the server makes one when none is given.
pub fn id(id: Option<&str>) -> Result<SecretId, InputError> {
    match id {
        Some(text) => SecretId::parse(text).map_err(|_| InputError::BadId),
        None => SecretId::generate().map_err(|_| InputError::BadId),
    }
}

/// Checks a request's lifetime field, `min..=max` seconds.
pub fn request_ttl(
    seconds: Option<u64>,
    field: &'static str,
    min: Duration,
    max: Duration,
) -> Result<Duration, InputError> {
    let refused = InputError::RequestTtl {
        field,
        min: min.as_secs(),
        max: max.as_secs(),
    };
    let ttl = Duration::from_secs(seconds.ok_or(refused.clone())?);
    if ttl < min || ttl > max {
        return Err(refused);
    }
    Ok(ttl)
}

/// Checks a request's sealed note: a payload in standard base64, at most
/// [`Limits::MAX_NOTE_BYTES`].
pub fn note(text: Option<&str>) -> Result<Bytes, InputError> {
    let refused = InputError::BadNote(Limits::MAX_NOTE_BYTES);
    let text = text.ok_or(refused.clone())?;
    if text.len() / 4 * 3 > Limits::MAX_NOTE_BYTES + 3 {
        return Err(refused);
    }
    let bytes = crypto_core::base64::decode(text).ok_or(refused.clone())?;
    if bytes.len() > Limits::MAX_NOTE_BYTES || check_payload(&bytes).is_err() {
        return Err(refused);
    }
    Ok(Bytes::from(bytes))
}

/// Checks an answer's key box: [`crypto_core::request::KEY_BOX_LEN`] bytes of base64url.
pub fn key_box(text: Option<&str>) -> Result<Bytes, InputError> {
    let bytes = text
        .and_then(crypto_core::base64::decode_url)
        .filter(|b| b.len() == crypto_core::request::KEY_BOX_LEN)
        .ok_or(InputError::BadKeyBox)?;
    Ok(Bytes::from(bytes))
}

/// Checks a secret reference (UUID or alias) taken from a URL.
pub fn secret_ref(text: &str) -> Result<crypto_core::SecretRef, InputError> {
    crypto_core::SecretRef::parse(text).map_err(|_| InputError::BadRef)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid_payload() -> Vec<u8> {
        let mut p = vec![1u8];
        p.extend_from_slice(&[0u8; 28]);
        p
    }

    #[test]
    fn payload_rules() {
        let limits = Limits {
            max_payload_bytes: 100,
            ..Limits::default()
        };
        assert!(payload(Bytes::from(valid_payload()), &limits).is_ok());
        assert_eq!(
            payload(Bytes::new(), &limits),
            Err(InputError::EmptyPayload)
        );
        assert_eq!(
            payload(Bytes::from(vec![1u8; 28]), &limits),
            Err(InputError::PayloadTooShort)
        );
        assert_eq!(
            payload(Bytes::from(vec![2u8; 40]), &limits),
            Err(InputError::UnsupportedVersion)
        );
        assert_eq!(
            payload(Bytes::from(vec![1u8; 101]), &limits),
            Err(InputError::PayloadTooLarge(100))
        );
        assert_eq!(
            payload_base64("not base64!", &limits),
            Err(InputError::NotBase64)
        );
        let encoded = crypto_core::base64::encode(&valid_payload());
        assert!(payload_base64(&encoded, &limits).is_ok());
        assert!(payload_base64(encoded.trim_end_matches('='), &limits).is_ok());
        assert_eq!(
            payload_base64(&"A".repeat(200), &limits),
            Err(InputError::PayloadTooLarge(100))
        );
    }

    #[test]
    fn ttl_rules() {
        let limits = Limits::default();
        assert_eq!(ttl_hours(None, &limits), Ok(Duration::from_secs(86400)));
        assert_eq!(ttl_hours(Some(1), &limits), Ok(Duration::from_secs(3600)));
        assert_eq!(
            ttl_hours(Some(72), &limits),
            Ok(Duration::from_secs(72 * 3600))
        );
        let short = Limits {
            max_ttl: Duration::from_secs(1800),
            ..Limits::default()
        };
        assert_eq!(ttl_hours(None, &short), Ok(Duration::from_secs(1800)));
        assert_eq!(ttl_hours(Some(2), &short), Ok(Duration::from_secs(1800)));
        assert_eq!(ttl_seconds(300, &limits), Ok(Duration::from_secs(300)));
        assert_eq!(
            ttl_seconds(7 * 86400, &limits),
            Ok(Duration::from_secs(7 * 86400))
        );
        for bad in [299, 7 * 86400 + 1] {
            assert_eq!(
                ttl_seconds(bad, &limits),
                Err(InputError::TtlSeconds {
                    min: 300,
                    max: 604800
                })
            );
        }
        assert_eq!(max_views(None, &limits), Ok(1));
        assert_eq!(max_views(Some(10), &limits), Ok(10));
        for bad in [0, 11, u64::MAX] {
            assert_eq!(max_views(Some(bad), &limits), Err(InputError::MaxViews(10)));
        }
        assert!(proof(&"A".repeat(43), "access_verifier").is_ok());
        assert_eq!(
            proof("AAAA", "access_verifier"),
            Err(InputError::BadProof("access_verifier"))
        );
        for bad in [0, 73, u64::MAX] {
            assert_eq!(
                ttl_hours(Some(bad), &limits),
                Err(InputError::TtlHours { min: 1, max: 72 })
            );
        }
    }

    #[test]
    fn id_rules() {
        assert!(id(None).is_ok());
        assert!(id(Some("a1b2c3d4-0000-4000-8000-000000000001")).is_ok());
        assert_eq!(id(Some("nope")), Err(InputError::BadId));
        assert!(secret_ref("Kx7mP2nQ").is_ok());
        assert_eq!(secret_ref("Kx7m/P2nQ"), Err(InputError::BadRef));
    }
}
