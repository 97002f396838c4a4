//! The WebCrypto calls. Any failure other than a failed authentication returns `None`, and
//! the caller falls back to the pure-Rust cipher.

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

pub(super) async fn import(
    subtle: &SubtleCrypto,
    key: &[u8; 32],
    usage: &str,
) -> Option<CryptoKey> {
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

/// AES-GCM parameters; no associated data is the same as empty associated data.
fn params(iv: &[u8], aad: Option<&[u8]>) -> AesGcmParams {
    let params = AesGcmParams::new_with_u8_array("AES-GCM", &Uint8Array::from(iv));
    if let Some(aad) = aad {
        params.set_additional_data_u8_array(&Uint8Array::from(aad));
    }
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
        .encrypt_with_object_and_u8_array(
            &params(iv, Some(id.as_str().as_bytes())),
            &crypto_key,
            plaintext,
        )
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
        .decrypt_with_object_and_u8_array(
            &params(iv, Some(id.as_str().as_bytes())),
            &crypto_key,
            sealed,
        )
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

/// One set of parameters for a run of chunks, and its IV to set before each call: WebCrypto
/// copies the parameters when called, and building them anew for every 64 KiB chunk cost
/// about a sixth of the time in Chromium here.
fn chunk_params() -> (AesGcmParams, Uint8Array) {
    let iv = Uint8Array::new_with_length(12);
    let params = AesGcmParams::new_with_u8_array("AES-GCM", &iv);
    params.set_tag_length(128);
    (params, iv)
}

/// Starts `call` (an encrypt or a decrypt) on every chunk, each with its nonce, and returns
/// the promise of all their results in order; `None` if a call could not start.
fn for_each_chunk(
    chunks: &[([u8; 12], Uint8Array)],
    call: impl Fn(&AesGcmParams, &Uint8Array) -> Result<js_sys::Promise, JsValue>,
) -> Option<JsFuture> {
    let promises = Array::new();
    let (params, iv) = chunk_params();
    for (nonce, data) in chunks {
        iv.copy_from(nonce);
        let promise = call(&params, data).ok()?;
        promises.push(&promise);
    }
    Some(JsFuture::from(js_sys::Promise::all(&promises)))
}

/// Seals consecutive file chunks (no associated data) in one go: WebCrypto works on them
/// side by side, where one call per chunk, awaited in turn, pays a round trip to its
/// worker each. Each chunk is `(nonce, plaintext)`, a view of JavaScript memory that
/// WebCrypto copies when called. Returns the sealed chunks, one buffer each, in order.
pub(super) async fn seal_chunks(
    subtle: &SubtleCrypto,
    key: &CryptoKey,
    chunks: &[([u8; 12], Uint8Array)],
) -> Option<Vec<Uint8Array>> {
    let all = for_each_chunk(chunks, |params, plaintext| {
        subtle.encrypt_with_object_and_js_u8_array(params, key, plaintext)
    })?;
    let sealed = Array::from(&all.await.ok()?);
    let mut out = Vec::with_capacity(chunks.len());
    for (i, (_, plaintext)) in chunks.iter().enumerate() {
        let one = Uint8Array::new(&sealed.get(i as u32));
        if one.length() != plaintext.length() + TAG_LEN as u32 {
            return None;
        }
        out.push(one);
    }
    Some(out)
}

/// Opens consecutive file chunks whose lengths the caller checked, in one go (as
/// [`seal_chunks`]); any chunk that does not authenticate fails them all. Returns the
/// plaintext of each chunk, one buffer each, in order.
pub(super) async fn open_chunks(
    subtle: &SubtleCrypto,
    key: &CryptoKey,
    chunks: &[([u8; 12], Uint8Array)],
) -> Option<Result<Vec<Uint8Array>, Error>> {
    let all = for_each_chunk(chunks, |params, sealed| {
        subtle.decrypt_with_object_and_js_u8_array(params, key, sealed)
    })?;
    // WebCrypto rejects every failed tag check the same way (OperationError).
    let Ok(opened) = all.await else {
        return Some(Err(Error::Authentication));
    };
    let opened = Array::from(&opened);
    let out: Vec<Uint8Array> = opened.iter().map(|b| Uint8Array::new(&b)).collect();
    let whole = out.len() == chunks.len()
        && out
            .iter()
            .zip(chunks)
            .all(|(one, (_, sealed))| one.length() + TAG_LEN as u32 == sealed.length());
    if !whole {
        wipe(&out);
        return None;
    }
    Some(Ok(out))
}

/// Zeroes JavaScript buffers that held plaintext.
pub fn wipe(buffers: &[Uint8Array]) {
    for buffer in buffers {
        buffer.fill(0, 0, buffer.length());
    }
}
