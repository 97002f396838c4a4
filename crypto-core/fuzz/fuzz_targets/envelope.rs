//! Arbitrary bytes as an envelope: never a panic; what parses re-packs and parses the same.
#![no_main]

use crypto_core::Envelope;
use libfuzzer_sys::fuzz_target;

/// What an envelope holds, to compare (envelopes have no `PartialEq`).
fn parts(envelope: &Envelope) -> (&str, Option<(&str, &[u8])>) {
    let image = envelope.image().map(|i| (i.mime(), i.bytes()));
    (envelope.text(), image)
}

fuzz_target!(|data: &[u8]| {
    if let Ok(envelope) = Envelope::unpack(data) {
        let packed = envelope.pack().expect("parsed envelopes fit the format");
        let again = Envelope::unpack(&packed).expect("re-packed envelope parses");
        assert_eq!(parts(&again), parts(&envelope));
    }
});
