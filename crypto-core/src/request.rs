//! Requests: a secret asked for, answered by someone else, sealed to the requester's own key.
//!
//! The requester's device draws an X25519 key pair and a 32-byte seed `R`. The **request
//! link** `/r/{alias}#{pk ‖ R}` goes to the responder; the **inbox link** `/i/{alias}#{sk ‖ R}`
//! stays with the requester. From `R` and `pk` come the key of the requester's note and the
//! answer proof (so only holders of the request link can answer, and an altered `pk` opens
//! neither); from `sk` the inbox proof (status, cancel, and the answer's manage verifier).
//! The answer is an ordinary guarded secret with a fresh master key `K'`; `K'` reaches the
//! requester in a sealed box ([`crate::sealed_box`]) to `pk`, bound to both ids. See
//! `docs/protocol.md`, "Requests".

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::Zeroizing;

use crate::kdf::{REQUEST_SALT, hkdf_sha256};
use crate::link::{join_link, split_link, valid_lang};
use crate::sealed_box::{self, BoxPublicKey, BoxSecretKey};
use crate::{Alias, Envelope, Error, MasterKey, Proof, SecretId, SenderKeys, Verifier, rng};

/// HPKE `info` of an answer's key box: the protocol and its version.
pub const ANSWER_KEY_INFO: &[u8] = b"oncelink/request/v1";
/// Bytes of an answer's key box: the encapsulated key, `K'` and the tag.
pub const KEY_BOX_LEN: usize = sealed_box::KEY_LEN + 32 + crate::TAG_LEN;
/// The longest note a requester may write, in bytes of UTF-8.
pub const MAX_NOTE_LEN: usize = 2000;

/// HKDF info labels under [`REQUEST_SALT`]; each is followed by `pk` where it binds it.
const NOTE_KEY: &[u8] = b"note key";
const ANSWER_PROOF: &[u8] = b"answer proof";
const INBOX_PROOF: &[u8] = b"inbox proof";

/// Bytes of a link's fragment: a key (public or private) and the seed.
const FRAGMENT_LEN: usize = 64;

/// What the request link carries: the requester's public key and the seed. Holders can read
/// the note and answer once; nothing here opens the answer.
pub struct RequestKey {
    public: BoxPublicKey,
    seed: Zeroizing<[u8; 32]>,
}

/// What the inbox link carries: the requester's private key and the seed. Opens the answer,
/// proves the inbox, and gives everything the request link gives.
pub struct InboxKey {
    secret: BoxSecretKey,
    seed: Zeroizing<[u8; 32]>,
}

impl InboxKey {
    /// A fresh key pair and seed.
    pub fn generate() -> Result<Self, Error> {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng::fill(seed.as_mut())?;
        Ok(Self {
            secret: BoxSecretKey::generate()?,
            seed,
        })
    }

    /// The request link's part of this key.
    pub fn request_key(&self) -> RequestKey {
        RequestKey {
            public: self.secret.public_key(),
            seed: self.seed.clone(),
        }
    }

    /// The inbox proof: status, cancel and the answer's manage token all take it.
    pub fn inbox_proof(&self) -> Proof {
        let secret = self.secret.to_bytes();
        Proof::derived(derive(secret.as_ref(), INBOX_PROOF, &[]))
    }

    /// Opens an answer's key box: the answer's master key, if the box was sealed to this
    /// inbox for this request and that answer. Anything else is [`Error::Authentication`]
    /// (a box sealed to an altered public key among them) or [`Error::Format`].
    pub fn open_answer_key(
        &self,
        request: &SecretId,
        answer: &SecretId,
        key_box: &[u8],
    ) -> Result<MasterKey, Error> {
        let opened = sealed_box::open(
            &self.secret,
            ANSWER_KEY_INFO,
            &box_aad(request, answer),
            key_box,
        )?;
        let key: [u8; 32] = opened.as_slice().try_into().map_err(|_| Error::Format)?;
        Ok(MasterKey::from_bytes(key))
    }

    /// The base64url fragment of the inbox link.
    pub fn to_base64url(&self) -> Zeroizing<String> {
        let mut bytes = Zeroizing::new([0u8; FRAGMENT_LEN]);
        bytes[..32].copy_from_slice(self.secret.to_bytes().as_ref());
        bytes[32..].copy_from_slice(self.seed.as_ref());
        Zeroizing::new(URL_SAFE_NO_PAD.encode(bytes.as_ref()))
    }

