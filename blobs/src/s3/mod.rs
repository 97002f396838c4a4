//! The object-storage backend: any S3-compatible store (AWS S3, MinIO, Garage, Cloudflare R2…).
//!
//! One S3 **multipart upload** per secret, begun with the upload and completed into the
//! secret's blob by [`finish`](crate::Blobs::finish); the upload's description and each
//! received part's ETag are small objects beside it, so `received`, a resumed upload and a
//! part sent again work as with the directory (layout in `keys.rs`). Reads are ranged GETs,
//! streamed as they arrive.
//!
//! **Memory.** S3 wants a part's length before its body, and a part is refused unless it is
//! exactly its length, so each part is buffered whole before it is sent: memory is the part
//! size times the parts in flight, which the server's upload gate bounds
//! (`--max-concurrent-uploads`, 8 × 8 MiB by default). Every part but the last must be at
//! least 5 MiB ([`S3Blobs::MIN_PART_SIZE`]) and an upload has at most 10,000 parts.
//!
//! **Who takes an upload.** `finish` and `abort` each first write the upload's `outcome`
//! object; whoever writes it first wins, the other finds it taken (a finish then answers
//! `NotFound`, an abort `false`). Where the store honours conditional writes
//! (`If-None-Match: *`: AWS S3, MinIO, R2), that write is `PutMode::Create` and exactly one
//! writer wins across any number of servers; `begin` writes `upload.json` the same way, so
//! two begins of one id cannot both succeed. Whether the store honours them is probed once
//! (an object written twice with `If-None-Match: *`). **Garage 2.5 ignores the header**, so
//! there each decision is a read then a write under this process's lock of the id: exact
//! within one server, but two servers sharing the bucket can both win. For begin, the later
//! upload replaces the earlier (whose client then gets `wrong_upload_token`). For a finish
//! racing an abort both calls can succeed; Garage merges an upload's `Aborted` over
//! `Complete`, so the blob the finish made may be gone and the secret's download answers 404
//! (forced on two handles, 60 races gave 2 double wins, one of them losing the blob). That
//! needs a client cancelling its own upload while its create runs on another server, or the
//! sweep of a day-old upload meeting its create.
//!
//! A finish that dies halfway leaves its outcome written: a finish sent again completes it,
//! and an abort that finds it completes it too (the sweep then deletes the blob if no
//! secret owns it), so nothing is stuck. Multipart uploads begun but never described
//! (a crash between the two requests) are invisible to listings: the bucket's lifecycle rule
//! `AbortIncompleteMultipartUpload` removes them (docs/api.md, Object storage).

mod error;
mod keys;
mod locks;

use std::ops::Range;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::{StreamExt as _, TryStreamExt as _};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::multipart::{MultipartStore as _, PartId};
use object_store::path::Path;
use object_store::{
    GetOptions, GetRange, ObjectStore as _, ObjectStoreExt as _, PutMode, PutPayload,
};
use serde::{Deserialize, Serialize};

use self::error::{blob_error, io_error, unavailable};
use self::keys::Keys;
use crate::{BlobError, BlobReader, Listed, PartBody, SecretId, Upload};

/// How many small objects are read or deleted at once (part ETags, upload descriptions).
const AT_ONCE: usize = 16;

/// Where the bucket is and how to sign in.
#[derive(Clone, Default)]
pub struct S3Options {
    /// The S3 endpoint (`http://127.0.0.1:3900`, `https://minio.example.org`); `None`: AWS S3
    /// for `region`.
    pub endpoint: Option<String>,
    /// The bucket (it must exist).
    pub bucket: String,
    /// The region requests are signed for (Garage: its `s3_region`).
    pub region: String,
    /// The access key id; `None` with no secret key: the instance's credentials (AWS).
    pub access_key_id: Option<String>,
    /// The secret access key (never logged).
    pub secret_access_key: Option<String>,
    /// Key prefix of everything this server stores, so a bucket can be shared.
    pub prefix: String,
    /// Allow a plain-HTTP endpoint (a store on the same host or private network).
    pub allow_http: bool,
    /// `https://{bucket}.{endpoint}/{key}` instead of `https://{endpoint}/{bucket}/{key}`.
    pub virtual_hosted_style: bool,
}

