//! File data over the embedded store and a real directory: the sweep deletes data whose
//! secret is gone and uploads never finished, and keeps the rest; a create waits for the
//! last part.

#![allow(clippy::unwrap_used)] // tests: a panic is a failure report

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use blobs::{Blobs, DirBlobs};
use protocol::rest::UploadRequest;
use service::{
    CreateInput, FileLimits, Files, Payload, Quota, Rule, Rules, Service, ServiceError, Swept,
};

const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn service(dir: &std::path::Path, upload_ttl: Duration) -> Service {
    service_with(
        dir,
        FileLimits {
            part_size: 16,
            upload_ttl,
            sweep_grace: Duration::ZERO,
            ..FileLimits::default()
        },
    )
}

fn service_with(dir: &std::path::Path, limits: FileLimits) -> Service {
    let store = store::Store::Embedded(store::EmbeddedStore::new(Default::default()));
    let rule = Rule {
        max: 1000,
        window: Duration::from_secs(60),
    };
    let rules = Rules {
        create: rule,
        reveal: rule,
        failed: rule,
        quota: Quota::DEFAULT,
        ipv6_prefix: 64,
    };
    let files = Files {
        blobs: Blobs::Dir(DirBlobs::open(dir).unwrap()),
        limits,
    };
    Service::with_files(store, Default::default(), rules, Some(files))
}

fn body(bytes: &'static [u8]) -> blobs::PartBody {
    Box::pin(Once(Some(bytes)))
}

struct Once(Option<&'static [u8]>);

impl futures_core::Stream for Once {
    type Item = Result<bytes::Bytes, std::io::Error>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.take().map(|b| Ok(bytes::Bytes::from_static(b))))
    }
}

/// Begins an upload of 20 bytes (two parts of 16 and 4) for a fresh id: the id and token.
async fn begun(service: &Service) -> (String, String) {
    let id = crypto_core::SecretId::generate().unwrap().to_string();
    let begun = service
        .begin_upload(
            CLIENT,
            Ok(UploadRequest {
                secret_id: Some(id.clone().into()),
                length: Some(20.into()),
            }),
        )
        .await
        .unwrap();
    assert_eq!((begun.part_size, begun.parts), (16, 2));
    (id, begun.upload_token)
}

/// An upload of 20 bytes with both parts in.
async fn uploaded(service: &Service) -> (String, String) {
    let (id, token) = begun(service).await;
    let t = Some(token.as_str());
    service
        .put_part(CLIENT, &id, "0", t, &mut body(&[1; 16]))
        .await
        .unwrap();
    service
        .put_part(CLIENT, &id, "1", t, &mut body(&[2; 4]))
        .await
        .unwrap();
    (id, token)
}

fn create_input(id: &str, token: &str) -> CreateInput {
    let key = crypto_core::MasterKey::generate().unwrap();
    let sid = crypto_core::SecretId::parse(id).unwrap();
    let payload = crypto_core::seal(&key, &sid, b"\x00manifest stand-in").unwrap();
    CreateInput {
        payload: Some(Payload::Raw(payload.into()).into()),
        id: Some(id.to_owned().into()),
        upload_token: Some(token.to_owned().into()),
        ..CreateInput::default()
    }
}

async fn create(service: &Service, id: &str, token: &str) -> Result<(), ServiceError> {
    let admission = service.admit_create(CLIENT, None).await?;
    service
        .create(admission, Ok(create_input(id, token)))
        .await
        .map(|_| ())
}

#[tokio::test]
async fn the_sweep_deletes_what_no_secret_owns_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let service = service(dir.path(), Duration::from_secs(3600));
    let blob = |id: &str| dir.path().join("blobs").join(id);
    // A secret with data: kept. An upload under way: kept (its time is not up).
    let (kept, token) = uploaded(&service).await;
    create(&service, &kept, &token).await.unwrap();
    uploaded(&service).await;
    assert_eq!(service.sweep_files().await.unwrap(), Swept::default());
    assert!(blob(&kept).exists());
    // Data whose secret the store does not know (its record expired, or never made).
    let orphan = crypto_core::SecretId::generate().unwrap();
    let blobs = Blobs::Dir(DirBlobs::open(dir.path()).unwrap());
    let upload = blobs::Upload {
        length: 4,
        part_size: 16,
        token_verifier: String::new(),
        started: 0,
    };
    blobs.begin(&orphan, &upload).await.unwrap();
    blobs
        .put_part(&orphan, 0, &mut body(&[3; 4]))
        .await
        .unwrap();
    blobs.finish(&orphan).await.unwrap();
    let orphan = orphan.to_string();
    assert!(blob(&orphan).exists());
    let swept = service.sweep_files().await.unwrap();
    assert_eq!(
        swept,
        Swept {
            blobs: 1,
            uploads: 0
        }
    );
    assert!(!blob(&orphan).exists());
    assert!(blob(&kept).exists());
}