    /// Parses an inbox link's fragment; anything but 64 bytes of base64url is [`Error::Key`].
    pub fn from_base64url(text: &str) -> Result<Self, Error> {
        let bytes = decode64(text)?;
        Ok(Self {
            secret: BoxSecretKey::from_bytes(&bytes[..32])?,
            seed: seed_of(&bytes),
        })
    }
}

impl RequestKey {
    /// The answer proof: the server answers only to holders of the request link.
    pub fn answer_proof(&self) -> Proof {
        Proof::derived(derive(
            self.seed.as_ref(),
            ANSWER_PROOF,
            &self.public.to_bytes(),
        ))
    }

    /// Seals the requester's note (padded, as a secret's text) for request `id`.
    pub fn seal_note(&self, id: &SecretId, note: &str) -> Result<Vec<u8>, Error> {
        if note.len() > MAX_NOTE_LEN {
            return Err(Error::Envelope("the note is too long"));
        }
        let packed = Envelope::text_only(note).pack_padded()?;
        crate::seal(&self.note_key(), id, &packed)
    }

    /// Opens the note of request `id`. A link whose public key or seed was altered gives
    /// [`Error::Authentication`]: its note key is another.
    pub fn open_note(&self, id: &SecretId, sealed: &[u8]) -> Result<Zeroizing<String>, Error> {
        crate::check_payload(sealed)?;
        let opened = crate::open(&self.note_key(), id, sealed)?;
        let (text, _) = Envelope::unpack(&opened)?.into_parts();
        Ok(Zeroizing::new(text))
    }

    /// Seals an answer's master key to the requester: the key box the answer carries.
    pub fn seal_answer_key(
        &self,
        request: &SecretId,
        answer: &SecretId,
        keys: &SenderKeys,
    ) -> Result<Vec<u8>, Error> {
        sealed_box::seal(
            &self.public,
            ANSWER_KEY_INFO,
            &box_aad(request, answer),
            keys.key.expose_secret(),
        )
    }

    /// The base64url fragment of the request link.
    pub fn to_base64url(&self) -> String {
        let mut bytes = Zeroizing::new([0u8; FRAGMENT_LEN]);
        bytes[..32].copy_from_slice(&self.public.to_bytes());
        bytes[32..].copy_from_slice(self.seed.as_ref());
        URL_SAFE_NO_PAD.encode(bytes.as_ref())
    }

    /// Parses a request link's fragment; anything but 64 bytes of base64url is [`Error::Key`].
    pub fn from_base64url(text: &str) -> Result<Self, Error> {
        let bytes = decode64(text)?;
        Ok(Self {
            public: BoxPublicKey::from_bytes(&bytes[..32])?,
            seed: seed_of(&bytes),
        })
    }

    fn note_key(&self) -> MasterKey {
        let key = derive(self.seed.as_ref(), NOTE_KEY, &self.public.to_bytes());
        MasterKey::from_bytes(*key)
    }
}

/// A new request before the server names it: what the create sends, and the inbox key.
pub struct PreparedRequest {
    /// The request's id (the note's associated data, and part of the key box's).
    pub id: SecretId,
    /// The sealed note.
    pub note: Vec<u8>,
    /// SHA-256 of the answer proof.
    pub answer_verifier: Verifier,
    /// SHA-256 of the inbox proof.
    pub inbox_verifier: Verifier,
    /// The requester's key: only in the inbox link.
    pub key: InboxKey,
}

/// Draws a request's keys and id and seals its note.
pub fn prepare_request(note: &str) -> Result<PreparedRequest, Error> {
    let key = InboxKey::generate()?;
    let id = SecretId::generate()?;
    let request = key.request_key();
    Ok(PreparedRequest {
        note: request.seal_note(&id, note)?,
        answer_verifier: request.answer_proof().verifier(),
        inbox_verifier: key.inbox_proof().verifier(),
        id,
        key,
    })
}

impl std::fmt::Debug for RequestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequestKey(***)")
    }
}

impl std::fmt::Debug for InboxKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InboxKey(***)")
    }
}

/// A request link: `{origin}/r/{alias}?lng={lang}#{pk ‖ R}`, for the responder.
pub struct RequestLink {
    base: String,
    alias: Alias,
    lang: Option<String>,
    key: RequestKey,
}

/// An inbox link: `{origin}/i/{alias}?lng={lang}#{sk ‖ R}`, for the requester only.
pub struct InboxLink {
    base: String,
    alias: Alias,
    lang: Option<String>,
    key: InboxKey,
}

