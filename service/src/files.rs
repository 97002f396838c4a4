//! The rules of file data: uploads in parts before the secret is created, downloads with a
//! live claim after it is revealed, and deletion once the secret's payload is gone.
//!
//! The data is a blob per secret, named by the secret's id (`blobs`). An upload is begun
//! with the id and the data's length; every part, the upload's status and its abort carry
//! the upload token (32 random bytes only the client has; the blob store keeps its SHA-256);
//! the create request carries it once more and finishes the upload, which makes the secret
//! revealable only when every part is there. A download presents what a redelivery would
//! (the access proof and the view's claim) and counts nothing. A secret with data gets a
//! claim window long enough to download it ([`FileLimits::claim_window`]).

use std::net::IpAddr;
use std::ops::Range;
use std::time::{Duration, SystemTime};

use blobs::{BlobError, BlobReader, Blobs, PartBody, Upload};
use crypto_core::{Proof, SecretId, Verifier};
use protocol::Loose;
use protocol::rest::{UploadRequest, UploadResponse, UploadStatusResponse};
use subtle::ConstantTimeEq as _;

use crate::{BodyError, Class, InputError, Rejected, Service, ServiceError, unix_now};

/// Limits of file data.
#[derive(Debug, Clone, Copy)]
pub struct FileLimits {
    /// The largest file data of one secret (sealed streams end to end), in bytes.
    pub max_bytes: u64,
    /// Bytes in every upload part but the last.
    pub part_size: u64,
    /// How long an unfinished upload is kept.
    pub upload_ttl: Duration,
    /// File data bytes one client may upload per `quota_window`.
    pub quota_bytes: u64,
    /// The window of `quota_bytes`.
    pub quota_window: Duration,
    /// The slowest download the claim window allows for, in bytes per second.
    pub download_floor: u64,
    /// Data younger than this is not swept: its secret may be being created right now.
    pub sweep_grace: Duration,
    /// Bytes all file data and uploads together may take; a begin beyond it is refused
    /// (`507 store_full`).
    pub budget_bytes: u64,
    /// How many files one secret may hold. The manifest is sealed, so the server cannot
    /// count them: it advertises this and its clients keep to it.
    pub max_files: u32,
}

impl FileLimits {
    /// 2 GiB of files in up to 20 files, sealed: the data plus a 16-byte tag per 64 KiB chunk.
    pub const DEFAULT_MAX_BYTES: u64 = (2 << 30) + (2 << 30) / 65_536 * 16 + 20 * 16;

    /// What clients are told of these limits (health, the web app).
    pub fn info(&self) -> protocol::rest::FilesInfo {
        protocol::rest::FilesInfo {
            max_bytes: self.max_bytes,
            part_size: self.part_size,
            max_files: Some(self.max_files),
        }
    }

    /// The claim window of a secret with `length` bytes of data: the usual window plus the
    /// time its download takes at the slowest rate allowed for.
    pub fn claim_window(&self, usual: Duration, length: u64) -> Duration {
        usual + Duration::from_secs(length.div_ceil(self.download_floor.max(1)))
    }
}

impl Default for FileLimits {
    fn default() -> Self {
        Self {
            max_bytes: Self::DEFAULT_MAX_BYTES,
            part_size: 8 * 1024 * 1024,
            upload_ttl: Duration::from_secs(24 * 3600),
            quota_bytes: 8 << 30,
            quota_window: Duration::from_secs(24 * 3600),
            download_floor: 1024 * 1024,
            sweep_grace: Duration::from_secs(10 * 60),
            budget_bytes: 64 << 30,
            max_files: 20,
        }
    }
}

/// Where file data is kept and its limits.
#[derive(Clone)]
pub struct Files {
    /// The blob store.
    pub blobs: Blobs,
    /// The limits.
    pub limits: FileLimits,
}

/// A download: the requested bytes as they are read, and where they sit in the data.
pub struct Download {
    /// The bytes of `range`.
    pub reader: BlobReader,
    /// Which bytes these are.
    pub range: Range<u64>,
    /// The data's whole length.
    pub total: u64,
}

/// What a download presents, as received: the same proofs a redelivery would.
pub struct DownloadProofs<'a> {
    /// The access proof, base64url.
    pub access: Option<&'a str>,
    /// The view's claim, base64url.
    pub claim: Option<&'a str>,
}

/// Which bytes a download asks for: `start..` or `start..=last` (HTTP's `Range`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wanted {
    /// The first byte.
    pub start: u64,
    /// The last byte (inclusive); `None`: to the end.
    pub last: Option<u64>,
}

