//! Requests (`crypto_core::request`) against one request worked through independently from
//! `docs/protocol.md` (`fixtures/vectors/requests.json`, made by `fixtures/requests.py` with
//! Python's `cryptography`): the links' keys, both proofs, the sealed note and the answer's
//! key box, bit for bit.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

use crypto_core::request::{ANSWER_KEY_INFO, InboxKey, RequestKey};
use crypto_core::sealed_box::{self, BoxPublicKey};
use crypto_core::{Envelope, MasterKey, SecretId};
use serde_json::Value;

fn vector() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/vectors/requests.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn text<'a>(v: &'a Value, name: &str) -> &'a str {
    v[name].as_str().unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn the_links_keys_and_proofs_are_the_documented_ones() {
    let v = vector();
    let inbox = InboxKey::from_base64url(text(&v, "inbox_fragment")).unwrap();
    assert_eq!(inbox.to_base64url().as_str(), text(&v, "inbox_fragment"));
    let request = inbox.request_key();
    assert_eq!(request.to_base64url(), text(&v, "request_fragment"));
    assert_eq!(
        request.answer_proof().to_base64url(),
        text(&v, "answer_proof_b64url")
    );
    assert_eq!(
        request.answer_proof().verifier().to_base64url(),
        text(&v, "answer_verifier_b64url")
    );
    assert_eq!(
        inbox.inbox_proof().to_base64url(),
        text(&v, "inbox_proof_b64url")
    );
    assert_eq!(
        inbox.inbox_proof().verifier().to_base64url(),
        text(&v, "inbox_verifier_b64url")
    );
}

#[test]
fn the_note_opens_and_seals_to_the_same_bytes() {
    let v = vector();
    let request = RequestKey::from_base64url(text(&v, "request_fragment")).unwrap();
    let id = SecretId::parse(text(&v, "request_id")).unwrap();
    let sealed = crypto_core::base64::decode(text(&v, "note_payload_b64")).unwrap();
    assert_eq!(
        request.open_note(&id, &sealed).unwrap().as_str(),
        text(&v, "note")
    );
    // The note key of the document, under the note's IV, gives the same payload.
    let note_key = MasterKey::from_bytes(hex(text(&v, "note_key_hex")).try_into().unwrap());
    let iv: [u8; 12] = hex(text(&v, "note_iv_hex")).try_into().unwrap();
    let padded = Envelope::text_only(text(&v, "note")).pack_padded().unwrap();
    assert_eq!(
        crypto_core::seal_with_iv(&note_key, &id, &iv, &padded),
        sealed
    );
    // A fresh note from crypto-core opens the same way.
    let again = request.seal_note(&id, text(&v, "note")).unwrap();
    assert_eq!(again.len(), sealed.len());
    assert_eq!(
        request.open_note(&id, &again).unwrap().as_str(),
        text(&v, "note")
    );
}

#[test]
fn the_key_box_is_the_documented_hpke_box() {
    let v = vector();
    let inbox = InboxKey::from_base64url(text(&v, "inbox_fragment")).unwrap();
    let request_id = SecretId::parse(text(&v, "request_id")).unwrap();
    let answer_id = SecretId::parse(text(&v, "answer_id")).unwrap();
    let key_box = crypto_core::base64::decode_url(text(&v, "key_box_b64url")).unwrap();
    let key = inbox
        .open_answer_key(&request_id, &answer_id, &key_box)
        .unwrap();
    assert_eq!(key.to_base64url().as_str(), text(&v, "answer_key_b64url"));
    // The same box from crypto-core's HPKE, with the document's ephemeral input.
    let fragment = crypto_core::base64::decode_url(text(&v, "request_fragment")).unwrap();
    let pk = BoxPublicKey::from_bytes(&fragment[..32]).unwrap();
    let aad = format!("{}\n{}", request_id.as_str(), answer_id.as_str());
    assert_eq!(ANSWER_KEY_INFO, text(&v, "key_box_info").as_bytes());
    let ikm_e: [u8; 32] = hex(text(&v, "ikm_e_hex")).try_into().unwrap();
    let sealed = sealed_box::seal_with_ephemeral(
        &pk,
        ANSWER_KEY_INFO,
        aad.as_bytes(),
        key.expose_secret(),
        &ikm_e,
    )
    .unwrap();
    assert_eq!(sealed, key_box);
    // Bound to both ids: swapped, it does not open.
    let swapped = inbox.open_answer_key(&answer_id, &request_id, &key_box);
    assert!(swapped.is_err());
}
