//! Seal and open asynchronously, with the bulk AES-256-GCM step done by the browser's
//! WebCrypto when the page has it.
//!
//! The format does not change: this module derives the payload key (HKDF, and the
//! passphrase when there is one), picks the IV, passes the secret id as associated data and
//! lays out `version | IV | ciphertext + tag` exactly as [`crate::seal_with`]. WebCrypto only
//! sees the derived payload key, the IV, the id and the bytes to encrypt; it runs AES-GCM
//! about five times faster than the same cipher compiled to WASM. Natively, and in pages
//! without WebCrypto (a page served over plain HTTP from a non-local address is not a
//! secure context, so `crypto.subtle` is missing), these are the pure-Rust functions.
//! Tests (native, and in Chromium over the shared vectors) check both give the same bytes.

use zeroize::Zeroizing;

use crate::payload::{IV_LEN, fresh_iv, seal_inner};
use crate::{Error, MasterKey, SecretId, StretchedPassphrase};

/// Which AES-GCM implementation does the bulk work here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The browser's WebCrypto (`crypto.subtle`).
    WebCrypto,
    /// The pure-Rust `aes-gcm` crate.
    Rust,
}

/// The backend [`seal_with`] and [`open_with`] use in this environment.
pub fn backend() -> Backend {
    #[cfg(target_arch = "wasm32")]
    if webcrypto::subtle().is_some() {
        return Backend::WebCrypto;
    }
    Backend::Rust
}

/// Like [`crate::seal_with`]: encrypts under a fresh random IV, with the passphrase if given.
pub async fn seal_with(
    key: &MasterKey,
    passphrase: Option<&StretchedPassphrase>,
    id: &SecretId,
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    Ok(seal_iv(key, passphrase, id, &fresh_iv()?, plaintext).await)
}

/// Like [`crate::seal_with_iv`]. Only for test vectors: an IV must never repeat under the
/// same key, so real callers use [`seal_with`].
pub async fn seal_with_iv(
    key: &MasterKey,
    id: &SecretId,
    iv: &[u8; IV_LEN],
    plaintext: &[u8],
) -> Vec<u8> {
    seal_iv(key, None, id, iv, plaintext).await
}

/// Like [`crate::open_with`]: decrypts a payload of any known version.
pub async fn open_with(
    key: &MasterKey,
    passphrase: Option<&StretchedPassphrase>,
    id: &SecretId,
    payload: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    #[cfg(target_arch = "wasm32")]
    if let Some(subtle) = webcrypto::subtle() {
        let passphrase = crate::payload::passphrase_for(payload, passphrase)?;
        let (_, payload_key) = crate::payload::version_and_key(key, passphrase, id);
        if let Some(opened) = webcrypto::open(&subtle, &payload_key, id, payload).await {
            return opened;
        }
    }
    crate::open_with(key, passphrase, id, payload)
}

async fn seal_iv(
    key: &MasterKey,
    passphrase: Option<&StretchedPassphrase>,
    id: &SecretId,
    iv: &[u8; IV_LEN],
    plaintext: &[u8],
) -> Vec<u8> {
    #[cfg(target_arch = "wasm32")]
    if let Some(subtle) = webcrypto::subtle() {
        let (version, payload_key) = crate::payload::version_and_key(key, passphrase, id);
        if let Some(sealed) =
            webcrypto::seal(&subtle, version, &payload_key, id, iv, plaintext).await
        {
            return sealed;
        }
    }
    seal_inner(key, passphrase, id, iv, plaintext)
}

#[cfg(target_arch = "wasm32")]
mod webcrypto;

pub mod stream;

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use super::*;

    /// Natively every future here is ready at once: poll it one time.
    fn now<F: Future>(future: F) -> F::Output {
        match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(out) => out,
            Poll::Pending => panic!("a native bulk future was not ready"),
        }
    }

    fn fixture() -> (MasterKey, SecretId) {
        (
            MasterKey::from_bytes([7u8; 32]),
            SecretId::parse("a1b2c3d4-0000-4000-8000-000000000001").unwrap(),
        )
    }

    #[test]
    fn natively_the_backend_is_rust() {
        assert_eq!(backend(), Backend::Rust);
    }

    #[test]
    fn same_bytes_as_the_synchronous_seal() {
        let (key, id) = fixture();
        let iv = [5u8; IV_LEN];
        assert_eq!(
            now(seal_with_iv(&key, &id, &iv, b"same bytes")),
            crate::seal_with_iv(&key, &id, &iv, b"same bytes")
        );
    }

    #[test]
    fn opens_what_either_path_sealed() {
        let (key, id) = fixture();
        let stretched = key.stretch_passphrase("correct horse").unwrap();
        let sealed = now(seal_with(&key, Some(&stretched), &id, b"both")).unwrap();
        assert_eq!(sealed[0], 0x10);
        let opened = crate::open_with(&key, Some(&stretched), &id, &sealed).unwrap();
        assert_eq!(opened.as_slice(), b"both");
        let sealed = crate::seal(&key, &id, b"back").unwrap();
        assert_eq!(
            now(open_with(&key, None, &id, &sealed)).unwrap().as_slice(),
            b"back"
        );
    }

    #[test]
    fn refuses_like_the_synchronous_open() {
        let (key, id) = fixture();
        let stretched = key.stretch_passphrase("p").unwrap();
        let sealed = now(seal_with(&key, Some(&stretched), &id, b"x")).unwrap();
        assert_eq!(
            now(open_with(&key, None, &id, &sealed)),
            Err(Error::PassphraseRequired)
        );
        let mut flipped = sealed.clone();
        flipped[20] ^= 1;
        assert_eq!(
            now(open_with(&key, Some(&stretched), &id, &flipped)),
            Err(Error::Authentication)
        );
        assert_eq!(
            now(open_with(&key, None, &id, &[0x01, 0, 0])),
            Err(Error::Format)
        );
    }
}
