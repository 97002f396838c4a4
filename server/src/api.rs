//! The REST API. Wire-compatible with Only Once Share (`POST /api/secrets`,
//! `GET /api/secrets/{id-or-alias}`, `GET /api/health`), plus additive endpoints for
//! access proofs, view limits, passphrases and the sender's controls (`docs/api.md`).

use std::net::{IpAddr, SocketAddr};

use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::{Map, Value, json};
use store::limits::{Class, ClientIp};
use store::validate::{self, InputError};
use store::{Access, Destroyed, Managed, Presented, Reveal, SecretRef, State as SecretState};

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

/// The client's address (see [`crate::client_ip`]). Absent (a router driven without the
/// middleware) counts as one unknown client rather than failing the request.
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts.extensions.get::<ClientIp>().map_or_else(
            || {
                parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map_or(IpAddr::from([0, 0, 0, 0]), |ConnectInfo(a)| a.ip())
            },
            |ClientIp(ip)| *ip,
        );
        Ok(Self(ip))
    }
}

/// Counts a request of `class`; 429 when over.
async fn limit(state: &AppState, class: Class, client: IpAddr) -> Result<(), ApiError> {
    state
        .limiter
        .hit(class, client)
        .await
        .map_err(ApiError::RateLimited)
}

/// A read: refused while the client is over its failures, then counted as a read.
async fn limit_read(state: &AppState, client: IpAddr) -> Result<(), ApiError> {
    state
        .limiter
        .read(client)
        .await
        .map_err(ApiError::RateLimited)
}

/// Counts a failure (wrong proof, unknown or invalid id) and passes the error on.
async fn failed<T>(state: &AppState, client: IpAddr, error: ApiError) -> Result<T, ApiError> {
    let _ = state.limiter.hit(Class::Failed, client).await;
    Err(error)
}

/// Parses a secret reference; an invalid one counts as a failure.
async fn reference(state: &AppState, client: IpAddr, key: &str) -> Result<SecretRef, ApiError> {
    match validate::secret_ref(key) {
        Ok(key) => Ok(key),
        Err(e) => failed(state, client, e.into()).await,
    }
}

/// Reads a JSON object body, with our error messages for every way it can be wrong.
fn object(
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<Map<String, Value>, ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(limit)
        } else {
            ApiError::BadRequest("the request body could not be read".into())
        }
    })?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(
            "the request body is empty; send a JSON object".into(),
        ));
    }
    match serde_json::from_slice(&body) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(ApiError::BadRequest(
            "the request body must be a JSON object".into(),
        )),
        Err(_) => Err(ApiError::BadRequest(
            "the request body is not valid JSON".into(),
        )),
    }
}

/// An optional non-negative integer field; `Err(())` when present but of another type.
fn integer(fields: &mut Map<String, Value>, name: &str) -> Result<Option<u64>, ()> {
    match fields.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_u64().map(Some).ok_or(()),
        Some(_) => Err(()),
    }
}

/// An optional string field.
fn string(
    fields: &mut Map<String, Value>,
    name: &'static str,
    err: InputError,
) -> Result<Option<String>, ApiError> {
    match fields.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(err.into()),
    }
}

/// An optional verifier field (32 bytes, base64url), stored as given.
fn verifier(
    fields: &mut Map<String, Value>,
    name: &'static str,
) -> Result<Option<store::Verifier>, ApiError> {
    string(fields, name, InputError::BadProof(name))?
        .map(|text| validate::proof(&text, name).map_err(ApiError::from))
        .transpose()
}

/// An optional proof field (32 bytes, base64url), turned into its verifier.
fn proof(
    fields: &mut Map<String, Value>,
    name: &'static str,
) -> Result<Option<store::Verifier>, ApiError> {
    string(fields, name, InputError::BadProof(name))?
        .map(|text| validate::presented(&text, name).map_err(ApiError::from))
        .transpose()
}