/// What the sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Blobs deleted because their secret's payload is gone.
    pub blobs: usize,
    /// Uploads thrown away because they were not finished in time.
    pub uploads: usize,
}

const QUOTA: &str = "files";

impl Service {
    fn files(&self) -> Result<&Files, ServiceError> {
        self.inner.files.as_ref().ok_or(ServiceError::NoFiles)
    }

    /// The file-data limits, when this server takes files (for the health endpoint).
    pub fn file_limits(&self) -> Option<FileLimits> {
        self.inner.files.as_ref().map(|f| f.limits)
    }

    /// Begins an upload of a secret's file data: counted as a create, its length checked
    /// against the limit and charged to the client's file quota.
    pub async fn begin_upload(
        &self,
        client: IpAddr,
        request: Result<UploadRequest, BodyError>,
    ) -> Result<UploadResponse, ServiceError> {
        let files = self.files()?;
        self.limit(Class::Create, client).await?;
        let request = self.body(request)?;
        let id = self.counted(match request.secret_id {
            Some(Loose::Valid(id)) => SecretId::parse(&id).map_err(|_| InputError::BadId),
            _ => Err(InputError::BadId),
        })?;
        let length = self.counted(match request.length {
            Some(Loose::Valid(length)) => Ok(length),
            _ => Err(InputError::BadLength),
        })?;
        if length > files.limits.max_bytes {
            self.inner.metrics.reject(Rejected::TooLarge);
            return Err(InputError::DataTooLarge(files.limits.max_bytes).into());
        }
        let budget = files.limits.budget_bytes;
        let reserved = self.inner.files_used.fetch_update(
            std::sync::atomic::Ordering::SeqCst,
            std::sync::atomic::Ordering::SeqCst,
            |used| used.checked_add(length).filter(|&total| total <= budget),
        );
        if reserved.is_err() {
            self.inner.metrics.reject(Rejected::StoreFull);
            return Err(ServiceError::StoreFull);
        }
        let charged = self
            .inner
            .limiter
            .charge_named(
                QUOTA,
                client,
                length,
                files.limits.quota_bytes,
                files.limits.quota_window,
            )
            .await;
        if let Err(wait) = charged {
            self.release(length);
            return Err(self.over_quota(wait));
        }
        let token = Proof::generate().map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        let upload = Upload {
            length,
            part_size: files.limits.part_size,
            token_verifier: token.verifier().to_base64url(),
            started: unix_now(),
        };
        if let Err(e) = files.blobs.begin(&id, &upload).await {
            self.refund(client, length).await;
            self.release(length);
            return Err(self.blob_error(e));
        }
        Ok(UploadResponse {
            upload_token: token.to_base64url().to_string(),
            part_size: upload.part_size,
            parts: upload.part_count(),
            expires_at: upload.started + files.limits.upload_ttl.as_secs(),
        })
    }

    /// Writes one part of an upload as its body arrives. On a refusal the body may be left
    /// unread: the door drains it (up to [`FileLimits::part_size`]) so the client hears why.
    pub async fn put_part(
        &self,
        client: IpAddr,
        id: &str,
        part: &str,
        token: Option<&str>,
        body: &mut PartBody,
    ) -> Result<(), ServiceError> {
        let (files, id, _) = self.upload_request(client, id, token).await?;
        let n = self.counted(part.parse::<u64>().map_err(|_| InputError::BadPart))?;
        files
            .blobs
            .put_part(&id, n, body)
            .await
            .map_err(|e| self.blob_error(e))
    }

    /// Where an upload stands: its parts received whole.
    pub async fn upload_status(
        &self,
        client: IpAddr,
        id: &str,
        token: Option<&str>,
    ) -> Result<UploadStatusResponse, ServiceError> {
        let (files, id, upload) = self.upload_request(client, id, token).await?;
        let received = files.blobs.received(&id).await;
        Ok(UploadStatusResponse {
            length: upload.length,
            part_size: upload.part_size,
            received: received.map_err(|e| self.blob_error(e))?,
        })
    }

    /// Throws an upload away with everything written; its quota charge is given back. Only
    /// the abort that removed it gives it back: one that lost to a create (which took the
    /// data), the sweep or another cancel answers [`ServiceError::NotFound`].
    pub async fn abort_upload(
        &self,
        client: IpAddr,
        id: &str,
        token: Option<&str>,
    ) -> Result<(), ServiceError> {
        let (files, id, upload) = self.upload_request(client, id, token).await?;
        let removed = files
            .blobs
            .abort(&id)
            .await
            .map_err(|e| self.blob_error(e))?;
        if !removed {
            return Err(ServiceError::NotFound);
        }
        self.refund(client, upload.length).await;
        self.release(upload.length);
        Ok(())
    }

