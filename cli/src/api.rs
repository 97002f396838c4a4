//! The REST API, over HTTP(S): oncelink's additions when the server has them, the
//! reference API (Only Once Share) otherwise. Every body read or written is a typed struct
//! from `wire`; no other module sees JSON.

use std::io::Read;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::CliError;
use crate::output::escape_controls;
use crate::progress::Progress;
use crate::wire::{
    CreateRequest, CreateResponse, DestroyResponse, ErrorBody, Health, Info, ManageRequest,
    RevealRequest, RevealResponse, Status,
};

/// What the server at a base URL can do.
#[derive(Debug, Clone, Copy)]
pub struct Capabilities {
    /// An oncelink server: access proofs, views, passphrases, manage links, padding.
    pub oncelink: bool,
    /// The most views a secret may have.
    pub max_views: u32,
    /// The longest TTL the server accepts.
    pub max_ttl: Duration,
}

/// A created secret, as the server reports it.
pub struct Created {
    /// The short alias for links.
    pub alias: String,
    /// Expiry, Unix seconds, when the server says.
    pub expires_at: Option<u64>,
}

/// A revealed payload.
pub struct Revealed {
    /// The id (associated data for decryption).
    pub id: String,
    /// The raw payload.
    pub payload: Vec<u8>,
    /// Views left after this one.
    pub views_left: Option<u64>,
}

/// The two things the manage link can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManageAction {
    /// `POST …/status`: what happened to the secret.
    Status,
    /// `POST …/destroy`: delete it now.
    Destroy,
}

/// A client for one server.
pub struct Api {
    base: String,
    http: reqwest::blocking::Client,
}

/// A status and a body that is either the expected answer or an error body.
struct Answer {
    status: u16,
    bytes: Vec<u8>,
}

impl Answer {
    /// The success body, parsed; a body that does not parse is the server's fault.
    fn parse<T: DeserializeOwned>(&self) -> Result<T, CliError> {
        serde_json::from_slice(&self.bytes).map_err(|_| {
            CliError::Server("the server's answer is not what oncelink expects".into())
        })
    }

    /// The error body, if the server sent one we can read (reference servers may not).
    fn error(&self) -> ErrorBody {
        serde_json::from_slice(&self.bytes).unwrap_or_default()
    }
}

