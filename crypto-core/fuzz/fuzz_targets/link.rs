//! Arbitrary text as a link: never a panic; what parses rebuilds to a link that parses the same.
#![no_main]

use crypto_core::Link;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(link) = Link::parse(text) {
        let again = Link::parse(&link.to_url()).expect("a built link parses");
        assert_eq!(again.base(), link.base());
        assert_eq!(again.secret(), link.secret());
        assert_eq!(again.lang(), link.lang());
        assert_eq!(again.key().expose_secret(), link.key().expose_secret());
    }
});
