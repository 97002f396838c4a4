//! The REST doors of file data (`docs/api.md`, Files): uploads in parts before a secret is
//! created, and the download of a revealed secret's data. Like the rest of the API they
//! only translate: the service decides.
//!
//! Proofs travel in headers, never in a URL: `Authorization: Bearer <upload token>` for an
//! upload, `Oncelink-Access-Proof` and `Oncelink-Claim` for a download.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Json;
use axum::Router;
use axum::body::{Body, BodyDataStream};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use blobs::PartBody;
use bytes::Bytes;
use protocol::rest::{UploadRequest, UploadResponse, UploadStatusResponse};
use service::{DownloadProofs, ServiceError, Wanted};

use crate::AppState;
use crate::api::{ClientAddr, json};
use crate::error::ApiError;

/// The header of a download's access proof.
pub const ACCESS_PROOF_HEADER: &str = "oncelink-access-proof";
/// The header of a download's claim.
pub const CLAIM_HEADER: &str = "oncelink-claim";

/// Largest body of the upload request (two fields).
const SMALL_BODY: usize = 4 * 1024;

/// The file routes, to be nested under `/api` with the rest of the API.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/uploads",
            post(begin).layer(DefaultBodyLimit::max(SMALL_BODY)),
        )
        .route("/uploads/{id}", get(upload_status).delete(abort))
        // The part's length is checked as it streams to the blob store, not buffered.
        .route(
            "/uploads/{id}/parts/{n}",
            put(part).layer(DefaultBodyLimit::disable()),
        )
        // HEAD would be a GET without the body; nothing is counted, but nothing is needed.
        .route(
            "/secrets/{alias}/data",
            get(download).head(|| async { ApiError::MethodNotAllowed }),
        )
}

/// `POST /api/uploads {"secret_id", "length"}` → `201` with the upload token and part size.
async fn begin(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<UploadResponse>), ApiError> {
    let request = json::<UploadRequest>(body, SMALL_BODY);
    let begun = state.service.begin_upload(client, request).await?;
    Ok((StatusCode::CREATED, Json(begun)))
}

/// `GET /api/uploads/{id}` → the parts received, to resume.
async fn upload_status(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<UploadStatusResponse>, ApiError> {
    let token = bearer(&headers);
    Ok(Json(state.service.upload_status(client, &id, token).await?))
}

/// `DELETE /api/uploads/{id}` → `204`: the upload and everything written are gone.
async fn abort(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let token = bearer(&headers);
    state.service.abort_upload(client, &id, token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/uploads/{id}/parts/{n}` with the part's bytes → `204`. Sending a part again
/// replaces it (a retry after a lost answer).
async fn part(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path((id, n)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let token = bearer(&headers);
    let mut stream: PartBody = Box::pin(IoStream(body.into_data_stream()));
    let written = state
        .service
        .put_part(client, &id, &n, token, &mut stream)
        .await;
    if written.is_err() {
        // Read what is left (within a part's size) so the client gets the answer instead of
        // a connection closed under its upload.
        let limit = state.service.file_limits().map_or(0, |f| f.part_size);
        drain(&mut stream, limit).await;
    }
    written?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reads and drops up to `limit` bytes of a body.
async fn drain(body: &mut PartBody, limit: u64) {
    let mut read = 0u64;
    while read <= limit {
        match std::future::poll_fn(|cx| body.as_mut().poll_next(cx)).await {
            Some(Ok(chunk)) => read += chunk.len() as u64,
            _ => break,
        }
    }
}

/// `GET /api/secrets/{alias}/data` with the access proof and the view's claim in headers, and
/// optionally `Range: bytes=a-b` → `200` or `206` with the sealed bytes.
async fn download(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(alias): Path<String>,
    headers: HeaderMap,
) -> Response {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let proofs = DownloadProofs {
        access: text(ACCESS_PROOF_HEADER),
        claim: text(CLAIM_HEADER),
    };
    let wanted = text(header::RANGE.as_str()).and_then(range);
    let download = match state.service.download(client, &alias, proofs, wanted).await {
        Ok(download) => download,
        Err(e) => {
            let total = match &e {
                ServiceError::BadRange { total } => Some(*total),
                _ => None,
            };
            let mut response = ApiError::from(e).into_response();
            if let Some(total) =
                total.and_then(|t| HeaderValue::try_from(format!("bytes */{t}")).ok())
            {
                response.headers_mut().insert(header::CONTENT_RANGE, total);
            }
            return response;
        }
    };
    let range = download.range.clone();
    // Empty data has no byte to name in a `Content-Range`: it is sent whole.
    let partial = wanted.is_some() && download.total > 0;
    let body = Body::from_stream(download.reader);
    let mut response = Response::new(body);
    *response.status_mut() = if partial {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(range.end - range.start),
    );
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if partial
        && let Ok(value) = HeaderValue::try_from(format!(
            "bytes {}-{}/{}",
            range.start,
            range.end.saturating_sub(1),
            download.total
        ))
    {
        headers.insert(header::CONTENT_RANGE, value);
    }
    response
}

/// The token of `Authorization: Bearer <token>`.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// `bytes=a-` or `bytes=a-b`; anything else (several ranges, suffixes, `b < a`) is ignored,
/// as HTTP allows, and the whole data is sent.
fn range(text: &str) -> Option<Wanted> {
    let (start, last) = text.trim().strip_prefix("bytes=")?.split_once('-')?;
    let start = start.trim().parse().ok()?;
    let last = match last.trim() {
        "" => None,
        last => Some(last.parse().ok()?),
    };
    // `a-b` with b < a is not a range at all: ignored, like any other invalid one.
    if last.is_some_and(|last| last < start) {
        return None;
    }
    Some(Wanted { start, last })
}

/// A request body as the blob store reads it: bytes, or an I/O error.
struct IoStream(BodyDataStream);

impl futures_core::Stream for IoStream {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.0)
            .poll_next(cx)
            .map(|item| item.map(|chunk| chunk.map_err(std::io::Error::other)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_tokens() {
        assert_eq!(
            range("bytes=5-"),
            Some(Wanted {
                start: 5,
                last: None
            })
        );
        assert_eq!(
            range("bytes=0-99"),
            Some(Wanted {
                start: 0,
                last: Some(99)
            })
        );
        for ignored in [
            "bytes=-5",
            "bytes=1-2,4-5",
            "items=1-2",
            "bytes=a-",
            "bytes=5-3",
        ] {
            assert_eq!(range(ignored), None, "{ignored}");
        }
        let mut headers = HeaderMap::new();
        assert_eq!(bearer(&headers), None);
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(bearer(&headers), Some("abc"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&headers), None);
    }
}
