//! File data in the browser: the chosen files sealed into the upload's bytes a chunk at a
//! time, and a download opened as it arrives (`docs/protocol.md`, Files). Files are read in
//! slices, never whole; AES-GCM runs in WebCrypto (`crypto_core::bulk::stream`).

use crypto_core::bulk::stream::{ChunkOpener, ChunkSealer};
use crypto_core::stream::{
    CHUNK_LEN, ChunkPlace, FileKey, SEALED_CHUNK_LEN, chunk_count, sealed_len,
};
pub use crypto_core::{FileEntry, stream_offsets};

use crate::browser::BlobReader;
use crate::js_bytes::JsQueue;

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

/// The upload's bytes, produced in order: each file's chunks sealed as they are read. The
/// bytes stay in JavaScript memory from the file to the part sent (`crate::js_bytes`).
pub struct SealedData {
    files: Vec<Outgoing>,
    /// The file being sealed, its sealer, its reader and how far it has been read.
    current: Option<(usize, ChunkSealer, BlobReader, u64)>,
    next_file: usize,
    /// Sealed bytes made but not yet handed out.
    ready: JsQueue,
}

impl SealedData {
    /// The data of `files`, in this order (the manifest's).
    pub fn new(files: Vec<Outgoing>) -> Self {
        Self {
            files,
            current: None,
            next_file: 0,
            ready: JsQueue::default(),
        }
    }

    /// Whether every byte of the data has been handed out.
    pub fn is_done(&self) -> bool {
        self.current.is_none() && self.next_file >= self.files.len() && self.ready.is_empty()
    }

    /// The next `want` bytes of the data (fewer only at its end), as a part to send.
    pub async fn next_part(&mut self, want: usize) -> Result<web_sys::Blob, FileProblem> {
        while self.ready.len() < want && self.seal_more().await? {}
        let views = js_sys::Array::new();
        for view in self.ready.take_views(want) {
            views.push(&view);
        }
        web_sys::Blob::new_with_u8_array_sequence(&views).map_err(|_| FileProblem::Seal)
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
            let reader = BlobReader::new(&file.blob);
            self.current = Some((self.next_file, sealer, reader, 0));
            self.next_file += 1;
        }
        let Some((index, sealer, reader, at)) = self.current.as_mut() else {
            return Ok(false);
        };
        let size = self.files[*index].entry.size();
        let end = (*at + READ_LEN).min(size);
        // At most READ_LEN: fits u32.
        let bytes = reader
            .next((end - *at) as u32)
            .await
            .ok_or(FileProblem::Read)?;
        for buffer in web::seal(sealer, &bytes).await? {
            self.ready.push(buffer);
        }
        *at = end;
        if sealer.is_done() {
            self.current = None;
        }
        Ok(true)
    }
}

/// The count of one file's sealed data as it arrives, cut into batches of whole chunks to
/// open: where a resumed download starts, and what is left over when a connection breaks
/// mid-chunk. It counts bytes; the caller keeps them (`crate::js_bytes::JsQueue`).
pub struct Arrivals {
    size: u64,
    /// Chunks handed out in batches so far.
    chunks_done: u64,
    /// Bytes after the last whole chunk handed out.
    pending: usize,
}

impl Arrivals {
    /// The data of `entry`, from its first chunk.
    pub fn new(entry: &FileEntry) -> Self {
        Self {
            size: entry.size(),
            chunks_done: 0,
            pending: 0,
        }
    }

    /// Whole chunks handed out so far: a resumed download starts at this chunk.
    pub fn chunks_done(&self) -> u64 {
        self.chunks_done
    }

    /// Whether every chunk has been handed out.
    pub fn is_complete(&self) -> bool {
        self.chunks_done >= chunk_count(self.size)
    }

    /// Counts `len` more bytes. Once [`OPEN_BATCH`] chunks (or the rest of the file) are
    /// whole, returns the sealed length of each, in order: the bytes at the front to cut
    /// and open together. Otherwise nothing yet. Bytes past the file's end are
    /// [`FileProblem::Damaged`].
    pub fn push(&mut self, len: usize) -> Result<Option<Vec<usize>>, FileProblem> {
        self.pending += len;
        let (chunks, rest_of_file) = self.whole_chunks();
        let whole: usize = chunks.iter().sum();
        if rest_of_file && whole < self.pending {
            return Err(FileProblem::Damaged);
        }
        if (chunks.len() as u64) < OPEN_BATCH && !rest_of_file {
            return Ok(None);
        }
        Ok(Some(self.take(chunks)))
    }

    /// The sealed lengths of the whole chunks waiting (the body ended or broke), if any.
    pub fn flush(&mut self) -> Option<Vec<usize>> {
        let (chunks, _) = self.whole_chunks();
        (!chunks.is_empty()).then(|| self.take(chunks))
    }

    /// Forgets bytes of an unfinished chunk (the connection broke inside it).
    pub fn drop_partial(&mut self) {
        self.pending = 0;
    }

    /// The sealed lengths of the whole chunks waiting, and whether they finish the file.
    fn whole_chunks(&self) -> (Vec<usize>, bool) {
        let mut chunks = Vec::new();
        let mut whole = 0;
        let mut index = self.chunks_done;
        while let Ok(place) = ChunkPlace::of(self.size, index) {
            if whole + place.sealed_len() > self.pending {
                return (chunks, false);
            }
            whole += place.sealed_len();
            chunks.push(place.sealed_len());
            index += 1;
        }
        (chunks, true)
    }

