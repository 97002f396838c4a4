//! Requests, for the pages: the requester's new request and links, the responder's note and
//! answer key box, the inbox's proof and the answer's key. Everything through
//! `crypto_core::request`, exactly as the CLI does.

use crypto_core::request::{InboxKey, InboxLink, RequestKey, RequestLink, prepare_request};
use crypto_core::{Alias, MasterKey, SecretId};
use protocol::Loose;
use protocol::requests::OpenRequest;

use super::Sealed;

/// A new request: what the server gets, and the inbox key kept for the links.
pub struct NewRequest {
    /// The create body.
    pub body: OpenRequest,
    key: InboxKey,
}

/// The two links of a request.
pub struct RequestLinks {
    /// For the responder: `{origin}/r/{alias}?lng={lang}#{public key ‖ seed}`.
    pub request: String,
    /// For the requester only: `{origin}/i/{alias}?lng={lang}#{private key ‖ seed}`.
    pub inbox: String,
}

/// Seals `note` under fresh keys; `ttl` and `answer_ttl` in seconds.
pub fn new_request(
    note: &str,
    ttl: u64,
    answer_ttl: u64,
) -> Result<NewRequest, crypto_core::Error> {
    let prepared = prepare_request(note)?;
    Ok(NewRequest {
        body: OpenRequest {
            id: Some(Loose::Valid(prepared.id.as_str().to_owned())),
            note: Some(Loose::Valid(crypto_core::base64::encode(&prepared.note))),
            answer_verifier: Some(Loose::Valid(prepared.answer_verifier.to_base64url())),
            inbox_verifier: Some(Loose::Valid(prepared.inbox_verifier.to_base64url())),
            ttl_seconds: Some(Loose::Valid(ttl)),
            answer_ttl_seconds: Some(Loose::Valid(answer_ttl)),
        },
        key: prepared.key,
    })
}

impl NewRequest {
    /// The links, once the server has named the request `alias`.
    pub fn links(self, origin: &str, alias: &str, lang: &str) -> Option<RequestLinks> {
        let alias = Alias::parse(alias).ok()?;
        let request = RequestLink::new(origin, alias.clone(), Some(lang), self.key.request_key());
        let inbox = InboxLink::new(origin, alias, Some(lang), self.key);
        Some(RequestLinks {
            request: request.to_url().to_string(),
            inbox: inbox.to_url().to_string(),
        })
    }
}

/// The request link's key from its fragment.
pub fn request_key(fragment: &str) -> Result<RequestKey, crypto_core::Error> {
    RequestKey::from_base64url(fragment)
}

/// The inbox link's key from its fragment.
pub fn inbox_key(fragment: &str) -> Result<InboxKey, crypto_core::Error> {
    InboxKey::from_base64url(fragment)
}

/// The answer proof to send (base64url).
pub fn answer_proof(key: &RequestKey) -> String {
    key.answer_proof().to_base64url()
}

/// The inbox proof to send (base64url).
pub fn inbox_proof(key: &InboxKey) -> String {
    key.inbox_proof().to_base64url()
}

/// Opens the requester's note (base64 as the server sends it) of request `id`. An altered
/// link fails here with [`crypto_core::Error::Authentication`].
pub fn open_note(key: &RequestKey, id: &str, note: &str) -> Result<String, crypto_core::Error> {
    let id = SecretId::parse(id)?;
    let sealed = crypto_core::base64::decode(note).ok_or(crypto_core::Error::Format)?;
    Ok(key.open_note(&id, &sealed)?.to_string())
}

/// The requester's own note, read through the inbox key.
pub fn inbox_note(key: &InboxKey, id: &str, note: &str) -> Result<String, crypto_core::Error> {
    open_note(&key.request_key(), id, note)
}

/// The answer's master key sealed to the requester (base64url), for request `id`.
pub fn key_box(key: &RequestKey, id: &str, answer: &Sealed) -> Result<String, crypto_core::Error> {
    let request = SecretId::parse(id)?;
    let sealed = key.seal_answer_key(&request, &answer.id, &answer.keys)?;
    Ok(crypto_core::base64::encode_url(&sealed))
}

/// The answer's master key from its key box; fails (and nothing is revealed) when the box was
/// not sealed to this inbox for this request and answer.
pub fn answer_key(
    key: &InboxKey,
    request_id: &str,
    answer_id: &str,
    key_box: &str,
) -> Result<MasterKey, crypto_core::Error> {
    let request = SecretId::parse(request_id)?;
    let answer = SecretId::parse(answer_id)?;
    let sealed = crypto_core::base64::decode_url(key_box).ok_or(crypto_core::Error::Format)?;
    key.open_answer_key(&request, &answer, &sealed)
}
