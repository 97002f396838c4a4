//! The only place the UI touches `crypto-core`.

use crypto_core::{Envelope, MasterKey, SecretId};

/// Seals and opens a short text with fresh key and id, in whatever runtime this is
/// (WASM in the browser), and reports what happened.
pub fn self_test() -> Result<SelfTest, crypto_core::Error> {
    const MESSAGE: &str = "sealed and opened by crypto-core";
    let key = MasterKey::generate()?;
    let id = SecretId::generate()?;
    let payload = crypto_core::seal(&key, &id, &Envelope::text_only(MESSAGE).pack()?)?;
    let opened = Envelope::unpack(&crypto_core::open(&key, &id, &payload)?)?;
    Ok(SelfTest {
        payload_len: payload.len(),
        text: opened.text().to_owned(),
    })
}

/// The outcome of [`self_test`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfTest {
    /// Size of the encrypted payload.
    pub payload_len: usize,
    /// The text after the round trip.
    pub text: String,
}
