//! The one mapping from an error to an HTTP answer: status by [`ErrorCode`], body
//! [`ErrorBody`], `Retry-After` where it applies. Internal detail is attached for the logging
//! middleware, never sent.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use protocol::{ErrorBody, ErrorCode};
use service::ServiceError;

/// Everything an HTTP request can fail with: the service's answers, and what only HTTP has.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The service refused or failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// No turn for a large upload in time.
    #[error("the server is busy with other uploads; try again shortly")]
    Busy,
    /// This client already has its share of large uploads in progress.
    #[error("this address has too many uploads in progress; try again when one is done")]
    TooManyUploads,
    /// No such endpoint.
    #[error("no such endpoint")]
    NoRoute,
    /// The endpoint exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The server was wired wrongly (a middleware missing); the detail is logged.
    #[error("internal error")]
    Internal(&'static str),
}

/// Detail of an internal error, attached to the response for the logging middleware.
#[derive(Debug, Clone)]
pub struct InternalError(pub String);

/// How long a busy upload should wait before trying again.
const BUSY_RETRY: Duration = Duration::from_secs(5);

/// The HTTP status of each code: the one place it is decided.
pub fn status(code: ErrorCode) -> StatusCode {
    match code {
        c if c.is_bad_input() => StatusCode::BAD_REQUEST,
        ErrorCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::IdExists
        | ErrorCode::AlreadyAnswered
        | ErrorCode::AlreadyGone
        | ErrorCode::UploadIncomplete
        | ErrorCode::FilesUnsupported => StatusCode::CONFLICT,
        ErrorCode::InvalidRange => StatusCode::RANGE_NOT_SATISFIABLE,
        ErrorCode::ProofRequired
        | ErrorCode::WrongAccessProof
        | ErrorCode::PassphraseRequired
        | ErrorCode::WrongPassphrase
        | ErrorCode::WrongManageToken
        | ErrorCode::WrongUploadToken => StatusCode::FORBIDDEN,
        ErrorCode::Burned | ErrorCode::RequestClosed => StatusCode::GONE,
        ErrorCode::RateLimited | ErrorCode::QuotaExceeded => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::NotFound | ErrorCode::NoRoute => StatusCode::NOT_FOUND,
        ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::StoreFull => StatusCode::INSUFFICIENT_STORAGE,
        ErrorCode::Busy | ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl ApiError {
    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Service(e) => e.code(),
            ApiError::Busy => ErrorCode::Busy,
            ApiError::TooManyUploads => ErrorCode::RateLimited,
            ApiError::NoRoute => ErrorCode::NoRoute,
            ApiError::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }

    fn body(&self) -> ErrorBody {
        match self {
            ApiError::Service(e) => e.body(),
            other => ErrorBody::new(other.code(), other.to_string()),
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::Service(e) => e.retry_after(),
            ApiError::Busy | ApiError::TooManyUploads => Some(BUSY_RETRY),
            _ => None,
        }
    }

    fn internal_detail(&self) -> Option<String> {
        match self {
            ApiError::Service(e) => e.internal_detail().map(str::to_owned),
            ApiError::Internal(what) => Some((*what).to_owned()),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (status(self.code()), Json(self.body())).into_response();
        if let Some(wait) = self.retry_after() {
            // Whole seconds, rounded up, as Retry-After requires.
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        if let Some(detail) = self.internal_detail() {
            response.extensions_mut().insert(InternalError(detail));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_deliberate_status() {
        for code in ErrorCode::ALL {
            let status = status(code);
            assert!(
                status != StatusCode::INTERNAL_SERVER_ERROR || code == ErrorCode::Internal,
                "{code:?} falls through to 500"
            );
        }
    }
}
