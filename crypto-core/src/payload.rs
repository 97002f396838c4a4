//! The encrypted payload: `version (1) | IV (12) | AES-256-GCM ciphertext + tag (16)`.

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use zeroize::Zeroizing;

use crate::kdf::{PAYLOAD_KEY_V2_SALT, hkdf_sha256};
use crate::{Error, MasterKey, SecretId, StretchedPassphrase, rng};

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
    /// `0x10`: as `0x01`, but the payload key also depends on an Argon2id-stretched
    /// passphrase (see `docs/protocol.md`). Not `0x02`: the shared vectors pin `0x02` as
    /// an unknown version.
    Passphrase,
}

impl Version {
    /// The version byte.
    pub fn byte(self) -> u8 {
        match self {
            Version::V1 => 0x01,
            Version::Passphrase => 0x10,
        }
    }

    /// The version a byte names, or [`Error::UnknownVersion`].
    pub fn from_byte(byte: u8) -> Result<Self, Error> {
        match byte {
            0x01 => Ok(Version::V1),
            0x10 => Ok(Version::Passphrase),
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

/// Encrypts `plaintext` for secret `id` under a fresh random IV .
pub fn seal(key: &MasterKey, id: &SecretId, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
    seal_with(key, None, id, plaintext)
}

/// Like [`seal`], with an optional passphrase: with one, the payload is version `0x10` and
/// opens only with both the link's key and the passphrase.
pub fn seal_with(
    key: &MasterKey,
    passphrase: Option<&StretchedPassphrase>,
    id: &SecretId,
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    Ok(seal_inner(key, passphrase, id, &fresh_iv()?, plaintext))
}

/// A random IV for a new payload.
pub(crate) fn fresh_iv() -> Result<[u8; IV_LEN], Error> {
    let mut iv = [0u8; IV_LEN];
    rng::fill(&mut iv)?;
    Ok(iv)
}

/// Encrypts with a caller-chosen IV. Only for test vectors: an IV must never repeat
/// under the same key, so real callers use [`seal`].
pub fn seal_with_iv(
    key: &MasterKey,
    id: &SecretId,
    iv: &[u8; IV_LEN],
    plaintext: &[u8],
) -> Vec<u8> {
    seal_inner(key, None, id, iv, plaintext)
}

pub(crate) fn seal_inner(
    key: &MasterKey,
    passphrase: Option<&StretchedPassphrase>,
    id: &SecretId,
    iv: &[u8; IV_LEN],
    plaintext: &[u8],
) -> Vec<u8> {
    let (version, payload_key) = version_and_key(key, passphrase, id);
    let cipher =
        Aes256Gcm::new_from_slice(payload_key.as_ref()).expect("payload keys are 32 bytes");
    let mut out = Vec::with_capacity(MIN_PAYLOAD_LEN + plaintext.len());
    out.push(version.byte());
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

/// Decrypts a version 1 payload for secret `id`. The plaintext zeroizes on drop. A
/// passphrase payload gives [`Error::PassphraseRequired`].
pub fn open(key: &MasterKey, id: &SecretId, payload: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
    open_with(key, None, id, payload)
}

/// Decrypts a payload of any known version; `0x10` needs the stretched passphrase.
pub fn open_with(
    key: &MasterKey,
    passphrase: Option<&StretchedPassphrase>,
    id: &SecretId,
    payload: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let passphrase = passphrase_for(payload, passphrase)?;
    let (iv, rest) = payload[1..].split_at(IV_LEN);
    let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
    let nonce = Nonce::try_from(iv).map_err(|_| Error::Format)?;
    let tag = Tag::try_from(tag).map_err(|_| Error::Format)?;
    let mut plaintext = Zeroizing::new(ciphertext.to_vec());
    cipher(key, passphrase, id)
        .decrypt_inout_detached(
            &nonce,
            id.as_str().as_bytes(),
            plaintext.as_mut_slice().into(),
            &tag,
        )
        .map_err(|_| Error::Authentication)?;
    Ok(plaintext)
}

/// The payload version and AES-256 key for a seal or open: HKDF of the link's key (and,
/// with a passphrase, of the stretched passphrase too) with the secret id as info.
pub(crate) fn version_and_key(
    key: &MasterKey,
    passphrase: Option<&StretchedPassphrase>,
    id: &SecretId,
) -> (Version, Zeroizing<[u8; 32]>) {
    match passphrase {
        None => {
            let payload_key = key.payload_key(id);
            (Version::V1, Zeroizing::new(*payload_key.expose_secret()))
        }
        Some(stretched) => {
            // Both secrets feed the key: the link alone, or the passphrase alone, is not enough.
            let mut ikm = Zeroizing::new([0u8; 64]);
            ikm[..32].copy_from_slice(key.expose_secret());
            ikm[32..].copy_from_slice(stretched.expose_secret());
            let mut okm = Zeroizing::new([0u8; 32]);
            hkdf_sha256(
                ikm.as_ref(),
                PAYLOAD_KEY_V2_SALT,
                id.as_str().as_bytes(),
                okm.as_mut(),
            );
            (Version::Passphrase, okm)
        }
    }
}

/// Which key a payload of this version needs: the passphrase only for `0x10`.
pub(crate) fn passphrase_for<'a>(
    payload: &[u8],
    passphrase: Option<&'a StretchedPassphrase>,
) -> Result<Option<&'a StretchedPassphrase>, Error> {
    match (check_payload(payload)?, passphrase) {
        (Version::V1, _) => Ok(None),
        (Version::Passphrase, Some(p)) => Ok(Some(p)),
        (Version::Passphrase, None) => Err(Error::PassphraseRequired),
    }
}

fn cipher(key: &MasterKey, passphrase: Option<&StretchedPassphrase>, id: &SecretId) -> Aes256Gcm {
    let (_, payload_key) = version_and_key(key, passphrase, id);
    Aes256Gcm::new_from_slice(payload_key.as_ref()).expect("payload keys are 32 bytes")
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
            open(&key, &id, &[3u8; 40]).unwrap_err(),
            Error::UnknownVersion(3)
        );
        assert_eq!(
            open(&key, &id, &[2u8; 40]).unwrap_err(),
            Error::UnknownVersion(2)
        );
        assert_eq!(
            open(&key, &id, &[0x10u8; 40]).unwrap_err(),
            Error::PassphraseRequired
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
    fn passphrase_payloads_need_both_secrets() {
        let (key, id) = fixture();
        let good = key.stretch_passphrase("open sesame").unwrap();
        let bad = key.stretch_passphrase("open says me").unwrap();
        let payload = seal_with(&key, Some(&good), &id, b"both").unwrap();
        assert_eq!(payload[0], 0x10);
        assert_eq!(
            open_with(&key, Some(&good), &id, &payload)
                .unwrap()
                .as_slice(),
            b"both"
        );
        assert_eq!(
            open_with(&key, Some(&bad), &id, &payload).unwrap_err(),
            Error::Authentication
        );
        assert_eq!(
            open(&key, &id, &payload).unwrap_err(),
            Error::PassphraseRequired
        );
        let other = MasterKey::from_bytes([1u8; 32]);
        let other_stretch = other.stretch_passphrase("open sesame").unwrap();
        assert_eq!(
            open_with(&other, Some(&other_stretch), &id, &payload).unwrap_err(),
            Error::Authentication
        );
        // A version 1 payload ignores a passphrase.
        let v1 = seal(&key, &id, b"plain").unwrap();
        assert_eq!(
            open_with(&key, Some(&good), &id, &v1).unwrap().as_slice(),
            b"plain"
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
