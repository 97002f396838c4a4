//! File data over the embedded store, on both blob backends: a real directory
//! (`directory::…`) and object storage (`s3::…`: a one-node Garage each test starts, or the
//! bucket `ONCELINK_S3_ENDPOINT` names). The sweep deletes data whose secret is gone (expired
//! or never made) and uploads never finished, and keeps the rest; the last view and a destroy
//! delete the data; a create waits for the last part; concurrent reveals of a secret with
//! three views give exactly three complete downloads.

#![allow(clippy::unwrap_used)] // tests: a panic is a failure report

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use blobs::{Blobs, DirBlobs, S3Blobs, S3Options};
use crypto_core::{MasterKey, Proof, SecretId};
use protocol::Loose;
use protocol::rest::UploadRequest;
use service::{
    CreateInput, DownloadProofs, FileLimits, Files, Payload, Proofs, Quota, Rule, Rules, Service,
    ServiceError, Swept,
};
use testkit::garage::S3Target;

const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

macro_rules! on_both_backends {
    ($flavor:meta => $($case:ident),* $(,)?) => {
        mod directory {
            $(
                #[$flavor]
                async fn $case() {
                    super::$case(super::Backend::directory()).await;
                }
            )*
        }
        mod s3 {
            $(
                #[$flavor]
                async fn $case() {
                    if let Some(backend) = super::Backend::s3(stringify!($case)) {
                        super::$case(backend).await;
                    }
                }
            )*
        }
    };
}

// Two threads, so concurrent requests really run at once.
on_both_backends!(
    tokio::test(flavor = "multi_thread", worker_threads = 2) =>
    the_sweep_deletes_what_no_secret_owns_and_keeps_the_rest,
    unfinished_uploads_are_swept_when_their_time_is_up,
    a_create_before_the_last_part_is_refused_and_can_be_sent_again,
    the_files_budget_holds_and_an_abort_gives_its_share_back,
    the_last_view_and_a_destroy_delete_the_data,
    concurrent_reveals_of_three_views_give_exactly_three_downloads,
);

mod expiry {
    // Tokio's clock can be moved only on a one-thread runtime.
    on_both_backends!(
        tokio::test => the_sweep_deletes_the_data_of_expired_secrets
    );
    use super::{Backend, the_sweep_deletes_the_data_of_expired_secrets};
}

/// A blob backend under test and what keeps it alive.
struct Backend {
    blobs: Blobs,
    /// The upload part size: 16 bytes where the backend allows, S3's 5 MiB where not.
    part: u64,
    _dir: Option<tempfile::TempDir>,
    _s3: Option<S3Target>,
}

impl Backend {
    fn directory() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self {
            blobs: Blobs::Dir(DirBlobs::open(dir.path()).unwrap()),
            part: 16,
            _dir: Some(dir),
            _s3: None,
        }
    }

    fn s3(test: &str) -> Option<Self> {
        let target = S3Target::for_test(test)?;
        let options = S3Options {
            endpoint: Some(target.endpoint.clone()),
            bucket: target.bucket.clone(),
            region: target.region.clone(),
            access_key_id: Some(target.access_key_id.clone()),
            secret_access_key: Some(target.secret_access_key.clone()),
            prefix: target.prefix.clone(),
            allow_http: target.endpoint.starts_with("http://"),
            virtual_hosted_style: false,
        };
        Some(Self {
            blobs: Blobs::S3(S3Blobs::open(options).unwrap()),
            // Garage takes parts of any size; AWS S3 and MinIO only 5 MiB and up.
            part: if target.small_parts_allowed() {
                16
            } else {
                S3Blobs::MIN_PART_SIZE
            },
            _dir: None,
            _s3: Some(target),
        })
    }

    /// The service over this backend, with `limits` (their part size: the backend's).
    fn service(&self, limits: FileLimits) -> Service {
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
            blobs: self.blobs.clone(),
            limits: FileLimits {
                part_size: self.part,
                ..limits
            },
        };
        Service::with_files(store, Default::default(), rules, Some(files))
    }

    /// The service with uploads kept for `upload_ttl` and no grace before the sweep.
    fn swept_service(&self, upload_ttl: Duration) -> Service {
        self.service(FileLimits {
            upload_ttl,
            sweep_grace: Duration::ZERO,
            ..FileLimits::default()
        })
    }

    /// The data's length: two parts, the second of 4 bytes.
    fn length(&self) -> u64 {
        self.part + 4
    }

    /// The data every upload of these tests sends.
    fn data(&self) -> Vec<u8> {
        (0..self.length()).map(|i| (i % 251) as u8).collect()
    }

    async fn has_blob(&self, id: &str) -> bool {
        let id = SecretId::parse(id).unwrap();
        self.blobs.len(&id).await.unwrap().is_some()
    }
}

