//! `crypto-core` in Chromium, for `end2end/tests/crypto.spec.ts` and the benchmark
//! `end2end/bench/crypto.bench.ts`. It proves that `crypto_core::bulk` (WebCrypto for the
//! AES-GCM step) and the pure-Rust path give the same bytes, over the wire-format vectors
//! (the repository's own and the shared ones) and large random buffers, and times both.
//! Built with the web app's `wasm-release` profile, never shipped (the app's bundle is
//! `frontend`).
#![forbid(unsafe_code)]

use std::cell::RefCell;

mod sealed_box;
mod streams;

use crypto_core::{Envelope, ErrorKind, IV_LEN, MasterKey, SecretId, base64, bulk};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

/// "webcrypto" or "rust": the backend `crypto_core::bulk` uses in this page.
#[wasm_bindgen]
pub fn backend() -> String {
    match bulk::backend() {
        bulk::Backend::WebCrypto => "webcrypto",
        bulk::Backend::Rust => "rust",
    }
    .to_owned()
}

#[derive(Deserialize)]
struct Vectors {
    valid: Vec<Valid>,
    invalid: Vec<Invalid>,
}

#[derive(Deserialize)]
struct Valid {
    name: String,
    secret_id: String,
    master_key_b64url: String,
    iv_hex: String,
    envelope_hex: String,
    payload_b64: String,
    /// Version `0x10` entries only.
    passphrase: Option<String>,
}

#[derive(Deserialize)]
struct Invalid {
    name: String,
    secret_id: String,
    master_key_b64url: String,
    payload_b64: String,
    expect_error: String,
    passphrase: Option<String>,
}

/// What a check found: how many cases ran, which failed and why.
#[derive(Serialize, Default)]
struct Report {
    backend: String,
    checked: usize,
    failures: Vec<String>,
}

impl Report {
    fn new() -> Self {
        Report {
            backend: backend(),
            ..Report::default()
        }
    }

    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        self.checked += 1;
        if !ok {
            self.failures.push(what());
        }
    }

    fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Runs a vector file (`wire-format.json`, given as text) through `bulk`: every valid
/// entry opens to its envelope and seals to its payload byte for byte under its IV (a
/// passphrase entry, which `bulk` cannot seal under a chosen IV, must instead refuse to
/// open without its passphrase); every invalid one fails with its kind of error. Three
/// checks per valid entry and one per invalid one. Returns a JSON report.
#[wasm_bindgen]
pub async fn check_vectors(json: String) -> Result<String, JsValue> {
    let vectors: Vectors =
        serde_json::from_str(&json).map_err(|e| JsValue::from_str(&e.to_string()))?;
    let mut report = Report::new();
    for v in &vectors.valid {
        let (Ok(key), Ok(id), Some(payload), Some(envelope), Some(iv)) = (
            MasterKey::from_base64url(&v.master_key_b64url),
            SecretId::parse(&v.secret_id),
            base64::decode(&v.payload_b64),
            unhex(&v.envelope_hex),
            unhex(&v.iv_hex).and_then(|iv| <[u8; IV_LEN]>::try_from(iv).ok()),
        ) else {
            report.check(false, || format!("{}: unreadable vector", v.name));
            continue;
        };
        let stretched = match v.passphrase.as_deref().map(|p| key.stretch_passphrase(p)) {
            None => None,
            Some(Ok(stretched)) => Some(stretched),
            Some(Err(e)) => {
                report.check(false, || format!("{}: stretching failed: {e}", v.name));
                continue;
            }
        };
        let opened = bulk::open_with(&key, stretched.as_ref(), &id, &payload).await;
        report.check(
            opened.as_deref().map(Vec::as_slice) == Ok(envelope.as_slice()),
            || format!("{}: open gave {:?}", v.name, opened.as_ref().err()),
        );
        report.check(Envelope::unpack(&envelope).is_ok(), || {
            format!("{}: envelope does not unpack", v.name)
        });
        if stretched.is_some() {
            let refused = bulk::open_with(&key, None, &id, &payload).await;
            report.check(
                refused.as_ref().err() == Some(&crypto_core::Error::PassphraseRequired),
                || {
                    format!(
                        "{}: opening without the passphrase gave {:?}",
                        v.name,
                        refused.err()
                    )
                },
            );
        } else {
            let sealed = bulk::seal_with_iv(&key, &id, &iv, &envelope).await;
            report.check(sealed == payload, || format!("{}: seal differs", v.name));
        }
    }
    for v in &vectors.invalid {
        let expected = match v.expect_error.as_str() {
            "authentication" => ErrorKind::Authentication,
            "version" => ErrorKind::Version,
            "format" => ErrorKind::Format,
            "key" => ErrorKind::Key,
            "id" => ErrorKind::Id,
            "passphrase_required" => ErrorKind::PassphraseRequired,
            other => {
                report.check(false, || format!("{}: unknown kind {other}", v.name));
                continue;
            }
        };
        let result = match (
            MasterKey::from_base64url(&v.master_key_b64url),
            SecretId::parse(&v.secret_id),
            base64::decode(&v.payload_b64),
        ) {
            (Err(e), _, _) | (_, Err(e), _) => Err(e),
            (_, _, None) => Err(crypto_core::Error::Format),
            (Ok(key), Ok(id), Some(payload)) => {
                match v.passphrase.as_deref().map(|p| key.stretch_passphrase(p)) {
                    None => bulk::open_with(&key, None, &id, &payload).await.map(drop),
                    Some(Ok(stretched)) => bulk::open_with(&key, Some(&stretched), &id, &payload)
                        .await
                        .map(drop),
                    Some(Err(e)) => Err(e),
                }
            }
        };
        let kind = result.as_ref().err().map(crypto_core::Error::kind);
        report.check(kind == Some(expected), || {
            format!("{}: expected {expected:?}, got {kind:?}", v.name)
        });
    }
    Ok(report.to_json())
}

