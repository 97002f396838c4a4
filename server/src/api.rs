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
    ConfirmRequest, ConfirmResponse, CreateRequest, CreateResponse, DestroyResponse,
    HealthResponse, HealthStatus, InfoResponse, ManageRequest, RevealRequest, SecretResponse,
    SecretState, StatusResponse,
};
use protocol::{ErrorCode, FEATURES, SERVICE_NAME};
use serde::de::DeserializeOwned;
use service::{Admission, BodyError, ClientIp, Proofs, Revealed};

use crate::AppState;
use crate::error::ApiError;

/// The API's routes, to be nested under `/api`.
pub fn router(body_limit: usize) -> Router<AppState> {
    Router::new()
        .route(
            "/secrets",
            post(create).layer(DefaultBodyLimit::max(body_limit)),
        )
        // HEAD would run the read and drop the body: a view used up, nothing delivered.
        .route(
            "/secrets/{key}",
            get(consume).head(|| async { ApiError::MethodNotAllowed }),
        )
        .route("/secrets/{key}/info", get(info))
        .route(
            "/secrets/{key}/reveal",
            post(reveal).layer(DefaultBodyLimit::max(SMALL_BODY)),
        )
        .route(
            "/secrets/{key}/confirm",
            post(confirm).layer(DefaultBodyLimit::max(SMALL_BODY)),
        )
        .route(
            "/secrets/{key}/status",
            post(status).layer(DefaultBodyLimit::max(SMALL_BODY)),
        )
        .route(
            "/secrets/{key}/destroy",
            post(destroy).layer(DefaultBodyLimit::max(SMALL_BODY)),
        )
        .route("/health", get(health))
        .merge(crate::files::router())
        .merge(crate::requests::router(body_limit))
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

/// Largest body of the reveal and manage endpoints (a few proofs).
pub(crate) const SMALL_BODY: usize = 64 * 1024;

/// Decodes a JSON object body into `T`, or says why it cannot be; the service decides when
/// that matters (after the rate limit and the reference, like any other input).
pub(crate) fn json<T: DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<T, BodyError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            BodyError::TooLarge(limit)
        } else {
            BodyError::Invalid("the request body could not be read")
        }
    })?;
    let not_json = BodyError::Invalid("the request body is not valid JSON");
    let not_object = BodyError::Invalid("the request body must be a JSON object");
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        None => Err(BodyError::Invalid(
            "the request body is empty; send a JSON object",
        )),
        // serde would also take an array for a struct (fields by position): only objects.
        Some(b'{') => serde_json::from_slice(&body).map_err(|e| {
            // Every field is decoded leniently: a data error is a field given twice.
            if e.is_data() {
                BodyError::Invalid("the request body must be a JSON object naming each field once")
            } else {
                not_json
            }
        }),
        Some(_) => match serde_json::from_slice::<serde::de::IgnoredAny>(&body) {
            Ok(_) => Err(not_object),
            Err(_) => Err(not_json),
        },
    }
}

fn secret(revealed: Revealed) -> Json<SecretResponse> {
    Json(SecretResponse {
        ciphertext: crypto_core::base64::encode(&revealed.payload),
        id: revealed.id.to_string(),
        views_left: Some(revealed.views_left),
    })
}

/// The admission the upload gate made for this create (before its body was read).
pub struct Admitted(pub Admission);

impl<S: Send + Sync> FromRequestParts<S> for Admitted {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .remove::<Admission>()
            .map(Self)
            .ok_or(ApiError::Internal(
                "no admission: the upload gate is missing on a create route",
            ))
    }
}

/// `POST /api/secrets` → `201 {"id", "alias", "expires_at", "max_views"}`. Its rate limit and
/// quota were checked by the upload gate before the body was read.
async fn create(
    State(state): State<AppState>,
    Admitted(admission): Admitted,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<CreateResponse>), ApiError> {
    let request = json::<CreateRequest>(body, state.body_limit).map(Into::into);
    let created = state.service.create(admission, request).await?;
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

/// `POST /api/secrets/{key}/reveal {"access_proof"?, "passphrase_proof"?, "claim"?}` → the
/// ciphertext, one view counted (none when the claim's view is delivered again); wrong or
/// missing proofs consume nothing.
async fn reveal(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(key): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<SecretResponse>, ApiError> {
    let proofs = json::<RevealRequest>(body, SMALL_BODY).map(|request| Proofs {
        access: request.access_proof,
        passphrase: request.passphrase_proof,
        claim: request.claim,
    });
    Ok(secret(state.service.reveal(client, &key, proofs).await?))
}

/// `POST /api/secrets/{key}/confirm {"claim"}` → `{"confirmed": true}`: the client has its
/// claimed view; a last view's held copy is deleted now. 404 when the claim is not live.
async fn confirm(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(key): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ConfirmResponse>, ApiError> {
    let claim = json::<ConfirmRequest>(body, SMALL_BODY).map(|r| r.claim);
    state.service.confirm(client, &key, claim).await?;
    Ok(Json(ConfirmResponse { confirmed: true }))
}

/// `POST /api/secrets/{alias}/status {"manage_token"}` → the sender's view.
async fn status(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(key): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<StatusResponse>, ApiError> {
    let token = json::<ManageRequest>(body, SMALL_BODY).map(|r| r.manage_token);
    Ok(Json(state.service.status(client, &key, token).await?))
}

/// `POST /api/secrets/{alias}/destroy {"manage_token"}` → the ciphertext is deleted now.
async fn destroy(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(key): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<DestroyResponse>, ApiError> {
    let token = json::<ManageRequest>(body, SMALL_BODY).map(|r| r.manage_token);
    state.service.destroy(client, &key, token).await?;
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
                    claim_window_seconds: Some(limits.claim_window.as_secs()),
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
                    files: service.file_limits().map(|f| f.info()),
                }),
            )
        }
        Err(e) => {
            tracing::warn!(error = ?e.internal_detail(), "health check: store unreachable");
            (
                crate::error::status(ErrorCode::Unavailable),
                Json(HealthResponse {
                    claim_window_seconds: None,
                    status: HealthStatus::Unavailable,
                    store,
                    service: None,
                    features: Vec::new(),
                    max_views: None,
                    max_ttl_seconds: None,
                    min_ttl_seconds: None,
                    error: Some("the secret store is unreachable".to_owned()),
                    code: Some(ErrorCode::Unavailable),
                    files: None,
                }),
            )
        }
    }
}