fn body(bytes: &[u8]) -> blobs::PartBody {
    Box::pin(Once(Some(bytes::Bytes::copy_from_slice(bytes))))
}

struct Once(Option<bytes::Bytes>);

impl futures_core::Stream for Once {
    type Item = Result<bytes::Bytes, std::io::Error>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.take().map(Ok))
    }
}

/// Begins an upload of the backend's data length for a fresh id: the id and token.
async fn begun(backend: &Backend, service: &Service) -> (String, String) {
    let id = SecretId::generate().unwrap().to_string();
    let begun = service
        .begin_upload(
            CLIENT,
            Ok(UploadRequest {
                secret_id: Some(id.clone().into()),
                length: Some(backend.length().into()),
            }),
        )
        .await
        .unwrap();
    assert_eq!((begun.part_size, begun.parts), (backend.part, 2));
    (id, begun.upload_token)
}

/// Sends part `n` of the backend's data.
async fn put(backend: &Backend, service: &Service, id: &str, token: &str, n: u64) {
    let data = backend.data();
    let start = (n * backend.part) as usize;
    let end = (start + backend.part as usize).min(data.len());
    service
        .put_part(
            CLIENT,
            id,
            &n.to_string(),
            Some(token),
            &mut body(&data[start..end]),
        )
        .await
        .unwrap();
}

/// An upload with both parts in.
async fn uploaded(backend: &Backend, service: &Service) -> (String, String) {
    let (id, token) = begun(backend, service).await;
    put(backend, service, &id, &token, 1).await;
    put(backend, service, &id, &token, 0).await;
    (id, token)
}

/// A secret of the upload: `max_views` views, `ttl_seconds`, an access verifier for `key`.
fn create_input(id: &str, token: &str, key: &MasterKey, max_views: u64) -> CreateInput {
    let sid = SecretId::parse(id).unwrap();
    let payload = crypto_core::seal(key, &sid, b"\x00manifest stand-in").unwrap();
    CreateInput {
        payload: Some(Payload::Raw(payload.into()).into()),
        id: Some(id.to_owned().into()),
        upload_token: Some(token.to_owned().into()),
        ttl_seconds: Some(300.into()),
        max_views: Some(max_views.into()),
        access_verifier: Some(key.access_proof().verifier().to_base64url().into()),
        ..CreateInput::default()
    }
}

async fn create(service: &Service, id: &str, token: &str) -> Result<String, ServiceError> {
    let key = MasterKey::generate().unwrap();
    create_with(service, id, token, &key, 1).await
}

async fn create_with(
    service: &Service,
    id: &str,
    token: &str,
    key: &MasterKey,
    max_views: u64,
) -> Result<String, ServiceError> {
    let admission = service.admit_create(CLIENT, None).await?;
    let input = create_input(id, token, key, max_views);
    service
        .create(admission, Ok(input))
        .await
        .map(|created| created.alias.to_string())
}

/// A reveal with the link's access proof and a claim of its own: the claim if it got a view.
async fn reveal(service: &Service, alias: &str, key: &MasterKey) -> Result<String, ServiceError> {
    let claim = Proof::generate().unwrap().to_base64url().to_string();
    let proofs = Proofs {
        access: Some(Loose::Valid(key.access_proof().to_base64url().to_string())),
        claim: Some(Loose::Valid(claim.clone())),
        ..Proofs::default()
    };
    service.reveal(CLIENT, alias, Ok(proofs)).await?;
    Ok(claim)
}