impl std::fmt::Debug for S3Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Options")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "***"),
            )
            .field("prefix", &self.prefix)
            .field("allow_http", &self.allow_http)
            .field("virtual_hosted_style", &self.virtual_hosted_style)
            .finish()
    }
}

/// Blobs in an S3-compatible bucket: any number of servers can share it.
#[derive(Clone)]
pub struct S3Blobs {
    inner: Arc<Inner>,
}

struct Inner {
    store: AmazonS3,
    keys: Keys,
    locks: locks::Locks,
    /// Whether the store honours `If-None-Match: *` on writes; learnt on first use.
    conditional: tokio::sync::OnceCell<bool>,
}

impl std::fmt::Debug for S3Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Blobs")
            .field("keys", &self.inner.keys)
            .finish_non_exhaustive()
    }
}

/// An upload as `upload.json` holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Begun {
    #[serde(flatten)]
    upload: Upload,
    /// The S3 multipart upload's id; `None` for an empty blob, which is one plain (empty)
    /// object: S3 stores refuse an empty part (Garage: "Empty body").
    multipart: Option<String>,
    /// This attempt's tag (random): the folder of its part ETags and outcome.
    tag: String,
}

/// Who took an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Finish,
    Abort,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Finish => "finish",
            Outcome::Abort => "abort",
        }
    }
}

/// What writing an outcome found.
enum Claim {
    /// This caller's outcome is the upload's.
    Won,
    /// Another caller's outcome was there first.
    Taken(Outcome),
    /// The upload was cleared away in between.
    Gone,
}

impl S3Blobs {
    /// The smallest part S3 takes (every part but the last).
    pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
    /// The most parts one S3 multipart upload may have.
    pub const MAX_PARTS: u64 = 10_000;

