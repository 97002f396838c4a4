//! The REST API: thin adapters that decode a request, call the [`service::Service`] and
//! encode its answer. Wire-compatible with Only Once Share (`POST /api/secrets`,
//! `GET /api/secrets/{id-or-alias}`, `GET /api/health`), plus additive endpoints for access
//! proofs, view limits, passphrases and the sender's controls (`docs/api.md`). Every body is a
//! `protocol::rest` type; every error goes through [`ApiError`].

use std::net::IpAddr;

use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use protocol::rest::{
    CreateRequest, CreateResponse, DestroyResponse, HealthResponse, HealthStatus, InfoResponse,
    ManageRequest, RevealRequest, SecretResponse, SecretState, StatusResponse,
};
use protocol::{ErrorCode, FEATURES, SERVICE_NAME};
use serde::de::DeserializeOwned;
use service::{ClientIp, Proofs, Rejected, Revealed};

use crate::AppState;
use crate::error::ApiError;

/// The API's routes, to be nested under `/api`.
pub fn router(body_limit: usize) -> Router<AppState> {
    Router::new()
        .route(
            "/secrets",
            post(create).layer(DefaultBodyLimit::max(body_limit)),
        )
        .route("/secrets/{key}", get(consume))
        .route("/secrets/{key}/info", get(info))
        .route("/secrets/{key}/reveal", post(reveal))
        .route("/secrets/{key}/status", post(status))
        .route("/secrets/{key}/destroy", post(destroy))
        .route("/health", get(health))
        .fallback(|| async { ApiError::NoRoute })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
}

/// The client's address, as the server's middleware decided it.
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<ClientIp>()
            .map(|ClientIp(ip)| Self(*ip))
            .ok_or(ApiError::Internal(
                "no client address: the client_ip middleware is missing",
            ))
    }
}

/// Decodes a JSON body into `T`, with our error for every way it can be wrong.
fn json<T: DeserializeOwned>(
    state: &AppState,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let metrics = state.service.metrics();
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            metrics.reject(Rejected::TooLarge);
            ApiError::TooLarge(state.body_limit)
        } else {
            metrics.reject(Rejected::BadInput);
            ApiError::InvalidBody("the request body could not be read")
        }
    })?;
    if body.iter().all(u8::is_ascii_whitespace) {
        metrics.reject(Rejected::BadInput);
        return Err(ApiError::InvalidBody(
            "the request body is empty; send a JSON object",
        ));
    }
    let not_object = || {
        metrics.reject(Rejected::BadInput);
        ApiError::InvalidBody("the request body must be a JSON object")
    };
    // serde would also take an array for a struct (fields by position): only objects here.
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return match serde_json::from_slice::<serde::de::IgnoredAny>(&body) {
            Ok(_) => Err(not_object()),
            Err(_) => {
                metrics.reject(Rejected::BadInput);
                Err(ApiError::InvalidBody("the request body is not valid JSON"))
            }
        };
    }
    serde_json::from_slice(&body).map_err(|e| {
        // Every field is decoded leniently, so a data error means the body is not an object.
        if e.is_data() {
            not_object()
        } else {
            metrics.reject(Rejected::BadInput);
            ApiError::InvalidBody("the request body is not valid JSON")
        }
    })
}

fn secret(revealed: Revealed) -> Json<SecretResponse> {
    Json(SecretResponse {
        ciphertext: crypto_core::base64::encode(&revealed.payload),
        id: revealed.id.to_string(),
        views_left: Some(revealed.views_left),
    })
}

/// `POST /api/secrets` → `201 {"id", "alias", "expires_at", "max_views"}`.
async fn create(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<CreateResponse>), ApiError> {
    let request: CreateRequest = json(&state, body)?;
    let created = state.service.create(client, request.into()).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreateResponse {
            id: created.id.to_string(),
            alias: created.alias.to_string(),
            expires_at: Some(created.expires_at),
            max_views: Some(created.max_views),
        }),
    ))
}

/// `GET /api/secrets/{id-or-alias}` → `200 {"ciphertext", "id", "views_left"}`: the reference
/// read. Secrets made with an access proof or a passphrase refuse it (403) and keep waiting.
async fn consume(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(key): Path<String>,
) -> Result<Json<SecretResponse>, ApiError> {
    Ok(secret(state.service.read_reference(client, &key).await?))
}

/// `GET /api/secrets/{key}/info`: what a recipient may know before revealing; consumes nothing.
async fn info(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(key): Path<String>,
) -> Result<Json<InfoResponse>, ApiError> {
    let info = state.service.info(client, &key).await?;
    Ok(Json(InfoResponse {
        proof_required: info.needs_proof,
        passphrase_required: info.needs_passphrase,
        tries_left: info.needs_passphrase.then_some(info.tries_left),
        views_left: info.views_left,
    }))
}

/// `POST /api/secrets/{key}/reveal {"access_proof"?, "passphrase_proof"?}` → the ciphertext,
/// one view counted; wrong or missing proofs consume nothing.
async fn reveal(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(key): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<SecretResponse>, ApiError> {
    let request: RevealRequest = json(&state, body)?;
    let proofs = Proofs {
        access: request.access_proof,
        passphrase: request.passphrase_proof,
    };
    Ok(secret(state.service.reveal(client, &key, proofs).await?))
}

/// `POST /api/secrets/{alias}/status {"manage_token"}` → the sender's view.
async fn status(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(key): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<StatusResponse>, ApiError> {
    let request: ManageRequest = json(&state, body)?;
    Ok(Json(
        state
            .service
            .status(client, &key, request.manage_token)
            .await?,
    ))
}

/// `POST /api/secrets/{alias}/destroy {"manage_token"}` → the ciphertext is deleted now.
async fn destroy(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(key): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<DestroyResponse>, ApiError> {
    let request: ManageRequest = json(&state, body)?;
    state
        .service
        .destroy(client, &key, request.manage_token)
        .await?;
    Ok(Json(DestroyResponse {
        state: SecretState::Destroyed,
    }))
}

/// `GET /api/health` → `200 {"status": "ok", ...}`, or 503 when the store is unreachable.
async fn health(State(state): State<AppState>) -> (StatusCode, Json<HealthResponse>) {
    let service = &state.service;
    let store = Some(service.store().backend().to_owned());
    match service.health().await {
        Ok(()) => {
            let limits = service.limits();
            (
                StatusCode::OK,
                Json(HealthResponse {
                    status: HealthStatus::Ok,
                    store,
                    // Lets clients (the CLI) tell an oncelink server from a reference one.
                    service: Some(SERVICE_NAME.to_owned()),
                    features: FEATURES.iter().map(|f| (*f).to_owned()).collect(),
                    max_views: Some(limits.max_views),
                    max_ttl_seconds: Some(limits.max_ttl.as_secs()),
                    min_ttl_seconds: Some(limits.min_ttl.as_secs()),
                    error: None,
                    code: None,
                }),
            )
        }
        Err(e) => {
            tracing::warn!(error = ?e.internal_detail(), "health check: store unreachable");
            (
                crate::error::status(ErrorCode::Unavailable),
                Json(HealthResponse {
                    status: HealthStatus::Unavailable,
                    store,
                    service: None,
                    features: Vec::new(),
                    max_views: None,
                    max_ttl_seconds: None,
                    min_ttl_seconds: None,
                    error: Some("the secret store is unreachable".to_owned()),
                    code: Some(ErrorCode::Unavailable),
                }),
            )
        }
    }
}
