//! Sealing a message to a public key: HPKE (RFC 9180) in base mode with DHKEM(X25519,
//! HKDF-SHA256), HKDF-SHA256 and AES-256-GCM, through the `hpke` crate, pinned to the version
//! the RFC's vectors were checked with (`fixtures/vectors/rfc9180-base-x25519-sha256-aes256gcm.json`).
//! A sealed box is the encapsulated key (32 bytes) and the AEAD ciphertext, end to end.
//!
//! Requests seal an answer's key to the requester with it (`crate::request`).

use core::convert::Infallible;

use hpke::aead::AesGcm256;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::rand_core::{TryCryptoRng, TryRng};
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use zeroize::Zeroizing;

use crate::{Error, rng};

type Kem = X25519HkdfSha256;

/// Bytes of a public key, of a private key, and of the encapsulated key a box starts with.
pub const KEY_LEN: usize = 32;

/// A private key: opens the boxes sealed to its public key.
pub struct BoxSecretKey(<Kem as hpke::Kem>::PrivateKey);

/// A public key that boxes are sealed to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoxPublicKey(<Kem as hpke::Kem>::PublicKey);

impl BoxSecretKey {
    /// A new private key from the system's (or browser's) random numbers.
    pub fn generate() -> Result<Self, Error> {
        let mut ikm = Zeroizing::new([0u8; KEY_LEN]);
        rng::fill(ikm.as_mut())?;
        Ok(Self(Kem::derive_keypair(ikm.as_ref()).0))
    }

    /// The key from its 32 bytes; [`Error::Key`] otherwise.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        <Kem as hpke::Kem>::PrivateKey::from_bytes(bytes)
            .map(Self)
            .map_err(|_| Error::Key)
    }

    /// Its 32 bytes (clamped, as X25519 uses them).
    pub fn to_bytes(&self) -> Zeroizing<[u8; KEY_LEN]> {
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        out.copy_from_slice(&self.0.to_bytes());
        out
    }

    /// Its public key.
    pub fn public_key(&self) -> BoxPublicKey {
        BoxPublicKey(Kem::sk_to_pk(&self.0))
    }
}

impl std::fmt::Debug for BoxSecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BoxSecretKey(***)")
    }
}

impl BoxPublicKey {
    /// The key from its 32 bytes; [`Error::Key`] otherwise.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        <Kem as hpke::Kem>::PublicKey::from_bytes(bytes)
            .map(Self)
            .map_err(|_| Error::Key)
    }

    /// Its 32 bytes.
    pub fn to_bytes(&self) -> [u8; KEY_LEN] {
        let mut out = [0u8; KEY_LEN];
        out.copy_from_slice(&self.0.to_bytes());
        out
    }
}

/// Seals `plaintext` to `to`: only its private key opens the box, with the same `info` (the
/// context: which protocol, which version) and `aad` (what the box belongs to).
pub fn seal(
    to: &BoxPublicKey,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    let mut ikm_e = Zeroizing::new([0u8; KEY_LEN]);
    rng::fill(ikm_e.as_mut())?;
    seal_with_ephemeral(to, info, aad, plaintext, &ikm_e)
}

/// [`seal`] with the ephemeral key derived from `ikm_e` (RFC 9180's `ikmE`, through
/// DeriveKeyPair): random in [`seal`]; fixed only to check test vectors.
pub fn seal_with_ephemeral(
    to: &BoxPublicKey,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    ikm_e: &[u8; KEY_LEN],
) -> Result<Vec<u8>, Error> {
    let mut replay = Replay {
        left: ikm_e,
        short: false,
    };
    let sealed = hpke::setup_sender_with_rng::<AesGcm256, HkdfSha256, Kem>(
        &OpModeS::Base,
        &to.0,
        info,
        &mut replay,
    );
    // The crate draws exactly the 32 bytes of ikmE (the RFC vectors prove it for this
    // version); anything else would have weakened the ephemeral key, so it is refused.
    if replay.short || !replay.left.is_empty() {
        return Err(Error::Randomness);
    }
    let (enc, mut context) = sealed.map_err(|_| Error::Key)?;
    let ciphertext = context.seal(plaintext, aad).map_err(|_| Error::Format)?;
    let mut out = Vec::with_capacity(KEY_LEN + ciphertext.len());
    out.extend_from_slice(&enc.to_bytes());
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// Opens a box sealed to `key`'s public key with the same `info` and `aad`. A box too short
/// to be one is [`Error::Format`]; any other failure (another key, another context, an
/// altered box) is [`Error::Authentication`].
pub fn open(
    key: &BoxSecretKey,
    info: &[u8],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    if sealed.len() < KEY_LEN + crate::TAG_LEN {
        return Err(Error::Format);
    }
    let (enc, ciphertext) = sealed.split_at(KEY_LEN);
    let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(enc).map_err(|_| Error::Format)?;
    hpke::single_shot_open::<AesGcm256, HkdfSha256, Kem>(
        &OpModeR::Base,
        &key.0,
        &enc,
        info,
        ciphertext,
        aad,
    )
    .map(Zeroizing::new)
    .map_err(|_| Error::Authentication)
}

/// Hands the crate the ephemeral key's input bytes, and notes any request beyond them.
struct Replay<'a> {
    left: &'a [u8],
    short: bool,
}

impl TryRng for Replay<'_> {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut bytes = [0u8; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut bytes = [0u8; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        let n = dst.len().min(self.left.len());
        let (now, rest) = self.left.split_at(n);
        dst[..n].copy_from_slice(now);
        self.left = rest;
        if n < dst.len() {
            dst[n..].fill(0);
            self.short = true;
        }
        Ok(())
    }
}

impl TryCryptoRng for Replay<'_> {}
