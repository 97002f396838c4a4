//! The directory backend: each part is a file, written under a temporary name and renamed
//! into place only once whole (so a part sent again and cut off never spoils the one already
//! there); the upload's directory becomes the blob by one rename when every part is in.
//!
//! ```text
//! {root}/uploads/{id}/upload.json     what the upload is (length, part size, token verifier)
//! {root}/uploads/{id}/parts/{n}       part n, whole
//! {root}/uploads/{id}/parts/{n}.{r}   part n being written (r: random)
//! {root}/blobs/{id}/…                 a finished blob: the same directory, renamed
//! ```

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _, AsyncWriteExt as _};

use crate::{BlobError, BlobReader, Listed, PartBody, SecretId, Upload};

/// Blobs in a local directory: one server, or several that share the directory (a network
/// file system); object storage is the backend for scale.
#[derive(Clone, Debug)]
pub struct DirBlobs {
    root: Arc<PathBuf>,
}

impl DirBlobs {
    /// Opens (and creates) the directory; a new one is readable by this user only.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, BlobError> {
        let root = root.into();
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(root.join("uploads"))?;
        builder.create(root.join("blobs"))?;
        Ok(Self {
            root: Arc::new(root),
        })
    }

    // Ids are named in lowercase, so two spellings of one UUID are one name on any file system.
    fn upload_dir(&self, id: &SecretId) -> PathBuf {
        self.root
            .join("uploads")
            .join(id.as_str().to_ascii_lowercase())
    }

    fn blob_path(&self, id: &SecretId) -> PathBuf {
        self.root
            .join("blobs")
            .join(id.as_str().to_ascii_lowercase())
    }

    pub(crate) async fn begin(&self, id: &SecretId, upload: &Upload) -> Result<(), BlobError> {
        if exists(&self.blob_path(id)).await? {
            return Err(BlobError::Exists);
        }
        let dir = self.upload_dir(id);
        // Creating the directory is the atomic step: a second begin fails here.
        match tokio::fs::create_dir(&dir).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(BlobError::Exists);
            }
            Err(e) => return Err(e.into()),
        }
        tokio::fs::create_dir(dir.join("parts")).await?;
        let meta = serde_json::to_vec(upload).map_err(|e| BlobError::Unavailable(e.to_string()))?;
        // Written last: an upload without it is unfinished business for the sweep only.
        tokio::fs::write(dir.join("upload.json"), meta).await?;
        Ok(())
    }

    pub(crate) async fn upload(&self, id: &SecretId) -> Result<Option<Upload>, BlobError> {
        read_upload(&self.upload_dir(id)).await
    }

    async fn existing_upload(&self, id: &SecretId) -> Result<Upload, BlobError> {
        self.upload(id).await?.ok_or(BlobError::NotFound)
    }

    pub(crate) async fn received(&self, id: &SecretId) -> Result<Vec<u64>, BlobError> {
        let mut parts = Vec::new();
        let mut dir = tokio::fs::read_dir(self.upload_dir(id).join("parts")).await?;
        while let Some(entry) = dir.next_entry().await? {
            // Whole parts only: `{n}`, not `{n}.{r}`.
            if let Some(n) = entry.file_name().to_str().and_then(|s| s.parse().ok()) {
                parts.push(n);
            }
        }
        parts.sort_unstable();
        Ok(parts)
    }

    pub(crate) async fn put_part(
        &self,
        id: &SecretId,
        n: u64,
        body: &mut PartBody,
    ) -> Result<(), BlobError> {
        let upload = self.existing_upload(id).await?;
        let range = upload
            .part_range(n)
            .ok_or(BlobError::BadPart("there is no such part"))?;
        let parts = self.upload_dir(id).join("parts");
        let partial = parts.join(format!("{n}.{}", random_suffix()?));
        let written = write_part(&partial, body, range.end - range.start).await;
        match written {
            Ok(()) => {
                tokio::fs::rename(&partial, parts.join(n.to_string())).await?;
                Ok(())
            }
            Err(e) => {
                let _ = tokio::fs::remove_file(&partial).await;
                Err(e)
            }
        }
    }

    pub(crate) async fn finish(&self, id: &SecretId) -> Result<u64, BlobError> {
        let upload = self.existing_upload(id).await?;
        let received = self.received(id).await?.len() as u64;
        let expected = upload.part_count();
        if received < expected {
            return Err(BlobError::Incomplete { received, expected });
        }
        tokio::fs::rename(self.upload_dir(id), self.blob_path(id)).await?;
        Ok(upload.length)
    }

    pub(crate) async fn abort(&self, id: &SecretId) -> Result<bool, BlobError> {
        // Moved aside first: of several aborts at once, exactly one finds it.
        let aside = self
            .root
            .join("uploads")
            .join(format!(".aborted-{}", random_suffix()?));
        match tokio::fs::rename(self.upload_dir(id), &aside).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        tokio::fs::remove_dir_all(&aside).await?;
        Ok(true)
    }

    pub(crate) async fn finished(&self, id: &SecretId) -> Result<Option<Upload>, BlobError> {
        read_upload(&self.blob_path(id)).await
    }

    pub(crate) async fn len(&self, id: &SecretId) -> Result<Option<u64>, BlobError> {
        Ok(read_upload(&self.blob_path(id)).await?.map(|u| u.length))
    }

    pub(crate) async fn read(
        &self,
        id: &SecretId,
        range: Range<u64>,
    ) -> Result<BlobReader, BlobError> {
        let dir = self.blob_path(id);
        let upload = read_upload(&dir).await?.ok_or(BlobError::NotFound)?;
        if range.start > range.end || range.end > upload.length {
            return Err(BlobError::BadRange);
        }
        // The parts the range touches, each with its share, opened one at a time as reached.
        let first = range.start / upload.part_size.max(1);
        let shares: Vec<(PathBuf, u64, u64)> = (first..upload.part_count())
            .filter_map(|n| Some((n, upload.part_range(n)?)))
            .take_while(|(n, part)| part.start < range.end || *n == first)
            .map(|(n, part)| {
                let start = range.start.max(part.start) - part.start;
                let end = range.end.min(part.end) - part.start;
                (
                    dir.join("parts").join(n.to_string()),
                    start,
                    end.saturating_sub(start),
                )
            })
            .collect();
        Ok(Box::pin(read_shares(shares)))
    }

    pub(crate) async fn delete(&self, id: &SecretId) -> Result<(), BlobError> {
        ignore_missing(tokio::fs::remove_dir_all(self.blob_path(id)).await)
    }

    pub(crate) async fn list_blobs(&self) -> Result<Vec<Listed>, BlobError> {
        list(&self.root.join("blobs")).await
    }

    pub(crate) async fn list_uploads(&self) -> Result<Vec<Listed>, BlobError> {
        // Aborts cut short by a crash left their upload moved aside: finish them here.
        let mut entries = tokio::fs::read_dir(self.root.join("uploads")).await?;
        while let Some(entry) = entries.next_entry().await? {
            if entry.file_name().to_string_lossy().starts_with(".aborted-") {
                let _ = tokio::fs::remove_dir_all(entry.path()).await;
            }
        }
        list(&self.root.join("uploads")).await
    }
}