    /// Takes the finished upload of a secret being created as its data, before the secret is
    /// stored: the token must be the upload's and every part there. One rename does it, so a
    /// cancel or a sweep either happens before (the create fails, nothing is stored) or not at
    /// all. Sent again after a failed create, the same token finds the data already taken
    /// and the create goes on, so a create can always be retried. Returns the claim window the
    /// secret's views need.
    pub(crate) async fn take_upload(
        &self,
        client: IpAddr,
        id: &SecretId,
        token: Loose<String>,
    ) -> Result<Duration, ServiceError> {
        let files = self.files()?;
        let token = match token {
            Loose::Valid(token) => token,
            Loose::Invalid => {
                self.inner.metrics.reject(Rejected::BadInput);
                return Err(InputError::BadProof("upload_token").into());
            }
        };
        let blobs = &files.blobs;
        let length = match blobs.upload(id).await.map_err(|e| self.blob_error(e))? {
            Some(upload) => {
                self.check_token(client, &upload, &token).await?;
                // `finish` refuses a missing part (`upload_incomplete`) and changes nothing then.
                blobs.finish(id).await.map_err(|e| self.blob_error(e))?
            }
            // Taken by an earlier try of this create (its token is kept with the data).
            None => match blobs.finished(id).await.map_err(|e| self.blob_error(e))? {
                Some(upload) => {
                    self.check_token(client, &upload, &token).await?;
                    upload.length
                }
                None => {
                    self.inner.metrics.reject(Rejected::NotFound);
                    return Err(self.failed(client, ServiceError::NotFound).await);
                }
            },
        };
        Ok(files
            .limits
            .claim_window(self.inner.limits.claim_window, length))
    }

    /// Reads (part of) a revealed secret's file data, for the holder of a live claim on one of
    /// its views. Counts nothing; refused while the client is over its failures.
    pub async fn download(
        &self,
        client: IpAddr,
        alias: &str,
        proofs: DownloadProofs<'_>,
        wanted: Option<Wanted>,
    ) -> Result<Download, ServiceError> {
        let files = self.files()?;
        let failures = self.inner.limiter.check(Class::Failed, client).await;
        failures.map_err(|wait| self.rate_limited(wait))?;
        let alias = self.alias(client, alias).await?;
        let proof = |text: Option<&str>, field| {
            crate::presented(text.map(|t| Loose::Valid(t.to_owned())), field)
        };
        let access = self.counted(proof(proofs.access, "access_proof"))?;
        let claim = self.counted(
            proof(proofs.claim, "claim").and_then(|c| c.ok_or(InputError::BadProof("claim"))),
        )?;
        let held = self.stored(self.inner.store.held(&alias, access, &claim).await)?;
        let Some(id) = held else {
            self.inner.metrics.reject(Rejected::NotFound);
            return Err(self.failed(client, ServiceError::NotFound).await);
        };
        let total = files.blobs.len(&id).await.map_err(|e| self.blob_error(e))?;
        let total = total.ok_or(ServiceError::NotFound)?;
        let range = match wanted {
            None => 0..total,
            Some(Wanted { start, last }) => {
                let end = last.map_or(total, |last| last.saturating_add(1).min(total));
                if start >= end && !(start == 0 && total == 0) {
                    return Err(ServiceError::BadRange { total });
                }
                start..end
            }
        };
        let reader = files
            .blobs
            .read(&id, range.clone())
            .await
            .map_err(|e| self.blob_error(e))?;
        Ok(Download {
            reader,
            range,
            total,
        })
    }

    /// Deletes a secret's file data once its payload is gone (after a confirm or a destroy);
    /// best effort, the sweep catches what this misses.
    pub(crate) async fn forget_data(&self, id: &SecretId) {
        let Some(files) = &self.inner.files else {
            return;
        };
        if !matches!(files.blobs.len(id).await, Ok(Some(_))) {
            return;
        }
        if let Ok(false) = self.inner.store.has_payload(id).await
            && let Err(e) = files.blobs.delete(id).await
        {
            tracing::warn!(target: "files", error = %e, "file data not deleted; the sweep will");
        }
    }

