//! Files in a secret, from the command line: read, cleaned when they are images, sealed as
//! STREAMs chunk by chunk and uploaded part by part (a part is sent again after a dropped
//! connection); on the other side downloaded and decrypted file by file into a directory.
//! Never a whole file in memory (an image being cleaned is read whole, up to 10 MB).

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender};
use std::time::Duration;

use crypto_core::stream::{
    FileKey, SEALED_CHUNK_LEN, StreamOpener, StreamSealer, read_up_to, sealed_len,
};
use crypto_core::{FileEntry, SecretId, stream_offsets};
use zeroize::Zeroizing;

use crate::api::{Api, FileLimits};
use crate::error::CliError;
use crate::output::{escape_controls, note};
use crate::progress::Progress;

/// How often a part or a download is tried before giving up.
const TRIES: u32 = 4;

/// A file to send: where its bytes come from, and its manifest entry.
pub struct Outgoing {
    source: Source,
    entry: FileEntry,
}

enum Source {
    Path(PathBuf),
    /// An image, cleaned in memory.
    Bytes(zeroize::Zeroizing<Vec<u8>>),
}

impl Outgoing {
    /// The manifest entry (name, type, size, key).
    pub fn entry(&self) -> &FileEntry {
        &self.entry
    }
}

/// Reads and checks the files to send: directories are refused, images are cleaned of their
/// metadata unless `keep_metadata`, everything else goes as it is.
pub fn prepare(paths: &[PathBuf], keep_metadata: bool) -> Result<Vec<Outgoing>, CliError> {
    let mut files = Vec::with_capacity(paths.len());
    let mut unclean = 0;
    for path in paths {
        let shown = || escape_controls(&path.display().to_string()).into_owned();
        let meta = std::fs::metadata(path)
            .map_err(|e| CliError::Input(format!("cannot read {}: {e}", shown())))?;
        if meta.is_dir() {
            return Err(CliError::Input(format!(
                "{} is a directory: give its files (for example {}/*), or pack it first",
                shown(),
                shown()
            )));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".to_owned());
        // Enough for an image's signature and a HEIF file's `ftyp` box.
        let mut head = [0u8; 64];
        let read = File::open(path)
            .and_then(|mut f| f.read(&mut head))
            .map_err(|e| CliError::Input(format!("cannot read {}: {e}", shown())))?;
        let image = image_privacy::sniff(&head[..read]).ok();
        let document = (!keep_metadata)
            .then(|| Document::of(&name, &head[..read]))
            .flatten();
        let (source, size, mime) = match image {
            Some(kind) if !keep_metadata => {
                if meta.len() > image_privacy::MAX_IMAGE_BYTES as u64 {
                    return Err(CliError::Input(format!(
                        "{}: images over 10 MB cannot be cleaned of their metadata; add \
                         --keep-metadata to send it as it is",
                        shown()
                    )));
                }
                let bytes = std::fs::read(path)
                    .map_err(|e| CliError::Input(format!("cannot read {}: {e}", shown())))?;
                let cleaned = image_privacy::clean(&bytes)
                    .map_err(|e| CliError::Input(format!("{}: {e}", shown())))?;
                let size = cleaned.bytes.len() as u64;
                (Source::Bytes(cleaned.bytes.into()), size, kind.mime())
            }
            Some(kind) => (Source::Path(path.clone()), meta.len(), kind.mime()),
            None => match document {
                Some(document) => {
                    if meta.len() > document.limit() as u64 {
                        return Err(CliError::Input(format!(
                            "{}: {} over 64 MB cannot be cleaned of their metadata; add \
                             --keep-metadata to send it as it is",
                            shown(),
                            document.plural()
                        )));
                    }
                    let bytes = std::fs::read(path)
                        .map_err(|e| CliError::Input(format!("cannot read {}: {e}", shown())))?;
                    let (cleaned, findings) = document
                        .clean(&bytes)
                        .map_err(|why| CliError::Input(format!("{}: {why}", shown())))?;
                    if !findings.is_empty() {
                        note(&format!(
                            "{}: removed {}",
                            shown(),
                            crate::contents::removed(&findings)
                        ));
                    }
                    if findings.tracked_changes {
                        note(&format!(
                            "{}: has tracked changes; they are kept (the recipient can see the \
                             earlier wording): accept or reject them first if that matters",
                            shown()
                        ));
                    }
                    let size = cleaned.len() as u64;
                    (Source::Bytes(cleaned.into()), size, document.mime(&name))
                }
                None => {
                    unclean += 1;
                    (Source::Path(path.clone()), meta.len(), mime_of(&name))
                }
            },
        };
        let key = FileKey::generate().map_err(|e| CliError::Io(e.to_string()))?;
        let entry = FileEntry::new(name, mime, size, key)
            .map_err(|e| CliError::Input(format!("{}: {e}", shown())))?;
        files.push(Outgoing { source, entry });
    }
    if unclean > 0 {
        note("files other than images are sent as they are: their own metadata is not removed");
    }
    Ok(files)
}

/// A file the CLI cleans beside images: one path for all three, each cleaner deciding the
/// rest by content.
#[derive(Clone, Copy)]
enum Document {
    Pdf,
    Office,
    Heic,
}

impl Document {
    /// The kind of a file by its first bytes (and, for Office, its name).
    fn of(name: &str, head: &[u8]) -> Option<Self> {
        if image_privacy::is_pdf(head) {
            Some(Document::Pdf)
        } else if is_office(name, head) {
            Some(Document::Office)
        } else if image_privacy::is_heif(head) {
            Some(Document::Heic)
        } else {
            None
        }
    }

    /// The largest file its cleaner takes.
    fn limit(self) -> usize {
        match self {
            Document::Pdf => image_privacy::MAX_PDF_BYTES,
            Document::Office => image_privacy::MAX_OFFICE_BYTES,
            Document::Heic => image_privacy::MAX_HEIF_BYTES,
        }
    }

    /// What such files are called in a message.
    fn plural(self) -> &'static str {
        match self {
            Document::Pdf => "PDFs",
            Document::Office => "documents",
            Document::Heic => "HEIC photos",
        }
    }

    /// The type the cleaned file is sent as.
    fn mime(self, name: &str) -> &'static str {
        match self {
            Document::Pdf => "application/pdf",
            Document::Office => mime_of(name),
            Document::Heic => "image/heic",
        }
    }

    /// The cleaned bytes and what was removed, or why it could not be cleaned.
    fn clean(self, bytes: &[u8]) -> Result<(Vec<u8>, image_privacy::Findings), String> {
        match self {
            Document::Pdf => image_privacy::clean_pdf(bytes)
                .map(|c| (c.bytes, c.findings))
                .map_err(|e| {
                    let why = match e {
                        image_privacy::ImageError::Encrypted => e.to_string(),
                        _ => "this PDF could not be read (it is damaged or cut off)".to_owned(),
                    };
                    format!("{why}; add --keep-metadata to send it as it is")
                }),
            Document::Office => image_privacy::clean_office(bytes)
                .map(|c| (c.bytes, c.findings))
                .map_err(|e| e.to_string()),
            Document::Heic => image_privacy::clean_heif(bytes)
                .map(|c| (c.bytes, c.findings))
                .map_err(|e| e.to_string()),
        }
    }
}

