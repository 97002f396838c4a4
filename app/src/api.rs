//! Server functions: the web app's only channel to the server. Each is a thin adapter over
//! the same `service::Service` as the REST API: decode, call, translate the answer for the
//! page. Bodies are `protocol::web` types; errors carry the protocol's [`ErrorBody`] with the
//! same codes as the REST API.
//!
//! Payloads travel as raw bytes (postcard), not base64.

use leptos::prelude::*;
pub use protocol::web::{
    Availability, ConfirmSecretRequest, CreateSecretRequest, CreatedSecret, ManageSecretRequest,
    ManageState, ManageView, RevealOutcome, RevealSecretRequest,
};
use protocol::{ErrorBody, ErrorCode};
use serde::{Deserialize, Serialize};
use server_fn::codec::{JsonEncoding, Postcard};
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// What a server function can fail with. Carries no internal detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(untagged)]
pub enum UiError {
    /// The server's answer: the same body and codes as the REST API.
    #[error("{0}")]
    Server(ErrorBody),
    /// The request did not reach the server or its answer was unreadable.
    #[error("request failed: {0}")]
    Request(String),
}

impl UiError {
    /// The server's code; [`ErrorCode::Unknown`] when no answer arrived.
    pub fn code(&self) -> ErrorCode {
        match self {
            UiError::Server(body) => body.code,
            UiError::Request(_) => ErrorCode::Unknown,
        }
    }

    /// Whether the same request may succeed if sent again (no answer arrived, the server or
    /// its store was busy or unreachable, or too many requests for now): a reveal with a claim
    /// is retried on these.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.code(),
            ErrorCode::Unknown
                | ErrorCode::Unavailable
                | ErrorCode::Busy
                | ErrorCode::Internal
                | ErrorCode::RateLimited
        )
    }
}

impl FromServerFnError for UiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        UiError::Request(value.to_string())
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use leptos::prelude::use_context;
    pub use service::{Admission, ClientIp, Proofs, Service, ServiceError};

    use super::UiError;
    use protocol::{ErrorBody, ErrorCode};

    /// A wiring fault: logged, and an opaque error for the page.
    fn unwired(what: &str) -> UiError {
        tracing::error!("server function not wired: {what}");
        UiError::Server(ErrorBody::new(ErrorCode::Internal, "internal error"))
    }

    /// The service and the client's address, as the server put them in the request. Both
    /// are always there when served by `server::app`; their absence is a fault, not a default.
    pub async fn door() -> Result<(Service, std::net::IpAddr), UiError> {
        let service = use_context::<Service>().ok_or_else(|| unwired("no Service in context"))?;
        let axum::Extension(ClientIp(client)) = leptos_axum::extract::<axum::Extension<ClientIp>>()
            .await
            .map_err(|_| unwired("no ClientIp extension"))?;
        Ok((service, client))
    }

    /// The admission the upload gate made for a create before its body was read.
    pub async fn admission() -> Result<Admission, UiError> {
        let axum::Extension(admission) = leptos_axum::extract::<axum::Extension<Admission>>()
            .await
            .map_err(|_| unwired("no Admission: the upload gate is missing"))?;
        Ok(admission)
    }

    /// The page's error for a service error (internal detail goes to the log only).
    pub fn error(e: ServiceError) -> UiError {
        if let Some(detail) = e.internal_detail() {
            tracing::error!(detail, "store failure in a server function");
        }
        UiError::Server(e.body())
    }
}

/// Stores an encrypted payload made in the browser, with its access rules.
#[server(prefix = "/fn", endpoint = "create", input = Postcard, output = Postcard)]
pub async fn create_secret(request: CreateSecretRequest) -> Result<CreatedSecret, UiError> {
    let (service, _) = ssr::door().await?;
    let admission = ssr::admission().await?;
    let created = service
        .create(admission, Ok(request.into()))
        .await
        .map_err(ssr::error)?;
    Ok(CreatedSecret {
        alias: created.alias.to_string(),
        expires_at: created.expires_at,
    })
}

/// What file data this server takes (`None`: no files), to show before the user picks.
#[server(prefix = "/fn", endpoint = "file_limits", input = Postcard, output = Postcard)]
pub async fn file_limits() -> Result<Option<protocol::rest::FilesInfo>, UiError> {
    let (service, _) = ssr::door().await?;
    Ok(service.file_limits().map(|f| f.info()))
}

/// What a recipient may know before revealing; consumes nothing.
#[server(prefix = "/fn", endpoint = "info", input = Postcard, output = Postcard)]
pub async fn secret_info(alias: String) -> Result<Availability, UiError> {
    use ssr::ServiceError;
    let (service, client) = ssr::door().await?;
    match service.info(client, &alias).await {
        Ok(info) => Ok(Availability::Waiting {
            needs_passphrase: info.needs_passphrase,
            tries_left: info.tries_left,
            views_left: info.views_left,
        }),
        // A malformed alias in the address bar is as gone as an unknown one.
        Err(ServiceError::NotFound | ServiceError::Input(_)) => Ok(Availability::Gone),
        Err(e) => Err(ssr::error(e)),
    }
}

