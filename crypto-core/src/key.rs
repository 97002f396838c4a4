//! Key types. None of them can be cloned or serialized, and they zeroize on drop.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::Zeroizing;

use crate::kdf::{PAYLOAD_KEY_SALT, hkdf_sha256};
use crate::{Error, SecretId, rng};

/// Length in bytes of every key in this crate.
const KEY_LEN: usize = 32;

/// The 256-bit master key that travels in the link's fragment.
pub struct MasterKey(Zeroizing<[u8; KEY_LEN]>);

impl MasterKey {
    /// Makes a fresh key from the OS or browser CSPRNG.
    pub fn generate() -> Result<Self, Error> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rng::fill(bytes.as_mut())?;
        Ok(Self(bytes))
    }

    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Parses the base64url form used in links (no padding; trailing `=` tolerated).
    ///
    /// Anything but exactly 32 bytes is [`Error::Key`].
    pub fn from_base64url(text: &str) -> Result<Self, Error> {
        let trimmed = text.trim_end_matches('=');
        // 32 bytes are 43 characters; refuse anything else before decoding.
        if trimmed.len() != 43 {
            return Err(Error::Key);
        }
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        let written = URL_SAFE_NO_PAD
            .decode_slice(trimmed.as_bytes(), bytes.as_mut())
            .map_err(|_| Error::Key)?;
        if written != KEY_LEN {
            return Err(Error::Key);
        }
        Ok(Self(bytes))
    }

    /// The base64url form used in links, without padding.
    pub fn to_base64url(&self) -> Zeroizing<String> {
        Zeroizing::new(URL_SAFE_NO_PAD.encode(self.0.as_ref()))
    }

    /// The raw key bytes. Named so that every use stands out in review.
    pub fn expose_secret(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// Derives the AES-256-GCM key of one secret:
    /// `HKDF-SHA-256(ikm = master, salt = "only-once-share-v1", info = id text)`.
    pub fn payload_key(&self, id: &SecretId) -> PayloadKey {
        let mut okm = Zeroizing::new([0u8; KEY_LEN]);
        hkdf_sha256(
            self.0.as_ref(),
            PAYLOAD_KEY_SALT,
            id.as_str().as_bytes(),
            okm.as_mut(),
        );
        PayloadKey(okm)
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

/// The per-secret AES-256-GCM key derived from a [`MasterKey`].
pub struct PayloadKey(Zeroizing<[u8; KEY_LEN]>);

impl PayloadKey {
    /// The raw key bytes. Named so that every use stands out in review.
    pub fn expose_secret(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl std::fmt::Debug for PayloadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PayloadKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trip_and_rejects() {
        let key = MasterKey::from_bytes([7u8; 32]);
        let text = key.to_base64url();
        assert_eq!(text.len(), 43);
        assert!(!text.contains('='));
        assert_eq!(
            MasterKey::from_base64url(&text).unwrap().expose_secret(),
            &[7u8; 32]
        );
        let padded = format!("{}=", text.as_str());
        assert!(MasterKey::from_base64url(&padded).is_ok());
        for bad in [
            "",
            "abc",
            &text[..42],
            "!".repeat(43).as_str(),
            &"A".repeat(44),
        ] {
            assert_eq!(
                MasterKey::from_base64url(bad).unwrap_err(),
                Error::Key,
                "{bad:?}"
            );
        }
        // Standard-alphabet characters are not base64url.
        let std_alphabet = text.replace('-', "+").replace('_', "/");
        if std_alphabet != *text {
            assert_eq!(
                MasterKey::from_base64url(&std_alphabet).unwrap_err(),
                Error::Key
            );
        }
        // The last of 43 characters carries 2 spare bits that must be zero ('B' = 0b000001).
        let non_canonical = format!("{}B", &text[..42]);
        assert_eq!(
            MasterKey::from_base64url(&non_canonical).unwrap_err(),
            Error::Key
        );
    }

    #[test]
    fn debug_hides_key() {
        let key = MasterKey::from_bytes([1u8; 32]);
        assert_eq!(format!("{key:?}"), "MasterKey(***)");
        let id = SecretId::generate().unwrap();
        assert_eq!(format!("{:?}", key.payload_key(&id)), "PayloadKey(***)");
    }

    #[test]
    fn generated_keys_differ() {
        let a = MasterKey::generate().unwrap();
        let b = MasterKey::generate().unwrap();
        assert_ne!(a.expose_secret(), b.expose_secret());
    }
}
