//! Server functions: the web app's only channel to the server. Each is a thin adapter over
//! the same `service::Service` as the REST API: decode, call, translate the answer for the
//! page. Bodies are `protocol::web` types; errors carry the protocol's [`ErrorBody`] with the
//! same codes as the REST API.
//!
//! Payloads travel as raw bytes (postcard), not base64.

use leptos::prelude::*;
pub use protocol::web::{
    Availability, CreateSecretRequest, CreatedSecret, ManageSecretRequest, ManageState, ManageView,
    RevealOutcome, RevealSecretRequest,
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
    pub use service::{ClientIp, Proofs, Service, ServiceError};

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
    let (service, client) = ssr::door().await?;
    let created = service
        .create(client, Ok(request.into()))
        .await
        .map_err(ssr::error)?;
    Ok(CreatedSecret {
        alias: created.alias.to_string(),
        expires_at: created.expires_at,
    })
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

/// Reveals a secret with the proofs derived in the browser; counts one view.
#[server(prefix = "/fn", endpoint = "reveal", input = Postcard, output = Postcard)]
pub async fn reveal_secret(request: RevealSecretRequest) -> Result<RevealOutcome, UiError> {
    use ssr::ServiceError;
    let (service, client) = ssr::door().await?;
    let proofs = ssr::Proofs {
        access: Some(request.access_proof.into()),
        passphrase: request.passphrase_proof.map(Into::into),
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