macro_rules! request_link {
    ($link:ident, $key:ident, $marker:literal, $what:literal) => {
        impl $link {
            #[doc = concat!("A ", $what, " link for `alias` on the server at `base`.")]
            pub fn new(base: &str, alias: Alias, lang: Option<&str>, key: $key) -> Self {
                Self {
                    base: base.trim_end_matches('/').to_owned(),
                    alias,
                    lang: lang.filter(|l| valid_lang(l)).map(str::to_owned),
                    key,
                }
            }

            #[doc = concat!("Parses a ", $what, " link: a missing or malformed fragment is")]
            /// [`Error::Key`], anything else malformed [`Error::Link`].
            pub fn parse(url: &str) -> Result<Self, Error> {
                let parts = split_link(url, $marker, $key::from_base64url)?;
                let alias = Alias::parse(parts.name)
                    .map_err(|_| Error::Link("the request name is malformed"))?;
                Ok(Self::new(parts.base, alias, parts.lang, parts.fragment))
            }

            /// The full link, fragment included.
            pub fn to_url(&self) -> Zeroizing<String> {
                let mut url = self.url_without_key();
                url.push('#');
                url.push_str(&self.key.to_base64url());
                Zeroizing::new(url)
            }

            /// The link without its fragment.
            pub fn url_without_key(&self) -> String {
                join_link(
                    &self.base,
                    $marker,
                    self.alias.as_str(),
                    self.lang.as_deref(),
                )
            }

            /// Scheme, host and optional path prefix of the server.
            pub fn base(&self) -> &str {
                &self.base
            }

            /// The request's alias.
            pub fn alias(&self) -> &Alias {
                &self.alias
            }

            /// The language the link names, if valid.
            pub fn lang(&self) -> Option<&str> {
                self.lang.as_deref()
            }

            /// The key in the fragment.
            pub fn key(&self) -> &$key {
                &self.key
            }
        }

        impl std::fmt::Debug for $link {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({}#***)", stringify!($link), self.url_without_key())
            }
        }
    };
}

request_link!(RequestLink, RequestKey, "/r/", "request");
request_link!(InboxLink, InboxKey, "/i/", "inbox");

/// The key box's associated data: both ids, so a box moves to no other request or answer.
fn box_aad(request: &SecretId, answer: &SecretId) -> Vec<u8> {
    [
        request.as_str().as_bytes(),
        b"\n",
        answer.as_str().as_bytes(),
    ]
    .concat()
}

/// `HKDF(ikm, "oncelink-request-v1", label ‖ bound)`.
fn derive(ikm: &[u8], label: &[u8], bound: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new([0u8; 32]);
    hkdf_sha256(ikm, REQUEST_SALT, &[label, bound].concat(), out.as_mut());
    out
}

fn decode64(text: &str) -> Result<Zeroizing<[u8; FRAGMENT_LEN]>, Error> {
    let text = text.trim_end_matches('=');
    if text.len() != 86 {
        return Err(Error::Key);
    }
    let mut out = Zeroizing::new([0u8; FRAGMENT_LEN]);
    match URL_SAFE_NO_PAD.decode_slice(text.as_bytes(), out.as_mut()) {
        Ok(FRAGMENT_LEN) => Ok(out),
        _ => Err(Error::Key),
    }
}