/// Writes a part's body to `path`, which must come to exactly `expected` bytes.
async fn write_part(path: &Path, body: &mut PartBody, expected: u64) -> Result<(), BlobError> {
    let mut file = tokio::fs::File::create(path).await?;
    let mut written = 0u64;
    while let Some(chunk) = next(body).await {
        let chunk = chunk.map_err(|e| BlobError::Unavailable(e.to_string()))?;
        written += chunk.len() as u64;
        if written > expected {
            return Err(BlobError::BadPart("the body is longer than the part"));
        }
        file.write_all(&chunk).await?;
    }
    if written != expected {
        return Err(BlobError::BadPart("the body is shorter than the part"));
    }
    // On disk before it counts as received: a crash after the answer loses nothing.
    file.sync_all().await?;
    Ok(())
}

/// The upload description in `dir` (an upload's or a finished blob's), if there is one.
async fn read_upload(dir: &Path) -> Result<Option<Upload>, BlobError> {
    match tokio::fs::read(dir.join("upload.json")).await {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| BlobError::Unavailable(e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// A name for a part being written that no other writer of the same part uses.
fn random_suffix() -> Result<String, BlobError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| BlobError::Unavailable(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Reads `len` bytes from `offset` of each file in turn, 64 KiB at a time.
fn read_shares(
    shares: Vec<(PathBuf, u64, u64)>,
) -> impl futures_core::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    struct State {
        shares: std::vec::IntoIter<(PathBuf, u64, u64)>,
        current: Option<tokio::io::Take<tokio::fs::File>>,
    }
    let state = State {
        shares: shares.into_iter(),
        current: None,
    };
    futures_util::stream::try_unfold(state, |mut state| async move {
        loop {
            if let Some(file) = state.current.as_mut() {
                let mut buf = vec![0u8; 64 * 1024];
                let n = file.read(&mut buf).await?;
                if n > 0 {
                    buf.truncate(n);
                    return Ok(Some((Bytes::from(buf), state)));
                }
                state.current = None;
            }
            let Some((path, offset, len)) = state.shares.next() else {
                return Ok(None);
            };
            let mut file = tokio::fs::File::open(path).await?;
            file.seek(std::io::SeekFrom::Start(offset)).await?;
            state.current = Some(file.take(len));
        }
    })
}

async fn next(body: &mut PartBody) -> Option<Result<Bytes, std::io::Error>> {
    std::future::poll_fn(|cx| body.as_mut().poll_next(cx)).await
}

async fn exists(path: &Path) -> Result<bool, BlobError> {
    Ok(tokio::fs::try_exists(path).await?)
}

fn ignore_missing(result: std::io::Result<()>) -> Result<(), BlobError> {
    match result {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

/// Entries named by a secret id; anything else in the directory is left alone.
async fn list(dir: &Path) -> Result<Vec<Listed>, BlobError> {
    let mut out = Vec::new();
    let mut entries = tokio::fs::read_dir(dir).await?;
    while let Some(entry) = entries.next_entry().await? {
        let Some(id) = entry
            .file_name()
            .to_str()
            .and_then(|s| SecretId::parse(s).ok())
        else {
            continue;
        };
        // Gone between listing and looking: nothing to sweep.
        let Ok(meta) = entry.metadata().await else {
            continue;
        };
        let length = read_upload(&entry.path())
            .await
            .ok()
            .flatten()
            .map_or(0, |u| u.length);
        out.push(Listed {
            id,
            modified: meta.modified()?,
            length,
        });
    }
    Ok(out)
}
