//! Where oncelink keeps the encrypted data of a secret's files.
//!
//! The record of a secret (its payload with the sealed file manifest, counters and
//! verifiers) stays in the `store`; the file data — one blob per secret, the files'
//! sealed streams end to end (`docs/protocol.md`, Files) — lives here, named by the
//! secret's id. A blob is written as an **upload in parts** of a fixed size, each part
//! written as it arrives (never held whole), any order, again after a lost reply; it
//! becomes the secret's blob only when every part is there ([`Blobs::finish`]).
//!
//! Two backends: a local directory ([`DirBlobs`]) and S3-compatible object storage
//! ([`S3Blobs`]), held to one contract (`tests/contract.rs`).
//!
//! Like the store, this sees only ciphertext and ids: never keys, names or plaintext. It
//! is storage only: who may write or read (upload tokens, claims) is the service's rule.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod dir;
mod s3;

use std::ops::Range;
use std::time::SystemTime;

use bytes::Bytes;
pub use crypto_core::{SecretId, Verifier};
pub use dir::DirBlobs;
pub use s3::{S3Blobs, S3Options};
use serde::{Deserialize, Serialize};

/// What the server knows of an upload in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    /// Total bytes of the blob.
    pub length: u64,
    /// Bytes in every part but the last.
    pub part_size: u64,
    /// SHA-256 of the upload token (hex): the service checks every part against it.
    pub token_verifier: String,
    /// When the upload began (Unix seconds); abandoned uploads are swept after a while.
    pub started: u64,
}

impl Upload {
    /// How many parts the blob has (at least 1; an empty blob is one empty part).
    pub fn part_count(&self) -> u64 {
        self.length.div_ceil(self.part_size).max(1)
    }

    /// The byte range part `n` covers, or `None` if there is no such part.
    pub fn part_range(&self, n: u64) -> Option<Range<u64>> {
        if n >= self.part_count() {
            return None;
        }
        let start = n * self.part_size;
        Some(start..(start + self.part_size).min(self.length))
    }
}

/// Failures of the blob store. Messages carry no ids.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlobError {
    /// An upload or a blob with this id already exists.
    #[error("an upload for this secret already exists")]
    Exists,
    /// No such upload or blob (never made, finished, aborted, swept, or deleted).
    #[error("no such upload or data")]
    NotFound,
    /// The part number is beyond the upload, or its body is not the part's length.
    #[error("the part does not fit the upload: {0}")]
    BadPart(&'static str),
    /// `finish` before every part arrived.
    #[error("the upload is not complete ({received} of {expected} parts)")]
    Incomplete {
        /// Parts received.
        received: u64,
        /// Parts expected.
        expected: u64,
    },
    /// A byte range outside the blob.
    #[error("the range is outside the data")]
    BadRange,
    /// The backend failed; the detail is for logs only.
    #[error("the blob store is unavailable: {0}")]
    Unavailable(String),
}

impl From<std::io::Error> for BlobError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::NotFound {
            BlobError::NotFound
        } else {
            BlobError::Unavailable(e.to_string())
        }
    }
}

/// A part's body as it arrives: chunks of bytes, or the error that cut it off.
pub type PartBody =
    std::pin::Pin<Box<dyn futures_core::Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// A blob's bytes as they are read, a chunk at a time (parts are opened as they are reached).
pub type BlobReader =
    std::pin::Pin<Box<dyn futures_core::Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// Something stored, as a sweep sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The secret it belongs to.
    pub id: SecretId,
    /// When it was last written.
    pub modified: SystemTime,
    /// Its length (an upload's whole length, however much has arrived).
    pub length: u64,
}

/// The blob store, with its backend chosen by configuration.
#[derive(Clone)]
pub enum Blobs {
    /// A local directory: the zero-setup default, for one server.
    Dir(DirBlobs),
    /// An S3-compatible bucket, which several servers can share.
    S3(S3Blobs),
}

