//! The one HKDF helper, and the labels of everything derived with it.

use hkdf::Hkdf;
use sha2::Sha256;

/// HKDF salt of the payload key; fixed by the Only Once Share format.
pub(crate) const PAYLOAD_KEY_SALT: &[u8] = b"only-once-share-v1";
/// HKDF salt and info of the access proof (proves the key to the server before a reveal).
pub(crate) const ACCESS_PROOF: (&[u8], &[u8]) = (b"oncelink-access-v1", b"access proof");
/// HKDF salt and info of the Argon2id salt of a passphrase.
pub(crate) const PASSPHRASE_SALT: (&[u8], &[u8]) = (b"oncelink-passphrase-v1", b"argon2id salt");
/// HKDF salt and info of the passphrase proof.
pub(crate) const PASSPHRASE_PROOF: (&[u8], &[u8]) =
    (b"oncelink-passphrase-v1", b"passphrase proof");
/// HKDF salt and info of the manage proof (what the sender presents instead of the token).
pub(crate) const MANAGE_PROOF: (&[u8], &[u8]) = (b"oncelink-manage-v1", b"manage proof");
/// HKDF salt of everything a request derives (labels in `request.rs`).
pub(crate) const REQUEST_SALT: &[u8] = b"oncelink-request-v1";
/// HKDF salt of the payload key of passphrase-protected (`0x10`) payloads.
pub(crate) const PAYLOAD_KEY_V2_SALT: &[u8] = b"oncelink-payload-v2";

/// HKDF-SHA-256 (RFC 5869): extract with `salt`, expand with `info` into `okm`.
///
/// `okm` is at most 255 × 32 bytes; every caller in this crate asks for 32.
pub(crate) fn hkdf_sha256(ikm: &[u8], salt: &[u8], info: &[u8], okm: &mut [u8]) {
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, okm)
        .expect("HKDF output length is at most 255 hash lengths");
}

#[cfg(test)]
mod tests {
    use super::hkdf_sha256;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 5869, appendix A, test cases 1–3 (SHA-256).
    #[test]
    fn rfc5869_sha256_cases() {
        let cases = [
            (
                "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
                "000102030405060708090a0b0c",
                "f0f1f2f3f4f5f6f7f8f9",
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
            ),
            (
                "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\
                 202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\
                 404142434445464748494a4b4c4d4e4f",
                "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f\
                 808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f\
                 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
                "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf\
                 d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef\
                 f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
                "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c\
                 59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71\
                 cc30c58179ec3e87c14c01d5c1f3434f1d87",
            ),
            (
                "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
                "",
                "",
                "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
            ),
        ];
        for (ikm, salt, info, okm) in cases {
            let expected = unhex(okm);
            let mut out = vec![0u8; expected.len()];
            hkdf_sha256(&unhex(ikm), &unhex(salt), &unhex(info), &mut out);
            assert_eq!(out, expected, "okm for ikm {ikm}");
        }
    }
}