impl Api {
    /// A client for the server at `base` (`http://` or `https://`, optional path prefix).
    pub fn new(base: &str) -> Result<Self, CliError> {
        let base = base.trim().trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) || base.len() < 10 {
            return Err(CliError::Input(format!(
                "the server must be an http:// or https:// URL, not {:?}",
                escape_controls(base)
            )));
        }
        let http = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(300))
            .user_agent(concat!("oncelink-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CliError::Server(format!("cannot start the HTTP client: {e}")))?;
        Ok(Self {
            base: base.to_owned(),
            http,
        })
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api{path}", self.base)
    }

    fn unreachable(&self) -> CliError {
        CliError::Unreachable(escape_controls(&self.base).into_owned())
    }

    /// Sends a request and reads the whole answer (an unreachable server is one error).
    fn exchange(
        &self,
        request: reqwest::blocking::RequestBuilder,
        progress: &Progress,
    ) -> Result<Answer, CliError> {
        let response = request.send().map_err(|_| self.unreachable())?;
        read_answer(response, progress)
    }

    fn post<B: Serialize>(&self, path: &str, body: &B) -> reqwest::blocking::RequestBuilder {
        self.http.post(self.url(path)).json(body)
    }

    /// Asks `/api/health` what the server is.
    pub fn capabilities(&self) -> Result<Capabilities, CliError> {
        let answer = self.exchange(self.http.get(self.url("/health")), &Progress::hidden())?;
        if (500..=599).contains(&answer.status) {
            return Err(CliError::Server(format!(
                "the server at {} is unavailable: {}",
                escape_controls(&self.base),
                error_text(&answer.error(), "its store is unreachable")
            )));
        }
        let health: Option<Health> = (answer.status == 200)
            .then(|| serde_json::from_slice(&answer.bytes).ok())
            .flatten();
        let Some(health) = health else {
            return Err(CliError::Server(format!(
                "{} does not look like an oncelink or Only Once Share server",
                escape_controls(&self.base)
            )));
        };
        Ok(Capabilities {
            oncelink: health.service.as_deref() == Some("oncelink"),
            max_views: health.max_views.unwrap_or(1),
            max_ttl: Duration::from_secs(
                health
                    .max_ttl_seconds
                    .unwrap_or(crate::ttl::DEFAULT_MAX_TTL.as_secs()),
            ),
        })
    }

    /// `POST /api/secrets`, with upload progress.
    pub fn create(&self, body: &CreateRequest, progress: &Progress) -> Result<Created, CliError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|_| CliError::Input("the request could not be encoded".into()))?;
        let len = bytes.len() as u64;
        let reader = progress.reader(std::io::Cursor::new(bytes), len, "uploading");
        let response = self
            .http
            .post(self.url("/secrets"))
            .header("content-type", "application/json")
            .body(reqwest::blocking::Body::sized(reader, len))
            .send()
            .map_err(|_| self.unreachable())?;
        progress.finish();
        let answer = read_answer(response, &Progress::hidden())?;
        match answer.status {
            201 | 200 => {
                let created: CreateResponse = answer.parse()?;
                Ok(Created {
                    alias: created.alias,
                    expires_at: created.expires_at,
                })
            }
            400 | 413 | 422 => Err(CliError::Input(error_text(
                &answer.error(),
                "the server refused the secret",
            ))),
            status => Err(server_error(status, &answer.error())),
        }
    }

    /// `GET /api/secrets/{key}/info`: needs a passphrase? (oncelink servers only.)
    pub fn info(&self, key: &str) -> Result<Info, CliError> {
        let answer = self.exchange(
            self.http.get(self.url(&format!("/secrets/{key}/info"))),
            &Progress::hidden(),
        )?;
        match answer.status {
            200 => answer.parse(),
            404 => Err(CliError::NotFound),
            400 => Err(bad_reference()),
            status => Err(server_error(status, &answer.error())),
        }
    }

    /// `POST /api/secrets/{key}/reveal` with proofs (oncelink), with download progress.
    pub fn reveal(
        &self,
        key: &str,
        request: &RevealRequest,
        progress: &Progress,
    ) -> Result<Revealed, CliError> {
        let answer = self.exchange(
            self.post(&format!("/secrets/{key}/reveal"), request),
            progress,
        )?;
        match answer.status {
            200 => revealed(answer.parse()?),
            404 => Err(CliError::NotFound),
            410 => Err(CliError::Burned),
            403 => Err(refused_reveal(
                &answer.error(),
                request.passphrase_proof.is_some(),
            )),
            status => Err(server_error(status, &answer.error())),
        }
    }

    /// `GET /api/secrets/{key}`: the reference read.
    pub fn get(&self, key: &str, progress: &Progress) -> Result<Revealed, CliError> {
        let answer = self.exchange(
            self.http.get(self.url(&format!("/secrets/{key}"))),
            progress,
        )?;
        match answer.status {
            200 => revealed(answer.parse()?),
            404 => Err(CliError::NotFound),
            400 => Err(bad_reference()),
            status => Err(server_error(status, &answer.error())),
        }
    }

    /// `POST /api/secrets/{alias}/status` with the manage proof.
    pub fn status(&self, alias: &str, token: &ManageRequest) -> Result<Status, CliError> {
        self.manage(alias, ManageAction::Status, token)?.parse()
    }

    /// `POST /api/secrets/{alias}/destroy` with the manage proof.
    pub fn destroy(&self, alias: &str, token: &ManageRequest) -> Result<DestroyResponse, CliError> {
        self.manage(alias, ManageAction::Destroy, token)?.parse()
    }

    fn manage(
        &self,
        alias: &str,
        action: ManageAction,
        token: &ManageRequest,
    ) -> Result<Answer, CliError> {
        let path = match action {
            ManageAction::Status => format!("/secrets/{alias}/status"),
            ManageAction::Destroy => format!("/secrets/{alias}/destroy"),
        };
        let answer = self.exchange(self.post(&path, token), &Progress::hidden())?;
        match answer.status {
            200 => Ok(answer),
            404 | 409 => Err(CliError::NotFound),
            403 => Err(CliError::Damaged(
                "the manage link's token is wrong for this secret".into(),
            )),
            400 => Err(CliError::Damaged("the manage link is damaged".into())),
            405 => Err(CliError::Input(
                "this server has no manage links (it speaks only the reference API)".into(),
            )),
            status => Err(server_error(status, &answer.error())),
        }
    }
}