impl Blobs {
    /// Which backend this is, for logs: `directory` or `object storage`.
    pub fn backend(&self) -> &'static str {
        match self {
            Blobs::Dir(_) => "directory",
            Blobs::S3(_) => "object storage",
        }
    }

    /// Starts an upload for secret `id`; [`BlobError::Exists`] if one is under way or done.
    pub async fn begin(&self, id: &SecretId, upload: &Upload) -> Result<(), BlobError> {
        match self {
            Blobs::Dir(d) => d.begin(id, upload).await,
            Blobs::S3(s) => s.begin(id, upload).await,
        }
    }

    /// The upload under way for `id`, if any.
    pub async fn upload(&self, id: &SecretId) -> Result<Option<Upload>, BlobError> {
        match self {
            Blobs::Dir(d) => d.upload(id).await,
            Blobs::S3(s) => s.upload(id).await,
        }
    }

    /// The parts of `id`'s upload received so far, in order.
    pub async fn received(&self, id: &SecretId) -> Result<Vec<u64>, BlobError> {
        match self {
            Blobs::Dir(d) => d.received(id).await,
            Blobs::S3(s) => s.received(id).await,
        }
    }

    /// Writes part `n` of `id`'s upload as its body arrives. The body must be exactly the
    /// part's length; a part written again replaces itself (a retry after a lost reply).
    pub async fn put_part(
        &self,
        id: &SecretId,
        n: u64,
        body: &mut PartBody,
    ) -> Result<(), BlobError> {
        match self {
            Blobs::Dir(d) => d.put_part(id, n, body).await,
            Blobs::S3(s) => s.put_part(id, n, body).await,
        }
    }

    /// Makes the complete upload `id`'s blob and returns its length.
    pub async fn finish(&self, id: &SecretId) -> Result<u64, BlobError> {
        match self {
            Blobs::Dir(d) => d.finish(id).await,
            Blobs::S3(s) => s.finish(id).await,
        }
    }

    /// Throws an upload away with everything written so far; false if there was none (or
    /// another abort got it first).
    pub async fn abort(&self, id: &SecretId) -> Result<bool, BlobError> {
        match self {
            Blobs::Dir(d) => d.abort(id).await,
            Blobs::S3(s) => s.abort(id).await,
        }
    }

    /// The description of the upload `id`'s blob was made from (its token's verifier
    /// included), or `None` if it has no blob.
    pub async fn finished(&self, id: &SecretId) -> Result<Option<Upload>, BlobError> {
        match self {
            Blobs::Dir(d) => d.finished(id).await,
            Blobs::S3(s) => s.finished(id).await,
        }
    }

    /// The length of `id`'s blob, or `None` if it has none.
    pub async fn len(&self, id: &SecretId) -> Result<Option<u64>, BlobError> {
        match self {
            Blobs::Dir(d) => d.len(id).await,
            Blobs::S3(s) => s.len(id).await,
        }
    }

    /// Reads `range` of `id`'s blob.
    pub async fn read(&self, id: &SecretId, range: Range<u64>) -> Result<BlobReader, BlobError> {
        match self {
            Blobs::Dir(d) => d.read(id, range).await,
            Blobs::S3(s) => s.read(id, range).await,
        }
    }

    /// Deletes `id`'s blob (nothing if there is none).
    pub async fn delete(&self, id: &SecretId) -> Result<(), BlobError> {
        match self {
            Blobs::Dir(d) => d.delete(id).await,
            Blobs::S3(s) => s.delete(id).await,
        }
    }

    /// Every blob, for the sweep.
    pub async fn list_blobs(&self) -> Result<Vec<Listed>, BlobError> {
        match self {
            Blobs::Dir(d) => d.list_blobs().await,
            Blobs::S3(s) => s.list_blobs().await,
        }
    }

    /// Every upload under way, for the sweep.
    pub async fn list_uploads(&self) -> Result<Vec<Listed>, BlobError> {
        match self {
            Blobs::Dir(d) => d.list_uploads().await,
            Blobs::S3(s) => s.list_uploads().await,
        }
    }
}
