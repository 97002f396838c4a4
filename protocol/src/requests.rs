//! REST bodies of requests (`/api/requests/...`, JSON): a secret asked for by a requester and
//! answered once by someone else (`docs/api.md`, "Requests"; `docs/protocol.md`, "Requests").
//!
//! Proofs and key boxes are hidden from `Debug`.

use serde::{Deserialize, Serialize};

use crate::Loose;
use crate::rest::CreateRequest;

/// `POST /api/requests`: open a request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenRequest {
    /// The request's id (a UUID the client chose: the note's associated data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Loose<String>>,
    /// The requester's note, sealed as a payload (standard base64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Loose<String>>,
    /// SHA-256 of the answer proof (from the request link), base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_verifier: Option<Loose<String>>,
    /// SHA-256 of the inbox proof (from the inbox link), base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbox_verifier: Option<Loose<String>>,
    /// How long the request stays open for an answer, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<Loose<u64>>,
    /// How long an answer may wait unread, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_ttl_seconds: Option<Loose<u64>>,
}

/// `201` answer to [`OpenRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenedRequest {
    /// The request's alias, for the request and inbox links.
    pub alias: String,
    /// When the request closes unanswered (Unix seconds).
    pub expires_at: u64,
    /// The request's id.
    pub id: String,
}

/// Where a request is, as its requester (or its responder) sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Open: no answer yet.
    Waiting,
    /// Answered; the answer is not read yet.
    Answered,
    /// Answered, and the answer was read (or its copy is gone).
    Read,
    /// Cancelled by the requester.
    Cancelled,
}

/// `POST /api/requests/{alias}/view`: what the responder needs. Its `Debug` hides the proof.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewRequest {
    /// The answer proof derived from the request link, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_proof: Option<Loose<String>>,
}

/// `200` answer to [`ViewRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestView {
    /// How long the answer will wait unread, in seconds.
    pub answer_ttl_seconds: u64,
    /// When the request closes (Unix seconds).
    pub expires_at: u64,
    /// The request's id.
    pub id: String,
    /// The sealed note (standard base64).
    pub note: String,
    /// `waiting` (it can be answered), `answered` or `cancelled`.
    pub state: RequestState,
}

/// `POST /api/requests/{alias}/answer`: the one answer. Its `Debug` hides the proof.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerRequest {
    /// The answer proof derived from the request link, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_proof: Option<Loose<String>>,
    /// The answer's master key sealed to the requester (80 bytes, base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_box: Option<Loose<String>>,
    /// The answer itself: a guarded secret's create body (`ciphertext`, `id`,
    /// `access_verifier`, optionally `upload_token`). Its lifetime, views and manage verifier
    /// are the request's. Not an object: the body is invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<CreateRequest>,
}

/// `201` answer to [`AnswerRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerResponse {
    /// When the answer expires unread (Unix seconds).
    pub expires_at: u64,
}

/// `POST /api/requests/{alias}/inbox` and `/cancel`. Its `Debug` hides the proof.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxRequest {
    /// The inbox proof derived from the inbox link, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbox_proof: Option<Loose<String>>,
}

/// The answer as the inbox finds it: where it is, and its key sealed to the inbox.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerRef {
    /// The answer secret's alias (revealed as any secret, `POST /api/secrets/{alias}/reveal`).
    pub alias: String,
    /// When it was answered (Unix seconds).
    pub answered_at: u64,
    /// The answer secret's id.
    pub id: String,
    /// Its master key sealed to the requester (base64url).
    pub key_box: String,
}

/// `200` answer of the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxResponse {
    /// The answer, once there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<AnswerRef>,
    /// When the request (or its answer, once answered) expires (Unix seconds).
    pub expires_at: u64,
    /// The request's id.
    pub id: String,
    /// The sealed note (standard base64).
    pub note: String,
    /// When the answer was read (Unix seconds), once it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_at: Option<u64>,
    /// The state.
    pub state: RequestState,
}

/// `200` answer of cancel: always `{"state": "cancelled"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelResponse {
    /// [`RequestState::Cancelled`].
    pub state: RequestState,
}

fn hidden<T>(field: &Option<T>) -> Option<&'static str> {
    field.as_ref().map(|_| "***")
}

impl std::fmt::Debug for ViewRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewRequest")
            .field("answer_proof", &hidden(&self.answer_proof))
            .finish()
    }
}

impl std::fmt::Debug for AnswerRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnswerRequest")
            .field("answer_proof", &hidden(&self.answer_proof))
            .field("key_box", &hidden(&self.key_box))
            .field("secret", &hidden(&self.secret))
            .finish()
    }
}

impl std::fmt::Debug for InboxRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboxRequest")
            .field("inbox_proof", &hidden(&self.inbox_proof))
            .finish()
    }
}

impl std::fmt::Debug for AnswerRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnswerRef")
            .field("alias", &self.alias)
            .field("answered_at", &self.answered_at)
            .field("key_box", &"***")
            .finish_non_exhaustive()
    }
}