/// Reveals a secret with the proofs derived in the browser; counts one view (none when the
/// page's claim is sent again, after a lost answer, inside the claim window).
#[server(prefix = "/fn", endpoint = "reveal", input = Postcard, output = Postcard)]
pub async fn reveal_secret(request: RevealSecretRequest) -> Result<RevealOutcome, UiError> {
    use ssr::ServiceError;
    let (service, client) = ssr::door().await?;
    let proofs = ssr::Proofs {
        access: Some(request.access_proof.into()),
        passphrase: request.passphrase_proof.map(Into::into),
        claim: Some(request.claim.into()),
    };
    match service.reveal(client, &request.alias, Ok(proofs)).await {
        Ok(revealed) => Ok(RevealOutcome::Revealed {
            id: revealed.id.to_string(),
            payload: revealed.payload.to_vec(),
            views_left: revealed.views_left,
        }),
        Err(ServiceError::NotFound) => Ok(RevealOutcome::Gone),
        Err(ServiceError::WrongAccessProof) => Ok(RevealOutcome::WrongKey),
        Err(
            ServiceError::PassphraseRequired { tries_left }
            | ServiceError::WrongPassphrase { tries_left },
        ) => Ok(RevealOutcome::WrongPassphrase { tries_left }),
        Err(ServiceError::Burned) => Ok(RevealOutcome::Burned),
        Err(e) => Err(ssr::error(e)),
    }
}

/// How long the page keeps retrying a reveal whose answer did not arrive: well inside the
/// server's claim window (60 s by default), in which the same claim gets the same view.
const RETRY_FOR_MS: i32 = 40_000;

/// [`reveal_secret`] that survives a lost answer: on a transient failure (no answer, the server
/// or its store busy or unreachable) it sends the same request — the same claim — again,
/// backing off, so a view the server may already have claimed is delivered rather than lost.
/// The page confirms the claim ([`confirm_delivered`]) once it has everything: at once for
/// a payload alone, after the last file for a secret with files.
pub async fn reveal_delivered(request: RevealSecretRequest) -> Result<RevealOutcome, UiError> {
    let mut backoff = crate::browser::Backoff::new(RETRY_FOR_MS);
    loop {
        match reveal_secret(request.clone()).await {
            Err(e) if e.is_transient() && backoff.wait().await => {}
            other => return other,
        }
    }
}

/// Confirms a delivered reveal. Best effort: unconfirmed, the held copy goes at the claim
/// window's end anyway.
pub async fn confirm_delivered(alias: String, claim: String) {
    let _ = confirm_secret(ConfirmSecretRequest { alias, claim }).await;
}

/// The page has the view it claimed: the server may delete the held copy now. A claim that is
/// no longer live is fine (it was confirmed or its window ended).
#[server(prefix = "/fn", endpoint = "confirm", input = Postcard, output = Postcard)]
pub async fn confirm_secret(request: ConfirmSecretRequest) -> Result<(), UiError> {
    use ssr::ServiceError;
    let (service, client) = ssr::door().await?;
    match service
        .confirm(client, &request.alias, Ok(Some(request.claim.into())))
        .await
    {
        Ok(()) | Err(ServiceError::NotFound) => Ok(()),
        Err(e) => Err(ssr::error(e)),
    }
}

/// The sender's status of a secret (manage token from the manage link's fragment).
#[server(prefix = "/fn", endpoint = "status", input = Postcard, output = Postcard)]
pub async fn manage_status(request: ManageSecretRequest) -> Result<ManageView, UiError> {
    use ssr::ServiceError;
    let (service, client) = ssr::door().await?;
    match service
        .status(client, &request.alias, Ok(Some(request.token.into())))
        .await
    {
        Ok(status) => Ok(status.into()),
        Err(ServiceError::NotFound) => Ok(ManageView::only(ManageState::Expired)),
        Err(ServiceError::WrongManageToken) => Ok(ManageView::only(ManageState::WrongToken)),
        Err(e) => Err(ssr::error(e)),
    }
}

/// Destroys a secret now (the sender's button). Already gone counts as done.
#[server(prefix = "/fn", endpoint = "destroy", input = Postcard, output = Postcard)]
pub async fn destroy_secret(request: ManageSecretRequest) -> Result<(), UiError> {
    use ssr::ServiceError;
    let (service, client) = ssr::door().await?;
    match service
        .destroy(client, &request.alias, Ok(Some(request.token.into())))
        .await
    {
        Ok(()) | Err(ServiceError::AlreadyGone) => Ok(()),
        Err(e) => Err(ssr::error(e)),
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
    let total = body.len().max(1) as f64;
    let reply = crate::net::send(
        "POST",
        CreateSecret::PATH,
        &[
            ("Content-Type", PostcardEncoding::CONTENT_TYPE),
            ("Accept", PostcardEncoding::CONTENT_TYPE),
        ],
        Some(&body),
        move |sent| progress(sent / total),
        None,
    )
    .await
    .ok_or_else(|| UiError::Request("network error".into()))?;
    if (200..300).contains(&reply.status) {
        PostcardEncoding::decode(reply.body.into()).map_err(|e| UiError::Request(e.to_string()))
    } else {
        Err(UiError::de(reply.body.into()))
    }
}
