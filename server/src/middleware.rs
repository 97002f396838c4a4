//! Request middleware: the client's address, request ids, the large-upload gate, and logging
//! of internal errors.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use service::{ClientIp, Rejected, Service};
use tower_http::request_id::{MakeRequestId, RequestId};

use crate::error::{ApiError, InternalError};

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

/// Decides the client's address once per request (for rate limits): with a configured proxy
/// header, its rightmost entry (the one the proxy itself appended; a port is dropped), else —
/// or when that entry is not an address — the socket's peer. Every door reads [`ClientIp`].
pub async fn client_ip(header: Option<HeaderName>, mut request: Request, next: Next) -> Response {
    let from_header = header
        .as_ref()
        .and_then(|name| rightmost(request.headers().get_all(name).iter()));
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    match from_header.or(peer) {
        Some(ip) => {
            request.extensions_mut().insert(ClientIp(ip));
            next.run(request).await
        }
        // Served without `serve` (no peer address) and no proxy header: a wiring fault.
        None => ApiError::Internal("no client address: serve the router with server::serve")
            .into_response(),
    }
}

/// The rightmost entry of a comma-separated proxy header (over all its lines), as an address.
/// Only that entry was written by our proxy; an unparsable one gives `None` (the peer is used),
/// never an entry further left, which the client could have forged.
fn rightmost<'a>(values: impl DoubleEndedIterator<Item = &'a HeaderValue>) -> Option<IpAddr> {
    let last = values
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .rfind(|entry| !entry.is_empty())?;
    address(last)
}

/// `1.2.3.4`, `1.2.3.4:443`, `2001:db8::1` or `[2001:db8::1]:443`.
fn address(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    entry.parse::<SocketAddr>().ok().map(|a| a.ip())
}

/// Bodies over this size take a turn at the [`UploadGate`].
const LARGE_BODY: u64 = 1024 * 1024;

/// Bounds how many large uploads are read and processed at once: each may hold tens of MB
/// (the base64 body, the decoded payload, the store's copy) until it is stored.
#[derive(Clone)]
pub struct UploadGate {
    turns: Arc<tokio::sync::Semaphore>,
    wait: Duration,
}

impl UploadGate {
    /// `concurrent` uploads at once; others wait up to `wait`.
    pub fn new(concurrent: usize, wait: Duration) -> Self {
        Self {
            turns: Arc::new(tokio::sync::Semaphore::new(concurrent.max(1))),
            wait,
        }
    }

    /// Lets a large body through when it has a turn; `503 busy` after the wait.
    pub async fn admit(self, service: Service, request: Request, next: Next) -> Response {
        let length = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let large = request.headers().contains_key(header::TRANSFER_ENCODING)
            || length.is_some_and(|l| l > LARGE_BODY);
        if !large {
            return next.run(request).await;
        }
        match tokio::time::timeout(self.wait, self.turns.clone().acquire_owned()).await {
            Ok(Ok(_turn)) => next.run(request).await,
            _ => {
                service.metrics().reject(Rejected::Busy);
                ApiError::Busy.into_response()
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn client(values: &[&str]) -> Option<IpAddr> {
        let values: Vec<HeaderValue> = values
            .iter()
            .map(|v| HeaderValue::from_str(v).unwrap())
            .collect();
        rightmost(values.iter())
    }

    #[test]
    fn only_the_rightmost_proxy_entry_counts() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(client(&["9.9.9.9, 1.2.3.4"]), ip("1.2.3.4"));
        assert_eq!(client(&["9.9.9.9, 1.2.3.4:443"]), ip("1.2.3.4"));
        assert_eq!(client(&["9.9.9.9", "[2001:db8::1]:443"]), ip("2001:db8::1"));
        assert_eq!(client(&["9.9.9.9, 2001:db8::2 "]), ip("2001:db8::2"));
        // Not an address: the socket's peer is used, never the forgeable left entry.
        assert_eq!(client(&["9.9.9.9, unknown"]), None);
        assert_eq!(client(&["9.9.9.9, "]), ip("9.9.9.9"));
        assert_eq!(client(&[]), None);
    }
}
