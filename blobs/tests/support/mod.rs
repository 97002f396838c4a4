//! The backends the contract runs on, and bodies as a network delivers them.

#![allow(dead_code)] // each test binary uses its own share of these

use blobs::{Blobs, DirBlobs, PartBody, S3Blobs, S3Options, SecretId, Upload};
use bytes::Bytes;
use testkit::garage::S3Target;

/// A backend under test and what keeps it alive (its directory, or its Garage).
pub struct Backend {
    /// The blob store.
    pub blobs: Blobs,
    /// The part size the cases use: small where the backend allows, S3's minimum where not.
    pub part: u64,
    keep: Keep,
}

enum Keep {
    Dir(tempfile::TempDir),
    S3(Box<S3Target>),
}

impl Backend {
    /// A fresh directory.
    pub fn directory() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self {
            blobs: Blobs::Dir(DirBlobs::open(dir.path()).unwrap()),
            part: 100,
            keep: Keep::Dir(dir),
        }
    }

    /// A one-node Garage of the test's own (or the external S3); `None`: skipped.
    pub fn s3(test: &str) -> Option<Self> {
        S3Target::for_test(test).map(Self::on)
    }

    /// Three Garage nodes in three zones; `None`: skipped.
    pub fn s3_cluster(test: &str) -> Option<Self> {
        S3Target::cluster_for_test(test).map(Self::on)
    }

    fn on(target: S3Target) -> Self {
        Self {
            blobs: Blobs::S3(S3Blobs::open(options(&target)).unwrap()),
            // S3's real minimum, so the same cases hold on AWS S3 and MinIO.
            part: S3Blobs::MIN_PART_SIZE,
            keep: Keep::S3(Box::new(target)),
        }
    }

    /// Another handle on the same storage, sharing nothing in memory with the first: what a
    /// second server would have.
    pub fn second_server(&self) -> Blobs {
        match &self.keep {
            Keep::Dir(dir) => Blobs::Dir(DirBlobs::open(dir.path()).unwrap()),
            Keep::S3(target) => Blobs::S3(S3Blobs::open(options(target)).unwrap()),
        }
    }

    /// The S3 target, when this is object storage.
    pub fn s3_target(&self) -> Option<&S3Target> {
        match &self.keep {
            Keep::S3(target) => Some(target),
            Keep::Dir(_) => None,
        }
    }
}

/// How the blob store reaches `target`.
pub fn options(target: &S3Target) -> S3Options {
    S3Options {
        endpoint: Some(target.endpoint.clone()),
        bucket: target.bucket.clone(),
        region: target.region.clone(),
        access_key_id: Some(target.access_key_id.clone()),
        secret_access_key: Some(target.secret_access_key.clone()),
        prefix: target.prefix.clone(),
        allow_http: target.endpoint.starts_with("http://"),
        virtual_hosted_style: false,
    }
}

/// An upload of `length` bytes in parts of `part_size`.
pub fn upload(length: u64, part_size: u64) -> Upload {
    Upload {
        length,
        part_size,
        token_verifier: "00".repeat(32),
        started: 0,
    }
}

/// A body that arrives in pieces of 7 bytes (of 64 KiB past 64 KiB), as a network cuts it.
pub fn body(bytes: &[u8]) -> PartBody {
    let piece = if bytes.len() > 65_536 { 65_536 } else { 7 };
    let pieces: Vec<Result<Bytes, std::io::Error>> = bytes
        .chunks(piece)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    Box::pin(Pieces(pieces.into_iter()))
}

struct Pieces(std::vec::IntoIter<Result<Bytes, std::io::Error>>);

impl futures_core::Stream for Pieces {
    type Item = Result<Bytes, std::io::Error>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.next())
    }
}

/// `len` bytes that differ from one offset to the next.
pub fn data(len: u64) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

/// The bytes of `range` of `id`'s blob, read to the end.
pub async fn read_all(blobs: &Blobs, id: &SecretId, range: std::ops::Range<u64>) -> Vec<u8> {
    let mut reader = blobs.read(id, range).await.unwrap();
    let mut out = Vec::new();
    while let Some(chunk) = std::future::poll_fn(|cx| reader.as_mut().poll_next(cx)).await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}
