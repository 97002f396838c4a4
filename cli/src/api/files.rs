//! The file-data endpoints: uploads in parts, and the download of a revealed secret's data.

use std::ops::Range;

use crypto_core::SecretId;
use protocol::ErrorCode;
use protocol::rest::{ConfirmRequest, UploadRequest, UploadResponse};

use super::{Api, Progress, read_answer};
use crate::error::CliError;

impl Api {
    /// `POST /api/uploads`: begins the upload of `length` bytes of data for secret `id`.
    pub fn begin_upload(&self, id: &SecretId, length: u64) -> Result<UploadResponse, CliError> {
        let request = UploadRequest {
            secret_id: Some(id.as_str().to_owned().into()),
            length: Some(length.into()),
        };
        let answer = self.exchange(
            self.http.post(self.url("/uploads")).json(&request),
            &Progress::hidden(),
        )?;
        if answer.status == 201 {
            return answer.parse();
        }
        let refusal = answer.refusal();
        if refusal.code.is_bad_input() || refusal.code == ErrorCode::TooLarge {
            return Err(CliError::Input(
                refusal.text_or("the server refused the files"),
            ));
        }
        Err(refusal.into_server_error())
    }

    /// `PUT /api/uploads/{id}/parts/{n}`.
    pub fn put_part(
        &self,
        id: &SecretId,
        n: u64,
        token: &str,
        body: &[u8],
    ) -> Result<(), CliError> {
        let answer = self.exchange(
            self.http
                .put(self.url(&format!("/uploads/{id}/parts/{n}")))
                .bearer_auth(token)
                .body(body.to_vec()),
            &Progress::hidden(),
        )?;
        if answer.status == 204 {
            return Ok(());
        }
        let refusal = answer.refusal();
        if refusal.code.is_bad_input() {
            return Err(CliError::Input(
                refusal.text_or("the server refused a part"),
            ));
        }
        Err(refusal.into_server_error())
    }

    /// `DELETE /api/uploads/{id}`: nothing of the upload stays on the server.
    pub fn abort_upload(&self, id: &SecretId, token: &str) -> Result<(), CliError> {
        self.exchange(
            self.http
                .delete(self.url(&format!("/uploads/{id}")))
                .bearer_auth(token),
            &Progress::hidden(),
        )
        .map(|_| ())
    }

    /// `GET /api/secrets/{alias}/data` for `range`, with the view's proofs: the body as it
    /// arrives.
    pub fn download(
        &self,
        alias: &str,
        access: &str,
        claim: &str,
        range: Range<u64>,
    ) -> Result<reqwest::blocking::Response, CliError> {
        let response = self
            .http
            .get(self.url(&format!("/secrets/{alias}/data")))
            .header("Oncelink-Access-Proof", access)
            .header("Oncelink-Claim", claim)
            .header(
                "Range",
                format!("bytes={}-{}", range.start, range.end.saturating_sub(1)),
            )
            .send()
            .map_err(|_| self.unreachable())?;
        // Only the range asked for: a proxy that dropped `Range` would send other bytes.
        let starts_right = response
            .headers()
            .get("content-range")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with(&format!("bytes {}-", range.start)));
        if response.status().as_u16() == 206 && starts_right {
            return Ok(response);
        }
        if response.status().as_u16() == 200 {
            return Err(CliError::Server(
                "the server (or a proxy) ignored the download's range".into(),
            ));
        }
        let answer = read_answer(response, &Progress::hidden())?;
        let refusal = answer.refusal();
        if refusal.code == ErrorCode::NotFound || refusal.status == 404 {
            return Err(CliError::Server(
                "the server no longer has the files: their claim window may have ended".into(),
            ));
        }
        Err(refusal.into_server_error())
    }

    /// `POST /api/secrets/{key}/confirm`: the view arrived whole; the server deletes what it
    /// held for it. Best effort: unconfirmed, it goes at the claim window's end anyway.
    pub fn confirm(&self, key: &str, claim: &str) {
        let confirm = ConfirmRequest {
            claim: Some(claim.to_owned().into()),
        };
        let _ = self
            .http
            .post(self.url(&format!("/secrets/{key}/confirm")))
            .json(&confirm)
            .send();
    }
}
