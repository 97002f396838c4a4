//! Arbitrary bytes, and fixtures with random damage, never make the cleaner or the
//! recipient's check ([`image_privacy::inspect`]) panic; what the cleaner accepts it accepts
//! again after cleaning, and the recipient's check accepts both, declaring the same size.

#![allow(clippy::unwrap_used)] // tests: a panic is a failure report

use proptest::prelude::*;

use testkit::fixtures::fixture_roots;

/// Every picture of every fixture root (the repository's, and the shared ones if present).
fn any_fixture() -> impl Strategy<Value = Vec<u8>> {
    let pictures: Vec<Vec<u8>> = fixture_roots()
        .iter()
        .flat_map(|root| {
            [
                "gps-camera.jpg",
                "rotated-orientation6.jpg",
                "gps.png",
                "gps.webp",
                "animated.gif",
            ]
            .map(|name| root.image_bytes(name))
        })
        .collect();
    proptest::sample::select(pictures)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = image_privacy::clean(&bytes);
        let _ = image_privacy::inspect(&bytes);
    }

    #[test]
    fn arbitrary_bytes_after_a_magic_number_never_panic(
        magic in prop_oneof![
            Just(b"\xFF\xD8\xFF".to_vec()),
            Just(b"\x89PNG\r\n\x1a\n".to_vec()),
            Just(b"GIF89a".to_vec()),
            Just(b"RIFF\x10\0\0\0WEBP".to_vec()),
        ],
        tail in proptest::collection::vec(any::<u8>(), 0..4096),
    ) {
        let bytes = [magic, tail].concat();
        let _ = image_privacy::clean(&bytes);
        let _ = image_privacy::inspect(&bytes);
    }

    #[test]
    fn damaged_fixtures_never_panic(
        mut bytes in any_fixture(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..16),
        cut in any::<usize>(),
    ) {
        for (at, value) in edits {
            let at = at % bytes.len();
            bytes[at] = value;
        }
        bytes.truncate(cut % (bytes.len() + 1));
        let declared = image_privacy::inspect(&bytes);
        if let Ok(cleaned) = image_privacy::clean(&bytes) {
            prop_assert!(declared.is_ok());
            prop_assert_eq!(image_privacy::inspect(&cleaned.bytes), declared);
            let again = image_privacy::clean(&cleaned.bytes).unwrap();
            prop_assert_eq!(again.bytes, cleaned.bytes);
        }
    }
}
