//! The request endpoints (`/api/requests/…`): open a request, and the doors of each link —
//! view and answer with the request link's answer proof, inbox and cancel with the inbox
//! link's proof. The answer itself is revealed as any secret is.

use protocol::requests::{
    AnswerRequest, AnswerResponse, CancelResponse, InboxRequest, InboxResponse, OpenRequest,
    OpenedRequest, RequestView, ViewRequest,
};
use serde::de::DeserializeOwned;

use super::refusal::{RequestSide, refused_request};
use super::{Api, Progress};
use crate::error::CliError;

impl Api {
    /// `POST /api/requests`: opens a request.
    pub fn open_request(&self, body: &OpenRequest) -> Result<OpenedRequest, CliError> {
        self.request_call("", body, 201, RequestSide::Inbox)
    }

    /// `POST /api/requests/{alias}/view` with the answer proof: the note and the state.
    pub fn view_request(&self, alias: &str, body: &ViewRequest) -> Result<RequestView, CliError> {
        let path = format!("/{alias}/view");
        self.request_call(&path, body, 200, RequestSide::Responder)
    }

    /// `POST /api/requests/{alias}/answer`: the one answer, with upload progress.
    pub fn answer_request(
        &self,
        alias: &str,
        body: &AnswerRequest,
        progress: &Progress,
    ) -> Result<AnswerResponse, CliError> {
        let answer = self.upload_json(&format!("/requests/{alias}/answer"), body, progress)?;
        if answer.status == 201 {
            return answer.parse();
        }
        Err(refused_request(answer.refusal(), RequestSide::Responder))
    }

    /// `POST /api/requests/{alias}/inbox` with the inbox proof: the state and the answer.
    pub fn inbox(&self, alias: &str, body: &InboxRequest) -> Result<InboxResponse, CliError> {
        let path = format!("/{alias}/inbox");
        self.request_call(&path, body, 200, RequestSide::Inbox)
    }

    /// `POST /api/requests/{alias}/cancel` with the inbox proof.
    pub fn cancel_request(
        &self,
        alias: &str,
        body: &InboxRequest,
    ) -> Result<CancelResponse, CliError> {
        let path = format!("/{alias}/cancel");
        self.request_call(&path, body, 200, RequestSide::Inbox)
    }

    /// A small `POST /api/requests{path}`: its body on `success`, else the refusal told apart.
    fn request_call<B: serde::Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        success: u16,
        side: RequestSide,
    ) -> Result<T, CliError> {
        let answer = self.exchange(
            self.http
                .post(self.url(&format!("/requests{path}")))
                .json(body),
            &Progress::hidden(),
        )?;
        if answer.status == success {
            return answer.parse();
        }
        Err(refused_request(answer.refusal(), side))
    }
}
