//! The web app's server-function bodies (`/fn/...`, postcard). Payloads travel as raw bytes,
//! not base64. Errors are [`crate::ErrorBody`], as in the REST API.

use serde::{Deserialize, Serialize};

/// `/fn/create`: an encrypted payload made in the browser, with its access rules (verifiers
/// are SHA-256 of proofs, base64url; the server never sees a proof at creation).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateSecretRequest {
    /// The id the payload was encrypted for (UUID).
    pub id: String,
    /// The payload, raw bytes.
    #[serde(with = "serde_bytes")]
    pub payload: Vec<u8>,
    /// Lifetime in seconds.
    pub ttl_seconds: u64,
    /// Views allowed.
    pub max_views: u32,
    /// SHA-256 of the access proof.
    pub access_verifier: String,
    /// SHA-256 of the passphrase proof, when there is a passphrase.
    pub passphrase_verifier: Option<String>,
    /// SHA-256 of the manage proof.
    pub manage_verifier: String,
    /// The token of the finished upload of this secret's file data (`POST /api/uploads`),
    /// when it has files.
    pub upload_token: Option<String>,
}

impl std::fmt::Debug for CreateSecretRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateSecretRequest")
            .field("payload_len", &self.payload.len())
            .field("ttl_seconds", &self.ttl_seconds)
            .field("max_views", &self.max_views)
            .field("has_files", &self.upload_token.is_some())
            .finish_non_exhaustive()
    }
}

/// The answer to a create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedSecret {
    /// The short name for the link.
    pub alias: String,
    /// When the secret expires if unread (Unix seconds).
    pub expires_at: u64,
}

/// `/fn/info`: what the reveal page may know before the click (consumes nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Availability {
    /// It can be revealed.
    Waiting {
        /// A passphrase is needed.
        needs_passphrase: bool,
        /// Wrong passphrase tries left.
        tries_left: u32,
        /// Reveals left.
        views_left: u32,
    },
    /// Unknown, already viewed or expired.
    Gone,
}

/// `/fn/reveal`: the proofs derived in the browser. Its `Debug` hides them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevealSecretRequest {
    /// The secret's alias.
    pub alias: String,
    /// The access proof, base64url.
    pub access_proof: String,
    /// The passphrase proof, base64url, when the secret has a passphrase.
    pub passphrase_proof: Option<String>,
    /// The page's claim on this view (32 random bytes, base64url): retried with the same
    /// claim, the same view is delivered again inside the claim window.
    pub claim: String,
}

/// `/fn/confirm`: the page has its claimed view. Its `Debug` hides the claim.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmSecretRequest {
    /// The secret's alias.
    pub alias: String,
    /// The claim sent with the reveal.
    pub claim: String,
}

impl std::fmt::Debug for ConfirmSecretRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfirmSecretRequest")
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for RevealSecretRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Neither the proofs nor the alias belong in a log.
        f.debug_struct("RevealSecretRequest")
            .finish_non_exhaustive()
    }
}

/// What a reveal gave.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RevealOutcome {
    /// The secret: its id (for key derivation), encrypted payload and the views left.
    Revealed {
        /// The secret id.
        id: String,
        /// The encrypted payload.
        #[serde(with = "serde_bytes")]
        payload: Vec<u8>,
        /// Reveals left after this one.
        views_left: u32,
    },
    /// Unknown, already viewed or expired.
    Gone,
    /// The link's key does not match: nothing was consumed.
    WrongKey,
    /// The passphrase is wrong (or missing); nothing was consumed but a try.
    WrongPassphrase {
        /// Tries left before the secret is destroyed.
        tries_left: u32,
    },
    /// Too many wrong passphrases: the secret is destroyed.
    Burned,
}

impl std::fmt::Debug for RevealOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RevealOutcome::Revealed {
                payload,
                views_left,
                ..
            } => f
                .debug_struct("Revealed")
                .field("payload_len", &payload.len())
                .field("views_left", views_left)
                .finish_non_exhaustive(),
            RevealOutcome::Gone => f.write_str("Gone"),
            RevealOutcome::WrongKey => f.write_str("WrongKey"),
            RevealOutcome::WrongPassphrase { tries_left } => {
                write!(f, "WrongPassphrase({tries_left})")
            }
            RevealOutcome::Burned => f.write_str("Burned"),
        }
    }
}

/// `/fn/status` and `/fn/destroy`: the sender's manage request. Its `Debug` hides the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManageSecretRequest {
    /// The secret's alias.
    pub alias: String,
    /// The manage proof, base64url.
    pub token: String,
}

impl std::fmt::Debug for ManageSecretRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManageSecretRequest")
            .finish_non_exhaustive()
    }
}

/// The sender's view of a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManageView {
    /// Where the secret is in its life.
    pub state: ManageState,
    /// Views used.
    pub views_used: u32,
    /// Views allowed.
    pub max_views: u32,
    /// When each view happened (Unix seconds).
    pub opened_at: Vec<u64>,
    /// Expiry (Unix seconds).
    pub expires_at: u64,
}

impl ManageView {
    /// A view with nothing to show but its state.
    pub fn only(state: ManageState) -> Self {
        Self {
            state,
            views_used: 0,
            max_views: 0,
            opened_at: Vec::new(),
            expires_at: 0,
        }
    }
}

/// Where a secret is in its life, for the manage page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ManageState {
    /// Not opened yet.
    Waiting,
    /// Opened at least once (views may remain).
    Opened,
    /// Destroyed by the sender.
    Destroyed,
    /// Destroyed by wrong passphrases.
    Burned,
    /// Expired (or never existed).
    Expired,
    /// The token does not match: nothing is shown. An answer rather than an error, so a
    /// mistyped link is not logged by the browser as a failed request.
    WrongToken,
}

impl From<crate::rest::StatusResponse> for ManageView {
    fn from(s: crate::rest::StatusResponse) -> Self {
        use crate::rest::SecretState;
        Self {
            state: match s.state {
                SecretState::Waiting => ManageState::Waiting,
                SecretState::Opened => ManageState::Opened,
                SecretState::Destroyed => ManageState::Destroyed,
                SecretState::Burned => ManageState::Burned,
            },
            views_used: s.views_used,
            max_views: s.max_views,
            opened_at: s.opened_at,
            expires_at: s.expires_at,
        }
    }
}
