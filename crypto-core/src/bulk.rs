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

/// The WebCrypto calls. Any failure other than a failed authentication returns `None`, and
/// the caller falls back to the pure-Rust cipher.
#[cfg(target_arch = "wasm32")]
mod webcrypto {
    use js_sys::{Array, Object, Reflect, Uint8Array};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{AesGcmParams, CryptoKey, SubtleCrypto};
    use zeroize::Zeroizing;

    use crate::payload::{IV_LEN, TAG_LEN, Version};
    use crate::{Error, SecretId};

    /// `crypto.subtle` of the page or worker, if it has one.
    pub(super) fn subtle() -> Option<SubtleCrypto> {
        let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).ok()?;
        if crypto.is_undefined() || crypto.is_null() {
            return None;
        }
        let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle")).ok()?;
        if subtle.is_undefined() || subtle.is_null() {
            return None;
        }
        Some(subtle.unchecked_into())
    }

    async fn import(subtle: &SubtleCrypto, key: &[u8; 32], usage: &str) -> Option<CryptoKey> {
        let raw = Uint8Array::from(key.as_slice());
        let algorithm = Object::new();
        Reflect::set(&algorithm, &"name".into(), &"AES-GCM".into()).ok()?;
        let usages = Array::of1(&JsValue::from_str(usage));
        let promise = subtle.import_key_with_object("raw", &raw, &algorithm, false, &usages);
        // importKey copies the key before it returns: wipe the JavaScript copy now.
        raw.fill(0, 0, raw.length());
        JsFuture::from(promise.ok()?)
            .await
            .ok()
            .map(JsCast::unchecked_into)
    }

    fn params(iv: &[u8], id: &SecretId) -> AesGcmParams {
        let params = AesGcmParams::new_with_u8_array("AES-GCM", &Uint8Array::from(iv));
        params.set_additional_data_u8_array(&Uint8Array::from(id.as_str().as_bytes()));
        params.set_tag_length(128);
        params
    }

    pub(super) async fn seal(
        subtle: &SubtleCrypto,
        version: Version,
        key: &[u8; 32],
        id: &SecretId,
        iv: &[u8; IV_LEN],
        plaintext: &[u8],
    ) -> Option<Vec<u8>> {
        let crypto_key = import(subtle, key, "encrypt").await?;
        // The plaintext is passed as a view of the WASM memory (no copy); WebCrypto copies
        // it before `encrypt` returns, so nothing can change it under the cipher.
        let promise = subtle
            .encrypt_with_object_and_u8_array(&params(iv, id), &crypto_key, plaintext)
            .ok()?;
        let sealed = Uint8Array::new(&JsFuture::from(promise).await.ok()?);
        let sealed_len = sealed.length() as usize;
        if sealed_len != plaintext.len() + TAG_LEN {
            return None;
        }
        let mut out = vec![0u8; 1 + IV_LEN + sealed_len];
        out[0] = version.byte();
        out[1..1 + IV_LEN].copy_from_slice(iv);
        sealed.copy_to(&mut out[1 + IV_LEN..]);
        Some(out)
    }

    /// `payload` has been checked: a known version, at least version, IV and tag long.
    pub(super) async fn open(
        subtle: &SubtleCrypto,
        key: &[u8; 32],
        id: &SecretId,
        payload: &[u8],
    ) -> Option<Result<Zeroizing<Vec<u8>>, Error>> {
        let (iv, sealed) = payload.get(1..)?.split_at_checked(IV_LEN)?;
        let crypto_key = import(subtle, key, "decrypt").await?;
        let promise = subtle
            .decrypt_with_object_and_u8_array(&params(iv, id), &crypto_key, sealed)
            .ok()?;
        // WebCrypto rejects every failed tag check the same way (OperationError).
        let Ok(opened) = JsFuture::from(promise).await else {
            return Some(Err(Error::Authentication));
        };
        let opened = Uint8Array::new(&opened);
        let mut plaintext = Zeroizing::new(vec![0u8; opened.length() as usize]);
        opened.copy_to(&mut plaintext);
        // Leave no copy of the plaintext in the JavaScript heap.
        opened.fill(0, 0, opened.length());
        Some(Ok(plaintext))
    }
}

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