    /// A client for the bucket; nothing is sent until the first operation.
    pub fn open(options: S3Options) -> Result<Self, BlobError> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&options.bucket)
            .with_region(&options.region)
            .with_allow_http(options.allow_http)
            .with_virtual_hosted_style_request(options.virtual_hosted_style);
        if let Some(endpoint) = &options.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        match (&options.access_key_id, &options.secret_access_key) {
            (Some(id), Some(secret)) => {
                builder = builder
                    .with_access_key_id(id)
                    .with_secret_access_key(secret);
            }
            (None, None) => {}
            _ => {
                return Err(BlobError::Unavailable(
                    "object storage: give both the access key id and the secret access key, \
                     or neither"
                        .into(),
                ));
            }
        }
        let store = builder.build().map_err(|e| unavailable(&e))?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                keys: Keys::new(&options.prefix),
                locks: locks::Locks::default(),
                conditional: tokio::sync::OnceCell::new(),
            }),
        })
    }

    /// Whether the store honours conditional writes (`If-None-Match: *`), asked once: an
    /// object under `{prefix}/probe/` is written twice that way and deleted. This is also
    /// the first request, so it fails when the bucket cannot be reached.
    pub async fn conditional_writes(&self) -> Result<bool, BlobError> {
        self.inner
            .conditional
            .get_or_try_init(|| self.probe())
            .await
            .copied()
    }

    async fn probe(&self) -> Result<bool, BlobError> {
        let path = self.inner.keys.probe(&random_tag()?);
        let store = &self.inner.store;
        let create = || object_store::PutOptions::from(PutMode::Create);
        match store.put_opts(&path, "1".into(), create()).await {
            Ok(_) => {}
            // A store that refuses the header outright does not have them either.
            Err(object_store::Error::NotImplemented { .. })
            | Err(object_store::Error::NotSupported { .. }) => return Ok(false),
            Err(e) => return Err(blob_error(e)),
        }
        let honoured = match store.put_opts(&path, "2".into(), create()).await {
            Ok(_) => false,
            Err(object_store::Error::AlreadyExists { .. })
            | Err(object_store::Error::Precondition { .. }) => true,
            Err(e) => return Err(blob_error(e)),
        };
        if let Err(e) = store.delete(&path).await {
            tracing::warn!(target: "blobs", error = %blob_error(e), "probe object not deleted");
        }
        if !honoured {
            tracing::warn!(
                target: "blobs",
                "the object store ignores conditional writes: begin, finish and abort of one \
                 upload are decided per server (see the blobs crate's s3 module)"
            );
        }
        Ok(honoured)
    }

    pub(crate) async fn begin(&self, id: &SecretId, upload: &Upload) -> Result<(), BlobError> {
        let keys = &self.inner.keys;
        let _turn = self.inner.locks.lock(keys.upload_dir(id).as_ref()).await;
        for path in [keys.blob_meta(id), keys.blob(id), keys.upload(id)] {
            if self.exists(&path).await? {
                return Err(BlobError::Exists);
            }
        }
        let conditional = self.conditional_writes().await?;
        let blob = keys.blob(id);
        let multipart = match upload.length {
            0 => None,
            _ => Some(
                self.inner
                    .store
                    .create_multipart(&blob)
                    .await
                    .map_err(blob_error)?,
            ),
        };
        let begun = Begun {
            upload: upload.clone(),
            multipart,
            tag: random_tag()?,
        };
        let written = self.put(&keys.upload(id), json(&begun)?, conditional).await;
        if let Err(e) = written {
            // Lost to another begin (or the write failed): this multipart upload is nobody's.
            if let Some(multipart) = &begun.multipart {
                let _ = self.inner.store.abort_multipart(&blob, multipart).await;
            }
            return Err(e);
        }
        Ok(())
    }

    pub(crate) async fn upload(&self, id: &SecretId) -> Result<Option<Upload>, BlobError> {
        Ok(self.begun(id).await?.map(|b| b.upload))
    }

    pub(crate) async fn received(&self, id: &SecretId) -> Result<Vec<u64>, BlobError> {
        let begun = self.begun(id).await?.ok_or(BlobError::NotFound)?;
        self.part_numbers(id, &begun).await
    }

    pub(crate) async fn put_part(
        &self,
        id: &SecretId,
        n: u64,
        body: &mut PartBody,
    ) -> Result<(), BlobError> {
        let begun = self.begun(id).await?.ok_or(BlobError::NotFound)?;
        let range = begun
            .upload
            .part_range(n)
            .ok_or(BlobError::BadPart("there is no such part"))?;
        // Whole before anything is sent: a body cut short never replaces the part there.
        let payload = buffer(body, range.end - range.start).await?;
        let index = usize::try_from(n).map_err(|_| BlobError::BadPart("there is no such part"))?;
        let keys = &self.inner.keys;
        let etag = match &begun.multipart {
            Some(multipart) => {
                let part = self
                    .inner
                    .store
                    .put_part(&keys.blob(id), multipart, index, payload)
                    .await
                    .map_err(blob_error)?;
                part.content_id
            }
            // The one empty part of an empty blob: nothing to send.
            None => String::new(),
        };
        // Sent again, a part replaces itself in S3 and its ETag here (the same bytes give the
        // same ETag, so two copies of one part in flight agree).
        self.put(&keys.part(id, &begun.tag, n), etag.into_bytes(), false)
            .await
    }

    pub(crate) async fn finish(&self, id: &SecretId) -> Result<u64, BlobError> {
        let keys = &self.inner.keys;
        let _turn = self.inner.locks.lock(keys.upload_dir(id).as_ref()).await;
        let begun = self.begun(id).await?.ok_or(BlobError::NotFound)?;
        let etags = self.etags(id, &begun).await?;
        match self.claim(id, &begun, Outcome::Finish).await? {
            // A finish before this one died halfway or runs now: completing again is harmless.
            Claim::Won | Claim::Taken(Outcome::Finish) => {}
            Claim::Taken(Outcome::Abort) | Claim::Gone => return Err(BlobError::NotFound),
        }
        self.complete(id, &begun, etags).await?;
        Ok(begun.upload.length)
    }

    pub(crate) async fn abort(&self, id: &SecretId) -> Result<bool, BlobError> {
        let keys = &self.inner.keys;
        let _turn = self.inner.locks.lock(keys.upload_dir(id).as_ref()).await;
        let Some(begun) = self.begun(id).await? else {
            // What a crash or a late part left behind, if anything.
            self.clear(id).await?;
            return Ok(false);
        };
        match self.claim(id, &begun, Outcome::Abort).await? {
            Claim::Won => {}
            Claim::Taken(Outcome::Finish) => {
                // The finish owns it; if it died halfway, its work is done here so nothing
                // stays behind (a blob no secret owns is swept). Best effort: a failure here
                // must not fail the sweep that asked, and the next sweep tries again.
                let helped = match self.etags(id, &begun).await {
                    Ok(etags) => self.complete(id, &begun, etags).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = helped {
                    tracing::warn!(target: "blobs", error = %e, "a finished upload not completed");
                }
                return Ok(false);
            }
            Claim::Taken(Outcome::Abort) | Claim::Gone => {
                // Another abort removes it (or died doing so): help, but it is not ours.
                self.clear(id).await?;
                return Ok(false);
            }
        }
        if let Some(multipart) = &begun.multipart {
            let aborted = self
                .inner
                .store
                .abort_multipart(&keys.blob(id), multipart)
                .await;
            match aborted {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(blob_error(e)),
            }
        }
        self.clear(id).await?;
        Ok(true)
    }

    pub(crate) async fn finished(&self, id: &SecretId) -> Result<Option<Upload>, BlobError> {
        Ok(self
            .get_json(&self.inner.keys.blob_meta(id))
            .await?
            .map(|(upload, _)| upload))
    }

    pub(crate) async fn len(&self, id: &SecretId) -> Result<Option<u64>, BlobError> {
        Ok(self.finished(id).await?.map(|u| u.length))
    }

    pub(crate) async fn read(
        &self,
        id: &SecretId,
        range: Range<u64>,
    ) -> Result<BlobReader, BlobError> {
        let upload = self.finished(id).await?.ok_or(BlobError::NotFound)?;
        if range.start > range.end || range.end > upload.length {
            return Err(BlobError::BadRange);
        }
        if range.is_empty() {
            // S3 has no empty range; there is nothing to fetch.
            return Ok(Box::pin(futures_util::stream::empty::<
                Result<Bytes, std::io::Error>,
            >()));
        }
        let options = GetOptions {
            range: Some(GetRange::Bounded(range)),
            ..GetOptions::default()
        };
        let got = self
            .inner
            .store
            .get_opts(&self.inner.keys.blob(id), options)
            .await
            .map_err(blob_error)?;
        Ok(Box::pin(got.into_stream().map_err(io_error)))
    }

    pub(crate) async fn delete(&self, id: &SecretId) -> Result<(), BlobError> {
        let keys = &self.inner.keys;
        // The description first: without it the blob is gone for every reader at once.
        for path in [keys.blob_meta(id), keys.blob(id)] {
            self.remove(&path).await?;
        }
        Ok(())
    }

    pub(crate) async fn list_blobs(&self) -> Result<Vec<Listed>, BlobError> {
        let mut found: std::collections::BTreeMap<String, Listed> = Default::default();
        let mut objects = self.inner.store.list(Some(&self.inner.keys.blobs()));
        while let Some(meta) = objects.try_next().await.map_err(blob_error)? {
            let Some((id, is_data)) = meta.location.filename().and_then(keys::listed_blob) else {
                continue;
            };
            let modified = SystemTime::from(meta.last_modified);
            let entry = found
                .entry(id.as_str().to_ascii_lowercase())
                .or_insert_with(|| Listed {
                    id,
                    modified,
                    length: 0,
                });
            entry.modified = entry.modified.max(modified);
            if is_data {
                entry.length = meta.size;
            }
        }
        Ok(found.into_values().collect())
    }

    pub(crate) async fn list_uploads(&self) -> Result<Vec<Listed>, BlobError> {
        let listed = self
            .inner
            .store
            .list_with_delimiter(Some(&self.inner.keys.uploads()))
            .await
            .map_err(blob_error)?;
        // Collected first: an iterator whose closure takes a reference, kept across the
        // awaits below, would make this future not `Send` for every lifetime.
        let ids: Vec<SecretId> = listed
            .common_prefixes
            .iter()
            .filter_map(|p| SecretId::parse(p.filename()?).ok())
            .collect();
        let described = ids.into_iter().map(|id| {
            let this = self.clone();
            async move { this.listed_upload(id).await }
        });
        let described = futures_util::stream::iter(described)
            .buffered(AT_ONCE)
            .try_collect::<Vec<_>>()
            .await?;
        Ok(described.into_iter().flatten().collect())
    }

    /// An upload as the sweep sees it: begun when its description was written, or — only
    /// leftovers under its id — when they were last written.
    async fn listed_upload(&self, id: SecretId) -> Result<Option<Listed>, BlobError> {
        if let Some((begun, modified)) =
            self.get_json::<Begun>(&self.inner.keys.upload(&id)).await?
        {
            return Ok(Some(Listed {
                id,
                modified,
                length: begun.upload.length,
            }));
        }
        let left = self
            .inner
            .store
            .list(Some(&self.inner.keys.upload_dir(&id)))
            .try_fold(None::<SystemTime>, |latest, meta| async move {
                let modified = SystemTime::from(meta.last_modified);
                Ok::<_, object_store::Error>(Some(latest.map_or(modified, |l| l.max(modified))))
            })
            .await
            .map_err(blob_error)?;
        Ok(left.map(|modified| Listed {
            id,
            modified,
            length: 0,
        }))
    }

    /// Writes the outcome of the upload: first writer wins.
    async fn claim(
        &self,
        id: &SecretId,
        begun: &Begun,
        outcome: Outcome,
    ) -> Result<Claim, BlobError> {
        let path = self.inner.keys.outcome(id, &begun.tag);
        let conditional = self.conditional_writes().await?;
        if !conditional && self.get_bytes(&path).await?.is_none() {
            // Looked at, then written: decided by this process's lock of the id.
            self.put(&path, outcome.as_str().into(), false).await?;
            return Ok(Claim::Won);
        }
        if conditional {
            match self.put(&path, outcome.as_str().into(), true).await {
                Ok(()) => return Ok(Claim::Won),
                Err(BlobError::Exists) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(match self.get_bytes(&path).await?.as_deref() {
            Some(b"finish") => Claim::Taken(Outcome::Finish),
            Some(_) => Claim::Taken(Outcome::Abort),
            None => Claim::Gone,
        })
    }

    /// Completes the multipart upload into the blob, describes it, and clears the upload.
    /// Safe to repeat: an upload completed before (by a finish whose answer or clean-up was
    /// lost) is found as its blob.
    async fn complete(
        &self,
        id: &SecretId,
        begun: &Begun,
        etags: Vec<String>,
    ) -> Result<(), BlobError> {
        let keys = &self.inner.keys;
        let blob = keys.blob(id);
        let parts = etags
            .into_iter()
            .map(|content_id| PartId { content_id })
            .collect();
        let completed = match &begun.multipart {
            Some(multipart) => self
                .inner
                .store
                .complete_multipart(&blob, multipart, parts)
                .await
                .map(|_| ()),
            None => self
                .inner
                .store
                .put(&blob, PutPayload::new())
                .await
                .map(|_| ()),
        };
        match completed {
            Ok(()) => {}
            Err(object_store::Error::NotFound { .. }) if self.exists(&blob).await? => {}
            Err(e) => return Err(blob_error(e)),
        }
        self.put(&keys.blob_meta(id), json(&begun.upload)?, false)
            .await?;
        self.clear(id).await
    }

    /// Removes everything under the upload's id: its description first (the upload is gone
    /// for every caller from then on), then part ETags and outcomes.
    async fn clear(&self, id: &SecretId) -> Result<(), BlobError> {
        let keys = &self.inner.keys;
        self.remove(&keys.upload(id)).await?;
        let left: Vec<Path> = self
            .inner
            .store
            .list(Some(&keys.upload_dir(id)))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await
            .map_err(blob_error)?;
        // Each future owns what it uses (a handle and the key): borrowed ones make the
        // futures of this stream too particular about lifetimes to be `Send`.
        let removals = left.into_iter().map(|path| {
            let this = self.clone();
            async move { this.remove(&path).await }
        });
        futures_util::stream::iter(removals)
            .buffer_unordered(AT_ONCE)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }

    /// The received parts' numbers, in order.
    async fn part_numbers(&self, id: &SecretId, begun: &Begun) -> Result<Vec<u64>, BlobError> {
        let count = begun.upload.part_count();
        let mut numbers: Vec<u64> = self
            .inner
            .store
            .list(Some(&self.inner.keys.parts(id, &begun.tag)))
            .try_filter_map(|meta| async move {
                Ok(meta
                    .location
                    .filename()
                    .and_then(|n| n.parse::<u64>().ok())
                    .filter(|&n| n < count))
            })
            .try_collect()
            .await
            .map_err(blob_error)?;
        numbers.sort_unstable();
        numbers.dedup();
        Ok(numbers)
    }

    /// Every part's ETag, in order; [`BlobError::Incomplete`] if a part is missing.
    async fn etags(&self, id: &SecretId, begun: &Begun) -> Result<Vec<String>, BlobError> {
        let received = self.part_numbers(id, begun).await?;
        let expected = begun.upload.part_count();
        if (received.len() as u64) < expected {
            return Err(BlobError::Incomplete {
                received: received.len() as u64,
                expected,
            });
        }
        let keys = &self.inner.keys;
        let count = received.len() as u64;
        let reads = received.into_iter().map(|n| {
            let (this, path) = (self.clone(), keys.part(id, &begun.tag, n));
            async move { this.etag(&path, count, expected).await }
        });
        futures_util::stream::iter(reads)
            .buffered(AT_ONCE)
            .try_collect()
            .await
    }

    /// A part's ETag; `count` parts were listed.
    async fn etag(&self, path: &Path, count: u64, expected: u64) -> Result<String, BlobError> {
        let etag = self.get_bytes(path).await?;
        // Listed, then gone: an abort cleared it meanwhile (in another server).
        let etag = etag.ok_or(BlobError::Incomplete {
            received: count - 1,
            expected,
        })?;
        String::from_utf8(etag.to_vec()).map_err(|e| unavailable(&e))
    }

    async fn begun(&self, id: &SecretId) -> Result<Option<Begun>, BlobError> {
        Ok(self
            .get_json(&self.inner.keys.upload(id))
            .await?
            .map(|(begun, _)| begun))
    }

    /// A small JSON object and when it was written, or `None` if there is none.
    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &Path,
    ) -> Result<Option<(T, SystemTime)>, BlobError> {
        let got = match self.inner.store.get(path).await {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(blob_error(e)),
        };
        let modified = SystemTime::from(got.meta.last_modified);
        let bytes = got.bytes().await.map_err(blob_error)?;
        let value = serde_json::from_slice(&bytes).map_err(|e| unavailable(&e))?;
        Ok(Some((value, modified)))
    }

    /// A small object's bytes, or `None` if there is none.
    async fn get_bytes(&self, path: &Path) -> Result<Option<Bytes>, BlobError> {
        match self.inner.store.get(path).await {
            Ok(got) => Ok(Some(got.bytes().await.map_err(blob_error)?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(blob_error(e)),
        }
    }

    /// Writes a small object; `create`: only if there is none ([`BlobError::Exists`] if
    /// there is — on a store that honours conditional writes).
    async fn put(&self, path: &Path, bytes: Vec<u8>, create: bool) -> Result<(), BlobError> {
        let mode = if create {
            PutMode::Create
        } else {
            PutMode::Overwrite
        };
        self.inner
            .store
            .put_opts(path, bytes.into(), mode.into())
            .await
            .map(|_| ())
            .map_err(blob_error)
    }

    async fn exists(&self, path: &Path) -> Result<bool, BlobError> {
        match self.inner.store.head(path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(blob_error(e)),
        }
    }

    async fn remove(&self, path: &Path) -> Result<(), BlobError> {
        match self.inner.store.delete(path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(blob_error(e)),
        }
    }
}

/// A part's body, whole: exactly `expected` bytes, kept as the chunks it arrived in.
async fn buffer(body: &mut PartBody, expected: u64) -> Result<PutPayload, BlobError> {
    let mut chunks = Vec::new();
    let mut received = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| BlobError::Unavailable(e.to_string()))?;
        received += chunk.len() as u64;
        if received > expected {
            return Err(BlobError::BadPart("the body is longer than the part"));
        }
        chunks.push(chunk);
    }
    if received != expected {
        return Err(BlobError::BadPart("the body is shorter than the part"));
    }
    Ok(chunks.into_iter().collect())
}

fn json(value: &impl Serialize) -> Result<Vec<u8>, BlobError> {
    serde_json::to_vec(value).map_err(|e| unavailable(&e))
}

/// 16 random hex digits.
fn random_tag() -> Result<String, BlobError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| unavailable(&e))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests;
