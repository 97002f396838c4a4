//! Sending a secret's file data: `POST /api/uploads`, then the parts, sealed as they are
//! read, a few in flight at once, each retried after a dropped connection until it arrives
//! (a part sent again replaces itself). Cancel aborts what is in flight and deletes the
//! upload on the server.

use std::cell::RefCell;
use std::rc::Rc;

use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use protocol::rest::{UploadRequest, UploadResponse};
use protocol::{ErrorBody, ErrorCode, Loose};

use crate::api::UiError;
use crate::client::files::{FileProblem, SealedData};
use crate::net::{self, Abort, Reply};

/// Parts sent at once. Measured in Chromium on loopback (BENCHMARKS.md, files): two keep
/// the connection busy while the next part is sealed; more only hold more memory.
const IN_FLIGHT: usize = 2;
/// How long one part keeps being retried after a dropped connection or a busy server.
const RETRY_FOR_MS: i32 = 120_000;

/// Where an upload stands, for the progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Sent {
    /// Bytes the server has taken (parts answered, plus what is under way).
    pub bytes: f64,
    /// All bytes.
    pub total: f64,
    /// A part is being retried after the connection dropped.
    pub retrying: bool,
}

/// Why an upload stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum UploadProblem {
    /// A file could not be read.
    File(FileProblem),
    /// The server refused (its answer), or could not be reached for too long.
    Server(UiError),
    /// The user cancelled.
    Cancelled,
}

/// The cancel switch of an upload under way.
#[derive(Clone, Default)]
pub struct Cancel {
    abort: Abort,
    cancelled: Rc<RefCell<bool>>,
}

impl Cancel {
    /// Stops the upload: parts in flight are aborted; [`upload`] deletes what arrived.
    pub fn cancel(&self) {
        *self.cancelled.borrow_mut() = true;
        self.abort.abort();
    }

    fn is_cancelled(&self) -> bool {
        *self.cancelled.borrow()
    }
}

fn refused(reply: &Reply) -> UiError {
    match serde_json::from_slice::<ErrorBody>(&reply.body) {
        Ok(body) => UiError::Server(body),
        Err(_) => UiError::Server(ErrorBody::new(ErrorCode::Unknown, "unexpected answer")),
    }
}

fn transient(reply: &Reply) -> bool {
    reply.status == 429 || reply.status >= 500
}

/// Uploads `data` (`total` bytes) for secret `id`; returns the upload token for the create.
pub async fn upload(
    id: &str,
    mut data: SealedData,
    total: u64,
    on_progress: impl Fn(Sent) + 'static,
    cancel: &Cancel,
) -> Result<String, UploadProblem> {
    let request = UploadRequest {
        secret_id: Some(Loose::Valid(id.to_owned())),
        length: Some(Loose::Valid(total)),
    };
    let body = serde_json::to_vec(&request)
        .map_err(|e| UploadProblem::Server(UiError::Request(e.to_string())))?;
    let json = [("Content-Type", "application/json")];
    let reply = net::send("POST", "/api/uploads", &json, Some(&body), |_| {}, None)
        .await
        .ok_or_else(|| UploadProblem::Server(UiError::Request("network error".into())))?;
    if !reply.is_success() {
        return Err(UploadProblem::Server(refused(&reply)));
    }
    let begun: UploadResponse = serde_json::from_slice(&reply.body)
        .map_err(|e| UploadProblem::Server(UiError::Request(e.to_string())))?;
    let token = begun.upload_token;
    let part_size = usize::try_from(begun.part_size).unwrap_or(usize::MAX);

    // Bytes done per part (whole parts, plus the progress of those in flight).
    let done: Rc<RefCell<Vec<f64>>> = Rc::new(RefCell::new(vec![0.0; begun.parts as usize]));
    let retrying = Rc::new(RefCell::new(false));
    let on_progress = Rc::new(on_progress);
    let report = {
        let done = done.clone();
        let retrying = retrying.clone();
        let on_progress = on_progress.clone();
        move || {
            on_progress(Sent {
                bytes: done.borrow().iter().sum(),
                total: total as f64,
                retrying: *retrying.borrow(),
            })
        }
    };
    let report = Rc::new(report);

    let mut in_flight = FuturesUnordered::new();
    let mut outcome = Ok(());
    for n in 0..begun.parts {
        if cancel.is_cancelled() {
            outcome = Err(UploadProblem::Cancelled);
            break;
        }
        let part = match data.next_part(part_size).await {
            Ok(part) => part,
            Err(e) => {
                outcome = Err(UploadProblem::File(e));
                break;
            }
        };
        in_flight.push(put_part(
            id.to_owned(),
            token.clone(),
            n,
            part,
            done.clone(),
            retrying.clone(),
            report.clone(),
            cancel.clone(),
        ));
        if in_flight.len() >= IN_FLIGHT
            && let Some(Err(e)) = in_flight.next().await
        {
            outcome = Err(e);
            break;
        }
    }
    while let Some(result) = in_flight.next().await {
        if outcome.is_ok() {
            outcome = result;
        }
    }
    if cancel.is_cancelled() {
        outcome = Err(UploadProblem::Cancelled);
    }
    match outcome {
        Ok(()) => Ok(token),
        Err(e) => {
            // Nothing is left on the server: what arrived is deleted now (the sweep would
            // take it after a day otherwise).
            abort(id, &token).await;
            Err(e)
        }
    }
}