    /// Deletes file data whose secret's payload is gone (viewed, destroyed, burned, expired,
    /// or never created) and uploads not finished within their time.
    pub async fn sweep_files(&self) -> Result<Swept, ServiceError> {
        let files = self.files()?;
        let mut swept = Swept::default();
        let now = SystemTime::now();
        let older = |t: SystemTime, age: Duration| now.duration_since(t).is_ok_and(|d| d > age);
        let listed = files
            .blobs
            .list_blobs()
            .await
            .map_err(|e| self.blob_error(e))?;
        let mut kept: u64 = 0;
        for blob in listed {
            kept = kept.saturating_add(blob.length);
            if older(blob.modified, files.limits.sweep_grace)
                && !self.stored(self.inner.store.has_payload(&blob.id).await)?
            {
                kept = kept.saturating_sub(blob.length);
                files
                    .blobs
                    .delete(&blob.id)
                    .await
                    .map_err(|e| self.blob_error(e))?;
                swept.blobs += 1;
            }
        }
        let listed = files
            .blobs
            .list_uploads()
            .await
            .map_err(|e| self.blob_error(e))?;
        let mut used: u64 = kept;
        for upload in listed {
            used = used.saturating_add(upload.length);
            if older(upload.modified, files.limits.upload_ttl) {
                used = used.saturating_sub(upload.length);
                files
                    .blobs
                    .abort(&upload.id)
                    .await
                    .map_err(|e| self.blob_error(e))?;
                swept.uploads += 1;
            }
        }
        // What is on disk now; a begin between the listing and here is counted again by the
        // next sweep (a few in-flight uploads at most).
        self.inner
            .files_used
            .store(used, std::sync::atomic::Ordering::SeqCst);
        Ok(swept)
    }

    /// What every request on an upload shares: the failure limit, the id, and the token.
    async fn upload_request(
        &self,
        client: IpAddr,
        id: &str,
        token: Option<&str>,
    ) -> Result<(&Files, SecretId, Upload), ServiceError> {
        let files = self.files()?;
        let failures = self.inner.limiter.check(Class::Failed, client).await;
        failures.map_err(|wait| self.rate_limited(wait))?;
        let id = match SecretId::parse(id) {
            Ok(id) => id,
            Err(_) => {
                self.inner.metrics.reject(Rejected::BadInput);
                return Err(self.failed(client, InputError::BadId.into()).await);
            }
        };
        let upload = self.checked_upload(client, files, &id, token).await?;
        Ok((files, id, upload))
    }

    /// The upload of `id`, if `token` is its token.
    async fn checked_upload(
        &self,
        client: IpAddr,
        files: &Files,
        id: &SecretId,
        token: Option<&str>,
    ) -> Result<Upload, ServiceError> {
        let upload = files
            .blobs
            .upload(id)
            .await
            .map_err(|e| self.blob_error(e))?;
        let Some(upload) = upload else {
            self.inner.metrics.reject(Rejected::NotFound);
            return Err(self.failed(client, ServiceError::NotFound).await);
        };
        self.check_token(client, &upload, token.unwrap_or_default())
            .await?;
        Ok(upload)
    }

    /// `Ok` if `token` is the upload's (compared as verifiers, in constant time); a wrong
    /// one counts as a failure.
    async fn check_token(
        &self,
        client: IpAddr,
        upload: &Upload,
        token: &str,
    ) -> Result<(), ServiceError> {
        let presented = Proof::from_base64url(token).ok();
        let stored = Verifier::from_base64url(&upload.token_verifier).ok();
        let matches = match (presented, stored) {
            (Some(p), Some(s)) => bool::from(p.verifier().ct_eq(&s)),
            _ => false,
        };
        if !matches {
            self.inner.metrics.reject(Rejected::WrongToken);
            return Err(self.failed(client, ServiceError::WrongUploadToken).await);
        }
        Ok(())
    }

    /// Gives back `length` bytes of the file budget reserved by a begin.
    fn release(&self, length: u64) {
        let _ = self.inner.files_used.fetch_update(
            std::sync::atomic::Ordering::SeqCst,
            std::sync::atomic::Ordering::SeqCst,
            |used| Some(used.saturating_sub(length)),
        );
    }

    async fn refund(&self, client: IpAddr, length: u64) {
        if let Some(files) = &self.inner.files {
            let window = files.limits.quota_window;
            self.inner
                .limiter
                .refund_named(QUOTA, client, length, window)
                .await;
        }
    }

    /// A blob-store failure as the client sees it (details only in the log).
    fn blob_error(&self, e: BlobError) -> ServiceError {
        match e {
            BlobError::Exists => {
                self.inner.metrics.reject(Rejected::Conflict);
                ServiceError::IdExists
            }
            BlobError::NotFound => ServiceError::NotFound,
            BlobError::BadPart(why) => {
                self.inner.metrics.reject(Rejected::BadInput);
                InputError::PartMismatch(why).into()
            }
            BlobError::Incomplete { received, expected } => {
                ServiceError::UploadIncomplete { received, expected }
            }
            BlobError::BadRange => ServiceError::BadRange { total: 0 },
            other => ServiceError::Unavailable(other.to_string()),
        }
    }
}