#[tokio::test]
async fn unfinished_uploads_are_swept_when_their_time_is_up() {
    let dir = tempfile::tempdir().unwrap();
    let service = service(dir.path(), Duration::ZERO);
    let (id, token) = uploaded(&service).await;
    let swept = service.sweep_files().await.unwrap();
    assert_eq!(
        swept,
        Swept {
            blobs: 0,
            uploads: 1
        }
    );
    // Nothing is left, and a create with the swept upload is refused.
    let left = std::fs::read_dir(dir.path().join("uploads"))
        .unwrap()
        .count();
    assert_eq!(left, 0);
    let refused = create(&service, &id, &token).await;
    assert!(
        matches!(refused, Err(ServiceError::NotFound)),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_create_before_the_last_part_is_refused_and_can_be_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    let service = service(dir.path(), Duration::from_secs(3600));
    let (id, token) = begun(&service).await;
    let t = Some(token.as_str());
    service
        .put_part(CLIENT, &id, "1", t, &mut body(&[2; 4]))
        .await
        .unwrap();
    let refused = create(&service, &id, &token).await;
    assert!(
        matches!(
            refused,
            Err(ServiceError::UploadIncomplete {
                received: 1,
                expected: 2
            })
        ),
        "{refused:?}"
    );
    // A wrong token is refused and changes nothing.
    let wrong = crypto_core::Proof::generate().unwrap().to_base64url();
    let refused = service
        .put_part(CLIENT, &id, "0", Some(&wrong), &mut body(&[1; 16]))
        .await;
    assert!(
        matches!(refused, Err(ServiceError::WrongUploadToken)),
        "{refused:?}"
    );
    service
        .put_part(CLIENT, &id, "0", t, &mut body(&[1; 16]))
        .await
        .unwrap();
    create(&service, &id, &token).await.unwrap();
    assert!(dir.path().join("blobs").join(&id).exists());
    assert!(!dir.path().join("uploads").join(&id).exists());
    // Sent again (as after a lost answer), the create finds its data already taken and goes
    // on to the store, which knows the id; another token does not get that far.
    let again = create(&service, &id, &token).await;
    assert!(matches!(again, Err(ServiceError::IdExists)), "{again:?}");
    let wrong = crypto_core::Proof::generate().unwrap().to_base64url();
    let refused = create(&service, &id, &wrong).await;
    assert!(
        matches!(refused, Err(ServiceError::WrongUploadToken)),
        "{refused:?}"
    );
}

#[tokio::test]
async fn the_files_budget_holds_and_an_abort_gives_its_share_back() {
    let dir = tempfile::tempdir().unwrap();
    let limits = FileLimits {
        part_size: 16,
        budget_bytes: 30,
        ..FileLimits::default()
    };
    let service = service_with(dir.path(), limits);
    let (first, token) = begun(&service).await;
    let second = crypto_core::SecretId::generate().unwrap().to_string();
    let request = |length: u64| UploadRequest {
        secret_id: Some(second.clone().into()),
        length: Some(length.into()),
    };
    let refused = service.begin_upload(CLIENT, Ok(request(20))).await;
    assert!(
        matches!(refused, Err(ServiceError::StoreFull)),
        "{refused:?}"
    );
    service.begin_upload(CLIENT, Ok(request(10))).await.unwrap();
    // The sweep counts what is on disk (20 + 10), so the budget still holds after it.
    service.sweep_files().await.unwrap();
    let third = crypto_core::SecretId::generate().unwrap().to_string();
    let over = UploadRequest {
        secret_id: Some(third.clone().into()),
        length: Some(1.into()),
    };
    let refused = service.begin_upload(CLIENT, Ok(over.clone())).await;
    assert!(
        matches!(refused, Err(ServiceError::StoreFull)),
        "{refused:?}"
    );
    service
        .abort_upload(CLIENT, &first, Some(&token))
        .await
        .unwrap();
    service.begin_upload(CLIENT, Ok(over)).await.unwrap();
}
