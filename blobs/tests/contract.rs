//! The blob-store contract, run against every backend: the local directory always, object
//! storage when one is configured (later).

#![allow(clippy::unwrap_used)] // tests: a panic is a failure report

use blobs::{BlobError, Blobs, DirBlobs, PartBody, SecretId, Upload};
use bytes::Bytes;

async fn dir_backend() -> (Blobs, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (Blobs::Dir(DirBlobs::open(dir.path()).unwrap()), dir)
}

fn upload(length: u64, part_size: u64) -> Upload {
    Upload {
        length,
        part_size,
        token_verifier: "00".repeat(32),
        started: 0,
    }
}

/// A body that arrives in pieces of 7 bytes, as a network would cut it.
fn body(bytes: &[u8]) -> PartBody {
    let pieces: Vec<Result<Bytes, std::io::Error>> = bytes
        .chunks(7)
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

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 256) as u8).collect()
}

async fn read_all(blobs: &Blobs, id: &SecretId, range: std::ops::Range<u64>) -> Vec<u8> {
    let mut reader = blobs.read(id, range).await.unwrap();
    let mut out = Vec::new();
    while let Some(chunk) = std::future::poll_fn(|cx| reader.as_mut().poll_next(cx)).await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

async fn contract(blobs: Blobs) {
    // Parts in any order, one of them twice (a retry after a lost reply).
    let id = SecretId::generate().unwrap();
    let bytes = data(250);
    blobs.begin(&id, &upload(250, 100)).await.unwrap();
    assert!(matches!(
        blobs.begin(&id, &upload(1, 1)).await,
        Err(BlobError::Exists)
    ));
    assert_eq!(blobs.upload(&id).await.unwrap().unwrap().part_count(), 3);
    blobs
        .put_part(&id, 2, &mut body(&bytes[200..]))
        .await
        .unwrap();
    blobs
        .put_part(&id, 0, &mut body(&bytes[..100]))
        .await
        .unwrap();
    assert!(matches!(
        blobs.finish(&id).await,
        Err(BlobError::Incomplete {
            received: 2,
            expected: 3
        })
    ));
    blobs
        .put_part(&id, 0, &mut body(&bytes[..100]))
        .await
        .unwrap();
    assert_eq!(blobs.received(&id).await.unwrap(), vec![0, 2]);
    // A part sent again and cut short is refused and leaves the one already there intact.
    let refused = blobs.put_part(&id, 0, &mut body(&data(99))).await;
    assert!(matches!(refused, Err(BlobError::BadPart(_))));
    blobs
        .put_part(&id, 1, &mut body(&bytes[100..200]))
        .await
        .unwrap();
    assert_eq!(blobs.finish(&id).await.unwrap(), 250);
    assert_eq!(blobs.upload(&id).await.unwrap(), None);
    assert_eq!(blobs.len(&id).await.unwrap(), Some(250));
    assert_eq!(read_all(&blobs, &id, 0..250).await, bytes);
    assert_eq!(read_all(&blobs, &id, 99..201).await, &bytes[99..201]);
    assert_eq!(read_all(&blobs, &id, 200..250).await, &bytes[200..]);
    assert_eq!(read_all(&blobs, &id, 250..250).await, Vec::<u8>::new());
    assert!(matches!(
        blobs.read(&id, 0..251).await,
        Err(BlobError::BadRange)
    ));
    // A finished blob cannot be uploaded again.
    assert!(matches!(
        blobs.begin(&id, &upload(1, 1)).await,
        Err(BlobError::Exists)
    ));
    assert_eq!(blobs.list_blobs().await.unwrap().len(), 1);
    blobs.delete(&id).await.unwrap();
    blobs.delete(&id).await.unwrap();
    assert_eq!(blobs.len(&id).await.unwrap(), None);
    assert!(matches!(
        blobs.read(&id, 0..1).await,
        Err(BlobError::NotFound)
    ));

    // Parts that do not fit are refused, and refusing one loses nothing else.
    let id = SecretId::generate().unwrap();
    blobs.begin(&id, &upload(10, 4)).await.unwrap();
    for (n, len) in [(0, 3), (0, 5), (2, 3), (3, 1)] {
        let refused = blobs.put_part(&id, n, &mut body(&data(len))).await;
        assert!(
            matches!(refused, Err(BlobError::BadPart(_))),
            "part {n}, {len} bytes"
        );
    }
    blobs.put_part(&id, 2, &mut body(&data(2))).await.unwrap();
    assert_eq!(blobs.received(&id).await.unwrap(), vec![2]);
    // Aborting leaves nothing; a second abort finds nothing.
    assert!(blobs.abort(&id).await.unwrap());
    assert!(!blobs.abort(&id).await.unwrap());
    assert_eq!(blobs.upload(&id).await.unwrap(), None);
    assert!(blobs.list_uploads().await.unwrap().is_empty());
    assert!(matches!(
        blobs.put_part(&id, 0, &mut body(&data(4))).await,
        Err(BlobError::NotFound)
    ));
    assert!(matches!(blobs.finish(&id).await, Err(BlobError::NotFound)));

    // An empty blob is one empty part.
    let id = SecretId::generate().unwrap();
    blobs.begin(&id, &upload(0, 4)).await.unwrap();
    assert_eq!(blobs.list_uploads().await.unwrap()[0].id, id);
    blobs.put_part(&id, 0, &mut body(&[])).await.unwrap();
    assert_eq!(blobs.finish(&id).await.unwrap(), 0);
    assert_eq!(read_all(&blobs, &id, 0..0).await, Vec::<u8>::new());
    blobs.delete(&id).await.unwrap();

    // Parts written at the same time all land.
    let id = SecretId::generate().unwrap();
    let bytes = data(64 * 1024 * 8);
    blobs
        .begin(&id, &upload(bytes.len() as u64, 64 * 1024))
        .await
        .unwrap();
    let writes = (0..8u64).map(|n| {
        let (blobs, id) = (blobs.clone(), id.clone());
        let part = bytes[n as usize * 65_536..(n as usize + 1) * 65_536].to_vec();
        tokio::spawn(async move { blobs.put_part(&id, n, &mut body(&part)).await })
    });
    for write in writes.collect::<Vec<_>>() {
        write.await.unwrap().unwrap();
    }
    blobs.finish(&id).await.unwrap();
    assert_eq!(read_all(&blobs, &id, 0..bytes.len() as u64).await, bytes);
}

#[tokio::test]
async fn directory_backend_keeps_the_contract() {
    let (blobs, _dir) = dir_backend().await;
    contract(blobs).await;
}
