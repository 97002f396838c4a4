//! The JSON bodies the CLI sends and reads (`docs/api.md`), as types. Fields the reference
//! API lacks are optional, so one set of types serves both kinds of server.

use serde::{Deserialize, Serialize};

/// `GET /api/health`.
#[derive(Debug, Deserialize)]
pub struct Health {
    /// `"ok"` on every healthy server, reference included.
    #[allow(dead_code)] // Required by the shape check only.
    pub status: String,
    /// `"oncelink"` on an oncelink server; absent on a reference server.
    #[serde(default)]
    pub service: Option<String>,
    /// The most views a secret may have.
    #[serde(default)]
    pub max_views: Option<u32>,
    /// The longest TTL, in seconds.
    #[serde(default)]
    pub max_ttl_seconds: Option<u64>,
}

/// `POST /api/secrets`.
#[derive(Debug, Serialize)]
pub struct CreateRequest {
    /// The payload, standard base64.
    pub ciphertext: String,
    /// The id the payload was encrypted for.
    pub id: String,
    /// Reference TTL, whole hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_hours: Option<u64>,
    /// oncelink TTL, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<u64>,
    /// How many reveals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_views: Option<u32>,
    /// SHA-256 of the access proof, base64url.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_verifier: Option<String>,
    /// SHA-256 of the passphrase proof, base64url.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passphrase_verifier: Option<String>,
    /// SHA-256 of the manage proof, base64url.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manage_verifier: Option<String>,
}

/// `201` from `POST /api/secrets`.
#[derive(Debug, Deserialize)]
pub struct CreateResponse {
    /// The short name for links.
    pub alias: String,
    /// Expiry, Unix seconds (oncelink servers).
    #[serde(default)]
    pub expires_at: Option<u64>,
}

/// `200` from `GET /api/secrets/{key}/info`.
#[derive(Debug, Deserialize)]
pub struct Info {
    /// A passphrase proof is needed.
    pub passphrase_required: bool,
}

/// `POST /api/secrets/{key}/reveal`.
#[derive(Debug, Serialize)]
pub struct RevealRequest {
    /// The access proof, base64url.
    pub access_proof: String,
    /// The passphrase proof, base64url.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passphrase_proof: Option<String>,
}

/// `200` from reveal or the reference read.
#[derive(Debug, Deserialize)]
pub struct RevealResponse {
    /// The payload, standard base64.
    pub ciphertext: String,
    /// The secret's id (associated data).
    pub id: String,
    /// Views left after this one (oncelink servers).
    #[serde(default)]
    pub views_left: Option<u64>,
}

/// `POST /api/secrets/{alias}/status` and `/destroy`.
#[derive(Debug, Serialize)]
pub struct ManageRequest {
    /// The manage proof (derived from the manage link's token), base64url.
    pub manage_token: String,
}

/// `200` from status.
#[derive(Debug, Serialize, Deserialize)]
pub struct Status {
    /// `waiting`, `opened`, `destroyed` or `burned`.
    pub state: String,
    /// Views so far.
    pub views_used: u32,
    /// Views allowed.
    pub max_views: u32,
    /// Views left.
    #[serde(default)]
    pub views_left: Option<u32>,
    /// When each view happened, Unix seconds.
    #[serde(default)]
    pub opened_at: Vec<u64>,
    /// Expiry, Unix seconds.
    pub expires_at: u64,
    /// Wrong passphrase tries left, for a passphrase secret.
    #[serde(default)]
    pub tries_left: Option<u32>,
}

/// `200` from destroy.
#[derive(Debug, Serialize, Deserialize)]
pub struct DestroyResponse {
    /// `destroyed`.
    pub state: String,
}

/// Every error answer: `{"error": text, "tries_left"?}`. Reference servers may send
/// anything, so every field is optional.
#[derive(Debug, Default, Deserialize)]
pub struct ErrorBody {
    /// Human text, for messages only; never branched on.
    #[serde(default)]
    pub error: Option<String>,
    /// Passphrase tries left (passphrase refusals).
    #[serde(default)]
    pub tries_left: Option<u32>,
}
