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

/// Whether a secret is waiting (checked without consuming it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Availability {
    /// It can be revealed.
    Waiting,
    /// Unknown, already viewed or expired.
    Gone,
}

/// A consumed secret: its id (for key derivation) and encrypted payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevealedSecret {
    /// The secret id.
    pub id: String,
    /// The encrypted payload.
    #[serde(with = "serde_bytes")]
    pub payload: Vec<u8>,
}

#[cfg(feature = "ssr")]
mod ssr {
    use std::time::{SystemTime, UNIX_EPOCH};

    use leptos::prelude::use_context;
    pub use store::validate::{self, InputError, Limits};
    pub use store::{SecretRef, Store, StoreError};

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

/// Stores an encrypted payload made in the browser.
#[server(prefix = "/fn", endpoint = "create", input = Postcard, output = Postcard)]
pub async fn create_secret(
    id: String,
    payload: ByteBuf,
    ttl_hours: u64,
) -> Result<CreatedSecret, UiError> {
    use ssr::*;
    let (store, limits) = services()?;
    let id = validate::id(Some(&id)).map_err(input_error)?;
    let ttl = validate::ttl_hours(Some(ttl_hours), &limits).map_err(input_error)?;
    let payload = validate::payload(payload.into_vec().into(), &limits).map_err(input_error)?;
    let created = store
        .create(validate::new_secret(id, payload, ttl))
        .await
        .map_err(store_error)?;
    Ok(CreatedSecret {
        alias: created.alias.to_string(),
        expires_at: now_unix() + ttl.as_secs(),
    })
}

/// Says whether a secret is waiting, without consuming it.
#[server(prefix = "/fn", endpoint = "status", input = Postcard, output = Postcard)]
pub async fn secret_status(alias: String) -> Result<Availability, UiError> {
    use ssr::*;
    let (store, _) = services()?;
    let Ok(key) = alias_ref(&alias) else {
        return Ok(Availability::Gone);
    };
    Ok(if store.exists(&key).await.map_err(store_error)? {
        Availability::Waiting
    } else {
        Availability::Gone
    })
}

/// Consumes a secret: returns its payload once, and it is gone.
#[server(prefix = "/fn", endpoint = "reveal", input = Postcard, output = Postcard)]
pub async fn reveal_secret(alias: String) -> Result<RevealedSecret, UiError> {
    use ssr::*;
    let (store, _) = services()?;
    let key = alias_ref(&alias)?;
    let consumed = store.consume(&key).await.map_err(store_error)?;
    let consumed = consumed.ok_or(UiError::NotFound)?;
    Ok(RevealedSecret {
        id: consumed.id.to_string(),
        payload: consumed.payload.to_vec(),
    })
}

/// [`create_secret`] from the browser with upload progress (`progress` gets 0 to 1). The
/// request is exactly the one the server function's own client would send, through
/// `XMLHttpRequest` because `fetch` cannot report upload progress.
pub async fn create_secret_with_progress(
    id: String,
    payload: Vec<u8>,
    ttl_hours: u64,
    progress: impl Fn(f64) + 'static,
) -> Result<CreatedSecret, UiError> {
    use server_fn::ContentType as _;
    use server_fn::ServerFn as _;
    use server_fn::codec::PostcardEncoding;
    use server_fn::{Decodes, Encodes};

    let args = CreateSecret {
        id,
        payload: ByteBuf::from(payload),
        ttl_hours,
    };
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