/// `POST /api/secrets` → `201 {"id", "alias", "expires_at", "max_views"}`.
///
/// Reference fields: `ciphertext`, `ttl_hours`, `id`. Additive: `ttl_seconds`,
/// `max_views`, `access_verifier`, `passphrase_verifier`, `manage_verifier`.
async fn create(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    limit(&state, Class::Create, client).await?;
    let mut fields = object(body, state.body_limit)?;
    let limits = &state.limits;
    let ciphertext = match fields.remove("ciphertext") {
        Some(Value::String(text)) => text,
        None | Some(Value::Null) => {
            return Err(ApiError::BadRequest("ciphertext is required".into()));
        }
        Some(_) => return Err(ApiError::BadRequest("ciphertext must be a string".into())),
    };
    let hours =
        integer(&mut fields, "ttl_hours").map_err(|()| validate::ttl_hours_invalid(limits))?;
    let seconds =
        integer(&mut fields, "ttl_seconds").map_err(|()| validate::ttl_seconds_invalid(limits))?;
    let ttl = match (hours, seconds) {
        (Some(_), Some(_)) => return Err(InputError::TwoTtls.into()),
        (_, Some(s)) => validate::ttl_seconds(s, limits)?,
        (h, None) => validate::ttl_hours(h, limits)?,
    };
    let views =
        integer(&mut fields, "max_views").map_err(|()| InputError::MaxViews(limits.max_views))?;
    let access = Access {
        max_views: validate::max_views(views, limits)?,
        access_verifier: verifier(&mut fields, "access_verifier")?,
        passphrase_verifier: verifier(&mut fields, "passphrase_verifier")?,
        passphrase_tries: limits.passphrase_tries,
        manage_verifier: verifier(&mut fields, "manage_verifier")?,
    };
    let id = string(&mut fields, "id", InputError::BadId)?;
    let id = validate::id(id.as_deref())?;
    let payload = validate::payload_base64(&ciphertext, limits)?;
    let max_views = access.max_views;
    let created = state
        .store
        .create(validate::new_secret(id, payload, ttl, access))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": created.id.to_string(),
            "alias": created.alias.to_string(),
            "expires_at": unix_now() + ttl.as_secs(),
            "max_views": max_views,
        })),
    ))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `GET /api/secrets/{id-or-alias}` → `200 {"ciphertext", "id", "views_left"}`: the reference
/// read. Secrets made with an access proof or a passphrase refuse it (403) and keep waiting.
async fn consume(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(key): Path<String>,
) -> Result<Json<Value>, ApiError> {
    limit_read(&state, client).await?;
    let key = reference(&state, client, &key).await?;
    match state.store.reveal(&key, &Presented::default()).await? {
        Reveal::Revealed {
            id,
            payload,
            views_left,
        } => Ok(Json(json!({
            "ciphertext": crypto_core::base64::encode(&payload),
            "id": id.to_string(),
            "views_left": views_left,
        }))),
        // A missing proof counts as a failure, as on the reveal endpoint.
        Reveal::WrongKey | Reveal::PassphraseRequired { .. } => {
            let message = "this secret needs proofs: use POST /api/secrets/{key}/reveal";
            failed(&state, client, ApiError::Forbidden(message.into())).await
        }
        _ => failed(&state, client, ApiError::NotFound).await,
    }
}

/// `GET /api/secrets/{key}/info`: what a recipient may know before revealing; consumes nothing.
async fn info(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(key): Path<String>,
) -> Result<Json<Value>, ApiError> {
    limit_read(&state, client).await?;
    let key = reference(&state, client, &key).await?;
    let Some(info) = state.store.info(&key).await? else {
        return failed(&state, client, ApiError::NotFound).await;
    };
    Ok(Json(json!({
        "proof_required": info.needs_proof,
        "passphrase_required": info.needs_passphrase,
        "tries_left": info.needs_passphrase.then_some(info.tries_left),
        "views_left": info.views_left,
    })))
}

/// `POST /api/secrets/{key}/reveal {"access_proof"?, "passphrase_proof"?}` → the ciphertext,
/// one view counted; wrong or missing proofs consume nothing.
async fn reveal(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(key): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    limit_read(&state, client).await?;
    let key = reference(&state, client, &key).await?;
    let mut fields = object(body, state.body_limit)?;
    let presented = Presented {
        access: proof(&mut fields, "access_proof")?,
        passphrase: proof(&mut fields, "passphrase_proof")?,
    };
    let error = match state.store.reveal(&key, &presented).await? {
        Reveal::Revealed {
            id,
            payload,
            views_left,
        } => {
            return Ok(Json(json!({
                "ciphertext": crypto_core::base64::encode(&payload),
                "id": id.to_string(),
                "views_left": views_left,
            })));
        }
        // Asking for the passphrase is not a failure: nothing was guessed.
        Reveal::PassphraseRequired { tries_left } => {
            return Err(ApiError::Passphrase {
                message: "a passphrase is required",
                tries_left,
            });
        }
        Reveal::NotFound => ApiError::NotFound,
        Reveal::WrongKey => ApiError::Forbidden("the access proof is missing or wrong".into()),
        Reveal::WrongPassphrase { tries_left } => ApiError::Passphrase {
            message: "wrong passphrase",
            tries_left,
        },
        Reveal::Burned => {
            ApiError::Gone("too many wrong passphrases: the secret was destroyed".into())
        }
    };
    failed(&state, client, error).await
}

