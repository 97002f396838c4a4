//! File data in the browser: the chosen files sealed into the upload's bytes a chunk at a
//! time, and a download opened as it arrives (`docs/protocol.md`, Files). Files are read in
//! slices, never whole; AES-GCM runs in WebCrypto (`crypto_core::bulk::stream`).

use crypto_core::bulk::stream::{ChunkOpener, ChunkSealer};
use crypto_core::stream::{CHUNK_LEN, FileKey, SEALED_CHUNK_LEN, sealed_len};
pub use crypto_core::{FileEntry, stream_offsets};
use zeroize::Zeroizing;

/// Bytes read from a file at once: 64 chunks, sealed by WebCrypto side by side
/// (`ChunkSealer::seal_chunks`), so the round trip to its worker is paid once per 4 MiB.
const READ_LEN: u64 = 64 * CHUNK_LEN as u64;

/// Chunks of a download opened together (4 MiB): one round trip to WebCrypto each.
const OPEN_BATCH: u64 = 64;

/// Why file data could not be sealed or opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileProblem {
    /// A file could not be read (moved, deleted or changed since it was chosen).
    Read,
    /// The browser could not encrypt it (no secure random numbers, a WebCrypto fault).
    Seal,
    /// The data is not what the manifest says (cut short, altered, reordered…).
    Damaged,
}

/// A manifest entry for a chosen file, with a fresh random key.
pub fn new_entry(name: &str, mime: &str, size: u64) -> Result<FileEntry, crypto_core::Error> {
    let mime = if mime.is_empty() {
        "application/octet-stream"
    } else {
        mime
    };
    FileEntry::new(name, mime, size, FileKey::generate()?)
}

/// The sealed length of files of these sizes, end to end (to check a choice against the
/// server's limit before anything is read).
pub fn sealed_total(sizes: impl Iterator<Item = u64>) -> u64 {
    sizes.map(sealed_len).fold(0, u64::saturating_add)
}

/// About how many bytes of files fit in `max_sealed` bytes of sealed data (what the page
/// shows as the limit).
pub fn largest_content(max_sealed: u64) -> u64 {
    max_sealed / SEALED_CHUNK_LEN as u64 * CHUNK_LEN as u64
}

/// The length of one file's sealed data.
pub fn file_data_len(entry: &FileEntry) -> u64 {
    sealed_len(entry.size())
}

/// Where chunk `index` starts in a file's sealed data (to resume a download there).
pub fn chunk_offset(index: u64) -> u64 {
    index * SEALED_CHUNK_LEN as u64
}

/// One file to send: its bytes (the chosen file, or the cleaned image) and its entry.
pub struct Outgoing {
    /// The bytes, read in slices.
    pub blob: web_sys::Blob,
    /// The manifest entry (its size is the blob's).
    pub entry: FileEntry,
}

/// The upload's bytes, produced in order: each file's chunks sealed as they are read.
pub struct SealedData {
    files: Vec<Outgoing>,
    /// The file being sealed, its sealer and how far it has been read.
    current: Option<(usize, ChunkSealer, u64)>,
    next_file: usize,
    /// Sealed bytes made but not yet handed out.
    ready: Vec<u8>,
}

impl SealedData {
    /// The data of `files`, in this order (the manifest's).
    pub fn new(files: Vec<Outgoing>) -> Self {
        Self {
            files,
            current: None,
            next_file: 0,
            ready: Vec::new(),
        }
    }

    /// Whether every byte of the data has been handed out.
    pub fn is_done(&self) -> bool {
        self.current.is_none() && self.next_file >= self.files.len() && self.ready.is_empty()
    }

    /// The next `want` bytes of the data (fewer only at its end).
    pub async fn next_part(&mut self, want: usize) -> Result<Vec<u8>, FileProblem> {
        while self.ready.len() < want && self.seal_more().await? {}
        let take = want.min(self.ready.len());
        let rest = self.ready.split_off(take);
        Ok(std::mem::replace(&mut self.ready, rest))
    }

