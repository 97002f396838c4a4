//! Request middleware: request ids and logging of internal errors. (The client's address is
//! decided in [`crate::client`], uploads are admitted in [`crate::upload`].)

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::request_id::{MakeRequestId, RequestId};

use crate::error::InternalError;

/// The request id header (kept from a proxy if it set one, otherwise made here).
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Random 64-bit request ids, in hex.
#[derive(Clone, Copy)]
pub struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).ok()?;
        let id = bytes.iter().fold(String::with_capacity(16), |mut s, b| {
            let _ = std::fmt::Write::write_fmt(&mut s, format_args!("{b:02x}"));
            s
        });
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// Logs the internal detail attached to an error response (never sent to the client).
pub async fn log_internal_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if let Some(InternalError(detail)) = response.extensions().get::<InternalError>() {
        tracing::error!(
            status = response.status().as_u16(),
            detail,
            "request failed"
        );
    }
    response
}
