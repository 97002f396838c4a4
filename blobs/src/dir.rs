//! The directory backend: uploads write their parts in place into one sparse file, which
//! becomes the blob by a rename once every part is there.
//!
//! ```text
//! {root}/uploads/{id}/upload.json   what the upload is (length, part size, token verifier)
//! {root}/uploads/{id}/data          the blob being written, at its final length from the start
//! {root}/uploads/{id}/parts/{n}     an empty marker per part written whole
//! {root}/blobs/{id}                 finished blobs
//! ```

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _, AsyncWriteExt as _};

use crate::{BlobError, BlobReader, Listed, PartBody, SecretId, Upload};

/// Blobs in a local directory (one server; several servers share data only through object
/// storage).
#[derive(Clone, Debug)]
pub struct DirBlobs {
    root: Arc<PathBuf>,
}

impl DirBlobs {
    /// Opens (and creates) the directory.
    pub async fn open(root: impl Into<PathBuf>) -> Result<Self, BlobError> {
        let root = root.into();
        tokio::fs::create_dir_all(root.join("uploads")).await?;
        tokio::fs::create_dir_all(root.join("blobs")).await?;
        Ok(Self {
            root: Arc::new(root),
        })
    }

    fn upload_dir(&self, id: &SecretId) -> PathBuf {
        self.root.join("uploads").join(id.as_str())
    }

    fn blob_path(&self, id: &SecretId) -> PathBuf {
        self.root.join("blobs").join(id.as_str())
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
        let data = tokio::fs::File::create(dir.join("data")).await?;
        data.set_len(upload.length).await?;
        let meta = serde_json::to_vec(upload).map_err(|e| BlobError::Unavailable(e.to_string()))?;
        // Written last: an upload without it is unfinished business for the sweep only.
        tokio::fs::write(dir.join("upload.json"), meta).await?;
        Ok(())
    }

    pub(crate) async fn upload(&self, id: &SecretId) -> Result<Option<Upload>, BlobError> {
        match tokio::fs::read(self.upload_dir(id).join("upload.json")).await {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| BlobError::Unavailable(e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn existing_upload(&self, id: &SecretId) -> Result<Upload, BlobError> {
        self.upload(id).await?.ok_or(BlobError::NotFound)
    }

    pub(crate) async fn received(&self, id: &SecretId) -> Result<Vec<u64>, BlobError> {
        let mut parts = Vec::new();
        let mut dir = tokio::fs::read_dir(self.upload_dir(id).join("parts")).await?;
        while let Some(entry) = dir.next_entry().await? {
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
        mut body: PartBody,
    ) -> Result<(), BlobError> {
        let upload = self.existing_upload(id).await?;
        let range = upload
            .part_range(n)
            .ok_or(BlobError::BadPart("there is no such part"))?;
        let dir = self.upload_dir(id);
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .open(dir.join("data"))
            .await?;
        file.seek(std::io::SeekFrom::Start(range.start)).await?;
        let expected = range.end - range.start;
        let mut written = 0u64;
        while let Some(chunk) = next(&mut body).await {
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
        file.flush().await?;
        tokio::fs::write(dir.join("parts").join(n.to_string()), b"").await?;
        Ok(())
    }

    pub(crate) async fn finish(&self, id: &SecretId) -> Result<u64, BlobError> {
        let upload = self.existing_upload(id).await?;
        let received = self.received(id).await?.len() as u64;
        let expected = upload.part_count();
        if received < expected {
            return Err(BlobError::Incomplete { received, expected });
        }
        let dir = self.upload_dir(id);
        tokio::fs::rename(dir.join("data"), self.blob_path(id)).await?;
        tokio::fs::remove_dir_all(&dir).await?;
        Ok(upload.length)
    }

    pub(crate) async fn abort(&self, id: &SecretId) -> Result<(), BlobError> {
        ignore_missing(tokio::fs::remove_dir_all(self.upload_dir(id)).await)
    }

    pub(crate) async fn len(&self, id: &SecretId) -> Result<Option<u64>, BlobError> {
        match tokio::fs::metadata(self.blob_path(id)).await {
            Ok(meta) => Ok(Some(meta.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) async fn read(
        &self,
        id: &SecretId,
        range: Range<u64>,
    ) -> Result<BlobReader, BlobError> {
        let mut file = tokio::fs::File::open(self.blob_path(id)).await?;
        let len = file.metadata().await?.len();
        if range.start > range.end || range.end > len {
            return Err(BlobError::BadRange);
        }
        file.seek(std::io::SeekFrom::Start(range.start)).await?;
        Ok(Box::pin(file.take(range.end - range.start)))
    }

    pub(crate) async fn delete(&self, id: &SecretId) -> Result<(), BlobError> {
        ignore_missing(tokio::fs::remove_file(self.blob_path(id)).await)
    }

    pub(crate) async fn list_blobs(&self) -> Result<Vec<Listed>, BlobError> {
        list(&self.root.join("blobs")).await
    }

    pub(crate) async fn list_uploads(&self) -> Result<Vec<Listed>, BlobError> {
        list(&self.root.join("uploads")).await
    }
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
        out.push(Listed {
            id,
            modified: meta.modified()?,
        });
    }
    Ok(out)
}
