//! Server functions: the web app's only channel to the server. Each is a public endpoint,
//! so each validates its input with the same rules as the REST API (`store::validate`).
//!
//! Payloads travel as raw bytes (postcard), not base64.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;
use server_fn::codec::{JsonEncoding, Postcard};
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// What can go wrong, as the UI needs to tell it apart. Carries no internal detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum UiError {
    /// Unknown, already viewed or expired (deliberately indistinguishable).
    #[error("not found")]
    NotFound,
    /// The request was malformed.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The payload is over the server's limit.
    #[error("too large")]
    TooLarge,
    /// The store is down or full.
    #[error("store unavailable")]
    Unavailable,
    /// The manage token is wrong.
    #[error("forbidden")]
    Forbidden,
    /// Too many failed attempts from this address.
    #[error("rate limited")]
    RateLimited,
    /// The request did not reach the server or its answer was unreadable.
    #[error("request failed: {0}")]
    Request(String),
}

impl FromServerFnError for UiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        UiError::Request(value.to_string())
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

/// What the reveal page may know before the click (checked without consuming anything).
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

/// What a reveal gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The passphrase is wrong (or missing); nothing was consumed.
    WrongPassphrase {
        /// Tries left before the secret is destroyed.
        tries_left: u32,
    },
    /// Too many wrong passphrases: the secret is destroyed.
    Burned,
}

/// The sender's view of a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManageView {
    /// "waiting", "opened", "destroyed" or "burned".
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

/// Where a secret is in its life.
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

#[cfg(feature = "ssr")]
mod ssr {
    use std::time::{SystemTime, UNIX_EPOCH};

    use axum::extract as axum_extract;
    use leptos::prelude::use_context;
    pub use store::limits::{Class, ClientIp, Limiter};
    pub use store::validate::{self, InputError, Limits};
    pub use store::{Access, Managed, Presented, Reveal, SecretRef, Store, StoreError};

    use super::UiError;

    /// The store and limits the server put in the context.
    pub fn services() -> Result<(Store, Limits), UiError> {
        let store = use_context::<Store>().ok_or(UiError::Unavailable)?;
        Ok((store, use_context::<Limits>().unwrap_or_default()))
    }

    pub fn input_error(e: InputError) -> UiError {
        match e {
            InputError::PayloadTooLarge(_) => UiError::TooLarge,
            other => UiError::Invalid(other.to_string()),
        }
    }

    pub fn store_error(e: StoreError) -> UiError {
        match e {
            StoreError::Conflict => UiError::Invalid(e.to_string()),
            other => {
                tracing::error!(error = %other, "store failure in a server function");
                UiError::Unavailable
            }
        }
    }

    /// The client's address as the server's middleware decided it.
    pub async fn client() -> std::net::IpAddr {
        if let Ok(axum::Extension(ClientIp(ip))) =
            leptos_axum::extract::<axum::Extension<ClientIp>>().await
        {
            return ip;
        }
        leptos_axum::extract::<axum_extract::ConnectInfo<std::net::SocketAddr>>()
            .await
            .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |c| c.0.ip())
    }

    /// Counts a request of `class` for this client; `RateLimited` when over.
    pub async fn limit(class: Class) -> Result<std::net::IpAddr, UiError> {
        let client = client().await;
        if let Some(limiter) = use_context::<Limiter>() {
            limiter
                .hit(class, client)
                .await
                .map_err(|_| UiError::RateLimited)?;
        }
        Ok(client)
    }

    /// A read: refused while the client is over its failures, then counted.
    pub async fn limit_read() -> Result<std::net::IpAddr, UiError> {
        let client = client().await;
        if let Some(limiter) = use_context::<Limiter>() {
            limiter
                .read(client)
                .await
                .map_err(|_| UiError::RateLimited)?;
        }
        Ok(client)
    }

    /// Counts a failure (wrong proof or token, unknown or invalid id).
    pub async fn failed(client: std::net::IpAddr) {
        if let Some(limiter) = use_context::<Limiter>() {
            let _ = limiter.hit(Class::Failed, client).await;
        }
    }

    pub fn alias_ref(text: &str) -> Result<SecretRef, UiError> {
        match validate::secret_ref(text) {
            Ok(key @ SecretRef::Alias(_)) => Ok(key),
            _ => Err(UiError::NotFound),
        }
    }

    pub fn now_unix() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

