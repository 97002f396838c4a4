//! JSON calls to the REST API where the page has no server function: uploads of file data
//! (`transfer::upload`) and requests (`docs/api.md`, "Requests"). Errors are the same
//! [`UiError`] as the server functions', with the same codes. Browser only.

use protocol::requests::{
    AnswerRequest, AnswerResponse, CancelResponse, InboxRequest, InboxResponse, OpenRequest,
    OpenedRequest, RequestView, ViewRequest,
};
use protocol::{ErrorBody, ErrorCode, Loose};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::UiError;
use crate::net::{self, Reply};

/// `POST url` with a JSON body; the decoded answer, or the server's error.
pub async fn post_json<T: DeserializeOwned>(
    url: &str,
    body: &impl Serialize,
) -> Result<T, UiError> {
    let body = serde_json::to_vec(body).map_err(|e| UiError::Request(e.to_string()))?;
    let json = [("Content-Type", "application/json")];
    let reply = net::send("POST", url, &json, Some(&body), |_| {}, None)
        .await
        .ok_or_else(network_error)?;
    if !reply.is_success() {
        return Err(refused(&reply));
    }
    serde_json::from_slice(&reply.body).map_err(|e| UiError::Request(e.to_string()))
}

/// The server's error body, or an unknown error when there is none.
pub fn refused(reply: &Reply) -> UiError {
    match serde_json::from_slice::<ErrorBody>(&reply.body) {
        Ok(body) => UiError::Server(body),
        Err(_) => UiError::Server(ErrorBody::new(ErrorCode::Unknown, "unexpected answer")),
    }
}

/// No answer arrived.
pub fn network_error() -> UiError {
    UiError::Request("network error".into())
}

/// `POST /api/requests`.
pub async fn open_request(request: &OpenRequest) -> Result<OpenedRequest, UiError> {
    post_json("/api/requests", request).await
}

/// `POST /api/requests/{alias}/view` with the answer proof.
pub async fn view_request(alias: &str, answer_proof: String) -> Result<RequestView, UiError> {
    let body = ViewRequest {
        answer_proof: Some(Loose::Valid(answer_proof)),
    };
    post_json(&format!("/api/requests/{alias}/view"), &body).await
}

/// `POST /api/requests/{alias}/answer`.
pub async fn answer_request(alias: &str, body: &AnswerRequest) -> Result<AnswerResponse, UiError> {
    post_json(&format!("/api/requests/{alias}/answer"), body).await
}

/// `POST /api/requests/{alias}/inbox` with the inbox proof.
pub async fn inbox(alias: &str, inbox_proof: String) -> Result<InboxResponse, UiError> {
    let body = InboxRequest {
        inbox_proof: Some(Loose::Valid(inbox_proof)),
    };
    post_json(&format!("/api/requests/{alias}/inbox"), &body).await
}

/// `POST /api/requests/{alias}/cancel` with the inbox proof.
pub async fn cancel_request(alias: &str, inbox_proof: String) -> Result<CancelResponse, UiError> {
    let body = InboxRequest {
        inbox_proof: Some(Loose::Valid(inbox_proof)),
    };
    post_json(&format!("/api/requests/{alias}/cancel"), &body).await
}
