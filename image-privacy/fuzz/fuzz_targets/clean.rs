//! Arbitrary bytes into the cleaner and the recipient's check: never a panic; whatever the
//! cleaner accepts, it accepts again unchanged after cleaning, and the check declares the
//! same size for both.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let declared = image_privacy::inspect(data);
    if let Ok(cleaned) = image_privacy::clean(data) {
        assert!(declared.is_ok(), "clean accepted what inspect refused");
        assert_eq!(image_privacy::inspect(&cleaned.bytes), declared);
        let again = image_privacy::clean(&cleaned.bytes).expect("cleaned output is accepted");
        assert_eq!(again.bytes, cleaned.bytes);
    }
});
