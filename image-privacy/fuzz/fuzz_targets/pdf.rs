//! Arbitrary bytes into the PDF cleaner: never a panic, and whatever it accepts it accepts
//! again as one revision with no document information left.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(cleaned) = image_privacy::clean_pdf(data) {
        let again = image_privacy::clean_pdf(&cleaned.bytes).expect("cleaned output is accepted");
        assert_eq!(again.findings.revisions, 0);
        assert!(again.findings.author.is_none());
    }
});
