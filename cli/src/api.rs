//! The REST API, over HTTP(S): oncelink's additions when the server has them, the
//! reference API (Only Once Share) otherwise. Every body is a `protocol` type (or, for the
//! reference server's shorter answers, one of the two small types below); refusals are told
//! apart by their stable `code`, and by the HTTP status alone when a server sends none —
//! never by the English text, which is only ever shown.

use std::io::Read;
use std::time::Duration;

use protocol::rest::{
    CreateRequest, CreateResponse, DestroyResponse, HealthResponse, HealthStatus, InfoResponse,
    ManageRequest, RevealRequest, SecretResponse, StatusResponse,
};
use protocol::{ErrorBody, ErrorCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::CliError;
use crate::output::escape_controls;
use crate::progress::Progress;

/// What the server at a base URL can do.
#[derive(Debug, Clone, Copy)]
pub struct Capabilities {
    /// An oncelink server: access proofs, views, passphrases, manage links, padding.
    pub oncelink: bool,
    /// The most views a secret may have.
    pub max_views: u32,
    /// The shortest TTL the server accepts.
    pub min_ttl: Duration,
    /// The longest TTL the server accepts.
    pub max_ttl: Duration,
}

/// A created secret, as the server reports it.
pub struct Created {
    /// The short alias for links.
    pub alias: String,
    /// Expiry, Unix seconds, when the server says (oncelink servers).
    pub expires_at: Option<u64>,
}

/// A revealed payload.
pub struct Revealed {
    /// The id (associated data for decryption).
    pub id: String,
    /// The raw payload.
    pub payload: Vec<u8>,
    /// Views left after this one (oncelink servers).
    pub views_left: Option<u32>,
}

/// The reference server's answer to a create: `{id, alias}` only (`protocol`'s
/// [`CreateResponse`] also requires oncelink's `expires_at` and `max_views`).
#[derive(Deserialize)]
struct ReferenceCreated {
    alias: String,
}

/// The reference server's answer to a read: `{ciphertext, id}`, without `views_left`.
#[derive(Deserialize)]
struct ReferenceSecret {
    ciphertext: String,
    id: String,
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

/// A status and the raw body, parsed once the status says what it should hold.
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

    /// The refusal: its status, and the error body when there is a readable one (reference
    /// servers and proxies may send anything).
    fn refusal(&self) -> Refusal {
        let body: Option<ErrorBody> = serde_json::from_slice(&self.bytes).ok();
        Refusal {
            status: self.status,
            code: body.as_ref().map_or(ErrorCode::Unknown, |b| b.code),
            tries_left: body.as_ref().and_then(|b| b.tries_left),
            text: body.map(|b| b.error),
        }
    }
}

/// A non-success answer.
struct Refusal {
    status: u16,
    /// [`ErrorCode::Unknown`] when the server sent none (a reference server).
    code: ErrorCode,
    tries_left: Option<u32>,
    /// For messages only.
    text: Option<String>,
}

impl Refusal {
    /// The server's own words, escaped: they are shown on a terminal and could carry
    /// control sequences.
    fn text_or(&self, fallback: &str) -> String {
        escape_controls(self.text.as_deref().unwrap_or(fallback)).into_owned()
    }

    /// Refusals every endpoint shares: limits, a busy or failing server, anything else.
    fn into_server_error(self) -> CliError {
        match (self.code, self.status) {
            (ErrorCode::RateLimited, _) | (_, 429) => CliError::Server(format!(
                "the server refused: {}",
                self.text_or("too many requests; try again later")
            )),
            (ErrorCode::Busy | ErrorCode::StoreFull | ErrorCode::Unavailable, _)
            | (_, 500..=599) => CliError::Server(format!(
                "the server failed ({}): {}",
                self.status,
                self.text_or("try again later")
            )),
            _ => CliError::Server(format!(
                "unexpected answer from the server ({}): {}",
                self.status,
                self.text_or("no details")
            )),
        }
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

    /// Asks `/api/health` what the server is.
    pub fn capabilities(&self) -> Result<Capabilities, CliError> {
        let answer = self.exchange(self.http.get(self.url("/health")), &Progress::hidden())?;
        if (500..=599).contains(&answer.status) {
            return Err(CliError::Server(format!(
                "the server at {} is unavailable: {}",
                escape_controls(&self.base),
                answer.refusal().text_or("its store is unreachable")
            )));
        }
        let health = (answer.status == 200)
            .then(|| serde_json::from_slice::<HealthResponse>(&answer.bytes).ok())
            .flatten()
            .filter(|h| h.status == HealthStatus::Ok);
        let Some(health) = health else {
            return Err(CliError::Server(format!(
                "{} does not look like an oncelink or Only Once Share server",
                escape_controls(&self.base)
            )));
        };
        let seconds = |advertised: Option<u64>, default: Duration| {
            advertised.map_or(default, Duration::from_secs)
        };
        Ok(Capabilities {
            oncelink: health.is_oncelink(),
            max_views: health.max_views.unwrap_or(1),
            min_ttl: seconds(health.min_ttl_seconds, crate::ttl::MIN_TTL),
            max_ttl: seconds(health.max_ttl_seconds, crate::ttl::DEFAULT_MAX_TTL),
        })
    }

    /// `POST /api/secrets`, with upload progress. `oncelink` says which answer to expect.
    pub fn create(
        &self,
        body: &CreateRequest,
        oncelink: bool,
        progress: &Progress,
    ) -> Result<Created, CliError> {
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
        if matches!(answer.status, 200 | 201) {
            return if oncelink {
                let created: CreateResponse = answer.parse()?;
                Ok(Created {
                    alias: created.alias,
                    expires_at: Some(created.expires_at),
                })
            } else {
                let created: ReferenceCreated = answer.parse()?;
                Ok(Created {
                    alias: created.alias,
                    expires_at: None,
                })
            };
        }
        let refusal = answer.refusal();
        let bad_input = refusal.code.is_bad_input() || refusal.code == ErrorCode::TooLarge;
        // Without a code (a reference server), the status alone says the input was refused.
        if bad_input
            || (refusal.code == ErrorCode::Unknown && refusal.status == 400)
            || refusal.status == 413
        {
            return Err(CliError::Input(
                refusal.text_or("the server refused the secret"),
            ));
        }
        Err(refusal.into_server_error())
    }

    /// `GET /api/secrets/{key}/info`: needs a passphrase? (oncelink servers only.)
    pub fn info(&self, key: &str) -> Result<InfoResponse, CliError> {
        let answer = self.exchange(
            self.http.get(self.url(&format!("/secrets/{key}/info"))),
            &Progress::hidden(),
        )?;
        if answer.status == 200 {
            return answer.parse();
        }
        Err(lookup_error(answer.refusal()))
    }

    /// `POST /api/secrets/{key}/reveal` with proofs (oncelink), with download progress.
    pub fn reveal(
        &self,
        key: &str,
        request: &RevealRequest,
        progress: &Progress,
    ) -> Result<Revealed, CliError> {
        let answer = self.exchange(
            self.http
                .post(self.url(&format!("/secrets/{key}/reveal")))
                .json(request),
            progress,
        )?;
        if answer.status == 200 {
            let secret: SecretResponse = answer.parse()?;
            return revealed(&secret.ciphertext, secret.id, Some(secret.views_left));
        }
        Err(refused_reveal(
            answer.refusal(),
            request.passphrase_proof.is_some(),
        ))
    }

    /// `GET /api/secrets/{key}`: the reference read (reference servers).
    pub fn get(&self, key: &str, progress: &Progress) -> Result<Revealed, CliError> {
        let answer = self.exchange(
            self.http.get(self.url(&format!("/secrets/{key}"))),
            progress,
        )?;
        if answer.status == 200 {
            let secret: ReferenceSecret = answer.parse()?;
            return revealed(&secret.ciphertext, secret.id, None);
        }
        Err(lookup_error(answer.refusal()))
    }

    /// `POST /api/secrets/{alias}/status` with the manage proof.
    pub fn status(&self, alias: &str, token: &ManageRequest) -> Result<StatusResponse, CliError> {
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
        let answer = self.exchange(
            self.http.post(self.url(&path)).json(token),
            &Progress::hidden(),
        )?;
        if answer.status == 200 {
            return Ok(answer);
        }
        Err(refused_manage(answer.refusal()))
    }
}

/// A refused info or reference read.
fn lookup_error(refusal: Refusal) -> CliError {
    match (refusal.code, refusal.status) {
        (ErrorCode::NotFound | ErrorCode::AlreadyGone, _) | (ErrorCode::Unknown, 404) => {
            CliError::NotFound
        }
        (ErrorCode::InvalidReference, _) | (ErrorCode::Unknown, 400) => bad_reference(),
        (ErrorCode::ProofRequired, _) => CliError::Damaged(
            "this secret needs the link's key proof, which this reference read cannot give".into(),
        ),
        _ => refusal.into_server_error(),
    }
}

/// A refused reveal. By code when the server sends one; otherwise by status and by what was
/// sent: with no passphrase proof, a `tries_left` means one is needed; with one, it was
/// wrong; without `tries_left` the access proof was refused.
fn refused_reveal(refusal: Refusal, sent_passphrase: bool) -> CliError {
    let wrong_key = || {
        CliError::Damaged(
            "the link's key is wrong (the server refused its proof); nothing was consumed".into(),
        )
    };
    let needs_passphrase = || CliError::Input("this secret needs a passphrase".into());
    let tries = refusal.tries_left.unwrap_or(0);
    match (refusal.code, refusal.status) {
        (ErrorCode::WrongPassphrase, _) => CliError::WrongPassphrase(tries),
        (ErrorCode::PassphraseRequired, _) => needs_passphrase(),
        (ErrorCode::WrongAccessProof | ErrorCode::ProofRequired, _) => wrong_key(),
        (ErrorCode::Burned, _) | (ErrorCode::Unknown, 410) => CliError::Burned,
        (ErrorCode::Unknown, 403) => match refusal.tries_left {
            Some(left) if sent_passphrase => CliError::WrongPassphrase(left),
            Some(_) => needs_passphrase(),
            None => wrong_key(),
        },
        _ => lookup_error(refusal),
    }
}

/// A refused status or destroy.
fn refused_manage(refusal: Refusal) -> CliError {
    match (refusal.code, refusal.status) {
        (ErrorCode::NotFound | ErrorCode::AlreadyGone, _) | (ErrorCode::Unknown, 404 | 409) => {
            CliError::NotFound
        }
        (ErrorCode::WrongManageToken, _) | (ErrorCode::Unknown, 403) => {
            CliError::Damaged("the manage link's token is wrong for this secret".into())
        }
        (ErrorCode::InvalidProof | ErrorCode::InvalidReference, _) | (ErrorCode::Unknown, 400) => {
            CliError::Damaged("the manage link is damaged".into())
        }
        (ErrorCode::MethodNotAllowed | ErrorCode::NoRoute, _) | (ErrorCode::Unknown, 405) => {
            CliError::Input(
                "this server has no manage links (it speaks only the reference API)".into(),
            )
        }
        _ => refusal.into_server_error(),
    }
}

fn bad_reference() -> CliError {
    CliError::Damaged("the link is damaged: its secret reference is not valid".into())
}

fn revealed(ciphertext: &str, id: String, views_left: Option<u32>) -> Result<Revealed, CliError> {
    let payload = crypto_core::base64::decode(ciphertext)
        .ok_or_else(|| CliError::Server("the server sent no readable ciphertext".into()))?;
    Ok(Revealed {
        id,
        payload,
        views_left,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(status: u16, body: &str) -> Refusal {
        Answer {
            status,
            bytes: body.as_bytes().to_vec(),
        }
        .refusal()
    }

    #[test]
    fn reveal_refusals_follow_the_code_not_the_text() {
        // The texts are swapped on purpose: only the code counts.
        let wrong = refusal(
            403,
            r#"{"error":"a passphrase is required","code":"wrong_passphrase","tries_left":3}"#,
        );
        assert!(matches!(
            refused_reveal(wrong, false),
            CliError::WrongPassphrase(3)
        ));
        let required = refusal(
            403,
            r#"{"error":"wrong passphrase","code":"passphrase_required","tries_left":5}"#,
        );
        assert!(matches!(refused_reveal(required, true), CliError::Input(_)));
        let key = refusal(403, r#"{"error":"x","code":"wrong_access_proof"}"#);
        assert!(matches!(refused_reveal(key, false), CliError::Damaged(_)));
        let burned = refusal(410, r#"{"error":"x","code":"burned"}"#);
        assert!(matches!(refused_reveal(burned, true), CliError::Burned));
    }

    #[test]
    fn without_a_code_the_status_and_what_was_sent_decide() {
        let tries = || refusal(403, r#"{"error":"wrong passphrase","tries_left":3}"#);
        assert!(matches!(
            refused_reveal(tries(), true),
            CliError::WrongPassphrase(3)
        ));
        assert!(matches!(refused_reveal(tries(), false), CliError::Input(_)));
        assert!(matches!(
            refused_reveal(refusal(403, "<html>"), false),
            CliError::Damaged(_)
        ));
        assert!(matches!(
            refused_reveal(refusal(404, r#"{"error":"not found"}"#), false),
            CliError::NotFound
        ));
        assert!(matches!(
            refused_manage(refusal(409, "")),
            CliError::NotFound
        ));
        assert!(matches!(
            refused_manage(refusal(405, "")),
            CliError::Input(_)
        ));
    }

    #[test]
    fn server_words_are_escaped() {
        let message = refusal(500, "{\"error\":\"bad\\u001b]52;c;aGk=\\u0007\"}")
            .into_server_error()
            .to_string();
        assert!(!message.contains('\u{1b}'), "{message:?}");
        assert!(message.contains("\\x1b]52"), "{message:?}");
    }
}
