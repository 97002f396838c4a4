//! Receiving a revealed secret's files: each file's sealed data is fetched with a range
//! request (`GET /api/secrets/{alias}/data`, the reveal's claim and access proof in
//! headers), opened chunk by chunk as it arrives and written to [`crate::disk`]. A dropped
//! connection resumes at the first chunk not yet opened, as long as the claim lives.

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

/// Fetches and opens file `index` (`entry`, whose data starts at `offset`); `on_progress`
/// gets the plaintext bytes written so far.
pub async fn fetch_file(
    claim: &Claim,
    entry: &FileEntry,
    index: usize,
    offset: u64,
    page: &PageFiles,
    on_progress: impl Fn(u64),
) -> Result<Saved, DownloadProblem> {
    let damaged = |_: FileProblem| DownloadProblem::Damaged;
    let mut sink = disk::open(page, &format!("file-{index}"), entry.size())
        .await
        .map_err(DownloadProblem::Disk)?;
    let mut incoming = Incoming::new(entry, 0).await.map_err(damaged)?;
    let end = offset + file_data_len(entry) - 1;
    let url = format!("/api/secrets/{}/data", claim.alias);
    let mut written = 0u64;
    let mut waited = 0;
    let mut pause = 500;
    loop {
        let start = offset + chunk_offset(incoming.chunks_done());
        let range = format!("bytes={start}-{end}");
        let headers = [
            ("Oncelink-Access-Proof", claim.access_proof.as_str()),
            ("Oncelink-Claim", claim.claim.as_str()),
            ("Range", range.as_str()),
        ];
        let broke = match net::get_streamed(&url, &headers).await {
            Ok((206, mut body)) => loop {
                match body.next().await {
                    Some(Ok(bytes)) => {
                        for plain in incoming.push(&bytes).await.map_err(damaged)? {
                            sink.write(&plain).await.map_err(DownloadProblem::Disk)?;
                            written += plain.len() as u64;
                        }
                        on_progress(written);
                    }
                    Some(Err(())) => break true,
                    None => break false,
                }
            },
            Ok((404, _)) => return Err(DownloadProblem::Gone),
            Ok((status, body)) if status < 500 && status != 429 => {
                body.cancel();
                return Err(DownloadProblem::Damaged);
            }
            Ok((_, body)) => {
                body.cancel();
                true
            }
            Err(()) => true,
        };
        if !broke {
            break;
        }
        if waited + pause > RETRY_FOR_MS {
            return Err(DownloadProblem::Network);
        }
        // Resume at the first chunk not yet opened.
        incoming.drop_partial();
        crate::browser::sleep_ms(pause).await;
        waited += pause;
        pause = (pause * 2).min(8_000);
    }
    incoming.finish().map_err(damaged)?;
    sink.finish(entry.mime())
        .await
        .map_err(DownloadProblem::Disk)
}
