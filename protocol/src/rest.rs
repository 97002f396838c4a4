//! REST API bodies (`/api/...`, JSON). See `docs/api.md`.
//!
//! Requests are decoded leniently ([`Loose`] fields) so that each wrongly typed field gets its
//! own error; unknown fields are ignored, as the reference server does. Response fields are
//! declared in alphabetical order: the order in which the first version sent them, so the
//! bytes a client already knows do not change.

use serde::{Deserialize, Serialize};

use crate::Loose;

/// `POST /api/secrets`. `ciphertext`, `ttl_hours` and `id` are the reference API's fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateRequest {
    /// The payload, standard base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ciphertext: Option<Loose<String>>,
    /// Lifetime in whole hours, 1–72 (reference).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_hours: Option<Loose<u64>>,
    /// The id the payload was encrypted for (a UUID); the server makes one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Loose<String>>,
    /// Lifetime in seconds (oncelink): 5 minutes to the server's maximum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<Loose<u64>>,
    /// Views allowed (oncelink), default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_views: Option<Loose<u64>>,
    /// SHA-256 of the access proof, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_verifier: Option<Loose<String>>,
    /// SHA-256 of the passphrase proof, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passphrase_verifier: Option<Loose<String>>,
    /// SHA-256 of the manage proof, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manage_verifier: Option<Loose<String>>,
    /// The token of a finished upload of this secret's file data (oncelink, with `id`): the
    /// data becomes the secret's, downloadable with a claim after a reveal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_token: Option<Loose<String>>,
}

/// `POST /api/uploads`: begin uploading a secret's file data (the files' sealed streams end
/// to end), before the secret itself is created.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRequest {
    /// The id the secret will have (a UUID the client chose: it is the payload's associated
    /// data, so the client knows it before anything is sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<Loose<String>>,
    /// The data's total length in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<Loose<u64>>,
}

/// `201` answer to [`UploadRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadResponse {
    /// 32 random bytes, base64url: sent as `Authorization: Bearer …` with every part, with
    /// the upload's status and abort, and once in the create request. Only the client has it.
    pub upload_token: String,
    /// Bytes in every part but the last.
    pub part_size: u64,
    /// How many parts the data has (`PUT /api/uploads/{id}/parts/{0…parts-1}`).
    pub parts: u64,
    /// When an unfinished upload is thrown away (Unix seconds).
    pub expires_at: u64,
}

/// `GET /api/uploads/{id}`: where an upload stands, to resume it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadStatusResponse {
    /// The data's total length.
    pub length: u64,
    /// Bytes in every part but the last.
    pub part_size: u64,
    /// The parts received whole, in order.
    pub received: Vec<u64>,
}

/// `201` answer to [`CreateRequest`]. A reference server sends only `id` and `alias`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateResponse {
    /// The short alias for links.
    pub alias: String,
    /// Expiry, Unix seconds (oncelink; always sent by this server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// The secret's id (UUID).
    pub id: String,
    /// Views allowed (oncelink; always sent by this server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_views: Option<u32>,
}

/// `200` answer of the reference read and of the reveal: the payload, one view counted. A
/// reference server sends only `ciphertext` and `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretResponse {
    /// The payload, standard base64.
    pub ciphertext: String,
    /// The secret's id (the payload's associated data).
    pub id: String,
    /// Views left after this one (oncelink; always sent by this server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub views_left: Option<u32>,
}

/// `GET /api/secrets/{key}/info`: what a recipient may know before revealing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InfoResponse {
    /// A reveal needs a passphrase proof.
    pub passphrase_required: bool,
    /// A reveal needs the access proof.
    pub proof_required: bool,
    /// Wrong passphrase tries left (`null` without a passphrase).
    pub tries_left: Option<u32>,
    /// Reveals left.
    pub views_left: u32,
}

/// `POST /api/secrets/{key}/reveal`. Its `Debug` hides the proofs.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevealRequest {
    /// The access proof, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_proof: Option<Loose<String>>,
    /// The passphrase proof, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passphrase_proof: Option<Loose<String>>,
    /// The client's claim on this view: 32 random bytes, base64url, chosen per view. Sent
    /// again (with the same proofs) inside the claim window, it delivers the same view again
    /// without counting another (`docs/protocol.md`, "Delivery").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<Loose<String>>,
}