/// Seals and opens `size` random-looking bytes across the two paths (with and without a
/// passphrase) and checks they agree; a flipped bit must fail the same way. Returns a JSON
/// report.
#[wasm_bindgen]
pub async fn cross_check(size: usize) -> Result<String, JsValue> {
    let err = |e: crypto_core::Error| JsValue::from_str(&e.to_string());
    let key = MasterKey::generate().map_err(err)?;
    let id = SecretId::generate().map_err(err)?;
    let plaintext = pattern(size);
    let mut report = Report::new();

    let iv = [0x5a; IV_LEN];
    let fast = bulk::seal_with_iv(&key, &id, &iv, &plaintext).await;
    report.check(
        fast == crypto_core::seal_with_iv(&key, &id, &iv, &plaintext),
        || "seal under one IV differs between the paths".to_owned(),
    );

    let stretched = key.stretch_passphrase("harness passphrase").map_err(err)?;
    for passphrase in [None, Some(&stretched)] {
        let label = if passphrase.is_some() { "0x10" } else { "0x01" };
        let sealed = bulk::seal_with(&key, passphrase, &id, &plaintext)
            .await
            .map_err(err)?;
        let opened = crypto_core::open_with(&key, passphrase, &id, &sealed);
        report.check(
            opened.as_deref().map(Vec::as_slice) == Ok(plaintext.as_slice()),
            || format!("{label}: bulk seal, Rust open"),
        );
        let sealed = crypto_core::seal_with(&key, passphrase, &id, &plaintext).map_err(err)?;
        let opened = bulk::open_with(&key, passphrase, &id, &sealed).await;
        report.check(
            opened.as_deref().map(Vec::as_slice) == Ok(plaintext.as_slice()),
            || format!("{label}: Rust seal, bulk open"),
        );
        let mut flipped = sealed;
        if let Some(last) = flipped.last_mut() {
            *last ^= 0x80;
        }
        let refused = bulk::open_with(&key, passphrase, &id, &flipped).await;
        report.check(
            refused.as_ref().err() == Some(&crypto_core::Error::Authentication),
            || {
                format!(
                    "{label}: a flipped tag bit gave {:?}",
                    refused.as_ref().err()
                )
            },
        );
    }
    Ok(report.to_json())
}

/// Deterministic, incompressible-enough bytes (the cipher's speed does not depend on them).
fn pattern(size: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_u32;
    (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect()
}

struct Bench {
    key: MasterKey,
    id: SecretId,
    plaintext: Vec<u8>,
    sealed: Vec<u8>,
}

thread_local! {
    static BENCH: RefCell<Option<std::rc::Rc<Bench>>> = const { RefCell::new(None) };
}

/// Keeps `plaintext` (the benchmark's buffer) in WASM memory with a fresh key, and a
/// payload of it sealed by the Rust path for the open timings.
#[wasm_bindgen]
pub fn bench_prepare(plaintext: Vec<u8>) -> Result<(), JsValue> {
    let err = |e: crypto_core::Error| JsValue::from_str(&e.to_string());
    let key = MasterKey::generate().map_err(err)?;
    let id = SecretId::generate().map_err(err)?;
    let sealed = crypto_core::seal(&key, &id, &plaintext).map_err(err)?;
    let bench = Bench {
        key,
        id,
        plaintext,
        sealed,
    };
    BENCH.with(|b| *b.borrow_mut() = Some(std::rc::Rc::new(bench)));
    Ok(())
}

fn bench() -> Result<std::rc::Rc<Bench>, JsValue> {
    BENCH
        .with(|b| b.borrow().clone())
        .ok_or_else(|| JsValue::from_str("bench_prepare first"))
}

/// Seals the prepared buffer: `crypto_core::bulk` (WebCrypto) when `webcrypto`, else the
/// pure-Rust `crypto_core::seal`. Returns the payload's length.
#[wasm_bindgen]
pub async fn bench_seal(webcrypto: bool) -> Result<usize, JsValue> {
    let b = bench()?;
    let sealed = if webcrypto {
        bulk::seal_with(&b.key, None, &b.id, &b.plaintext).await
    } else {
        crypto_core::seal(&b.key, &b.id, &b.plaintext)
    };
    sealed
        .map(|s| s.len())
        .map_err(|e| JsValue::from_str(&e.to_string()))
}

/// Opens the prepared payload by either path. Returns the plaintext's length.
#[wasm_bindgen]
pub async fn bench_open(webcrypto: bool) -> Result<usize, JsValue> {
    let b = bench()?;
    let opened = if webcrypto {
        bulk::open_with(&b.key, None, &b.id, &b.sealed).await
    } else {
        crypto_core::open(&b.key, &b.id, &b.sealed)
    };
    opened
        .map(|p| p.len())
        .map_err(|e| JsValue::from_str(&e.to_string()))
}
