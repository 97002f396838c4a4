//! Arbitrary bytes into the PDF cleaner: never a panic, and whatever it accepts it accepts
//! again with no document information left. (Revisions are counted by their end-of-file
//! markers, which a stream's own bytes may also contain: not asserted here.)
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(cleaned) = image_privacy::clean_pdf(data) {
        let again = image_privacy::clean_pdf(&cleaned.bytes).expect("cleaned output is accepted");
        assert!(again.findings.author.is_none());
    }
});
