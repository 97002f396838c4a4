//! Sending a secret's file data: `POST /api/uploads`, then the parts, sealed as they are
//! read. Each part is sent as soon as it is sealed and a slot is free, at most
//! [`IN_FLIGHT`] at once, the next part being sealed meanwhile; a part is retried after a
//! dropped connection until it arrives (a part sent again replaces itself). Cancel aborts
//! what is in flight and deletes the upload.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures::FutureExt as _;
use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use protocol::Loose;
use protocol::rest::{UploadRequest, UploadResponse};

use crate::api::UiError;
use crate::browser::Backoff;
use crate::client::files::{FileProblem, SealedData};
use crate::net::{self, Abort};
use crate::rest::{self, network_error, refused};

/// Parts sent at once: two keep the connection busy while the next part is sealed; more
/// only hold more memory (BENCHMARKS.md, files).
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
    /// A file could not be read or sealed.
    File(FileProblem),
    /// The server refused (its answer), or could not be reached for too long.
    Server(UiError),
    /// The user cancelled (or left the page).
    Cancelled,
}

/// The cancel switch of an upload under way.
#[derive(Clone, Default)]
pub struct Cancel {
    abort: Abort,
    cancelled: Rc<Cell<bool>>,
}

impl Cancel {
    /// Stops the upload: parts in flight are aborted, none is sent after; [`upload`]
    /// deletes what arrived.
    pub fn cancel(&self) {
        self.cancelled.set(true);
        self.abort.abort();
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.get()
    }
}

/// What every part of one upload shares.
struct Shared {
    id: String,
    bearer: String,
    /// Bytes done per part (whole parts, plus the progress of those in flight).
    done: RefCell<Vec<f64>>,
    retrying: Cell<bool>,
    total: f64,
    on_progress: Box<dyn Fn(Sent)>,
    cancel: Cancel,
}

impl Shared {
    fn report(&self) {
        (self.on_progress)(Sent {
            bytes: self.done.borrow().iter().sum(),
            total: self.total,
            retrying: self.retrying.get(),
        });
    }

    fn set_done(&self, n: u64, bytes: f64) {
        if let Some(slot) = self.done.borrow_mut().get_mut(n as usize) {
            *slot = bytes;
        }
        self.report();
    }
}

/// Begins the upload of `total` bytes for secret `id`.
async fn begin(id: &str, total: u64) -> Result<UploadResponse, UiError> {
    let request = UploadRequest {
        secret_id: Some(Loose::Valid(id.to_owned())),
        length: Some(Loose::Valid(total)),
    };
    let begun: UploadResponse = rest::post_json("/api/uploads", &request).await?;
    // The parts must cover the data exactly, or the upload cannot finish.
    let covers = begun.part_size > 0
        && begun.parts == total.div_ceil(begun.part_size).max(1)
        && usize::try_from(begun.part_size).is_ok();
    if !covers {
        return Err(UiError::Request("unexpected upload answer".into()));
    }
    Ok(begun)
}

/// Uploads `data` (`total` bytes) for secret `id`; returns the upload token for the create.
pub async fn upload(
    id: &str,
    mut data: SealedData,
    total: u64,
    on_progress: impl Fn(Sent) + 'static,
    cancel: &Cancel,
) -> Result<String, UploadProblem> {
    let begun = begin(id, total).await.map_err(UploadProblem::Server)?;
    let token = begun.upload_token;
    let part_size = usize::try_from(begun.part_size).unwrap_or(usize::MAX);
    let shared = Rc::new(Shared {
        id: id.to_owned(),
        bearer: format!("Bearer {token}"),
        done: RefCell::new(vec![0.0; begun.parts as usize]),
        retrying: Cell::new(false),
        total: total as f64,
        on_progress: Box::new(on_progress),
        cancel: cancel.clone(),
    });

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
        // Sealed while the parts before it were on their way; it waits for a free slot.
        if in_flight.len() >= IN_FLIGHT
            && let Some(Err(e)) = in_flight.next().await
        {
            outcome = Err(e);
            break;
        }
        // Spawned, so the part is on its way while the next one is sealed.
        let (sending, handle) = put_part(shared.clone(), n, part).remote_handle();
        leptos::task::spawn_local(sending);
        in_flight.push(handle);
    }
    if outcome.is_ok() && !data.is_done() {
        outcome = Err(UploadProblem::Server(UiError::Request(
            "the upload's parts do not hold the data".into(),
        )));
    }
    let failed = outcome.is_err();
    if failed {
        // Nothing more goes out once one part failed for good (or the user cancelled).
        cancel.cancel();
    }
    while let Some(result) = in_flight.next().await {
        if outcome.is_ok() {
            outcome = result;
        }
    }
    if !failed && cancel.is_cancelled() {
        outcome = Err(UploadProblem::Cancelled);
    }
    match outcome {
        Ok(()) => Ok(token),
        Err(e) => {
            // Nothing is left on the server: what arrived is deleted now (the sweep would
            // take it after a day otherwise, and the quota would stay charged).
            abort(id, &token).await;
            Err(e)
        }
    }
}

/// Sends part `n`, again after each transient failure, until it arrives or the retries
/// are spent.
async fn put_part(shared: Rc<Shared>, n: u64, part: web_sys::Blob) -> Result<(), UploadProblem> {
    let url = format!("/api/uploads/{}/parts/{n}", shared.id);
    let headers = [
        ("Authorization", shared.bearer.as_str()),
        ("Content-Type", "application/octet-stream"),
    ];
    let mut backoff = Backoff::new(RETRY_FOR_MS);
    loop {
        if shared.cancel.is_cancelled() {
            return Err(UploadProblem::Cancelled);
        }
        let progress = {
            let shared = shared.clone();
            move |sent: f64| shared.set_done(n, sent)
        };
        let reply = net::send_blob(
            "PUT",
            &url,
            &headers,
            Some(&part),
            progress,
            Some(&shared.cancel.abort),
        )
        .await;
        if shared.cancel.is_cancelled() {
            return Err(UploadProblem::Cancelled);
        }
        let failure = match reply {
            Some(reply) if reply.is_success() => {
                shared.retrying.set(false);
                shared.set_done(n, part.size());
                return Ok(());
            }
            Some(reply) => refused(&reply),
            None => network_error(),
        };
        if !failure.is_transient() {
            return Err(UploadProblem::Server(failure));
        }
        // Dropped connection or busy server: the part is sent again, whole.
        shared.retrying.set(true);
        shared.set_done(n, 0.0);
        if !backoff.wait().await {
            return Err(UploadProblem::Server(failure));
        }
    }
}

/// `DELETE /api/uploads/{id}`: best effort (the sweep removes it after a day otherwise). A
/// create that took the upload already makes this a harmless 404.
pub async fn abort(id: &str, token: &str) {
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
