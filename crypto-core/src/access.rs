//! Proofs the server can check without learning anything that decrypts: the access proof
//! (holder of the link's key), the passphrase proof, and the sender's manage token.
//!
//! The server stores only a [`Verifier`] (SHA-256 of a proof) and compares in constant time.

use argon2::{Algorithm, Argon2, Params, Version as ArgonVersion};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroizing;

use crate::kdf::{ACCESS_PROOF, MANAGE_PROOF, PASSPHRASE_PROOF, PASSPHRASE_SALT, hkdf_sha256};
use crate::{Error, MasterKey, rng};

/// Argon2id memory cost in KiB (32 MiB). See `docs/protocol.md` for the measurements behind
/// the parameters.
pub const ARGON2_MEMORY_KIB: u32 = 32 * 1024;
/// Argon2id passes.
pub const ARGON2_ITERATIONS: u32 = 2;
/// Argon2id lanes (one: the browser runs it on one thread).
pub const ARGON2_LANES: u32 = 1;

fn decode32(text: &str) -> Result<Zeroizing<[u8; 32]>, Error> {
    let text = text.trim_end_matches('=');
    if text.len() != 43 {
        return Err(Error::Key);
    }
    let mut out = Zeroizing::new([0u8; 32]);
    match URL_SAFE_NO_PAD.decode_slice(text.as_bytes(), out.as_mut()) {
        Ok(32) => Ok(out),
        _ => Err(Error::Key),
    }
}

/// A secret sent to the server to prove something (the key, the passphrase, the sender).
pub struct Proof(Zeroizing<[u8; 32]>);

impl Proof {
    /// A fresh random proof from the CSPRNG: a reveal's claim, which only the client that
    /// made it can present again to have the same view delivered once more.
    pub fn generate() -> Result<Self, Error> {
        let mut out = Zeroizing::new([0u8; 32]);
        rng::fill(out.as_mut())?;
        Ok(Self(out))
    }

    /// The base64url form sent in requests.
    pub fn to_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.as_ref())
    }

    /// Parses the base64url form.
    pub fn from_base64url(text: &str) -> Result<Self, Error> {
        decode32(text).map(Self)
    }

    /// A proof derived elsewhere in this crate (the request flow's labels).
    pub(crate) fn derived(bytes: Zeroizing<[u8; 32]>) -> Self {
        Self(bytes)
    }

    /// What the server stores instead of the proof.
    pub fn verifier(&self) -> Verifier {
        Verifier(Sha256::digest(self.0.as_ref()).into())
    }
}

impl std::fmt::Debug for Proof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Proof(***)")
    }
}

/// SHA-256 of a [`Proof`]: safe to store, useless to present.
///
/// Equality (`==`, [`Verifier::matches`], [`ConstantTimeEq`]) takes the same time wherever
/// two verifiers differ. No `Hash`: a verifier is checked against one stored value, never
/// looked up in a map.
#[derive(Clone, Copy)]
pub struct Verifier([u8; 32]);

impl Verifier {
    /// Wraps stored bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The base64url form sent at creation.
    pub fn to_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// Parses the base64url form (exactly 32 bytes).
    pub fn from_base64url(text: &str) -> Result<Self, Error> {
        decode32(text).map(|b| Self(*b))
    }

    /// Compares in constant time.
    pub fn matches(&self, other: &Verifier) -> bool {
        self.ct_eq(other).into()
    }
}

impl ConstantTimeEq for Verifier {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl PartialEq for Verifier {
    fn eq(&self, other: &Self) -> bool {
        self.matches(other)
    }
}

impl Eq for Verifier {}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Verifier({})", self.to_base64url())
    }
}

impl MasterKey {
    /// The access proof: shows the server that the caller holds the link's key, without
    /// revealing anything that decrypts (independent HKDF label).
    pub fn access_proof(&self) -> Proof {
        let mut out = Zeroizing::new([0u8; 32]);
        hkdf_sha256(
            self.expose_secret(),
            ACCESS_PROOF.0,
            ACCESS_PROOF.1,
            out.as_mut(),
        );
        Proof(out)
    }

    /// Stretches a passphrase with Argon2id, salted by this key (so a stolen database alone
    /// cannot be used to guess passphrases). Slow on purpose.
    pub fn stretch_passphrase(&self, passphrase: &str) -> Result<StretchedPassphrase, Error> {
        self.passphrase_salt().stretch(passphrase)
    }

    /// The salt this key gives a passphrase: all [`PassphraseSalt::stretch`] needs besides
    /// the passphrase, so the stretch can run apart from the key (the web app loads Argon2
    /// only when a passphrase is used).
    pub fn passphrase_salt(&self) -> PassphraseSalt {
        let mut salt = Zeroizing::new([0u8; 16]);
        hkdf_sha256(
            self.expose_secret(),
            PASSPHRASE_SALT.0,
            PASSPHRASE_SALT.1,
            salt.as_mut(),
        );
        PassphraseSalt(salt)
    }
}

/// The Argon2id salt of one key's passphrase ([`MasterKey::passphrase_salt`]). Derived from
/// the key, so it is kept as secret as the key: no `Clone`, a redacted `Debug`.
pub struct PassphraseSalt(Zeroizing<[u8; 16]>);

