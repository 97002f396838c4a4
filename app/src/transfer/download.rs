//! Receiving a revealed secret's files: each file's sealed data is fetched with a range
//! request (`GET /api/secrets/{alias}/data`, the reveal's claim and access proof in
//! headers), opened chunk by chunk as it arrives and written to [`crate::disk`]. A dropped
//! connection resumes at the first chunk not yet opened, as long as the claim lives.

use crate::browser::Backoff;
use crate::client::files::{FileEntry, FileProblem, Incoming, chunk_offset, file_data_len};
use crate::disk::{self, DiskProblem, PageFiles, Saved};
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
pub async fn fetch_file(
    claim: &Claim,
    entry: &FileEntry,
    index: usize,
    offset: u64,
    page: &PageFiles,
    on_progress: impl Fn(u64),
    alive: impl Fn() -> bool,
) -> Result<Saved, DownloadProblem> {
    let damaged = |_: FileProblem| DownloadProblem::Damaged;
    let mut sink = disk::open(page, &format!("file-{index}"), entry.size())
        .await
        .map_err(DownloadProblem::Disk)?;
    let mut incoming = Incoming::new(entry, 0).await.map_err(damaged)?;
    let end = offset + file_data_len(entry) - 1;
    let url = format!("/api/secrets/{}/data", claim.alias);
    let mut written = 0u64;
    let mut backoff = Backoff::new(RETRY_FOR_MS);
    // Until every chunk is open: a connection that breaks, or ends early, resumes at the
    // first chunk not yet opened.
    while !incoming.is_complete() {
        if !alive() {
            return Err(DownloadProblem::Stopped);
        }
        let start = offset + chunk_offset(incoming.chunks_done());
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
                    return Err(DownloadProblem::Damaged);
                }
                let mut body = answer.body;
                loop {
                    let piece = body.next().await;
                    if !alive() {
                        body.cancel();
                        return Err(DownloadProblem::Stopped);
                    }
                    let plain = match &piece {
                        Some(Ok(bytes)) => incoming.push(bytes).await,
                        // Ended or broke: what is whole counts; a resume starts after it.
                        _ => incoming.flush().await,
                    }
                    .map_err(damaged)?;
                    if !plain.is_empty() {
                        sink.write(&plain).await.map_err(DownloadProblem::Disk)?;
                        written += plain.len() as u64;
                        backoff.reset();
                        on_progress(written);
                    }
                    if !matches!(piece, Some(Ok(_))) {
                        break;
                    }
                }
            }
            Ok(answer) if answer.status == 404 => return Err(DownloadProblem::Gone),
            Ok(answer) if answer.status < 500 && answer.status != 429 => {
                answer.body.cancel();
                return Err(DownloadProblem::Damaged);
            }
            Ok(answer) => answer.body.cancel(),
            Err(()) => {}
        }
        if incoming.is_complete() {
            break;
        }
        incoming.drop_partial();
        if !backoff.wait().await {
            return Err(DownloadProblem::Network);
        }
    }
    incoming.finish().map_err(damaged)?;
    sink.finish().await.map_err(DownloadProblem::Disk)
}
