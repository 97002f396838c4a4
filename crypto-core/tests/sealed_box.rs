//! Sealed boxes (HPKE base mode, `crypto_core::sealed_box`) against RFC 9180's own vector for
//! the suite (`fixtures/vectors/rfc9180-base-x25519-sha256-aes256gcm.json`, extracted by
//! `fixtures/rfc9180.py`), and what a box refuses.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

use crypto_core::Error;
use crypto_core::sealed_box::{self, BoxPublicKey, BoxSecretKey};
use serde_json::Value;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn vector() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/vectors/rfc9180-base-x25519-sha256-aes256gcm.json"
    );
    let all: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    all[0].clone()
}

#[test]
fn the_rfc_vector_seals_and_opens_bit_for_bit() {
    let v = vector();
    assert_eq!(
        (v["mode"].as_u64(), v["kem_id"].as_u64()),
        (Some(0), Some(0x20))
    );
    assert_eq!(
        (v["kdf_id"].as_u64(), v["aead_id"].as_u64()),
        (Some(1), Some(2))
    );
    let field = |name: &str| hex(v[name].as_str().unwrap());
    let recipient = BoxSecretKey::from_bytes(&field("skRm")).unwrap();
    assert_eq!(recipient.public_key().to_bytes().to_vec(), field("pkRm"));
    let to = BoxPublicKey::from_bytes(&field("pkRm")).unwrap();
    let info = field("info");
    let ikm_e: [u8; 32] = field("ikmE").try_into().unwrap();
    // A box is one message: the context's first encryption (sequence number 0).
    let first = &v["encryptions"][0];
    let (pt, aad, ct) = (
        hex(first["pt"].as_str().unwrap()),
        hex(first["aad"].as_str().unwrap()),
        hex(first["ct"].as_str().unwrap()),
    );
    let sealed = sealed_box::seal_with_ephemeral(&to, &info, &aad, &pt, &ikm_e).unwrap();
    assert_eq!(sealed[..32], field("enc")[..]);
    assert_eq!(sealed[32..], ct[..]);
    assert_eq!(
        sealed_box::open(&recipient, &info, &aad, &sealed)
            .unwrap()
            .as_slice(),
        pt.as_slice()
    );
}

#[test]
fn a_box_opens_only_with_its_key_context_and_bytes() {
    let key = BoxSecretKey::generate().unwrap();
    let to = key.public_key();
    let sealed = sealed_box::seal(&to, b"oncelink test", b"request 1", b"the answer").unwrap();
    assert_eq!(sealed.len(), 32 + 10 + 16);
    let open = |key: &BoxSecretKey, info: &[u8], aad: &[u8], sealed: &[u8]| {
        sealed_box::open(key, info, aad, sealed).map(|p| p.to_vec())
    };
    assert_eq!(
        open(&key, b"oncelink test", b"request 1", &sealed),
        Ok(b"the answer".to_vec())
    );
    // Two seals of the same message differ (a fresh ephemeral key each time).
    assert_ne!(
        sealed,
        sealed_box::seal(&to, b"oncelink test", b"request 1", b"the answer").unwrap()
    );
    let other = BoxSecretKey::generate().unwrap();
    assert_eq!(
        open(&other, b"oncelink test", b"request 1", &sealed),
        Err(Error::Authentication)
    );
    assert_eq!(
        open(&key, b"another", b"request 1", &sealed),
        Err(Error::Authentication)
    );
    assert_eq!(
        open(&key, b"oncelink test", b"request 2", &sealed),
        Err(Error::Authentication)
    );
    for i in [0, 31, 32, sealed.len() - 1] {
        let mut bad = sealed.clone();
        bad[i] ^= 1;
        assert_eq!(
            open(&key, b"oncelink test", b"request 1", &bad),
            Err(Error::Authentication),
            "byte {i}"
        );
    }
    assert_eq!(
        open(&key, b"oncelink test", b"request 1", &sealed[..47]),
        Err(Error::Format)
    );
    // Keys round-trip through their bytes; wrong lengths are refused.
    let again = BoxSecretKey::from_bytes(key.to_bytes().as_ref()).unwrap();
    assert_eq!(again.public_key(), to);
    assert_eq!(BoxPublicKey::from_bytes(&to.to_bytes()).unwrap(), to);
    assert_eq!(BoxPublicKey::from_bytes(&[0; 31]), Err(Error::Key));
    assert!(BoxSecretKey::from_bytes(&[0; 33]).is_err());
}
