//! The upload gate: every request body passes here before anything reads it.
//!
//! * A create (`POST /api/secrets`, the `/fn/create` server function, the answer to a request
//!   `POST /api/requests/{alias}/answer`) is admitted by the
//!   service first — its rate limit, and its declared size against the client's quota and the
//!   store's room — so a refused upload is refused before a byte of it is read.
//! * A large body (over 1 MiB, or of unknown length) takes a turn: at most
//!   `--max-concurrent-uploads` at once, and at most `--max-uploads-per-client` of them from one
//!   client (its address, or its IPv6 prefix).
//! * Every body must keep a minimum average rate once its grace time is over, so clients that
//!   trickle cannot hold a turn for long.
//!
//! The server speaks HTTP/1.1 only (see `serve.rs`), so a body's length is either declared or
//! chunked: none passes unseen.

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use service::{BodyError, ClientIp, Rejected, Service};
use tokio::time::{Instant, Sleep};

use crate::error::ApiError;

/// Bodies over this size take a turn at the gate.
const LARGE_BODY: u64 = 1024 * 1024;

/// The create doors and how their body carries the payload.
const CREATES: [(&str, Encoding); 2] = [
    ("/api/secrets", Encoding::Base64),
    ("/fn/create", Encoding::Raw),
];

#[derive(Clone, Copy)]
enum Encoding {
    /// JSON with the payload in base64: the payload is about 3/4 of the body.
    Base64,
    /// Postcard with the payload as bytes.
    Raw,
}

/// Settings of the gate.
#[derive(Debug, Clone, Copy)]
pub struct GateConfig {
    /// Large uploads handled at once.
    pub concurrent: usize,
    /// Of which one client may hold this many.
    pub per_client: usize,
    /// How long a large upload waits for its turn.
    pub wait: Duration,
    /// The slowest average a body may arrive at, in bytes per second, once `grace` is over.
    pub min_rate: u64,
    /// How long a body may take before the minimum rate applies.
    pub grace: Duration,
}

/// Bounds how many large uploads are read and processed at once (each may hold tens of MB
/// until it is stored), and how many of them one client holds.
#[derive(Clone)]
pub struct UploadGate {
    turns: Arc<tokio::sync::Semaphore>,
    held: Arc<Mutex<HashMap<String, usize>>>,
    config: GateConfig,
}

/// One client's hold on a turn; given back when dropped.
struct Slot {
    held: Arc<Mutex<HashMap<String, usize>>>,
    bucket: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut held) = self.held.lock()
            && let Some(n) = held.get_mut(&self.bucket)
        {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.bucket);
            }
        }
    }
}

impl UploadGate {
    /// A gate with these settings.
    pub fn new(config: GateConfig) -> Self {
        Self {
            turns: Arc::new(tokio::sync::Semaphore::new(config.concurrent.max(1))),
            held: Arc::default(),
            config,
        }
    }

    /// Admits a request's body: the create's admission, then a turn for a large body, then
    /// the minimum rate while it is read.
    pub async fn admit(self, service: Service, mut request: Request, next: Next) -> Response {
        let Some(ClientIp(client)) = request.extensions().get::<ClientIp>().copied() else {
            return ApiError::Internal("no client address: the client_ip middleware is missing")
                .into_response();
        };
        let declared = request.headers().get(header::CONTENT_LENGTH);
        let length = declared
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        // A length we cannot read as one number (hyper accepts `n, n`) is treated as unknown:
        // the body still takes a turn and is paced, never waved through as empty.
        let unknown = declared.is_some() && length.is_none();
        if let Some(limit) = small_door(&request)
            && (unknown || length.is_some_and(|l| l > limit as u64))
        {
            return ApiError::from(service::ServiceError::Body(BodyError::TooLarge(limit)))
                .into_response();
        }
        if let Some(encoding) = create_door(&request) {
            let declared = length.map(|l| match encoding {
                Encoding::Base64 => l / 4 * 3,
                Encoding::Raw => l,
            });
            match service.admit_create(client, declared).await {
                Ok(admission) => {
                    request.extensions_mut().insert(admission);
                }
                Err(e) => return ApiError::from(e).into_response(),
            }
        }
        let chunked = request.headers().contains_key(header::TRANSFER_ENCODING) || unknown;
        if !chunked && length.is_none_or(|l| l == 0) {
            // HTTP/1.1: no length and not chunked is an empty body; nothing to pace.
            return next.run(request).await;
        }
        if !(chunked || length.is_some_and(|l| l > LARGE_BODY)) {
            return next.run(self.paced(request)).await;
        }
        let Some(_slot) = self.slot(&service, client) else {
            service.metrics().reject(Rejected::RateLimited);
            return ApiError::TooManyUploads.into_response();
        };
        match tokio::time::timeout(self.config.wait, self.turns.clone().acquire_owned()).await {
            Ok(Ok(_turn)) => next.run(self.paced(request)).await,
            _ => {
                service.metrics().reject(Rejected::Busy);
                ApiError::Busy.into_response()
            }
        }
    }