/// The whole data, downloaded with `claim`.
async fn download(service: &Service, alias: &str, key: &MasterKey, claim: &str) -> Vec<u8> {
    let access = key.access_proof().to_base64url().to_string();
    let proofs = DownloadProofs {
        access: Some(&access),
        claim: Some(claim),
    };
    let mut download = service.download(CLIENT, alias, proofs, None).await.unwrap();
    let mut out = Vec::new();
    while let Some(chunk) = std::future::poll_fn(|cx| download.reader.as_mut().poll_next(cx)).await
    {
        out.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(out.len() as u64, download.total);
    out
}

async fn the_sweep_deletes_what_no_secret_owns_and_keeps_the_rest(backend: Backend) {
    let service = backend.swept_service(Duration::from_secs(3600));
    // A secret with data: kept. An upload under way: kept (its time is not up).
    let (kept, token) = uploaded(&backend, &service).await;
    create(&service, &kept, &token).await.unwrap();
    uploaded(&backend, &service).await;
    assert_eq!(service.sweep_files().await.unwrap(), Swept::default());
    assert!(backend.has_blob(&kept).await);
    // Data whose secret the store does not know (never made).
    let orphan = SecretId::generate().unwrap();
    let blobs = &backend.blobs;
    let upload = blobs::Upload {
        length: 4,
        part_size: backend.part,
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
    assert!(backend.has_blob(&orphan).await);
    let swept = service.sweep_files().await.unwrap();
    assert_eq!(
        swept,
        Swept {
            blobs: 1,
            uploads: 0
        }
    );
    assert!(!backend.has_blob(&orphan).await);
    assert!(backend.has_blob(&kept).await);
}

/// A secret that expires unread leaves its data to the sweep. The store's clock is tokio's:
/// it is moved on past the secret's lifetime (only while nothing talks to object storage).
async fn the_sweep_deletes_the_data_of_expired_secrets(backend: Backend) {
    let service = backend.swept_service(Duration::from_secs(3600));
    let (id, token) = uploaded(&backend, &service).await;
    create(&service, &id, &token).await.unwrap();
    assert_eq!(service.sweep_files().await.unwrap(), Swept::default());
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(301)).await;
    tokio::time::resume();
    assert_eq!(
        service.sweep_files().await.unwrap(),
        Swept {
            blobs: 1,
            uploads: 0
        }
    );
    assert!(!backend.has_blob(&id).await);
}

async fn unfinished_uploads_are_swept_when_their_time_is_up(backend: Backend) {
    let service = backend.swept_service(Duration::ZERO);
    let (id, token) = uploaded(&backend, &service).await;
    let swept = service.sweep_files().await.unwrap();
    assert_eq!(
        swept,
        Swept {
            blobs: 0,
            uploads: 1
        }
    );
    // Nothing is left, and a create with the swept upload is refused.
    assert!(backend.blobs.list_uploads().await.unwrap().is_empty());
    let refused = create(&service, &id, &token).await;
    assert!(
        matches!(refused, Err(ServiceError::NotFound)),
        "{refused:?}"
    );
}

async fn a_create_before_the_last_part_is_refused_and_can_be_sent_again(backend: Backend) {
    let service = backend.swept_service(Duration::from_secs(3600));
    let (id, token) = begun(&backend, &service).await;
    put(&backend, &service, &id, &token, 1).await;
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
    let wrong = Proof::generate().unwrap().to_base64url();
    let refused = service
        .put_part(CLIENT, &id, "0", Some(&wrong), &mut body(&[1; 16]))
        .await;
    assert!(
        matches!(refused, Err(ServiceError::WrongUploadToken)),
        "{refused:?}"
    );
    put(&backend, &service, &id, &token, 0).await;
    create(&service, &id, &token).await.unwrap();
    assert!(backend.has_blob(&id).await);
    let sid = SecretId::parse(&id).unwrap();
    assert_eq!(backend.blobs.upload(&sid).await.unwrap(), None);
    // Sent again (as after a lost answer), the create finds its data already taken and goes
    // on to the store, which knows the id; another token does not get that far.
    let again = create(&service, &id, &token).await;
    assert!(matches!(again, Err(ServiceError::IdExists)), "{again:?}");
    let wrong = Proof::generate().unwrap().to_base64url();
    let refused = create(&service, &id, &wrong).await;
    assert!(
        matches!(refused, Err(ServiceError::WrongUploadToken)),
        "{refused:?}"
    );
}

async fn the_files_budget_holds_and_an_abort_gives_its_share_back(backend: Backend) {
    let length = backend.length();
    let service = backend.service(FileLimits {
        budget_bytes: length + 10,
        ..FileLimits::default()
    });
    let (first, token) = begun(&backend, &service).await;
    let second = SecretId::generate().unwrap().to_string();
    let request = |length: u64| UploadRequest {
        secret_id: Some(second.clone().into()),
        length: Some(length.into()),
    };
    let refused = service.begin_upload(CLIENT, Ok(request(length))).await;
    assert!(
        matches!(refused, Err(ServiceError::StoreFull)),
        "{refused:?}"
    );
    service.begin_upload(CLIENT, Ok(request(10))).await.unwrap();
    // The sweep counts what is stored (both uploads), so the budget still holds after it.
    service.sweep_files().await.unwrap();
    let third = SecretId::generate().unwrap().to_string();
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
    // Cancelled once, the upload is gone: a second cancel finds nothing and gives nothing back.
    let again = service.abort_upload(CLIENT, &first, Some(&token)).await;
    assert!(matches!(again, Err(ServiceError::NotFound)), "{again:?}");
}

async fn the_last_view_and_a_destroy_delete_the_data(backend: Backend) {
    let service = backend.swept_service(Duration::from_secs(3600));
    // The last view: the data stays while the claim is live, and goes when it is confirmed.
    let key = MasterKey::generate().unwrap();
    let (id, token) = uploaded(&backend, &service).await;
    let alias = create_with(&service, &id, &token, &key, 1).await.unwrap();
    let claim = reveal(&service, &alias, &key).await.unwrap();
    assert_eq!(
        download(&service, &alias, &key, &claim).await,
        backend.data()
    );
    service
        .confirm(CLIENT, &alias, Ok(Some(Loose::Valid(claim))))
        .await
        .unwrap();
    assert!(!backend.has_blob(&id).await, "deleted with the last view");

    // A destroy by the sender deletes it at once, views left or not.
    let key = MasterKey::generate().unwrap();
    let manage = Proof::generate().unwrap();
    let (id, token) = uploaded(&backend, &service).await;
    let admission = service.admit_create(CLIENT, None).await.unwrap();
    let input = CreateInput {
        manage_verifier: Some(manage.verifier().to_base64url().into()),
        ..create_input(&id, &token, &key, 3)
    };
    let alias = service
        .create(admission, Ok(input))
        .await
        .unwrap()
        .alias
        .to_string();
    assert!(backend.has_blob(&id).await);
    let token = Some(Loose::Valid(manage.to_base64url().to_string()));
    service.destroy(CLIENT, &alias, Ok(token)).await.unwrap();
    assert!(!backend.has_blob(&id).await, "deleted with the destroy");
}

/// Eight recipients reveal a secret of three views at once: three get a view and download
/// the whole data, five get the used-link answer (`NotFound`), and nothing else happens.
async fn concurrent_reveals_of_three_views_give_exactly_three_downloads(backend: Backend) {
    let service = backend.swept_service(Duration::from_secs(3600));
    let key = MasterKey::generate().unwrap();
    let (id, token) = uploaded(&backend, &service).await;
    let alias = create_with(&service, &id, &token, &key, 3).await.unwrap();
    let recipients: Vec<_> = (0..8)
        .map(|_| {
            let (service, alias) = (service.clone(), alias.clone());
            let key = MasterKey::from_bytes(*key.expose_secret());
            tokio::spawn(async move {
                match reveal(&service, &alias, &key).await {
                    Ok(claim) => Some((download(&service, &alias, &key, &claim).await, claim)),
                    Err(ServiceError::NotFound) => None,
                    Err(e) => panic!("reveal: {e}"),
                }
            })
        })
        .collect();
    let mut claims = Vec::new();
    for recipient in recipients {
        if let Some((data, claim)) = recipient.await.unwrap() {
            assert_eq!(data, backend.data());
            claims.push(claim);
        }
    }
    assert_eq!(claims.len(), 3, "complete downloads");
    // The data stays until the last claimed view is confirmed.
    for claim in claims {
        assert!(backend.has_blob(&id).await);
        service
            .confirm(CLIENT, &alias, Ok(Some(Loose::Valid(claim))))
            .await
            .unwrap();
    }
    assert!(!backend.has_blob(&id).await);
}
