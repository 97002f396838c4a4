//! What the contract cannot reach from outside: a finish that died halfway, found by a
//! finish sent again and by an abort (the sweep's), on a real Garage.

use super::*;
use testkit::garage::S3Target;

fn open(target: &S3Target) -> S3Blobs {
    S3Blobs::open(S3Options {
        endpoint: Some(target.endpoint.clone()),
        bucket: target.bucket.clone(),
        region: target.region.clone(),
        access_key_id: Some(target.access_key_id.clone()),
        secret_access_key: Some(target.secret_access_key.clone()),
        prefix: target.prefix.clone(),
        allow_http: true,
        virtual_hosted_style: false,
    })
    .unwrap()
}

/// An upload of 10 bytes with its one part in, whose finish died right after it claimed it
/// (and, if `completed`, after it completed the multipart upload too).
async fn died_finishing(blobs: &S3Blobs, completed: bool) -> SecretId {
    let id = SecretId::generate().unwrap();
    let upload = Upload {
        length: 10,
        part_size: 10,
        token_verifier: String::new(),
        started: 0,
    };
    blobs.begin(&id, &upload).await.unwrap();
    let mut body: PartBody = Box::pin(futures_util::stream::iter([Ok(Bytes::from_static(
        b"0123456789",
    ))]));
    blobs.put_part(&id, 0, &mut body).await.unwrap();
    let begun = blobs.begun(&id).await.unwrap().unwrap();
    assert!(matches!(
        blobs.claim(&id, &begun, Outcome::Finish).await.unwrap(),
        Claim::Won
    ));
    if completed {
        let etags = blobs.etags(&id, &begun).await.unwrap();
        let parts = etags.into_iter().map(|content_id| PartId { content_id });
        let multipart = begun.multipart.as_ref().unwrap();
        let blob = blobs.inner.keys.blob(&id);
        blobs
            .inner
            .store
            .complete_multipart(&blob, multipart, parts.collect())
            .await
            .unwrap();
    }
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finish_that_died_halfway_is_completed_later() {
    let Some(target) = S3Target::for_test("died_finishing") else {
        return;
    };
    let blobs = open(&target);
    for completed in [false, true] {
        // Sent again, the finish completes it (or finds it completed).
        let id = died_finishing(&blobs, completed).await;
        assert_eq!(blobs.finish(&id).await.unwrap(), 10);
        assert_eq!(blobs.len(&id).await.unwrap(), Some(10));
        assert_eq!(blobs.upload(&id).await.unwrap(), None);
        // Found by an abort (the sweep's), it is completed too, and the abort did not win.
        let id = died_finishing(&blobs, completed).await;
        assert!(!blobs.abort(&id).await.unwrap());
        assert_eq!(blobs.len(&id).await.unwrap(), Some(10));
        assert_eq!(blobs.upload(&id).await.unwrap(), None);
        assert!(blobs.list_uploads().await.unwrap().is_empty());
    }
}
