//! The encrypted payload: `version (1) | IV (12) | AES-256-GCM ciphertext + tag (16)`.

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use zeroize::Zeroizing;

use crate::{Error, MasterKey, SecretId, rng};

/// Length of the AES-GCM IV.
pub const IV_LEN: usize = 12;
/// Length of the AES-GCM authentication tag.
pub const TAG_LEN: usize = 16;
/// The shortest valid payload: version, IV and tag around an empty ciphertext.
pub const MIN_PAYLOAD_LEN: usize = 1 + IV_LEN + TAG_LEN;

/// The payload format versions this build understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Version {
    /// `0x01`: HKDF-SHA-256 payload key, AES-256-GCM, secret id as associated data.
    V1,
}

impl Version {
    /// The version byte.
    pub fn byte(self) -> u8 {
        match self {
            Version::V1 => 0x01,
        }
    }

    /// The version a byte names, or [`Error::UnknownVersion`].
    pub fn from_byte(byte: u8) -> Result<Self, Error> {
        match byte {
            0x01 => Ok(Version::V1),
            other => Err(Error::UnknownVersion(other)),
        }
    }
}

/// Checks a payload's shape without a key: its version is known and it is long enough.
///
/// The server uses this to refuse garbage before storing it.
pub fn check_payload(payload: &[u8]) -> Result<Version, Error> {
    let (&first, _) = payload.split_first().ok_or(Error::Format)?;
    let version = Version::from_byte(first)?;
    if payload.len() < MIN_PAYLOAD_LEN {
        return Err(Error::Format);
    }
    Ok(version)
}

/// Encrypts `plaintext` for secret `id` under a fresh random IV.
pub fn seal(key: &MasterKey, id: &SecretId, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
    let mut iv = [0u8; IV_LEN];
    rng::fill(&mut iv)?;
    Ok(seal_with_iv(key, id, &iv, plaintext))
}

/// Encrypts with a caller-chosen IV. Only for test vectors: an IV must never repeat
/// under the same key, so real callers use [`seal`].
pub fn seal_with_iv(
    key: &MasterKey,
    id: &SecretId,
    iv: &[u8; IV_LEN],
    plaintext: &[u8],
) -> Vec<u8> {
    let cipher = cipher(key, id);
    let mut out = Vec::with_capacity(MIN_PAYLOAD_LEN + plaintext.len());
    out.push(Version::V1.byte());
    out.extend_from_slice(iv);
    out.extend_from_slice(plaintext);
    let tag = cipher
        .encrypt_inout_detached(
            &Nonce::from(*iv),
            id.as_str().as_bytes(),
            (&mut out[1 + IV_LEN..]).into(),
        )
        .expect("AES-GCM accepts any message under 64 GiB");
    out.extend_from_slice(&tag);
    out
}

/// Decrypts a payload for secret `id`. The plaintext zeroizes on drop.
pub fn open(key: &MasterKey, id: &SecretId, payload: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
    match check_payload(payload)? {
        Version::V1 => {}
    }
    let (iv, rest) = payload[1..].split_at(IV_LEN);
    let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
    let nonce = Nonce::try_from(iv).map_err(|_| Error::Format)?;
    let tag = Tag::try_from(tag).map_err(|_| Error::Format)?;
    let mut plaintext = Zeroizing::new(ciphertext.to_vec());
    cipher(key, id)
        .decrypt_inout_detached(
            &nonce,
            id.as_str().as_bytes(),
            plaintext.as_mut_slice().into(),
            &tag,
        )
        .map_err(|_| Error::Authentication)?;
    Ok(plaintext)
}

fn cipher(key: &MasterKey, id: &SecretId) -> Aes256Gcm {
    let payload_key = key.payload_key(id);
    Aes256Gcm::new_from_slice(payload_key.expose_secret()).expect("payload keys are 32 bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> (MasterKey, SecretId) {
        (
            MasterKey::from_bytes([9u8; 32]),
            SecretId::parse("a1b2c3d4-0000-4000-8000-000000000001").unwrap(),
        )
    }

    #[test]
    fn layout_is_version_iv_ciphertext_tag() {
        let (key, id) = fixture();
        let iv = [3u8; IV_LEN];
        let payload = seal_with_iv(&key, &id, &iv, b"hello");
        assert_eq!(payload[0], 0x01);
        assert_eq!(&payload[1..13], &iv);
        assert_eq!(payload.len(), 1 + 12 + 5 + 16);
        assert_ne!(&payload[13..18], b"hello");
        assert_eq!(open(&key, &id, &payload).unwrap().as_slice(), b"hello");
    }

    #[test]
    fn fresh_iv_each_time() {
        let (key, id) = fixture();
        let a = seal(&key, &id, b"same").unwrap();
        let b = seal(&key, &id, b"same").unwrap();
        assert_ne!(a[1..13], b[1..13]);
    }

    #[test]
    fn shape_errors() {
        let (key, id) = fixture();
        assert_eq!(open(&key, &id, &[]).unwrap_err(), Error::Format);
        assert_eq!(open(&key, &id, &[1u8; 28]).unwrap_err(), Error::Format);
        assert_eq!(
            open(&key, &id, &[2u8; 40]).unwrap_err(),
            Error::UnknownVersion(2)
        );
        assert_eq!(
            open(&key, &id, &[0u8; 5]).unwrap_err(),
            Error::UnknownVersion(0)
        );
        assert_eq!(
            open(&key, &id, &[1u8; 29]).unwrap_err(),
            Error::Authentication
        );
    }

    #[test]
    fn wrong_key_or_id_is_authentication_error() {
        let (key, id) = fixture();
        let payload = seal(&key, &id, b"secret").unwrap();
        let other_key = MasterKey::from_bytes([8u8; 32]);
        let other_id = SecretId::parse("a1b2c3d4-0000-4000-8000-000000000002").unwrap();
        assert_eq!(
            open(&other_key, &id, &payload).unwrap_err(),
            Error::Authentication
        );
        assert_eq!(
            open(&key, &other_id, &payload).unwrap_err(),
            Error::Authentication
        );
    }
}
