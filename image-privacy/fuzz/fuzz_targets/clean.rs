//! Arbitrary bytes into the cleaner: never a panic; whatever it accepts, it accepts again
//! unchanged after cleaning.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(cleaned) = image_privacy::clean(data) {
        let again = image_privacy::clean(&cleaned.bytes).expect("cleaned output is accepted");
        assert_eq!(again.bytes, cleaned.bytes);
    }
});