/// The manage token from a status or destroy body, as its verifier.
fn manage_token(
    body: Result<Bytes, BytesRejection>,
    state: &AppState,
) -> Result<store::Verifier, ApiError> {
    let mut fields = object(body, state.body_limit)?;
    Ok(proof(&mut fields, "manage_token")?.ok_or(InputError::BadProof("manage_token"))?)
}

fn alias(key: &str) -> Result<store::Alias, ApiError> {
    match validate::secret_ref(key)? {
        SecretRef::Alias(alias) => Ok(alias),
        SecretRef::Id(_) => Err(InputError::BadRef.into()),
    }
}

/// What status and destroy share: the read limit, the alias, the token's verifier.
async fn manage_request(
    state: &AppState,
    client: IpAddr,
    key: &str,
    body: Result<Bytes, BytesRejection>,
) -> Result<(store::Alias, store::Verifier), ApiError> {
    limit_read(state, client).await?;
    Ok((alias(key)?, manage_token(body, state)?))
}

fn wrong_manage_token() -> ApiError {
    ApiError::Forbidden("the manage token is wrong".into())
}

/// `POST /api/secrets/{alias}/status {"manage_token"}` → the sender's view.
async fn status(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(key): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let (alias, token) = manage_request(&state, client, &key, body).await?;
    match state.store.status(&alias, &token).await? {
        Managed::Ok(s) => Ok(Json(json!({
            "state": match s.state {
                SecretState::Waiting => "waiting",
                SecretState::Opened => "opened",
                SecretState::Destroyed => "destroyed",
                SecretState::Burned => "burned",
            },
            "views_used": s.views_used,
            "max_views": s.max_views,
            "views_left": s.max_views.saturating_sub(s.views_used),
            "opened_at": s.opened_at,
            "expires_at": s.expires_at,
            "tries_left": s.tries_left,
        }))),
        Managed::NotFound => failed(&state, client, ApiError::NotFound).await,
        Managed::WrongToken => failed(&state, client, wrong_manage_token()).await,
    }
}

/// `POST /api/secrets/{alias}/destroy {"manage_token"}` → the ciphertext is deleted now.
async fn destroy(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(key): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let (alias, token) = manage_request(&state, client, &key, body).await?;
    match state.store.destroy(&alias, &token).await? {
        Managed::Ok(Destroyed::Now) => Ok(Json(json!({ "state": "destroyed" }))),
        Managed::Ok(Destroyed::Already) => Err(ApiError::StateConflict(
            "the secret is already gone (viewed, destroyed or expired)".into(),
        )),
        Managed::NotFound => failed(&state, client, ApiError::NotFound).await,
        Managed::WrongToken => failed(&state, client, wrong_manage_token()).await,
    }
}

/// What this server adds to the reference API, advertised by `/api/health`.
const FEATURES: [&str; 6] = [
    "access_proof",
    "max_views",
    "passphrase",
    "manage",
    "ttl_seconds",
    "padding",
];

/// `GET /api/health` → `200 {"status": "ok"}`, or 503 when the store is unreachable.
async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match state.store.health().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({
                "status": "ok",
                "store": state.store.backend(),
                // Lets clients (the CLI) tell an oncelink server from a reference one.
                "service": "oncelink",
                "features": FEATURES,
                "max_views": state.limits.max_views,
                "max_ttl_seconds": state.limits.max_ttl.as_secs(),
            })),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "health check: store unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({
                    "status": "unavailable",
                    "store": state.store.backend(),
                    "error": "the secret store is unreachable",
                })),
            )
        }
    }
}
