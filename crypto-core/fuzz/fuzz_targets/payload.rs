//! Arbitrary bytes as a payload: never a panic, and never an opening under a fixed key.
#![no_main]

use crypto_core::{MasterKey, SecretId, check_payload, open};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = MasterKey::from_bytes([7; 32]);
    let id = SecretId::parse("a1b2c3d4-0000-4000-8000-000000000001").expect("valid id");
    let _ = check_payload(data);
    assert!(open(&key, &id, data).is_err(), "forged a payload");
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crypto_core::base64::decode(text);
    }
});