fn seed_of(bytes: &[u8; FRAGMENT_LEN]) -> Zeroizing<[u8; 32]> {
    let mut seed = Zeroizing::new([0u8; 32]);
    seed.copy_from_slice(&bytes[32..]);
    seed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Protection, prepare_secret};

    fn alias() -> Alias {
        Alias::parse("Rq7mP2nQ").unwrap()
    }

    #[test]
    fn links_round_trip_and_keep_their_keys_apart() {
        let prepared = prepare_request("front of your ID card, please").unwrap();
        let request = RequestLink::new(
            "https://e.com/",
            alias(),
            Some("ar"),
            prepared.key.request_key(),
        );
        let inbox = InboxLink::new("https://e.com", alias(), Some("ar"), prepared.key);
        let request = RequestLink::parse(&request.to_url()).unwrap();
        let inbox = InboxLink::parse(&inbox.to_url()).unwrap();
        assert_eq!(request.url_without_key(), "https://e.com/r/Rq7mP2nQ?lng=ar");
        assert_eq!(inbox.url_without_key(), "https://e.com/i/Rq7mP2nQ?lng=ar");
        assert_eq!(
            request.key().to_base64url(),
            inbox.key().request_key().to_base64url()
        );
        let note = request
            .key()
            .open_note(&prepared.id, &prepared.note)
            .unwrap();
        assert_eq!(note.as_str(), "front of your ID card, please");
        assert_eq!(prepared.note.len(), 1024 - 64 + 29, "padded like a secret");
        assert_eq!(
            request.key().answer_proof().verifier(),
            prepared.answer_verifier
        );
        assert_eq!(
            inbox.key().inbox_proof().verifier(),
            prepared.inbox_verifier
        );
        assert_ne!(prepared.answer_verifier, prepared.inbox_verifier);
        // Neither kind of link parses as the other, nor as a share link.
        assert!(matches!(
            InboxLink::parse(&request.to_url()),
            Err(Error::Link(_))
        ));
        assert!(crate::Link::parse(&inbox.to_url()).is_err());
        assert!(!format!("{request:?}{inbox:?}").contains(&*request.key().to_base64url()));
    }

    #[test]
    fn an_answer_key_opens_only_in_its_own_inbox() {
        let prepared = prepare_request("x").unwrap();
        let request = prepared.key.request_key();
        let answer = prepare_secret(
            Envelope::text_only("the answer"),
            Protection::Guarded { passphrase: None },
        )
        .unwrap()
        .seal()
        .unwrap();
        let key_box = request
            .seal_answer_key(&prepared.id, &answer.upload.id, &answer.keys)
            .unwrap();
        assert_eq!(key_box.len(), KEY_BOX_LEN);
        let key = prepared
            .key
            .open_answer_key(&prepared.id, &answer.upload.id, &key_box)
            .unwrap();
        let opened = crate::open(&key, &answer.upload.id, &answer.upload.payload).unwrap();
        assert_eq!(Envelope::unpack(&opened).unwrap().text(), "the answer");
        // Another request's id, another answer's id, another inbox: authentication fails.
        let other = SecretId::generate().unwrap();
        let inbox = &prepared.key;
        for (request_id, answer_id) in [(&other, &answer.upload.id), (&prepared.id, &other)] {
            let wrong = inbox.open_answer_key(request_id, answer_id, &key_box);
            assert!(matches!(wrong, Err(Error::Authentication)));
        }
        let stranger = InboxKey::generate().unwrap();
        let wrong = stranger.open_answer_key(&prepared.id, &answer.upload.id, &key_box);
        assert!(matches!(wrong, Err(Error::Authentication)));
    }

    /// A request link whose public key was replaced: its note does not open (the responder's
    /// page stops there), its answer proof is refused, and a box sealed to that key does not
    /// open in the real inbox.
    #[test]
    fn an_altered_public_key_fails_everywhere() {
        let prepared = prepare_request("note").unwrap();
        let genuine = prepared.key.request_key().to_base64url();
        let imposter = InboxKey::generate().unwrap().request_key().to_base64url();
        let altered = format!("{}{}", &imposter[..43], &genuine[43..]);
        let altered = RequestKey::from_base64url(&altered).unwrap();
        let note = altered.open_note(&prepared.id, &prepared.note);
        assert!(matches!(note, Err(Error::Authentication)));
        assert_ne!(altered.answer_proof().verifier(), prepared.answer_verifier);
        let answer = prepare_secret(
            Envelope::text_only("a"),
            Protection::Guarded { passphrase: None },
        )
        .unwrap()
        .seal()
        .unwrap();
        let key_box = altered
            .seal_answer_key(&prepared.id, &answer.upload.id, &answer.keys)
            .unwrap();
        let opened = prepared
            .key
            .open_answer_key(&prepared.id, &answer.upload.id, &key_box);
        assert!(matches!(opened, Err(Error::Authentication)));
    }

    #[test]
    fn malformed_fragments_are_key_errors() {
        let good = InboxKey::generate().unwrap().to_base64url();
        for bad in [&good[..85], &format!("{}A", &*good), "", &good[..43]] {
            assert!(
                matches!(InboxKey::from_base64url(bad), Err(Error::Key)),
                "{bad}"
            );
            assert!(
                matches!(RequestKey::from_base64url(bad), Err(Error::Key)),
                "{bad}"
            );
        }
        let too_long = "x".repeat(MAX_NOTE_LEN + 1);
        assert!(prepare_request(&too_long).is_err());
    }
}
