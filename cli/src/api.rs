//! The REST API, over HTTP(S): oncelink's additions when the server has them, the
//! reference API (Only Once Share) otherwise. Every body is a `protocol` type (a reference
//! server's shorter answers parse into the same types); refusals are told apart in `refusal`.

use std::io::Read;
use std::time::Duration;

use protocol::rest::{
    CreateRequest, CreateResponse, DestroyResponse, HealthResponse, HealthStatus, InfoResponse,
    ManageRequest, RevealRequest, SecretResponse, StatusResponse,
};
use protocol::{ErrorBody, ErrorCode};
use serde::de::DeserializeOwned;

use crate::error::CliError;
use crate::output::escape_controls;
use crate::progress::Progress;

mod files;
mod refusal;
mod requests;

pub use refusal::DAMAGED_REQUEST_LINK;
use refusal::{Refusal, lookup_error, refused_manage, refused_reveal};

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
    /// How long a claimed view can be fetched again, when the server takes claims.
    pub claim_window: Option<Duration>,
    /// What file data the server takes, when it takes files.
    pub files: Option<FileLimits>,
    /// Whether the server takes requests (`/api/requests`): secrets asked for.
    pub requests: bool,
}

/// The file count a server that does not say keeps to (the server's default).
const DEFAULT_MAX_FILES: u32 = 20;

/// The file-data limits a server advertises.
#[derive(Debug, Clone, Copy)]
pub struct FileLimits {
    /// The largest sealed data of one secret.
    pub max_bytes: u64,
    /// How many files one secret may hold.
    pub max_files: u32,
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
            claim_window: health
                .features
                .iter()
                .any(|f| f == "claim")
                .then(|| seconds(health.claim_window_seconds, Duration::from_secs(60))),
            files: health.files.as_ref().map(|f| FileLimits {
                max_bytes: f.max_bytes,
                max_files: f.max_files.unwrap_or(DEFAULT_MAX_FILES),
            }),
            requests: health.is_oncelink() && health.features.iter().any(|f| f == "requests"),
        })
    }

    /// `POST`s a JSON body that may be large (a sealed secret), with upload progress.
    fn upload_json<T: serde::Serialize>(
        &self,
        path: &str,
        body: &T,
        progress: &Progress,
    ) -> Result<Answer, CliError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|_| CliError::Input("the request could not be encoded".into()))?;
        let len = bytes.len() as u64;
        let reader = progress.reader(std::io::Cursor::new(bytes), len, "uploading");
        let response = self
            .http
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(reqwest::blocking::Body::sized(reader, len))
            .send()
            .map_err(|_| self.unreachable())?;
        progress.finish();
        read_answer(response, &Progress::hidden())
    }

    /// `POST /api/secrets`, with upload progress.
    pub fn create(&self, body: &CreateRequest, progress: &Progress) -> Result<Created, CliError> {
        let answer = self.upload_json("/secrets", body, progress)?;
        if matches!(answer.status, 200 | 201) {
            let created: CreateResponse = answer.parse()?;
            return Ok(Created {
                alias: created.alias,
                expires_at: created.expires_at,
            });
        }
        let refusal = answer.refusal();
        let bad_input = refusal.code.is_bad_input() || refusal.code == ErrorCode::TooLarge;
        // Without a code (a reference server), the status alone says the input was refused.
        if bad_input
            || (refusal.code == ErrorCode::Unknown && matches!(refusal.status, 400 | 422))
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
    ///
    /// With a claim in the request and the server's claim window, an answer that does not
    /// arrive (a cut connection, a 5xx) is asked for again with the same claim, backing off, for
    /// up to two thirds of the window: the view the server may already have counted is
    /// delivered, not lost. The caller confirms the claim once it has everything (the files
    /// too, when there are any).
    pub fn reveal(
        &self,
        key: &str,
        request: &RevealRequest,
        claim_window: Option<Duration>,
        progress: &Progress,
    ) -> Result<Revealed, CliError> {
        let retry_for = claim_window
            .filter(|_| request.claim.is_some())
            .map_or(Duration::ZERO, |w| w * 2 / 3);
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(500);
        let answer = loop {
            let attempt = self.exchange(
                self.http
                    .post(self.url(&format!("/secrets/{key}/reveal")))
                    .json(request),
                progress,
            );
            // No answer, a server error, or too many requests for now (a shared address):
            // the same claim later gets the same view.
            let transient = match &attempt {
                Err(_) => true,
                Ok(answer) => answer.status >= 500 || answer.status == 429,
            };
            if !transient || started.elapsed() + pause > retry_for {
                break attempt?;
            }
            crate::output::note("no answer yet; asking again for the same view");
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_secs(8));
        };
        if answer.status == 200 {
            let secret: SecretResponse = answer.parse()?;
            return revealed(&secret.ciphertext, secret.id, secret.views_left);
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
            let secret: SecretResponse = answer.parse()?;
            return revealed(&secret.ciphertext, secret.id, secret.views_left);
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