    /// Seals one more slice into `ready`; false when every file is done.
    async fn seal_more(&mut self) -> Result<bool, FileProblem> {
        if self.current.is_none() {
            let Some(file) = self.files.get(self.next_file) else {
                return Ok(false);
            };
            let size = file.entry.size();
            let sealer = ChunkSealer::new(file.entry.key(), size)
                .await
                .map_err(|_| FileProblem::Seal)?;
            self.current = Some((self.next_file, sealer, 0));
            self.next_file += 1;
        }
        let Some((index, sealer, at)) = self.current.as_mut() else {
            return Ok(false);
        };
        let file = &self.files[*index];
        let size = file.entry.size();
        let end = (*at + READ_LEN).min(size);
        let bytes = crate::browser::read_slice(&file.blob, *at, end)
            .await
            .filter(|b| b.len() as u64 == end - *at)
            .ok_or(FileProblem::Read)?;
        let bytes = Zeroizing::new(bytes);
        let sealed = sealer
            .seal_chunks(&bytes)
            .await
            .map_err(|_| FileProblem::Seal)?;
        self.ready.extend_from_slice(&sealed);
        *at = end;
        if sealer.is_done() {
            self.current = None;
        }
        Ok(true)
    }
}

/// One file's download, opened as its bytes arrive.
pub struct Incoming {
    opener: ChunkOpener,
    pending: Vec<u8>,
    chunks_done: u64,
}

impl Incoming {
    /// Opens `entry`'s data from chunk `from_chunk` on (0, or where a broken download
    /// stopped).
    pub async fn new(entry: &FileEntry, from_chunk: u64) -> Result<Self, FileProblem> {
        let opener = ChunkOpener::starting_at(entry.key(), entry.size(), from_chunk)
            .await
            .map_err(|_| FileProblem::Damaged)?;
        Ok(Self {
            opener,
            pending: Vec::new(),
            chunks_done: from_chunk,
        })
    }

    /// Whole chunks opened so far: a resumed download starts at this chunk.
    pub fn chunks_done(&self) -> u64 {
        self.chunks_done
    }

    /// Whether every chunk has been opened.
    pub fn is_complete(&self) -> bool {
        self.opener.next_place().is_none()
    }

    /// Takes the next bytes of the data. Once [`OPEN_BATCH`] chunks (or the rest of the
    /// file) are whole, opens them together (`ChunkOpener::open_chunks`) and returns their
    /// plaintext end to end; otherwise returns nothing yet.
    pub async fn push(&mut self, bytes: &[u8]) -> Result<Zeroizing<Vec<u8>>, FileProblem> {
        self.pending.extend_from_slice(bytes);
        let (whole, count, rest_of_file) = self.whole_chunks();
        if count < OPEN_BATCH && !rest_of_file {
            return Ok(Zeroizing::new(Vec::new()));
        }
        self.open_whole(whole, count).await
    }

    /// Opens every whole chunk waiting (the body ended or broke); returns their plaintext.
    pub async fn flush(&mut self) -> Result<Zeroizing<Vec<u8>>, FileProblem> {
        let (whole, count, _) = self.whole_chunks();
        self.open_whole(whole, count).await
    }

    /// The bytes and number of the whole chunks waiting, and whether they finish the file.
    fn whole_chunks(&self) -> (usize, u64, bool) {
        let mut whole = 0;
        let mut count = 0;
        let mut rest_of_file = true;
        for place in self.opener.places_ahead() {
            if whole + place.sealed_len() > self.pending.len() {
                rest_of_file = false;
                break;
            }
            whole += place.sealed_len();
            count += 1;
        }
        (whole, count, rest_of_file)
    }

    async fn open_whole(
        &mut self,
        whole: usize,
        count: u64,
    ) -> Result<Zeroizing<Vec<u8>>, FileProblem> {
        let plain = if whole > 0 {
            self.opener
                .open_chunks(&self.pending[..whole])
                .await
                .map_err(|_| FileProblem::Damaged)?
        } else {
            Zeroizing::new(Vec::new())
        };
        self.pending.drain(..whole);
        self.chunks_done += count;
        if self.is_complete() && !self.pending.is_empty() {
            return Err(FileProblem::Damaged);
        }
        Ok(plain)
    }

    /// Forgets bytes of an unfinished chunk (the connection broke inside it).
    pub fn drop_partial(&mut self) {
        self.pending.clear();
    }

    /// Succeeds only when every chunk has been opened and nothing is left over.
    pub fn finish(self) -> Result<(), FileProblem> {
        if !self.pending.is_empty() {
            return Err(FileProblem::Damaged);
        }
        self.opener.finish().map_err(|_| FileProblem::Damaged)
    }
}