/// Stores an encrypted payload made in the browser, with its access rules (verifiers are
/// SHA-256 of proofs, base64url; the server never sees a proof at creation).
#[server(prefix = "/fn", endpoint = "create", input = Postcard, output = Postcard)]
pub async fn create_secret(
    id: String,
    payload: ByteBuf,
    ttl_seconds: u64,
    max_views: u32,
    access_verifier: String,
    passphrase_verifier: Option<String>,
    manage_verifier: String,
) -> Result<CreatedSecret, UiError> {
    use ssr::*;
    let (store, limits) = services()?;
    limit(Class::Create).await?;
    let id = validate::id(Some(&id)).map_err(input_error)?;
    let ttl = validate::ttl_seconds(ttl_seconds, &limits).map_err(input_error)?;
    let access = Access {
        max_views: validate::max_views(Some(u64::from(max_views)), &limits).map_err(input_error)?,
        access_verifier: Some(
            validate::proof(&access_verifier, "access_verifier").map_err(input_error)?,
        ),
        passphrase_verifier: passphrase_verifier
            .map(|v| validate::proof(&v, "passphrase_verifier"))
            .transpose()
            .map_err(input_error)?,
        passphrase_tries: limits.passphrase_tries,
        manage_verifier: Some(
            validate::proof(&manage_verifier, "manage_verifier").map_err(input_error)?,
        ),
    };
    let payload = validate::payload(payload.into_vec().into(), &limits).map_err(input_error)?;
    let created = store
        .create(validate::new_secret(id, payload, ttl, access))
        .await
        .map_err(store_error)?;
    Ok(CreatedSecret {
        alias: created.alias.to_string(),
        expires_at: now_unix() + ttl.as_secs(),
    })
}

/// What a recipient may know before revealing; consumes nothing.
#[server(prefix = "/fn", endpoint = "info", input = Postcard, output = Postcard)]
pub async fn secret_info(alias: String) -> Result<Availability, UiError> {
    use ssr::*;
    let (store, _) = services()?;
    let client = limit_read().await?;
    let Ok(key) = alias_ref(&alias) else {
        failed(client).await;
        return Ok(Availability::Gone);
    };
    Ok(match store.info(&key).await.map_err(store_error)? {
        Some(info) => Availability::Waiting {
            needs_passphrase: info.needs_passphrase,
            tries_left: info.tries_left,
            views_left: info.views_left,
        },
        None => {
            failed(client).await;
            Availability::Gone
        }
    })
}

/// Reveals a secret with the proofs derived in the browser; counts one view.
#[server(prefix = "/fn", endpoint = "reveal", input = Postcard, output = Postcard)]
pub async fn reveal_secret(
    alias: String,
    access_proof: String,
    passphrase_proof: Option<String>,
) -> Result<RevealOutcome, UiError> {
    use ssr::*;
    let (store, _) = services()?;
    let client = limit_read().await?;
    let key = alias_ref(&alias)?;
    let presented = Presented {
        access: Some(validate::presented(&access_proof, "access_proof").map_err(input_error)?),
        passphrase: passphrase_proof
            .map(|p| validate::presented(&p, "passphrase_proof"))
            .transpose()
            .map_err(input_error)?,
    };
    let outcome = store.reveal(&key, &presented).await.map_err(store_error)?;
    if matches!(
        outcome,
        Reveal::WrongKey | Reveal::WrongPassphrase { .. } | Reveal::Burned | Reveal::NotFound
    ) {
        failed(client).await;
    }
    Ok(match outcome {
        Reveal::Revealed {
            id,
            payload,
            views_left,
        } => RevealOutcome::Revealed {
            id: id.to_string(),
            payload: payload.to_vec(),
            views_left,
        },
        Reveal::NotFound => RevealOutcome::Gone,
        Reveal::WrongKey => RevealOutcome::WrongKey,
        Reveal::PassphraseRequired { tries_left } | Reveal::WrongPassphrase { tries_left } => {
            RevealOutcome::WrongPassphrase { tries_left }
        }
        Reveal::Burned => RevealOutcome::Burned,
    })
}