/// A `403` from reveal. Which refusal it is follows from what was sent, not from the
/// server's wording: with no passphrase proof, a `tries_left` means one is needed; with one,
/// it was wrong. Without `tries_left` the access proof was refused.
fn refused_reveal(error: &ErrorBody, sent_passphrase: bool) -> CliError {
    match error.tries_left {
        Some(left) if sent_passphrase => CliError::WrongPassphrase(left),
        Some(_) => CliError::Input("this secret needs a passphrase".into()),
        None => CliError::Damaged(
            "the link's key is wrong (the server refused its proof); nothing was consumed".into(),
        ),
    }
}

fn bad_reference() -> CliError {
    CliError::Damaged("the link is damaged: its secret reference is not valid".into())
}

fn revealed(body: RevealResponse) -> Result<Revealed, CliError> {
    let payload = crypto_core::base64::decode(&body.ciphertext)
        .ok_or_else(|| CliError::Server("the server sent no readable ciphertext".into()))?;
    Ok(Revealed {
        id: body.id,
        payload,
        views_left: body.views_left,
    })
}

/// Reads a whole body (with download progress for large ones).
fn read_answer(
    mut response: reqwest::blocking::Response,
    progress: &Progress,
) -> Result<Answer, CliError> {
    let status = response.status().as_u16();
    let len = response.content_length().unwrap_or(0);
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    let mut reader = progress.reader(&mut response, len, "downloading");
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::Server(format!("the server's answer was cut off: {e}")))?;
    drop(reader);
    progress.finish();
    Ok(Answer { status, bytes })
}

/// The server's own words, escaped: they are shown on a terminal and could carry control
/// sequences.
fn error_text(body: &ErrorBody, fallback: &str) -> String {
    escape_controls(body.error.as_deref().unwrap_or(fallback)).into_owned()
}

fn server_error(status: u16, body: &ErrorBody) -> CliError {
    match status {
        429 => CliError::Server(format!(
            "the server refused: {}",
            error_text(body, "too many requests; try again later")
        )),
        500..=599 => CliError::Server(format!(
            "the server failed ({status}): {}",
            error_text(body, "try again later")
        )),
        _ => CliError::Server(format!(
            "unexpected answer from the server ({status}): {}",
            error_text(body, "no details")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reveal_refusals_follow_what_was_sent() {
        let tries = ErrorBody {
            error: Some("whatever the wording".into()),
            tries_left: Some(3),
        };
        assert!(matches!(
            refused_reveal(&tries, true),
            CliError::WrongPassphrase(3)
        ));
        assert!(matches!(refused_reveal(&tries, false), CliError::Input(_)));
        assert!(matches!(
            refused_reveal(&ErrorBody::default(), false),
            CliError::Damaged(_)
        ));
    }

    #[test]
    fn server_words_are_escaped() {
        let body = ErrorBody {
            error: Some("bad\u{1b}]52;c;aGk=\u{7}".into()),
            tries_left: None,
        };
        let message = server_error(500, &body).to_string();
        assert!(!message.contains('\u{1b}'), "{message:?}");
        assert!(message.contains("\\x1b]52"), "{message:?}");
    }
}