    /// One of the client's upload slots, if it has one free.
    fn slot(&self, service: &Service, client: IpAddr) -> Option<Slot> {
        let bucket = service.bucket(client);
        let mut held = self.held.lock().ok()?;
        let n = held.entry(bucket.clone()).or_insert(0);
        if *n >= self.config.per_client.max(1) {
            return None;
        }
        *n += 1;
        Some(Slot {
            held: self.held.clone(),
            bucket,
        })
    }

    /// The request with its body held to the minimum rate.
    fn paced(&self, request: Request) -> Request {
        let (parts, body) = request.into_parts();
        let body = Paced::new(body, self.config.min_rate, self.config.grace);
        Request::from_parts(parts, Body::new(body))
    }
}

/// The server functions other than create take a few proofs: their bodies are refused over
/// this before being read (the create door has the upload limit).
const SMALL_BODY: usize = 64 * 1024;

/// The limit of a server function's body, when the request is for one other than create.
fn small_door(request: &Request) -> Option<usize> {
    let path = request.uri().path();
    (path.starts_with("/fn/") && path != "/fn/create").then_some(SMALL_BODY)
}

/// The create door a request is for, if any.
fn create_door(request: &Request) -> Option<Encoding> {
    if request.method() != Method::POST {
        return None;
    }
    let path = request.uri().path();
    // An answer to a request is a create too: `/api/requests/{alias}/answer`.
    let answer = path
        .strip_prefix("/api/requests/")
        .and_then(|rest| rest.strip_suffix("/answer"))
        .is_some_and(|alias| !alias.is_empty() && !alias.contains('/'));
    if answer {
        return Some(Encoding::Base64);
    }
    CREATES
        .iter()
        .find(|(door, _)| path == *door)
        .map(|(_, encoding)| *encoding)
}

/// A body arriving slower than the minimum average rate, after its grace time.
#[derive(Debug, thiserror::Error)]
#[error("the request body arrived too slowly")]
pub struct TooSlow;

/// A body that fails with [`TooSlow`] when, after `grace`, fewer than `rate` bytes a second
/// (on average since it began) have arrived; counts its bytes as they come.
struct Paced {
    inner: Body,
    rate: u64,
    start: Instant,
    grace: Duration,
    received: u64,
    deadline: Pin<Box<Sleep>>,
}

impl Paced {
    fn new(inner: Body, rate: u64, grace: Duration) -> Self {
        let start = Instant::now();
        Self {
            inner,
            rate: rate.max(1),
            start,
            grace,
            received: 0,
            deadline: Box::pin(tokio::time::sleep_until(start + grace)),
        }
    }

    /// When the bytes received so far stop being enough.
    fn next_deadline(&self) -> Instant {
        let earned = Duration::from_secs_f64(self.received as f64 / self.rate as f64);
        self.start + self.grace + earned
    }
}

impl http_body::Body for Paced {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                    let next = this.next_deadline();
                    this.deadline.as_mut().reset(next);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(TooSlow)))),
                Poll::Pending => Poll::Pending,
            },
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt as _;

    #[tokio::test(start_paused = true)]
    async fn a_trickle_is_cut_after_the_grace_time() {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
        let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
        let body = Paced::new(Body::from_stream(stream), 1000, Duration::from_secs(2));
        let sender = tokio::spawn(async move {
            for _ in 0..100 {
                if tx.send(Ok(Bytes::from_static(b"x"))).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
        let started = Instant::now();
        let collected = body.collect().await;
        assert!(collected.is_err(), "a trickling body must fail");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_secs(2) && took < Duration::from_secs(3),
            "{took:?}"
        );
        sender.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn a_steady_body_passes() {
        let chunks: Vec<Result<Bytes, std::io::Error>> = (0..10)
            .map(|_| Ok(Bytes::from(vec![0u8; 10_000])))
            .collect();
        let body = Paced::new(
            Body::from_stream(tokio_stream::iter(chunks)),
            1000,
            Duration::from_secs(2),
        );
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(bytes.len(), 100_000);
    }
}
