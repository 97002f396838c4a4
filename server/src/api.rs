//! The REST API, wire-compatible with Only Once Share:
//! `POST /api/secrets`, `GET /api/secrets/{id-or-alias}`, `GET /api/health`.

use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;
use store::validate;

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
        .route("/health", get(health))
        .fallback(|| async { ApiError::NoRoute })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
}

#[derive(Serialize)]
struct CreatedBody {
    id: String,
    alias: String,
}

#[derive(Serialize)]
struct SecretBody {
    ciphertext: String,
    id: String,
}

/// `POST /api/secrets {"ciphertext", "ttl_hours"?, "id"?}` → `201 {"id", "alias"}`.
async fn create(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<CreatedBody>), ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(state.body_limit)
        } else {
            ApiError::BadRequest("the request body could not be read".into())
        }
    })?;
    let secret = parse_create(&body, &state)?;
    let created = state.store.create(secret).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedBody {
            id: created.id.to_string(),
            alias: created.alias.to_string(),
        }),
    ))
}

fn parse_create(body: &[u8], state: &AppState) -> Result<store::NewSecret, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(
            "the request body is empty; send a JSON object".into(),
        ));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| ApiError::BadRequest("the request body is not valid JSON".into()))?;
    let Value::Object(mut fields) = value else {
        return Err(ApiError::BadRequest(
            "the request body must be a JSON object".into(),
        ));
    };
    let ciphertext = match fields.remove("ciphertext") {
        Some(Value::String(text)) => text,
        None | Some(Value::Null) => {
            return Err(ApiError::BadRequest("ciphertext is required".into()));
        }
        Some(_) => return Err(ApiError::BadRequest("ciphertext must be a string".into())),
    };
    let ttl_hours = match fields.remove("ttl_hours") {
        None | Some(Value::Null) => None,
        // Anything but a non-negative integer (strings, floats, negatives) is refused.
        Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64(),
        Some(_) => return Err(validate::ttl_hours_invalid(&state.limits).into()),
    };
    let id = match fields.remove("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id),
        Some(_) => return Err(validate::InputError::BadId.into()),
    };
    let ttl = validate::ttl_hours(ttl_hours, &state.limits)?;
    let id = validate::id(id.as_deref())?;
    let payload = validate::payload_base64(&ciphertext, &state.limits)?;
    Ok(validate::new_secret(id, payload, ttl))
}

/// `GET /api/secrets/{id-or-alias}` → `200 {"ciphertext", "id"}`; the secret is then gone.
async fn consume(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<SecretBody>, ApiError> {
    let key = validate::secret_ref(&key)?;
    let consumed = state.store.consume(&key).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(SecretBody {
        ciphertext: crypto_core::base64::encode(&consumed.payload),
        id: consumed.id.to_string(),
    }))
}

/// `GET /api/health` → `200 {"status": "ok"}`, or 503 when the store is unreachable.
async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match state.store.health().await {
        Ok(()) => (
            StatusCode::OK,
            Json(serde_json::json!({ "status": "ok", "store": state.store.backend() })),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "health check: store unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({
                    "status": "unavailable",
                    "store": state.store.backend(),
                    "error": "the secret store is unreachable",
                })),
            )
        }
    }
}
