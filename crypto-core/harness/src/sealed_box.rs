//! RFC 9180's vector for `crypto_core::sealed_box`'s suite, in the browser: the checks of
//! `crypto-core/tests/sealed_box.rs`, on the WASM build.

use crypto_core::sealed_box::{self, BoxPublicKey, BoxSecretKey};
use serde::Deserialize;
use wasm_bindgen::prelude::*;

use crate::{Report, unhex};

#[derive(Deserialize)]
struct Entry {
    info: String,
    #[serde(rename = "ikmE")]
    ikm_e: String,
    #[serde(rename = "skRm")]
    sk_rm: String,
    #[serde(rename = "pkRm")]
    pk_rm: String,
    enc: String,
    encryptions: Vec<Encryption>,
}

#[derive(Deserialize)]
struct Encryption {
    aad: String,
    pt: String,
    ct: String,
}

/// Checks the vector file (`rfc9180-base-x25519-sha256-aes256gcm.json`, as text): the
/// recipient's public key from `skRm`, `enc` and the first ciphertext sealed with `ikmE` bit
/// for bit, and the box opened back (four checks). Returns a JSON report.
#[wasm_bindgen]
pub fn check_sealed_box(json: String) -> Result<String, JsValue> {
    let entries: Vec<Entry> =
        serde_json::from_str(&json).map_err(|e| JsValue::from_str(&e.to_string()))?;
    let mut report = Report::new();
    let Some(v) = entries.first() else {
        report.check(false, || "no entry".into());
        return Ok(report.to_json());
    };
    let field = |s: &str| unhex(s).unwrap_or_default();
    let (Ok(recipient), Some(first)) = (
        BoxSecretKey::from_bytes(&field(&v.sk_rm)),
        v.encryptions.first(),
    ) else {
        report.check(false, || "unreadable skRm or no encryption".into());
        return Ok(report.to_json());
    };
    let public = recipient.public_key();
    report.check(public.to_bytes().to_vec() == field(&v.pk_rm), || {
        "pkRm".into()
    });
    let ikm_e: [u8; 32] = field(&v.ikm_e).try_into().unwrap_or([0; 32]);
    let (info, aad, pt) = (field(&v.info), field(&first.aad), field(&first.pt));
    let sealed = BoxPublicKey::from_bytes(&field(&v.pk_rm))
        .and_then(|to| sealed_box::seal_with_ephemeral(&to, &info, &aad, &pt, &ikm_e))
        .unwrap_or_default();
    report.check(sealed.get(..32) == Some(&field(&v.enc)[..]), || {
        "enc".into()
    });
    report.check(sealed.get(32..) == Some(&field(&first.ct)[..]), || {
        "ct".into()
    });
    let opened = sealed_box::open(&recipient, &info, &aad, &sealed);
    report.check(opened.map(|p| p.to_vec()) == Ok(pt), || "open".into());
    Ok(report.to_json())
}