#[allow(clippy::too_many_arguments)] // one part's whole state, moved into its future
async fn put_part(
    id: String,
    token: String,
    n: u64,
    part: Vec<u8>,
    done: Rc<RefCell<Vec<f64>>>,
    retrying: Rc<RefCell<bool>>,
    report: Rc<dyn Fn()>,
    cancel: Cancel,
) -> Result<(), UploadProblem> {
    let url = format!("/api/uploads/{id}/parts/{n}");
    let bearer = format!("Bearer {token}");
    let headers = [
        ("Authorization", bearer.as_str()),
        ("Content-Type", "application/octet-stream"),
    ];
    let mut waited = 0;
    let mut pause = 500;
    loop {
        let progress = {
            let done = done.clone();
            let report = report.clone();
            move |sent: f64| {
                if let Some(slot) = done.borrow_mut().get_mut(n as usize) {
                    *slot = sent;
                }
                report();
            }
        };
        let reply = net::send(
            "PUT",
            &url,
            &headers,
            Some(&part),
            progress,
            Some(&cancel.abort),
        )
        .await;
        if cancel.is_cancelled() {
            return Err(UploadProblem::Cancelled);
        }
        match reply {
            Some(reply) if reply.is_success() => {
                if let Some(slot) = done.borrow_mut().get_mut(n as usize) {
                    *slot = part.len() as f64;
                }
                *retrying.borrow_mut() = false;
                report();
                return Ok(());
            }
            Some(reply) if !transient(&reply) => {
                return Err(UploadProblem::Server(refused(&reply)));
            }
            failed if waited + pause > RETRY_FOR_MS => {
                return Err(UploadProblem::Server(match failed {
                    Some(reply) => refused(&reply),
                    None => UiError::Request("network error".into()),
                }));
            }
            _ => {
                // Dropped connection or busy server: the part is sent again, whole.
                if let Some(slot) = done.borrow_mut().get_mut(n as usize) {
                    *slot = 0.0;
                }
                *retrying.borrow_mut() = true;
                report();
                crate::browser::sleep_ms(pause).await;
                waited += pause;
                pause = (pause * 2).min(8_000);
            }
        }
    }
}

/// `DELETE /api/uploads/{id}`: best effort (the sweep removes it after a day otherwise).
async fn abort(id: &str, token: &str) {
    let bearer = format!("Bearer {token}");
    let _ = net::send(
        "DELETE",
        &format!("/api/uploads/{id}"),
        &[("Authorization", bearer.as_str())],
        None,
        |_| {},
        None,
    )
    .await;
}
