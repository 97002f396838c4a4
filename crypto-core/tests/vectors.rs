//! The shared wire-format vectors (`../shared/vectors/wire-format.json`), made independently
//! with WebCrypto: every valid entry must derive the same key and open to exactly its
//! envelope; every invalid one must fail with the named kind of error.

#![allow(clippy::unwrap_used)] // tests: a panic is a failure report

use crypto_core::{Envelope, ErrorKind, IV_LEN, MasterKey, SecretId, base64, open, seal_with_iv};
use serde::Deserialize;

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
    derived_key_hex: String,
    iv_hex: String,
    envelope_hex: String,
    payload_b64: String,
    expect: Expect,
}

#[derive(Deserialize)]
struct Expect {
    text: String,
    mime: Option<String>,
    image_hex: Option<String>,
}

#[derive(Deserialize)]
struct Invalid {
    name: String,
    secret_id: String,
    master_key_b64url: String,
    payload_b64: String,
    expect_error: String,
}

fn vectors() -> Vectors {
    let dir = std::env::var("ONCELINK_SHARED_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared").to_owned());
    let path = format!("{dir}/vectors/wire-format.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {path} (set ONCELINK_SHARED_DIR): {e}"));
    serde_json::from_str(&text).unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2));
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn valid_vectors_open_exactly() {
    let vectors = vectors();
    assert!(vectors.valid.len() >= 6, "the vector file lost entries");
    for v in &vectors.valid {
        let key = MasterKey::from_base64url(&v.master_key_b64url).unwrap();
        let id = SecretId::parse(&v.secret_id).unwrap();
        assert_eq!(
            key.payload_key(&id).expose_secret().to_vec(),
            unhex(&v.derived_key_hex),
            "{}: derived key",
            v.name
        );

        let payload = base64::decode(&v.payload_b64).unwrap();
        let plaintext = open(&key, &id, &payload).unwrap();
        assert_eq!(
            plaintext.to_vec(),
            unhex(&v.envelope_hex),
            "{}: envelope",
            v.name
        );

        let envelope = Envelope::unpack(&plaintext).unwrap();
        assert_eq!(envelope.text(), v.expect.text, "{}: text", v.name);
        assert_eq!(
            envelope.image().map(|i| i.mime()),
            v.expect.mime.as_deref(),
            "{}",
            v.name
        );
        assert_eq!(
            envelope.image().map(|i| i.bytes().to_vec()),
            v.expect.image_hex.as_deref().map(unhex),
            "{}: image",
            v.name
        );

        // Sealing the same envelope under the same IV gives the vector's payload byte for byte.
        let iv: [u8; IV_LEN] = unhex(&v.iv_hex).try_into().unwrap();
        assert_eq!(
            seal_with_iv(&key, &id, &iv, &plaintext),
            payload,
            "{}: seal",
            v.name
        );

        // Typed envelopes re-pack to the same bytes (legacy ones become typed).
        if plaintext.first().is_some_and(|&b| b <= 1) {
            assert_eq!(
                *envelope.pack().unwrap(),
                plaintext.to_vec(),
                "{}: pack",
                v.name
            );
        }
    }
}

#[test]
fn invalid_vectors_fail_with_their_kind() {
    let vectors = vectors();
    assert!(vectors.invalid.len() >= 8, "the vector file lost entries");
    for v in &vectors.invalid {
        let expected = match v.expect_error.as_str() {
            "authentication" => ErrorKind::Authentication,
            "version" => ErrorKind::Version,
            "format" => ErrorKind::Format,
            "key" => ErrorKind::Key,
            other => panic!("{}: unknown error kind {other}", v.name),
        };
        let result = MasterKey::from_base64url(&v.master_key_b64url).and_then(|key| {
            let id = SecretId::parse(&v.secret_id)?;
            let payload = base64::decode(&v.payload_b64).ok_or(crypto_core::Error::Format)?;
            open(&key, &id, &payload)
        });
        match result {
            Ok(_) => panic!("{}: opened but should fail with {expected:?}", v.name),
            Err(e) => assert_eq!(e.kind(), expected, "{}: {e}", v.name),
        }
    }
}

/// Every single-bit flip of every valid payload is refused.
#[test]
fn every_flipped_bit_of_every_vector_is_refused() {
    for v in vectors().valid {
        let key = MasterKey::from_base64url(&v.master_key_b64url).unwrap();
        let id = SecretId::parse(&v.secret_id).unwrap();
        let payload = base64::decode(&v.payload_b64).unwrap();
        for bit in 0..payload.len() * 8 {
            let mut tampered = payload.clone();
            tampered[bit / 8] ^= 1 << (bit % 8);
            let err = open(&key, &id, &tampered).unwrap_err();
            let expected = if bit < 8 {
                ErrorKind::Version
            } else {
                ErrorKind::Authentication
            };
            assert_eq!(err.kind(), expected, "{} bit {bit}", v.name);
        }
    }
}
