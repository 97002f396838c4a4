//! Property tests: round trips, tamper detection, and no panics on arbitrary input.

#![allow(clippy::unwrap_used)] // tests: a panic is a failure report

use crypto_core::{
    Alias, Envelope, Error, Image, Link, ManageLink, ManageToken, MasterKey, SecretId, open, seal,
};
use proptest::prelude::*;

fn key_and_id() -> impl Strategy<Value = ([u8; 32], [u8; 16])> {
    (any::<[u8; 32]>(), any::<[u8; 16]>())
}

fn id_from(bytes: [u8; 16]) -> SecretId {
    SecretId::parse(&uuid::Uuid::from_bytes(bytes).hyphenated().to_string()).unwrap()
}

/// An envelope's text and optional image (MIME type, bytes). Envelopes are built from
/// these in the test: they are neither `Clone` nor printable, which proptest would need.
type Parts = (String, Option<(String, Vec<u8>)>);

fn envelope_parts() -> impl Strategy<Value = Parts> {
    let image = (
        "[a-z]{1,10}/[a-z0-9.+-]{1,20}",
        proptest::collection::vec(any::<u8>(), 0..256),
    );
    (".{0,64}", proptest::option::of(image))
}

fn build((text, image): &Parts) -> Envelope {
    match image {
        None => Envelope::text_only(text.as_str()),
        Some((mime, bytes)) => Envelope::with_image(
            text.as_str(),
            Image::new(mime.as_str(), bytes.clone()).unwrap(),
        ),
    }
}

fn parts_of(envelope: &Envelope) -> Parts {
    let image = envelope
        .image()
        .map(|i| (i.mime().to_owned(), i.bytes().to_vec()));
    (envelope.text().to_owned(), image)
}

proptest! {
    #[test]
    fn seal_open_round_trip(
        (key, id) in key_and_id(),
        plaintext in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let key = MasterKey::from_bytes(key);
        let id = id_from(id);
        let payload = seal(&key, &id, &plaintext).unwrap();
        prop_assert_eq!(open(&key, &id, &payload).unwrap().to_vec(), plaintext);
    }

    #[test]
    fn any_flipped_bit_is_rejected(
        (key, id) in key_and_id(),
        plaintext in proptest::collection::vec(any::<u8>(), 0..256),
        bit in any::<usize>(),
    ) {
        let key = MasterKey::from_bytes(key);
        let id = id_from(id);
        let mut payload = seal(&key, &id, &plaintext).unwrap();
        let bit = bit % (payload.len() * 8);
        payload[bit / 8] ^= 1 << (bit % 8);
        let err = open(&key, &id, &payload).unwrap_err();
        if bit < 8 {
            prop_assert!(matches!(err, Error::UnknownVersion(_)));
        } else {
            prop_assert_eq!(err, Error::Authentication);
        }
    }

    #[test]
    fn pack_unpack_round_trip(parts in envelope_parts()) {
        let packed = build(&parts).pack().unwrap();
        prop_assert_eq!(parts_of(&Envelope::unpack(&packed).unwrap()), parts);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let key = MasterKey::from_bytes([1; 32]);
        let id = id_from([2; 16]);
        let _ = open(&key, &id, &bytes);
        let _ = Envelope::unpack(&bytes);
        let text = String::from_utf8_lossy(&bytes);
        let _ = Link::parse(&text);
        let _ = ManageLink::parse(&text);
        let _ = SecretId::parse(&text);
        let _ = MasterKey::from_base64url(&text);
    }

    #[test]
    fn arbitrary_links_never_panic(url in "(https?://)?[a-z./:?&=#_-]{0,80}") {
        let _ = Link::parse(&url);
        let _ = ManageLink::parse(&url);
    }

    #[test]
    fn manage_links_round_trip(
        token in any::<[u8; 32]>(),
        alias in "[A-Za-z0-9]{8}",
        lang in proptest::option::of("[a-z]{2}(-[A-Z]{2})?"),
        base in "https?://[a-z0-9.]{1,20}(:[0-9]{1,5})?(/[a-z]{1,8}){0,2}",
    ) {
        let token = ManageToken::from_base64url(&MasterKey::from_bytes(token).to_base64url()).unwrap();
        let link = ManageLink::new(&base, Alias::parse(&alias).unwrap(), lang.as_deref(), token);
        let again = ManageLink::parse(&link.to_url()).unwrap();
        prop_assert_eq!(again.to_url(), link.to_url());
        prop_assert_eq!(again.lang(), lang.as_deref());
    }
}
