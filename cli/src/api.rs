//! The REST API, over HTTP(S): oncelink's additions when the server has them, the
//! reference API (Only Once Share) otherwise.

use std::io::Read;
use std::time::Duration;

use serde_json::{Value, json};

use crate::error::CliError;
use crate::progress::Progress;

/// What the server at a base URL can do.
#[derive(Debug, Clone, Copy)]
pub struct Capabilities {
    /// An oncelink server: access proofs, views, passphrases, manage links, padding.
    pub oncelink: bool,
    /// The most views a secret may have.
    pub max_views: u32,
}

/// A created secret, as the server reports it.
pub struct Created {
    /// The id.
    pub id: String,
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

/// A client for one server.
pub struct Api {
    base: String,
    http: reqwest::blocking::Client,
}

impl Api {
    /// A client for the server at `base` (`http://` or `https://`, optional path prefix).
    pub fn new(base: &str) -> Result<Self, CliError> {
        let base = base.trim().trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) || base.len() < 10 {
            return Err(CliError::Input(format!(
                "the server must be an http:// or https:// URL, not {base:?}"
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
        CliError::Unreachable(self.base.clone())
    }

    /// Sends a request and reads its JSON answer (an unreachable server is one error).
    fn exchange(
        &self,
        request: reqwest::blocking::RequestBuilder,
        progress: &Progress,
    ) -> Result<(u16, Value), CliError> {
        let response = request.send().map_err(|_| self.unreachable())?;
        read_json(response, progress)
    }

    /// Asks `/api/health` what the server is.
    pub fn capabilities(&self) -> Result<Capabilities, CliError> {
        let response = self
            .http
            .get(self.url("/health"))
            .send()
            .map_err(|_| self.unreachable())?;
        let status = response.status();
        let body: Value = response.json().unwrap_or(Value::Null);
        if status.is_server_error() {
            return Err(CliError::Server(format!(
                "the server at {} is unavailable: {}",
                self.base,
                error_text(&body, "its store is unreachable")
            )));
        }
        if !status.is_success() || body.get("status").is_none() {
            return Err(CliError::Server(format!(
                "{} does not look like an oncelink or Only Once Share server",
                self.base
            )));
        }
        let oncelink = body["service"] == "oncelink";
        Ok(Capabilities {
            oncelink,
            max_views: body["max_views"]
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(1),
        })
    }

    /// `POST /api/secrets`, with upload progress.
    pub fn create(&self, body: &Value, progress: &Progress) -> Result<Created, CliError> {
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
        let (status, body) = read_json(response, &Progress::hidden())?;
        match status {
            201 | 200 => Ok(Created {
                id: body["id"].as_str().unwrap_or_default().to_owned(),
                alias: body["alias"]
                    .as_str()
                    .ok_or_else(|| CliError::Server("the server sent no alias".into()))?
                    .to_owned(),
                expires_at: body["expires_at"].as_u64(),
            }),
            400 | 413 | 422 => Err(CliError::Input(error_text(
                &body,
                "the server refused the secret",
            ))),
            _ => Err(server_error(status, &body)),
        }
    }

    /// `GET /api/secrets/{key}/info`: needs a passphrase? (oncelink servers only.)
    pub fn info(&self, key: &str) -> Result<Value, CliError> {
        let (status, body) = self.exchange(
            self.http.get(self.url(&format!("/secrets/{key}/info"))),
            &Progress::hidden(),
        )?;
        match status {
            200 => Ok(body),
            404 => Err(CliError::NotFound),
            400 => Err(bad_reference()),
            _ => Err(server_error(status, &body)),
        }
    }

    /// `POST /api/secrets/{key}/reveal` with proofs (oncelink), with download progress.
    pub fn reveal(
        &self,
        key: &str,
        access_proof: &str,
        passphrase_proof: Option<&str>,
        progress: &Progress,
    ) -> Result<Revealed, CliError> {
        let mut body = json!({ "access_proof": access_proof });
        if let Some(p) = passphrase_proof {
            body["passphrase_proof"] = p.into();
        }
        let (status, body) = self.exchange(
            self.http
                .post(self.url(&format!("/secrets/{key}/reveal")))
                .json(&body),
            progress,
        )?;
        match status {
            200 => revealed(&body),
            404 => Err(CliError::NotFound),
            410 => Err(CliError::Burned),
            403 => match body["tries_left"].as_u64() {
                Some(left) if body["error"] == "wrong passphrase" => {
                    Err(CliError::WrongPassphrase(u32::try_from(left).unwrap_or(0)))
                }
                Some(_) => Err(CliError::Input("this secret needs a passphrase".into())),
                None => Err(CliError::Damaged(
                    "the link's key is wrong (the server refused its proof); nothing was consumed"
                        .into(),
                )),
            },
            _ => Err(server_error(status, &body)),
        }
    }

    /// `GET /api/secrets/{key}`: the reference read.
    pub fn get(&self, key: &str, progress: &Progress) -> Result<Revealed, CliError> {
        let (status, body) = self.exchange(
            self.http.get(self.url(&format!("/secrets/{key}"))),
            progress,
        )?;
        match status {
            200 => revealed(&body),
            404 => Err(CliError::NotFound),
            400 => Err(bad_reference()),
            _ => Err(server_error(status, &body)),
        }
    }

    /// `POST /api/secrets/{alias}/status` or `/destroy` with the manage token.
    pub fn manage(&self, alias: &str, action: &str, token: &str) -> Result<Value, CliError> {
        let (status, body) = self.exchange(
            self.http
                .post(self.url(&format!("/secrets/{alias}/{action}")))
                .json(&json!({ "manage_token": token })),
            &Progress::hidden(),
        )?;
        match status {
            200 => Ok(body),
            404 | 409 => Err(CliError::NotFound),
            403 => Err(CliError::Damaged(
                "the manage link's token is wrong for this secret".into(),
            )),
            400 => Err(CliError::Damaged("the manage link is damaged".into())),
            405 => Err(CliError::Input(
                "this server has no manage links (it speaks only the reference API)".into(),
            )),
            _ => Err(server_error(status, &body)),
        }
    }
}

fn bad_reference() -> CliError {
    CliError::Damaged("the link is damaged: its secret reference is not valid".into())
}

fn revealed(body: &Value) -> Result<Revealed, CliError> {
    let payload = body["ciphertext"]
        .as_str()
        .and_then(crypto_core::base64::decode)
        .ok_or_else(|| CliError::Server("the server sent no readable ciphertext".into()))?;
    Ok(Revealed {
        id: body["id"].as_str().unwrap_or_default().to_owned(),
        payload,
        views_left: body["views_left"].as_u64(),
    })
}

/// Reads a JSON body (with download progress for large ones).
fn read_json(
    mut response: reqwest::blocking::Response,
    progress: &Progress,
) -> Result<(u16, Value), CliError> {
    let status = response.status().as_u16();
    let len = response.content_length().unwrap_or(0);
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    let mut reader = progress.reader(&mut response, len, "downloading");
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::Server(format!("the server's answer was cut off: {e}")))?;
    drop(reader);
    progress.finish();
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

fn error_text(body: &Value, fallback: &str) -> String {
    body["error"].as_str().unwrap_or(fallback).to_owned()
}

fn server_error(status: u16, body: &Value) -> CliError {
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