/// Whether a file is a Word, Excel or PowerPoint document: by its name, then its content.
fn is_office(name: &str, head: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    head.starts_with(b"PK\x03\x04")
        && [".docx", ".xlsx", ".pptx", ".docm", ".xlsm", ".pptm"]
            .iter()
            .any(|ext| lower.ends_with(ext))
}

/// The type of a file by its name's extension (only what a browser previews or names).
fn mime_of(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain",
        Some("heic") => "image/heic",
        Some("zip") => "application/zip",
        Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("pptx") => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ => "application/octet-stream",
    }
}

/// The sealed length of the files' data, end to end.
pub fn data_len(files: &[Outgoing]) -> u64 {
    files.iter().map(|f| sealed_len(f.entry.size())).sum()
}

/// The files' sealed streams end to end, produced as they are read.
struct Sealed<'a> {
    files: std::slice::Iter<'a, Outgoing>,
    current: Option<(Box<dyn Read + 'a>, StreamSealer)>,
    buffer: Vec<u8>,
    at: usize,
}

impl<'a> Sealed<'a> {
    fn new(files: &'a [Outgoing]) -> Self {
        Self {
            files: files.iter(),
            current: None,
            buffer: Vec::new(),
            at: 0,
        }
    }

    /// Seals the next chunk into the buffer; false at the end of the last file.
    fn refill(&mut self) -> std::io::Result<bool> {
        loop {
            if let Some((input, sealer)) = &mut self.current {
                if let Some(place) = sealer.next_place() {
                    let mut chunk = zeroize::Zeroizing::new(vec![0u8; place.plain_len]);
                    input.read_exact(&mut chunk)?;
                    self.buffer = sealer.seal_chunk(&chunk).map_err(std::io::Error::other)?;
                    self.at = 0;
                    return Ok(true);
                }
                self.current = None;
            }
            let Some(file) = self.files.next() else {
                return Ok(false);
            };
            let input: Box<dyn Read> = match &file.source {
                Source::Path(path) => Box::new(File::open(path)?),
                Source::Bytes(bytes) => Box::new(bytes.as_slice()),
            };
            let sealer = StreamSealer::new(file.entry.key(), file.entry.size())
                .map_err(std::io::Error::other)?;
            self.current = Some((input, sealer));
        }
    }
}