/// The sender's status of a secret (manage token from the manage link's fragment).
#[server(prefix = "/fn", endpoint = "status", input = Postcard, output = Postcard)]
pub async fn manage_status(alias: String, token: String) -> Result<ManageView, UiError> {
    use ssr::*;
    let (store, _) = services()?;
    let client = limit_read().await?;
    let SecretRef::Alias(alias) = alias_ref(&alias)? else {
        return Err(UiError::NotFound);
    };
    let token = validate::presented(&token, "manage_token").map_err(input_error)?;
    match store.status(&alias, &token).await.map_err(store_error)? {
        Managed::Ok(s) => Ok(ManageView {
            state: match s.state {
                store::State::Waiting => ManageState::Waiting,
                store::State::Opened => ManageState::Opened,
                store::State::Destroyed => ManageState::Destroyed,
                store::State::Burned => ManageState::Burned,
            },
            views_used: s.views_used,
            max_views: s.max_views,
            opened_at: s.opened_at,
            expires_at: s.expires_at,
        }),
        Managed::NotFound => Ok(ManageView {
            state: ManageState::Expired,
            views_used: 0,
            max_views: 0,
            opened_at: Vec::new(),
            expires_at: 0,
        }),
        Managed::WrongToken => {
            failed(client).await;
            Ok(ManageView {
                state: ManageState::WrongToken,
                views_used: 0,
                max_views: 0,
                opened_at: Vec::new(),
                expires_at: 0,
            })
        }
    }
}

/// Destroys a secret now (the sender's button).
#[server(prefix = "/fn", endpoint = "destroy", input = Postcard, output = Postcard)]
pub async fn destroy_secret(alias: String, token: String) -> Result<(), UiError> {
    use ssr::*;
    let (store, _) = services()?;
    let client = limit_read().await?;
    let SecretRef::Alias(alias) = alias_ref(&alias)? else {
        return Err(UiError::NotFound);
    };
    let token = validate::presented(&token, "manage_token").map_err(input_error)?;
    match store.destroy(&alias, &token).await.map_err(store_error)? {
        Managed::Ok(_) => Ok(()),
        Managed::NotFound => Err(UiError::NotFound),
        Managed::WrongToken => {
            failed(client).await;
            Err(UiError::Forbidden)
        }
    }
}

/// [`create_secret`] from the browser with upload progress (`progress` gets 0 to 1). The
/// request is exactly the one the server function's own client would send, through
/// `XMLHttpRequest` because `fetch` cannot report upload progress.
pub async fn create_secret_with_progress(
    args: CreateSecret,
    progress: impl Fn(f64) + 'static,
) -> Result<CreatedSecret, UiError> {
    use server_fn::ContentType as _;
    use server_fn::ServerFn as _;
    use server_fn::codec::PostcardEncoding;
    use server_fn::{Decodes, Encodes};

    let body = PostcardEncoding::encode(&args).map_err(|e| UiError::Request(e.to_string()))?;
    drop(args);
    let reply = crate::browser::post_with_progress(
        CreateSecret::PATH,
        PostcardEncoding::CONTENT_TYPE,
        &body,
        progress,
    )
    .await
    .ok_or_else(|| UiError::Request("network error".into()))?;
    if (200..300).contains(&reply.status) {
        PostcardEncoding::decode(reply.body.into()).map_err(|e| UiError::Request(e.to_string()))
    } else {
        Err(UiError::de(reply.body.into()))
    }
}
