//! Arbitrary bytes into the HEIF cleaner: never a panic, never a file of another length, and
//! whatever it accepts it accepts again, with nothing left to remove.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(cleaned) = image_privacy::clean_heif(data) {
        assert_eq!(cleaned.bytes.len(), data.len());
        let again = image_privacy::clean_heif(&cleaned.bytes).expect("cleaned output is accepted");
        assert!(again.findings.is_empty());
        assert_eq!(again.bytes, cleaned.bytes);
    }
});
