//! The oncelink wire format, shared by the server, the command-line client and
//! the browser (compiled to `wasm32-unknown-unknown`).
//!
//! It is wire-compatible with Only Once Share:
//!
//! * a random 256-bit **master key** travels only in the link's fragment;
//! * the per-secret key is `HKDF-SHA-256(ikm = master key, salt = "only-once-share-v1",
//!   info = secret id)`;
//! * the **payload** is `0x01 | IV (12 bytes) | AES-256-GCM ciphertext + tag`, with the
//!   secret id as associated data;
//! * the plaintext is an **envelope**: text, or text plus an image and its MIME type.
//!
//! This crate knows nothing of HTTP, storage or the DOM.
//!
//! ```
//! use crypto_core::{Envelope, MasterKey, SecretId};
//!
//! # fn main() -> Result<(), crypto_core::Error> {
//! let key = MasterKey::generate()?;
//! let id = SecretId::generate()?;
//! let envelope = Envelope::text_only("correct horse battery staple");
//! let payload = crypto_core::seal(&key, &id, &envelope.pack()?)?;
//! let opened = Envelope::unpack(&crypto_core::open(&key, &id, &payload)?)?;
//! assert_eq!(opened.text(), "correct horse battery staple");
//! # Ok(())
//! # }
//! ```
//!
//! # Security notes
//! * Every authentication failure (wrong key, wrong id, any flipped bit) is the same
//!   opaque [`Error::Authentication`].
//! * Key types and plaintext ([`Envelope`], [`Image`], packed and opened bytes) zeroize
//!   their memory when dropped, cannot be cloned or serialized, and print as `***` in
//!   `Debug` output.
//! * Verifiers compare in constant time ([`subtle`](https://docs.rs/subtle)).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod access;
pub mod bulk;
mod envelope;
mod error;
mod id;
mod kdf;
mod key;
mod link;
mod manage_link;
mod manifest;
mod new_secret;
mod payload;
pub mod request;
mod rng;
pub mod sealed_box;
pub mod stream;

pub use access::{
    ARGON2_ITERATIONS, ARGON2_LANES, ARGON2_MEMORY_KIB, ManageToken, PassphraseSalt, Proof,
    StretchedPassphrase, Verifier,
};
pub use envelope::{Envelope, Image, padded_len};
pub use error::{Error, ErrorKind};
pub use id::{Alias, SecretId, SecretRef};
pub use key::{MasterKey, PayloadKey};
pub use link::Link;
pub use manage_link::ManageLink;
pub use manifest::{FileEntry, MAX_NAME_LEN, stream_offsets};
pub use new_secret::{
    Guard, Links, PreparedSecret, Protection, SealedSecret, SenderKeys, Upload, prepare_guarded,
    prepare_secret,
};
pub use payload::{
    IV_LEN, MIN_PAYLOAD_LEN, TAG_LEN, Version, check_payload, open, open_with, seal, seal_with,
    seal_with_iv,
};

/// Standard base64 (with padding), the encoding the REST API uses for payloads.
pub mod base64 {
    use base64::Engine as _;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

    /// Standard alphabet; writes padding, accepts input with or without it.
    const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );

    /// Encodes bytes as standard base64 with padding.
    pub fn encode(bytes: &[u8]) -> String {
        STANDARD_LENIENT.encode(bytes)
    }

    /// Decodes standard base64; padding is optional. Returns `None` on any malformed input.
    pub fn decode(text: &str) -> Option<Vec<u8>> {
        STANDARD_LENIENT.decode(text.as_bytes()).ok()
    }

    /// Encodes bytes as base64url without padding (proofs, key boxes).
    pub fn encode_url(bytes: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Decodes base64url without padding; `None` on any malformed input.
    pub fn decode_url(text: &str) -> Option<Vec<u8>> {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.as_bytes())
            .ok()
    }
}