impl Read for Sealed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.buffer.len() && !self.refill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.buffer.len() - self.at);
        buf[..n].copy_from_slice(&self.buffer[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Uploads the files' data for secret `id` in parts; returns the upload token for the create.
pub fn upload(
    api: &Api,
    limits: &FileLimits,
    id: &SecretId,
    files: &[Outgoing],
) -> Result<String, CliError> {
    if files.len() > limits.max_files as usize {
        return Err(CliError::Input(format!(
            "{} files; this server takes at most {} in one secret",
            files.len(),
            limits.max_files
        )));
    }
    let length = data_len(files);
    if length > limits.max_bytes {
        return Err(CliError::Input(format!(
            "the files come to {length} bytes encrypted; this server takes at most {}",
            limits.max_bytes
        )));
    }
    let begun = api.begin_upload(id, length)?;
    let part_size = usize::try_from(begun.part_size)
        .map_err(|_| CliError::Server("the server's part size is too large".into()))?;
    let progress = Progress::for_stderr();
    let mut sealed = progress.reader(Sealed::new(files), length, "uploading");
    let mut part = vec![0u8; part_size];
    for n in 0..begun.parts {
        let len = read_up_to(&mut sealed, &mut part)
            .map_err(|e| CliError::Input(format!("cannot read a file to send: {e}")))?;
        let body = &part[..len];
        let mut tries = 0;
        loop {
            tries += 1;
            match api.put_part(id, n, &begun.upload_token, body) {
                Ok(()) => break,
                Err(e) if e.is_transient() && tries < TRIES => {
                    note("the connection dropped; sending that part again");
                    std::thread::sleep(Duration::from_secs(u64::from(tries)));
                }
                Err(e) => {
                    progress.finish();
                    // Nothing half-done stays on the server.
                    let _ = api.abort_upload(id, &begun.upload_token);
                    return Err(e);
                }
            }
        }
    }
    progress.finish();
    Ok(begun.upload_token)
}

/// The proofs a download presents.
pub struct Held<'a> {
    /// The access proof, base64url.
    pub access: &'a str,
    /// The view's claim, base64url.
    pub claim: &'a str,
}

/// Downloads and decrypts every file into `dir`, each under its safe name (never replacing
/// an existing file). A file that does not decrypt whole is removed again.
pub fn download(
    api: &Api,
    alias: &str,
    held: &Held<'_>,
    files: &[FileEntry],
    dir: &Path,
) -> Result<Vec<PathBuf>, CliError> {
    let offsets = stream_offsets(files);
    let progress = Progress::for_stderr();
    let mut saved = Vec::with_capacity(files.len());
    for (i, file) in files.iter().enumerate() {
        let (path, out) = new_file(dir, &file.safe_name())?;
        let result = written_aside(out, &path, |aside| {
            download_one(api, alias, held, file, offsets[i], aside, &progress)
        });
        if let Err(e) = result {
            // Ours (made new above), and not authentic: it goes.
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        saved.push(path);
    }
    Ok(saved)
}

/// Plaintext on its way to the thread that writes it: each chunk is opened in a buffer that
/// the writer gives back once written, so a download allocates and wipes a few buffers, not
/// one per chunk.
struct Aside {
    chunks: SyncSender<(Zeroizing<Vec<u8>>, usize)>,
    returned: Receiver<Zeroizing<Vec<u8>>>,
}

impl Aside {
    /// A buffer for the next sealed chunk: one given back, or a new one.
    fn buffer(&self) -> Zeroizing<Vec<u8>> {
        self.returned
            .try_recv()
            .unwrap_or_else(|_| Zeroizing::new(vec![0; SEALED_CHUNK_LEN]))
    }

    /// Hands the first `len` bytes of `buffer` to the writer. `Err` when it stopped (its
    /// own error says why).
    fn write(&self, buffer: Zeroizing<Vec<u8>>, len: usize) -> Result<(), ()> {
        self.chunks.send((buffer, len)).map_err(drop)
    }
}

/// Runs `fetch` with an [`Aside`] whose thread writes to `out` (at `path`), so decrypting
/// and writing go on side by side. The writer's error wins when a failed write is what
/// stopped the fetch.
fn written_aside(
    mut out: File,
    path: &Path,
    fetch: impl FnOnce(&Aside) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let io = |e: std::io::Error| CliError::Io(format!("cannot write {}: {e}", path.display()));
    std::thread::scope(|scope| {
        let (chunks, to_write) = std::sync::mpsc::sync_channel(WRITES_QUEUED);
        let (give_back, returned) = std::sync::mpsc::channel();
        let writer = scope.spawn(move || -> std::io::Result<()> {
            for (buffer, len) in to_write {
                let buffer: Zeroizing<Vec<u8>> = buffer;
                out.write_all(&buffer[..len])?;
                // Wiped when the download is over and the buffer dropped.
                let _ = give_back.send(buffer);
            }
            out.flush()
        });
        let aside = Aside { chunks, returned };
        let fetched = fetch(&aside);
        drop(aside);
        let written = match writer.join() {
            Ok(written) => written.map_err(io),
            Err(_) => Err(CliError::Io(format!("cannot write {}", path.display()))),
        };
        match (fetched, written) {
            (_, Err(e)) => Err(e),
            (fetched, Ok(())) => fetched,
        }
    })
}

/// Chunks decrypted ahead of the writer (64 KiB each).
const WRITES_QUEUED: usize = 16;

/// One file: fetched from `start` of the data, decrypted chunk by chunk in place and handed
/// to `aside`; after a dropped connection, fetched again from the chunk it stopped at.
fn download_one(
    api: &Api,
    alias: &str,
    held: &Held<'_>,
    file: &FileEntry,
    start: u64,
    aside: &Aside,
    progress: &Progress,
) -> Result<(), CliError> {
    let mut opener = StreamOpener::new(file.key(), file.size()).map_err(damaged)?;
    let end = start + sealed_len(file.size());
    let mut tries = 0;
    while let Some(place) = opener.next_place() {
        let from = start + place.index * SEALED_CHUNK_LEN as u64;
        let mut body = match api.download(alias, held.access, held.claim, from..end) {
            Ok(body) => progress.reader(body, end - from, "downloading"),
            Err(e) if e.is_transient() && tries + 1 < TRIES => {
                tries += 1;
                std::thread::sleep(Duration::from_secs(u64::from(tries)));
                continue;
            }
            Err(e) => return Err(e),
        };
        // Chunk by chunk until this response ends or the file is whole.
        while let Some(place) = opener.next_place() {
            let want = place.sealed_len();
            let mut chunk = aside.buffer();
            match read_up_to(&mut body, &mut chunk[..want]) {
                Ok(n) if n == want => {
                    let len = opener
                        .open_chunk_in_place(&mut chunk[..want])
                        .map_err(damaged)?;
                    // A writer that stopped has its own error, which wins.
                    if aside.write(chunk, len).is_err() {
                        return Err(CliError::Io("the file could not be written".into()));
                    }
                }
                // Cut off mid-file: ask again from this chunk.
                _ if tries + 1 < TRIES => {
                    tries += 1;
                    note("the download was cut off; resuming");
                    break;
                }
                _ => {
                    return Err(CliError::Server(
                        "the download was cut off too often; try again within the claim window"
                            .into(),
                    ));
                }
            }
        }
        progress.finish();
    }
    opener.finish().map_err(damaged)
}

fn damaged(_: crypto_core::Error) -> CliError {
    CliError::Damaged("a file's data is damaged or was altered: it cannot be decrypted".into())
}

/// A new private file `name` in `dir`, or `name (2)`, `name (3)`… when taken: made with
/// `create_new`, so nothing that exists (a file, a link) is ever opened or replaced.
fn new_file(dir: &Path, name: &str) -> Result<(PathBuf, File), CliError> {
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, format!(".{ext}")),
        _ => (name, String::new()),
    };
    for n in 1..1000 {
        let candidate = if n == 1 {
            dir.join(name)
        } else {
            dir.join(format!("{stem} ({n}){ext}"))
        };
        match crate::files::create_new(&candidate) {
            Ok(file) => return Ok((candidate, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(CliError::Io(format!(
                    "cannot write {}: {e}",
                    candidate.display()
                )));
            }
        }
    }
    Err(CliError::Io(format!(
        "no free name for {} in {}",
        escape_controls(name),
        dir.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_files_are_the_streams_end_to_end() {
        let key = |b| FileKey::from_bytes([b; 32]);
        let a = vec![1u8; 70_000];
        let files = vec![
            Outgoing {
                source: Source::Bytes(a.clone().into()),
                entry: FileEntry::new("a", "x/y", 70_000, key(1)).unwrap(),
            },
            Outgoing {
                source: Source::Bytes(Vec::new().into()),
                entry: FileEntry::new("b", "x/y", 0, key(2)).unwrap(),
            },
        ];
        let mut all = Vec::new();
        Sealed::new(&files).read_to_end(&mut all).unwrap();
        let mut expected = Vec::new();
        crypto_core::stream::seal_stream(&key(1), 70_000, a.as_slice(), &mut expected).unwrap();
        crypto_core::stream::seal_stream(&key(2), 0, &[][..], &mut expected).unwrap();
        assert_eq!(all, expected);
        assert_eq!(all.len() as u64, data_len(&files));
    }

    #[test]
    fn names_are_never_reused() {
        let dir = std::env::temp_dir().join(format!("oncelink-free-name-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("scan.pdf"), b"kept").unwrap();
        assert_eq!(
            new_file(&dir, "scan.pdf").unwrap().0,
            dir.join("scan (2).pdf")
        );
        assert_eq!(
            new_file(&dir, "scan.pdf").unwrap().0,
            dir.join("scan (3).pdf")
        );
        assert_eq!(new_file(&dir, "other").unwrap().0, dir.join("other"));
        assert_eq!(std::fs::read(dir.join("scan.pdf")).unwrap(), b"kept");
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(mime_of("A.PDF"), "application/pdf");
        assert_eq!(mime_of("noext"), "application/octet-stream");
    }
}
