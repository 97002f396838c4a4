//! Arbitrary bytes as an envelope: never a panic; what parses re-packs and parses the same.
#![no_main]

use crypto_core::Envelope;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(envelope) = Envelope::unpack(data) {
        let packed = envelope.pack().expect("parsed envelopes fit the format");
        assert_eq!(Envelope::unpack(&packed).expect("re-packed envelope parses"), envelope);
    }
});