/// `POST /api/secrets/{key}/confirm`: the client has its claimed view; the server may delete
/// the held copy now. Its `Debug` hides the claim.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmRequest {
    /// The claim sent with the reveal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<Loose<String>>,
}

/// The answer to a confirm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmResponse {
    /// Always `true` (an unknown or spent claim is a 404).
    pub confirmed: bool,
}

impl std::fmt::Debug for ConfirmRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfirmRequest")
            .field("claim", &self.claim.as_ref().map(|_| "***"))
            .finish()
    }
}

/// `POST /api/secrets/{alias}/status` and `/destroy`. Its `Debug` hides the token.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManageRequest {
    /// The manage proof derived from the manage link's token, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manage_token: Option<Loose<String>>,
}

impl std::fmt::Debug for RevealRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevealRequest")
            .field("access_proof", &self.access_proof.as_ref().map(|_| "***"))
            .field(
                "passphrase_proof",
                &self.passphrase_proof.as_ref().map(|_| "***"),
            )
            .field("claim", &self.claim.as_ref().map(|_| "***"))
            .finish()
    }
}

impl std::fmt::Debug for ManageRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManageRequest")
            .field("manage_token", &self.manage_token.as_ref().map(|_| "***"))
            .finish()
    }
}

/// Where a secret is in its life, as its sender sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretState {
    /// Not viewed yet.
    Waiting,
    /// Viewed at least once (views may remain).
    Opened,
    /// Destroyed by its sender.
    Destroyed,
    /// Destroyed by too many wrong passphrases.
    Burned,
}

/// `200` answer of status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResponse {
    /// Expiry (Unix seconds).
    pub expires_at: u64,
    /// Views allowed.
    pub max_views: u32,
    /// When each view happened (Unix seconds).
    pub opened_at: Vec<u64>,
    /// The state.
    pub state: SecretState,
    /// Wrong passphrase tries left (`null` without a passphrase).
    pub tries_left: Option<u32>,
    /// Views left.
    pub views_left: u32,
    /// Views used.
    pub views_used: u32,
}

/// `200` answer of destroy: always `{"state": "destroyed"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestroyResponse {
    /// [`SecretState::Destroyed`].
    pub state: SecretState,
}

/// Whether the server can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Serving.
    Ok,
    /// The store is unreachable.
    Unavailable,
}

/// `GET /api/health`. A reference server sends only `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthResponse {
    /// How long a claimed view can be fetched again, in seconds (clients retry within it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_window_seconds: Option<u64>,
    /// [`crate::ErrorCode::Unavailable`] with `unavailable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<crate::ErrorCode>,
    /// Why the server cannot serve (with `unavailable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the server adds to the reference API ([`crate::FEATURES`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    /// The longest `ttl_seconds` accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ttl_seconds: Option<u64>,
    /// The most views a secret may allow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_views: Option<u32>,
    /// The shortest `ttl_seconds` accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ttl_seconds: Option<u64>,
    /// [`crate::SERVICE_NAME`] on an oncelink server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// `ok` (200) or `unavailable` (503).
    pub status: HealthStatus,
    /// The store backend: `embedded` or `redis`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    /// What a secret's file data may be, when the server takes files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<FilesInfo>,
}

/// The file-data limits a server advertises in its health answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilesInfo {
    /// The largest file data (sealed streams end to end) one secret may have, in bytes.
    pub max_bytes: u64,
    /// The size of every upload part but the last.
    pub part_size: u64,
    /// How many files one secret may hold (the manifest is sealed, so clients keep to it;
    /// absent from servers before it was advertised).
    #[serde(default)]
    pub max_files: Option<u32>,
}

impl HealthResponse {
    /// Whether the server identifies as oncelink (and so has [`crate::FEATURES`]).
    pub fn is_oncelink(&self) -> bool {
        self.service.as_deref() == Some(crate::SERVICE_NAME)
    }
}