    fn take(&mut self, chunks: Vec<usize>) -> Vec<usize> {
        self.pending -= chunks.iter().sum::<usize>();
        self.chunks_done += chunks.len() as u64;
        chunks
    }
}

/// One file's download, opened batch by batch ([`Arrivals`]) as it arrives.
pub struct Incoming {
    opener: ChunkOpener,
}

impl Incoming {
    /// Opens `entry`'s data from its first chunk.
    pub async fn new(entry: &FileEntry) -> Result<Self, FileProblem> {
        let opener = ChunkOpener::starting_at(entry.key(), entry.size(), 0)
            .await
            .map_err(|_| FileProblem::Damaged)?;
        Ok(Self { opener })
    }

    /// Opens the next whole chunks together (`ChunkOpener::open_chunks_js`, in JavaScript
    /// memory; one buffer per chunk) and returns their plaintext end to end, in buffers the
    /// caller wipes once written.
    pub async fn open(
        &mut self,
        chunks: &[js_sys::Uint8Array],
    ) -> Result<Vec<js_sys::Uint8Array>, FileProblem> {
        web::open(&mut self.opener, chunks).await
    }

    /// Succeeds only when every chunk has been opened.
    pub fn finish(self) -> Result<(), FileProblem> {
        self.opener.finish().map_err(|_| FileProblem::Damaged)
    }
}

/// The WebCrypto calls on JavaScript buffers, which exist only in the browser: this code is
/// compiled on the server too (server-side rendering), where no file data ever passes.
#[cfg(target_arch = "wasm32")]
mod web {
    use super::*;

    pub async fn seal(
        sealer: &mut ChunkSealer,
        plain: &js_sys::Uint8Array,
    ) -> Result<Vec<js_sys::Uint8Array>, FileProblem> {
        sealer
            .seal_chunks_js(plain)
            .await
            .map_err(|_| FileProblem::Seal)
    }

    pub async fn open(
        opener: &mut ChunkOpener,
        chunks: &[js_sys::Uint8Array],
    ) -> Result<Vec<js_sys::Uint8Array>, FileProblem> {
        opener
            .open_chunks_js(chunks)
            .await
            .map_err(|_| FileProblem::Damaged)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod web {
    use super::*;

    pub async fn seal(
        _: &mut ChunkSealer,
        _: &js_sys::Uint8Array,
    ) -> Result<Vec<js_sys::Uint8Array>, FileProblem> {
        Err(FileProblem::Seal)
    }

    pub async fn open(
        _: &mut ChunkOpener,
        _: &[js_sys::Uint8Array],
    ) -> Result<Vec<js_sys::Uint8Array>, FileProblem> {
        Err(FileProblem::Damaged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(size: u64) -> FileEntry {
        FileEntry::new(
            "a.bin",
            "application/octet-stream",
            size,
            FileKey::from_bytes([7; 32]),
        )
        .unwrap()
    }

    #[test]
    fn batches_are_whole_chunks_and_the_rest_of_the_file() {
        // 70 full chunks and a last one of 5 bytes.
        let size = 70 * CHUNK_LEN as u64 + 5;
        let mut arrivals = Arrivals::new(&entry(size));
        let mut batches = Vec::new();
        let mut left = sealed_len(size) as usize;
        while left > 0 {
            let piece = left.min(100_000);
            batches.extend(arrivals.push(piece).unwrap());
            left -= piece;
        }
        let sums: Vec<usize> = batches.iter().map(|b| b.iter().sum()).collect();
        assert_eq!(sums, [64 * SEALED_CHUNK_LEN, 6 * SEALED_CHUNK_LEN + 5 + 16]);
        assert_eq!(batches[1].last(), Some(&(5 + 16)));
        assert!(arrivals.is_complete());
        assert_eq!(arrivals.chunks_done(), 71);
    }

    #[test]
    fn a_break_hands_out_what_is_whole_and_resumes_after_it() {
        let size = 10 * CHUNK_LEN as u64;
        let mut arrivals = Arrivals::new(&entry(size));
        assert_eq!(arrivals.push(3 * SEALED_CHUNK_LEN + 100).unwrap(), None);
        assert_eq!(arrivals.flush(), Some(vec![SEALED_CHUNK_LEN; 3]));
        arrivals.drop_partial();
        assert_eq!(
            chunk_offset(arrivals.chunks_done()),
            3 * SEALED_CHUNK_LEN as u64
        );
        let rest = arrivals.push(7 * SEALED_CHUNK_LEN).unwrap();
        assert_eq!(rest, Some(vec![SEALED_CHUNK_LEN; 7]));
        assert!(arrivals.is_complete());
        assert_eq!(arrivals.flush(), None);
    }

    #[test]
    fn bytes_past_the_end_are_damage() {
        let mut arrivals = Arrivals::new(&entry(3));
        assert_eq!(arrivals.push(3 + 16 + 1), Err(FileProblem::Damaged));
        // An empty file is one chunk of a bare tag.
        let mut empty = Arrivals::new(&entry(0));
        assert_eq!(empty.push(16), Ok(Some(vec![16])));
        assert!(empty.is_complete());
    }
}
