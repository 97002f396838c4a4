//! What the doors hand to the service and get back: typed inputs and outcomes.

use std::net::IpAddr;

use bytes::Bytes;
use protocol::Loose;
use store::{Alias, SecretId};

/// The client's address as the server decided it (the socket's peer, or the configured proxy
/// header), put in each request's extensions by the server for every door to pass on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// An encrypted payload as a door received it.
pub enum Payload {
    /// Standard base64 (the REST API).
    Base64(String),
    /// Raw bytes (the server functions).
    Raw(Bytes),
}

/// A create request, from any door. Fields are [`Loose`] so that a wrongly typed field gets
/// its own error.
#[derive(Default)]
pub struct CreateInput {
    /// The payload (required).
    pub payload: Option<Loose<Payload>>,
    /// The id the payload was encrypted for; made here when absent.
    pub id: Option<Loose<String>>,
    /// Lifetime in hours (reference API, 1–72).
    pub ttl_hours: Option<Loose<u64>>,
    /// Lifetime in seconds.
    pub ttl_seconds: Option<Loose<u64>>,
    /// Views allowed.
    pub max_views: Option<Loose<u64>>,
    /// SHA-256 of the access proof.
    pub access_verifier: Option<Loose<String>>,
    /// SHA-256 of the passphrase proof.
    pub passphrase_verifier: Option<Loose<String>>,
    /// SHA-256 of the manage proof.
    pub manage_verifier: Option<Loose<String>>,
    /// The token of the finished upload of this secret's file data.
    pub upload_token: Option<Loose<String>>,
}

impl From<protocol::rest::CreateRequest> for CreateInput {
    fn from(r: protocol::rest::CreateRequest) -> Self {
        Self {
            payload: r.ciphertext.map(|c| match c {
                Loose::Valid(text) => Loose::Valid(Payload::Base64(text)),
                Loose::Invalid => Loose::Invalid,
            }),
            id: r.id,
            ttl_hours: r.ttl_hours,
            ttl_seconds: r.ttl_seconds,
            max_views: r.max_views,
            access_verifier: r.access_verifier,
            passphrase_verifier: r.passphrase_verifier,
            manage_verifier: r.manage_verifier,
            upload_token: r.upload_token,
        }
    }
}

impl From<protocol::web::CreateSecretRequest> for CreateInput {
    fn from(r: protocol::web::CreateSecretRequest) -> Self {
        Self {
            payload: Some(Loose::Valid(Payload::Raw(r.payload.into()))),
            id: Some(Loose::Valid(r.id)),
            ttl_hours: None,
            ttl_seconds: Some(Loose::Valid(r.ttl_seconds)),
            max_views: Some(Loose::Valid(u64::from(r.max_views))),
            access_verifier: Some(Loose::Valid(r.access_verifier)),
            passphrase_verifier: r.passphrase_verifier.map(Loose::Valid),
            manage_verifier: Some(Loose::Valid(r.manage_verifier)),
            upload_token: r.upload_token.map(Loose::Valid),
        }
    }
}

/// A stored secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// Its id.
    pub id: SecretId,
    /// Its alias, for links.
    pub alias: Alias,
    /// When it expires unread (Unix seconds).
    pub expires_at: u64,
    /// Views allowed.
    pub max_views: u32,
}

/// The proofs a reveal presents, as received.
#[derive(Default)]
pub struct Proofs {
    /// The access proof, base64url.
    pub access: Option<Loose<String>>,
    /// The passphrase proof, base64url.
    pub passphrase: Option<Loose<String>>,
    /// The client's claim on the view (32 random bytes, base64url), if it made one.
    pub claim: Option<Loose<String>>,
}

/// A create let in before its body was read: its rate limit is counted and its declared size
/// fits the client's quota and the store. Made only by [`crate::Service::admit_create`]; a
/// door puts it where its handler finds it (a request extension).
#[derive(Debug, Clone)]
pub struct Admission {
    pub(crate) client: IpAddr,
}

impl Admission {
    /// The client it was made for.
    pub fn client(&self) -> IpAddr {
        self.client
    }
}

/// A revealed secret: one view was counted.
pub struct Revealed {
    /// The id (the payload's associated data).
    pub id: SecretId,
    /// The encrypted payload.
    pub payload: Bytes,
    /// Views left after this one.
    pub views_left: u32,
}
