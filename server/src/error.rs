//! The API's one error type, mapped to a status and `{"error": ...}` in one place.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use store::StoreError;
use store::validate::InputError;

/// Everything an API request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request body or a parameter is invalid.
    #[error("{0}")]
    Input(#[from] InputError),
    /// The body is not what the endpoint takes (message for the client).
    #[error("{0}")]
    BadRequest(String),
    /// The body is over the limit.
    #[error("request body is larger than the limit of {0} bytes")]
    TooLarge(usize),
    /// A secret with this id exists.
    #[error("a secret with this id already exists")]
    Conflict,
    /// The request conflicts with the secret's state.
    #[error("{0}")]
    StateConflict(String),
    /// A proof is missing or wrong; nothing was consumed.
    #[error("{0}")]
    Forbidden(String),
    /// A passphrase is needed or was wrong.
    #[error("{message}")]
    Passphrase {
        /// What happened.
        message: &'static str,
        /// Wrong tries left before the secret is destroyed.
        tries_left: u32,
    },
    /// The secret was destroyed by this request.
    #[error("{0}")]
    Gone(String),
    /// Too many failed attempts from this client.
    #[error("too many failed attempts; try again later")]
    RateLimited(std::time::Duration),
    /// Unknown, already viewed and expired look the same.
    #[error("secret not found: it may have been viewed already or expired")]
    NotFound,
    /// No such endpoint.
    #[error("no such endpoint")]
    NoRoute,
    /// The endpoint exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The store is full (embedded store at its memory cap).
    #[error("the server is full right now; try again later")]
    Full,
    /// The store failed; the detail goes to the log, never to the client.
    #[error("the secret store is unavailable; try again later")]
    Unavailable(String),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => ApiError::Conflict,
            StoreError::Full => ApiError::Full,
            other => ApiError::Unavailable(other.to_string()),
        }
    }
}

/// Detail of an internal error, attached to the response for the logging middleware.
#[derive(Debug, Clone)]
pub struct InternalError(pub String);

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::Input(InputError::PayloadTooLarge(_)) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Input(_) | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Conflict | ApiError::StateConflict(_) => StatusCode::CONFLICT,
            ApiError::Forbidden(_) | ApiError::Passphrase { .. } => StatusCode::FORBIDDEN,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotFound | ApiError::NoRoute => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Full => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // Rejections the store does not see (it counts the rest).
        match &self {
            ApiError::Input(InputError::PayloadTooLarge(_)) | ApiError::TooLarge(_) => {
                store::metrics::COUNTERS.reject(store::metrics::Rejected::TooLarge);
            }
            ApiError::Input(_) | ApiError::BadRequest(_) => {
                store::metrics::COUNTERS.reject(store::metrics::Rejected::BadInput);
            }
            ApiError::StateConflict(_) => {
                store::metrics::COUNTERS.reject(store::metrics::Rejected::Conflict);
            }
            _ => {}
        }
        let mut body = serde_json::json!({ "error": self.to_string() });
        if let ApiError::Passphrase { tries_left, .. } = self {
            body["tries_left"] = tries_left.into();
        }
        let mut response = (self.status(), Json(body)).into_response();
        if let ApiError::RateLimited(wait) = self {
            // Whole seconds, rounded up, as Retry-After requires.
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds.max(1)),
            );
        }
        if let ApiError::Unavailable(detail) = self {
            response.extensions_mut().insert(InternalError(detail));
        }
        response
    }
}
