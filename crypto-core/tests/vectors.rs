//! The wire-format vectors: the repository's own (`fixtures/vectors/wire-format.json`, made
//! by `fixtures/generate.py` with Python's `cryptography` and `argon2-cffi`) and, when
//! present, the shared ones (`../shared/vectors/wire-format.json`, made with WebCrypto).
//! Every valid entry must derive the same key and open to exactly its envelope; every
//! invalid one must fail with the named kind of error.

#![allow(clippy::unwrap_used)] // tests: a panic is a failure report

use std::collections::BTreeSet;

use crypto_core::{
    Envelope, ErrorKind, IV_LEN, MasterKey, SecretId, StretchedPassphrase, base64, open, open_with,
    seal_with_iv,
};
use serde::Deserialize;
use testkit::fixtures::{FixtureRoot, Origin, fixture_roots};

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
    /// Version `0x10` entries: the passphrase, and the proof it yields.
    passphrase: Option<String>,
    passphrase_proof_b64url: Option<String>,
    access_proof_b64url: Option<String>,
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
    passphrase: Option<String>,
}

/// Every root's vectors, each with the entries it must have at least: the repository's
/// count as generated, the shared file's as it ships.
fn all_vectors() -> Vec<(FixtureRoot, Vectors)> {
    let all: Vec<_> = fixture_roots()
        .into_iter()
        .map(|root| {
            let vectors: Vectors = serde_json::from_str(&root.vectors_json()).unwrap();
            let (valid, invalid) = match root.origin() {
                Origin::Repository => (17, 29),
                Origin::Shared => (6, 8),
            };
            assert!(
                vectors.valid.len() >= valid && vectors.invalid.len() >= invalid,
                "{}: the vector file lost entries",
                root.name()
            );
            println!(
                "{}: {} valid and {} invalid vectors",
                root.name(),
                vectors.valid.len(),
                vectors.invalid.len()
            );
            (root, vectors)
        })
        .collect();
    assert_eq!(all[0].0.origin(), Origin::Repository);
    all
}

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2));
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn error_kind(name: &str) -> ErrorKind {
    match name {
        "authentication" => ErrorKind::Authentication,
        "version" => ErrorKind::Version,
        "format" => ErrorKind::Format,
        "key" => ErrorKind::Key,
        "id" => ErrorKind::Id,
        "passphrase_required" => ErrorKind::PassphraseRequired,
        other => panic!("unknown error kind {other}"),
    }
}

fn stretched(key: &MasterKey, passphrase: Option<&str>) -> Option<StretchedPassphrase> {
    passphrase.map(|p| key.stretch_passphrase(p).unwrap())
}

#[test]
fn valid_vectors_open_exactly() {
    for (root, vectors) in all_vectors() {
        for v in &vectors.valid {
            let name = format!("{}/{}", root.name(), v.name);
            let key = MasterKey::from_base64url(&v.master_key_b64url).unwrap();
            let id = SecretId::parse(&v.secret_id).unwrap();
            let passphrase = stretched(&key, v.passphrase.as_deref());
            let payload = base64::decode(&v.payload_b64).unwrap();
            let plaintext = open_with(&key, passphrase.as_ref(), &id, &payload).unwrap();
            assert_eq!(
                plaintext.to_vec(),
                unhex(&v.envelope_hex),
                "{name}: envelope"
            );

            let envelope = Envelope::unpack(&plaintext).unwrap();
            assert_eq!(envelope.text(), v.expect.text, "{name}: text");
            assert_eq!(
                envelope.image().map(|i| i.mime()),
                v.expect.mime.as_deref(),
                "{name}"
            );
            assert_eq!(
                envelope.image().map(|i| i.bytes().to_vec()),
                v.expect.image_hex.as_deref().map(unhex),
                "{name}: image"
            );

            if let Some(proof) = &v.access_proof_b64url {
                assert_eq!(&key.access_proof().to_base64url(), proof, "{name}: access");
            }
            match &passphrase {
                Some(stretched) => {
                    assert_eq!(payload[0], 0x10, "{name}: version");
                    assert_eq!(
                        Some(stretched.proof().to_base64url()),
                        v.passphrase_proof_b64url,
                        "{name}: passphrase proof"
                    );
                    // The derived key has no public accessor for 0x10: that AES-GCM
                    // authenticated the payload under it above is the check.
                    assert_eq!(
                        open(&key, &id, &payload).unwrap_err().kind(),
                        ErrorKind::PassphraseRequired,
                        "{name}"
                    );
                }
                None => {
                    assert_eq!(
                        key.payload_key(&id).expose_secret().to_vec(),
                        unhex(&v.derived_key_hex),
                        "{name}: derived key"
                    );
                    // Sealing the same envelope under the same IV gives the payload byte
                    // for byte.
                    let iv: [u8; IV_LEN] = unhex(&v.iv_hex).try_into().unwrap();
                    assert_eq!(
                        seal_with_iv(&key, &id, &iv, &plaintext),
                        payload,
                        "{name}: seal"
                    );
                }
            }

            // Typed envelopes re-pack to the same bytes (legacy ones become typed).
            match plaintext.first() {
                Some(0 | 1) => {
                    assert_eq!(*envelope.pack().unwrap(), plaintext.to_vec(), "{name}: pack")
                }
                Some(2) => assert_eq!(
                    *envelope.pack_padded().unwrap(),
                    plaintext.to_vec(),
                    "{name}: pack padded"
                ),
                _ => {}
            }
        }
    }
}

#[test]
fn invalid_vectors_fail_with_their_kind() {
    for (root, vectors) in all_vectors() {
        let kinds: BTreeSet<&str> = vectors
            .invalid
            .iter()
            .map(|v| v.expect_error.as_str())
            .collect();
        for kind in ["authentication", "version", "format", "key"] {
            assert!(kinds.contains(kind), "{}: no {kind} case", root.name());
        }
        for v in &vectors.invalid {
            let name = format!("{}/{}", root.name(), v.name);
            let expected = error_kind(&v.expect_error);
            let result = MasterKey::from_base64url(&v.master_key_b64url).and_then(|key| {
                let id = SecretId::parse(&v.secret_id)?;
                let payload = base64::decode(&v.payload_b64).ok_or(crypto_core::Error::Format)?;
                let passphrase = stretched(&key, v.passphrase.as_deref());
                open_with(&key, passphrase.as_ref(), &id, &payload)
            });
            match result {
                Ok(_) => panic!("{name}: opened but should fail with {expected:?}"),
                Err(e) => assert_eq!(e.kind(), expected, "{name}: {e}"),
            }
        }
    }
}

/// Every single-bit flip of every valid payload is refused.
#[test]
fn every_flipped_bit_of_every_vector_is_refused() {
    for (root, vectors) in all_vectors() {
        for v in vectors.valid {
            let key = MasterKey::from_base64url(&v.master_key_b64url).unwrap();
            let id = SecretId::parse(&v.secret_id).unwrap();
            let passphrase = stretched(&key, v.passphrase.as_deref());
            let payload = base64::decode(&v.payload_b64).unwrap();
            for bit in 0..payload.len() * 8 {
                let mut tampered = payload.clone();
                tampered[bit / 8] ^= 1 << (bit % 8);
                let err = open_with(&key, passphrase.as_ref(), &id, &tampered).unwrap_err();
                let expected = if bit < 8 {
                    ErrorKind::Version
                } else {
                    ErrorKind::Authentication
                };
                assert_eq!(err.kind(), expected, "{}/{} bit {bit}", root.name(), v.name);
            }
        }
    }
}
