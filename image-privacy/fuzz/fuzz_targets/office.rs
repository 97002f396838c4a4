//! Arbitrary bytes into the Office cleaner: never a panic, and whatever it accepts it accepts
//! again with no author, company or comments left to remove.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(cleaned) = image_privacy::clean_office(data) {
        let again = image_privacy::clean_office(&cleaned.bytes).expect("cleaned output is accepted");
        assert!(again.findings.author.is_none());
        assert!(again.findings.company.is_none());
        assert!(!again.findings.comments);
    }
});
