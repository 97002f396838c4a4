//! The REST doors of requests (`/api/requests/...`): decode, call the service, encode
//! (`docs/api.md`, "Requests"). The answer is a create: the upload gate admits it first.

use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use bytes::Bytes;
use protocol::requests::{
    AnswerRequest, AnswerResponse, CancelResponse, InboxRequest, InboxResponse, OpenRequest,
    OpenedRequest, RequestView, ViewRequest,
};

use crate::AppState;
use crate::api::{Admitted, ClientAddr, SMALL_BODY, json};
use crate::error::ApiError;

/// The routes, nested under `/api` with the rest of the API.
pub fn router(body_limit: usize) -> Router<AppState> {
    let small = DefaultBodyLimit::max(SMALL_BODY);
    Router::new()
        .route("/requests", post(open).layer(small))
        .route("/requests/{alias}/view", post(view).layer(small))
        .route(
            "/requests/{alias}/answer",
            post(answer).layer(DefaultBodyLimit::max(body_limit)),
        )
        .route("/requests/{alias}/inbox", post(inbox).layer(small))
        .route("/requests/{alias}/cancel", post(cancel).layer(small))
}

/// `POST /api/requests` → `201 {"alias", "expires_at", "id"}`.
async fn open(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<OpenedRequest>), ApiError> {
    let request = json::<OpenRequest>(body, SMALL_BODY);
    let opened = state.service.open_request(client, request).await?;
    Ok((StatusCode::CREATED, Json(opened)))
}

/// `POST /api/requests/{alias}/view {"answer_proof"}` → the note, the state, the answer's
/// lifetime.
async fn view(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(alias): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<RequestView>, ApiError> {
    let proof = json::<ViewRequest>(body, SMALL_BODY).map(|r| r.answer_proof);
    Ok(Json(
        state.service.view_request(client, &alias, proof).await?,
    ))
}

/// `POST /api/requests/{alias}/answer` → `201 {"expires_at"}`; admitted by the upload gate.
async fn answer(
    State(state): State<AppState>,
    Admitted(admission): Admitted,
    Path(alias): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<AnswerResponse>), ApiError> {
    let request = json::<AnswerRequest>(body, state.body_limit);
    let answered = state
        .service
        .answer_request(admission, &alias, request)
        .await?;
    Ok((StatusCode::CREATED, Json(answered)))
}

/// `POST /api/requests/{alias}/inbox {"inbox_proof"}` → the requester's view.
async fn inbox(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(alias): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<InboxResponse>, ApiError> {
    let proof = json::<InboxRequest>(body, SMALL_BODY).map(|r| r.inbox_proof);
    Ok(Json(state.service.inbox(client, &alias, proof).await?))
}

/// `POST /api/requests/{alias}/cancel {"inbox_proof"}` → `{"state": "cancelled"}`.
async fn cancel(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(alias): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CancelResponse>, ApiError> {
    let proof = json::<InboxRequest>(body, SMALL_BODY).map(|r| r.inbox_proof);
    Ok(Json(
        state.service.cancel_request(client, &alias, proof).await?,
    ))
}