impl PassphraseSalt {
    /// Stretches a passphrase with Argon2id under this salt. Slow on purpose.
    pub fn stretch(&self, passphrase: &str) -> Result<StretchedPassphrase, Error> {
        let params = Params::new(ARGON2_MEMORY_KIB, ARGON2_ITERATIONS, ARGON2_LANES, Some(32))
            .map_err(|_| Error::Key)?;
        let mut out = Zeroizing::new([0u8; 32]);
        Argon2::new(Algorithm::Argon2id, ArgonVersion::V0x13, params)
            .hash_password_into(passphrase.as_bytes(), self.0.as_ref(), out.as_mut())
            .map_err(|_| Error::Key)?;
        Ok(StretchedPassphrase(out))
    }
}

impl std::fmt::Debug for PassphraseSalt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PassphraseSalt(***)")
    }
}

/// A passphrase after Argon2id: part of the payload key of `0x10` payloads, and the
/// source of the passphrase proof.
pub struct StretchedPassphrase(Zeroizing<[u8; 32]>);

impl StretchedPassphrase {
    /// The proof of knowing the passphrase that the server checks before releasing the
    /// ciphertext.
    pub fn proof(&self) -> Proof {
        let mut out = Zeroizing::new([0u8; 32]);
        hkdf_sha256(
            self.0.as_ref(),
            PASSPHRASE_PROOF.0,
            PASSPHRASE_PROOF.1,
            out.as_mut(),
        );
        Proof(out)
    }

    pub(crate) fn expose_secret(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for StretchedPassphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StretchedPassphrase(***)")
    }
}

/// The sender's private token for a secret's status and "destroy now". Random, not derived
/// from the master key: a recipient holding the link cannot manage the secret.
pub struct ManageToken(Zeroizing<[u8; 32]>);

impl ManageToken {
    /// A fresh token from the CSPRNG.
    pub fn generate() -> Result<Self, Error> {
        let mut out = Zeroizing::new([0u8; 32]);
        rng::fill(out.as_mut())?;
        Ok(Self(out))
    }

    /// Parses the base64url form (from the manage link's fragment).
    pub fn from_base64url(text: &str) -> Result<Self, Error> {
        decode32(text).map(Self)
    }

    /// The base64url form.
    pub fn to_base64url(&self) -> Zeroizing<String> {
        Zeroizing::new(URL_SAFE_NO_PAD.encode(self.0.as_ref()))
    }

    /// The proof presented to the server: derived from the token, so the manage link's
    /// fragment itself never leaves the sender's device (like the link's key).
    pub fn proof(&self) -> Proof {
        let mut out = Zeroizing::new([0u8; 32]);
        hkdf_sha256(
            self.0.as_ref(),
            MANAGE_PROOF.0,
            MANAGE_PROOF.1,
            out.as_mut(),
        );
        Proof(out)
    }
}

impl std::fmt::Debug for ManageToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ManageToken(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proofs_are_stable_distinct_and_verifiable() {
        let key = MasterKey::from_bytes([5; 32]);
        let proof = key.access_proof();
        assert_eq!(proof.to_base64url(), key.access_proof().to_base64url());
        let other = MasterKey::from_bytes([6; 32]).access_proof();
        assert!(!proof.verifier().matches(&other.verifier()));
        let parsed = Proof::from_base64url(&proof.to_base64url()).unwrap();
        assert!(parsed.verifier().matches(&proof.verifier()));
        let v = Verifier::from_base64url(&proof.verifier().to_base64url()).unwrap();
        assert_eq!(v, proof.verifier());
        // Independent of the payload key.
        let id = crate::SecretId::parse("a1b2c3d4-0000-4000-8000-000000000001").unwrap();
        assert_ne!(&proof.0[..], &key.payload_key(&id).expose_secret()[..]);
        assert!(Proof::from_base64url("short").is_err());
        assert_eq!(format!("{proof:?}"), "Proof(***)");
    }

    #[test]
    fn passphrases_stretch_per_key() {
        let key = MasterKey::from_bytes([5; 32]);
        let a = key.stretch_passphrase("correct horse").unwrap();
        let b = key.stretch_passphrase("correct horse").unwrap();
        let c = key.stretch_passphrase("wrong horse").unwrap();
        let d = MasterKey::from_bytes([7; 32])
            .stretch_passphrase("correct horse")
            .unwrap();
        assert_eq!(a.expose_secret(), b.expose_secret());
        assert_ne!(a.expose_secret(), c.expose_secret());
        assert_ne!(a.expose_secret(), d.expose_secret());
        assert!(a.proof().verifier().matches(&b.proof().verifier()));
        assert!(!a.proof().verifier().matches(&c.proof().verifier()));
    }

    #[test]
    fn manage_tokens_are_random() {
        let a = ManageToken::generate().unwrap();
        let b = ManageToken::generate().unwrap();
        assert_ne!(a.to_base64url(), b.to_base64url());
        let again = ManageToken::from_base64url(&a.to_base64url()).unwrap();
        assert!(again.proof().verifier().matches(&a.proof().verifier()));
    }
}
