//! Receiving a revealed secret's files: each file's sealed data is fetched with a range
//! request (`GET /api/secrets/{alias}/data`, the reveal's claim and access proof in
//! headers), opened in batches of chunks as it arrives and written to [`crate::disk`]. A
//! dropped connection resumes at the first chunk not yet whole, as long as the claim lives.

use futures::channel::mpsc;
use futures::{SinkExt as _, StreamExt as _};

use crate::browser::Backoff;
use crate::client::files::{
    Arrivals, FileEntry, FileProblem, Incoming, chunk_offset, file_data_len,
};
use crate::disk::{self, DiskProblem, PageFiles, Saved, Sink};
use crate::js_bytes::JsQueue;
use crate::net;

/// How long a broken download keeps being resumed (the claim window allows at least the
/// usual minute plus a second per MiB).
const RETRY_FOR_MS: i32 = 60_000;

/// Why a file could not be received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownloadProblem {
    /// The server no longer has it for this reveal (its claim ended or was used).
    Gone,
    /// The data is not what the manifest says.
    Damaged,
    /// The browser could not keep it.
    Disk(DiskProblem),
    /// The server could not be reached for too long.
    Network,
    /// The page was left before the file arrived.
    Stopped,
}

/// What proves this reveal to the data endpoint.
#[derive(Clone)]
pub struct Claim {
    /// The secret's alias.
    pub alias: String,
    /// The access proof (base64url).
    pub access_proof: String,
    /// The reveal's claim (base64url).
    pub claim: String,
}

/// Whether a `206` answer's `Content-Range` is exactly the range asked for.
fn is_range(content_range: Option<&str>, start: u64, end: u64) -> bool {
    let Some(range) = content_range.and_then(|r| r.strip_prefix("bytes ")) else {
        return false;
    };
    let span = range.split('/').next().unwrap_or_default();
    span == format!("{start}-{end}")
}

/// Fetches and opens file `index` (`entry`, whose data starts at `offset`); `on_progress`
/// gets the plaintext bytes written so far. Stops (as [`DownloadProblem::Stopped`]) once
/// `alive` says the page is gone.
///
/// Two tasks joined by a short queue, so the network, WebCrypto and the disk work side by
/// side: one reads the data and cuts it into batches of whole chunks, the other opens each
/// batch and writes it while the next is opened.
pub async fn fetch_file(
    claim: &Claim,
    entry: &FileEntry,
    index: usize,
    offset: u64,
    page: &PageFiles,
    on_progress: impl Fn(u64),
    alive: impl Fn() -> bool,
) -> Result<Saved, DownloadProblem> {
    let sink = disk::open(page, &format!("file-{index}"), entry.size())
        .await
        .map_err(DownloadProblem::Disk)?;
    let incoming = Incoming::new(entry).await.map_err(damaged)?;
    let (batches, received) = mpsc::channel(QUEUED_BATCHES);
    let (fetched, saved) = futures::join!(
        fetch_batches(claim, entry, offset, batches, &alive),
        open_batches(incoming, sink, received, on_progress),
    );
    // The fetch's own problem explains a stop better than the writer's (which only saw
    // the queue end early); the writer's explains why the fetch stopped sending.
    match (fetched, saved) {
        (Ok(()), saved) => saved,
        (Err(Stop::Writer), saved) => saved.and(Err(DownloadProblem::Damaged)),
        (Err(Stop::Problem(problem)), _) => Err(problem),
    }
}

/// Batches (4 MiB each) read ahead of the one being opened.
const QUEUED_BATCHES: usize = 2;

fn damaged(_: FileProblem) -> DownloadProblem {
    DownloadProblem::Damaged
}

/// Why the fetching task stopped early.
enum Stop {
    /// The opening task stopped taking batches (its result says why).
    Writer,
    /// The fetch itself failed.
    Problem(DownloadProblem),
}

/// Reads the file's data into `batches`, resuming at the first chunk not yet handed out
/// after a break or an early end, until every chunk is handed out.
async fn fetch_batches(
    claim: &Claim,
    entry: &FileEntry,
    offset: u64,
    mut batches: mpsc::Sender<Vec<js_sys::Uint8Array>>,
    alive: &impl Fn() -> bool,
) -> Result<(), Stop> {
    let mut arrivals = Arrivals::new(entry);
    let mut pieces = JsQueue::default();
    let end = offset + file_data_len(entry) - 1;
    let url = format!("/api/secrets/{}/data", claim.alias);
    let mut backoff = Backoff::new(RETRY_FOR_MS);
    while !arrivals.is_complete() {
        if !alive() {
            return Err(Stop::Problem(DownloadProblem::Stopped));
        }
        let start = offset + chunk_offset(arrivals.chunks_done());
        let range = format!("bytes={start}-{end}");
        let headers = [
            ("Oncelink-Access-Proof", claim.access_proof.as_str()),
            ("Oncelink-Claim", claim.claim.as_str()),
            ("Range", range.as_str()),
        ];
        match net::get_streamed(&url, &headers).await {
            Ok(answer) if answer.status == 206 => {
                if !is_range(answer.content_range.as_deref(), start, end) {
                    answer.body.cancel();
                    return Err(Stop::Problem(DownloadProblem::Damaged));
                }
                let mut body = answer.body;
                loop {
                    let piece = body.next().await;
                    if !alive() {
                        body.cancel();
                        return Err(Stop::Problem(DownloadProblem::Stopped));
                    }
                    let whole = match &piece {
                        Some(Ok(bytes)) => {
                            backoff.reset();
                            pieces.push(bytes.clone());
                            arrivals
                                .push(bytes.length() as usize)
                                .map_err(|e| Stop::Problem(damaged(e)))?
                        }
                        // Ended or broke: what is whole counts; a resume starts after it.
                        _ => arrivals.flush(),
                    };
                    if let Some(chunks) = whole
                        && batches.send(pieces.take_cut(&chunks)).await.is_err()
                    {
                        body.cancel();
                        return Err(Stop::Writer);
                    }
                    if !matches!(piece, Some(Ok(_))) {
                        break;
                    }
                }
            }
            Ok(answer) if answer.status == 404 => {
                return Err(Stop::Problem(DownloadProblem::Gone));
            }
            Ok(answer) if answer.status < 500 && answer.status != 429 => {
                answer.body.cancel();
                return Err(Stop::Problem(DownloadProblem::Damaged));
            }
            Ok(answer) => answer.body.cancel(),
            Err(()) => {}
        }
        if arrivals.is_complete() {
            break;
        }
        arrivals.drop_partial();
        pieces.clear();
        if !backoff.wait().await {
            return Err(Stop::Problem(DownloadProblem::Network));
        }
    }
    Ok(())
}

/// Opens each batch and writes its plaintext, until the fetch ends the queue; the file is
/// kept only if every chunk was opened.
async fn open_batches(
    mut incoming: Incoming,
    mut sink: Sink,
    mut received: mpsc::Receiver<Vec<js_sys::Uint8Array>>,
    on_progress: impl Fn(u64),
) -> Result<Saved, DownloadProblem> {
    let mut written = 0u64;
    while let Some(chunks) = received.next().await {
        let plain = incoming.open(&chunks).await.map_err(damaged)?;
        written += plain.iter().map(|p| u64::from(p.length())).sum::<u64>();
        sink.write(plain).await.map_err(DownloadProblem::Disk)?;
        on_progress(written);
    }
    incoming.finish().map_err(damaged)?;
    sink.finish().await.map_err(DownloadProblem::Disk)
}
