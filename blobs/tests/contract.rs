//! The blob-store contract, every case run on both backends: the local directory
//! (`directory::…`) and object storage (`s3::…`: a real one-node Garage each test starts,
//! or the bucket `ONCELINK_S3_ENDPOINT` names). The basic round trip runs on three Garage
//! nodes too. On S3, parts are S3's real minimum (5 MiB), so the cases hold on AWS and MinIO.

#![allow(clippy::unwrap_used)] // tests: a panic is a failure report

mod support;

use std::time::{Duration, SystemTime};

use blobs::{BlobError, Blobs, SecretId};
use support::{Backend, body, data, read_all, upload};

macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod directory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(super::Backend::directory()).await;
                }
            )*
        }
        mod s3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    if let Some(backend) = super::Backend::s3(stringify!($case)) {
                        super::$case(backend).await;
                    }
                }
            )*
        }
    };
}

on_both_backends!(
    parts_in_any_order_and_sent_again_make_the_blob,
    parts_that_do_not_fit_are_refused_and_abort_leaves_nothing,
    an_empty_blob_is_one_empty_part,
    parts_written_at_the_same_time_all_land,
    finish_and_abort_at_once_exactly_one_wins,
    abandoned_uploads_are_listed_for_the_sweep,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_round_trip_holds_on_three_garage_nodes() {
    if let Some(backend) = Backend::s3_cluster("three_nodes") {
        assert_eq!(
            backend
                .s3_target()
                .unwrap()
                .garage
                .as_ref()
                .unwrap()
                .nodes(),
            3
        );
        parts_in_any_order_and_sent_again_make_the_blob(backend).await;
    }
}

/// Parts in any order, one of them twice (a retry after a lost reply), one cut short; then
/// reads of any range, a second finish that changes nothing, and deletion.
async fn parts_in_any_order_and_sent_again_make_the_blob(backend: Backend) {
    let (blobs, p) = (&backend.blobs, backend.part);
    let id = SecretId::generate().unwrap();
    let length = 2 * p + p / 2;
    let bytes = data(length);
    let [first, second, last] = [0..p, p..2 * p, 2 * p..length].map(|r| {
        let (start, end) = (r.start as usize, r.end as usize);
        &bytes[start..end]
    });
    blobs.begin(&id, &upload(length, p)).await.unwrap();
    assert!(matches!(
        blobs.begin(&id, &upload(1, 1)).await,
        Err(BlobError::Exists)
    ));
    assert_eq!(blobs.upload(&id).await.unwrap().unwrap().part_count(), 3);
    blobs.put_part(&id, 2, &mut body(last)).await.unwrap();
    blobs.put_part(&id, 0, &mut body(first)).await.unwrap();
    assert!(matches!(
        blobs.finish(&id).await,
        Err(BlobError::Incomplete {
            received: 2,
            expected: 3
        })
    ));
    blobs.put_part(&id, 0, &mut body(first)).await.unwrap();
    assert_eq!(blobs.received(&id).await.unwrap(), vec![0, 2]);
    // A part sent again and cut short is refused and leaves the one already there intact.
    let refused = blobs.put_part(&id, 0, &mut body(&data(p - 1))).await;
    assert!(matches!(refused, Err(BlobError::BadPart(_))), "{refused:?}");
    blobs.put_part(&id, 1, &mut body(second)).await.unwrap();
    assert_eq!(blobs.finish(&id).await.unwrap(), length);
    assert_eq!(blobs.upload(&id).await.unwrap(), None);
    assert_eq!(blobs.len(&id).await.unwrap(), Some(length));
    assert_eq!(blobs.finished(&id).await.unwrap().unwrap().length, length);
    // Ranges: all, across both part boundaries, the last part, empty at the end, too long.
    assert_eq!(read_all(blobs, &id, 0..length).await, bytes);
    let across = p - 1..2 * p + 1;
    assert_eq!(
        read_all(blobs, &id, across.clone()).await,
        &bytes[across.start as usize..across.end as usize]
    );
    assert_eq!(read_all(blobs, &id, 2 * p..length).await, last);
    assert_eq!(read_all(blobs, &id, length..length).await, Vec::<u8>::new());
    assert!(matches!(
        blobs.read(&id, 0..length + 1).await,
        Err(BlobError::BadRange)
    ));
    // A second finish finds nothing to finish and leaves the blob as it was.
    assert!(matches!(blobs.finish(&id).await, Err(BlobError::NotFound)));
    assert_eq!(read_all(blobs, &id, 0..length).await, bytes);
    // A finished blob cannot be uploaded again.
    assert!(matches!(
        blobs.begin(&id, &upload(1, 1)).await,
        Err(BlobError::Exists)
    ));
    let listed = blobs.list_blobs().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((&listed[0].id, listed[0].length), (&id, length));
    blobs.delete(&id).await.unwrap();
    blobs.delete(&id).await.unwrap();
    assert_eq!(blobs.len(&id).await.unwrap(), None);
    assert!(matches!(
        blobs.read(&id, 0..1).await,
        Err(BlobError::NotFound)
    ));
    assert!(blobs.list_blobs().await.unwrap().is_empty());
}

/// Parts that do not fit are refused, refusing one loses nothing else, and an abort leaves
/// nothing behind.
async fn parts_that_do_not_fit_are_refused_and_abort_leaves_nothing(backend: Backend) {
    let (blobs, p) = (&backend.blobs, backend.part);
    let id = SecretId::generate().unwrap();
    let length = 2 * p + p / 2;
    blobs.begin(&id, &upload(length, p)).await.unwrap();
    for (n, len) in [(0, p - 1), (0, p + 1), (2, p / 2 + 1), (3, 1)] {
        let refused = blobs.put_part(&id, n, &mut body(&data(len))).await;
        assert!(
            matches!(refused, Err(BlobError::BadPart(_))),
            "part {n}, {len} bytes: {refused:?}"
        );
    }
    blobs
        .put_part(&id, 2, &mut body(&data(p / 2)))
        .await
        .unwrap();
    assert_eq!(blobs.received(&id).await.unwrap(), vec![2]);
    // Aborting leaves nothing; a second abort finds nothing.
    assert!(blobs.abort(&id).await.unwrap());
    assert!(!blobs.abort(&id).await.unwrap());
    assert_eq!(blobs.upload(&id).await.unwrap(), None);
    assert!(blobs.list_uploads().await.unwrap().is_empty());
    assert!(matches!(
        blobs.put_part(&id, 0, &mut body(&data(p))).await,
        Err(BlobError::NotFound)
    ));
    assert!(matches!(blobs.finish(&id).await, Err(BlobError::NotFound)));
    assert!(matches!(
        blobs.received(&id).await,
        Err(BlobError::NotFound)
    ));
    // The id is free again.
    blobs.begin(&id, &upload(3, p)).await.unwrap();
    blobs.put_part(&id, 0, &mut body(&data(3))).await.unwrap();
    assert_eq!(blobs.finish(&id).await.unwrap(), 3);
    assert_eq!(read_all(blobs, &id, 0..3).await, data(3));
}

async fn an_empty_blob_is_one_empty_part(backend: Backend) {
    let blobs = &backend.blobs;
    let id = SecretId::generate().unwrap();
    blobs.begin(&id, &upload(0, backend.part)).await.unwrap();
    assert_eq!(blobs.list_uploads().await.unwrap()[0].id, id);
    blobs.put_part(&id, 0, &mut body(&[])).await.unwrap();
    assert_eq!(blobs.finish(&id).await.unwrap(), 0);
    assert_eq!(blobs.len(&id).await.unwrap(), Some(0));
    assert_eq!(read_all(blobs, &id, 0..0).await, Vec::<u8>::new());
    blobs.delete(&id).await.unwrap();
    assert_eq!(blobs.len(&id).await.unwrap(), None);
}

async fn parts_written_at_the_same_time_all_land(backend: Backend) {
    let blobs = &backend.blobs;
    // Eight parts of 64 KiB, or three of S3's minimum (memory: the parts are buffered).
    let (part, count) = if backend.part >= 65_536 {
        (backend.part, 3)
    } else {
        (65_536, 8)
    };
    let id = SecretId::generate().unwrap();
    let bytes = data(part * count);
    blobs
        .begin(&id, &upload(bytes.len() as u64, part))
        .await
        .unwrap();
    let writes: Vec<_> = (0..count)
        .map(|n| {
            let (blobs, id) = (blobs.clone(), id.clone());
            let at = (n * part) as usize;
            let part = bytes[at..at + part as usize].to_vec();
            tokio::spawn(async move { blobs.put_part(&id, n, &mut body(&part)).await })
        })
        .collect();
    for write in writes {
        write.await.unwrap().unwrap();
    }
    assert_eq!(
        blobs.received(&id).await.unwrap(),
        (0..count).collect::<Vec<_>>()
    );
    blobs.finish(&id).await.unwrap();
    assert_eq!(read_all(blobs, &id, 0..bytes.len() as u64).await, bytes);
}

/// A finish and an abort of one upload at once (a create meeting a cancel or the sweep):
/// exactly one wins, and what is left agrees with who won. Two aborts: one wins. Two
/// finishes: the blob is whole. Then the same across two servers' handles, where the
/// backend can decide it (a directory always; S3 with conditional writes).
async fn finish_and_abort_at_once_exactly_one_wins(backend: Backend) {
    let blobs = &backend.blobs;
    let bytes = data(10);
    for round in 0..8 {
        let id = uploaded(blobs, &bytes, backend.part).await;
        let finisher = blobs.clone();
        let aborter = blobs.clone();
        let (finished, aborted) = if round % 2 == 0 {
            race(finisher, aborter, &id).await
        } else {
            let (a, f) = race_reversed(finisher, aborter, &id).await;
            (f, a)
        };
        check_one_winner(blobs, &id, finished, aborted, &bytes).await;
    }

    let id = uploaded(blobs, &bytes, backend.part).await;
    let aborts: Vec<_> = (0..3)
        .map(|_| {
            let (blobs, id) = (blobs.clone(), id.clone());
            tokio::spawn(async move { blobs.abort(&id).await.unwrap() })
        })
        .collect();
    let mut won = 0;
    for abort in aborts {
        won += usize::from(abort.await.unwrap());
    }
    assert_eq!(won, 1, "aborts that won");

    let id = uploaded(blobs, &bytes, backend.part).await;
    let finishes: Vec<_> = (0..3)
        .map(|_| {
            let (blobs, id) = (blobs.clone(), id.clone());
            tokio::spawn(async move { blobs.finish(&id).await })
        })
        .collect();
    for finish in finishes {
        match finish.await.unwrap() {
            Ok(length) => assert_eq!(length, 10),
            Err(BlobError::NotFound) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(read_all(blobs, &id, 0..10).await, bytes);
    assert_eq!(blobs.upload(&id).await.unwrap(), None);

    let decides_across_servers = match blobs {
        Blobs::S3(s3) => s3.conditional_writes().await.unwrap(),
        _ => true,
    };
    if !decides_across_servers {
        eprintln!(
            "finish_and_abort_at_once_exactly_one_wins: this object store ignores conditional \
             writes, so two servers can both win; not checked across servers"
        );
        return;
    }
    let other = backend.second_server();
    for _ in 0..4 {
        let id = uploaded(blobs, &bytes, backend.part).await;
        let (finished, aborted) = race(blobs.clone(), other.clone(), &id).await;
        check_one_winner(blobs, &id, finished, aborted, &bytes).await;
    }
}

/// A fresh upload of `bytes` (one part), every part in.
async fn uploaded(blobs: &Blobs, bytes: &[u8], part: u64) -> SecretId {
    let id = SecretId::generate().unwrap();
    blobs
        .begin(&id, &upload(bytes.len() as u64, part))
        .await
        .unwrap();
    blobs.put_part(&id, 0, &mut body(bytes)).await.unwrap();
    id
}

type Outcomes = (Result<u64, BlobError>, Result<bool, BlobError>);

/// `finish` on one handle and `abort` on the other, started together.
async fn race(finisher: Blobs, aborter: Blobs, id: &SecretId) -> Outcomes {
    let (fid, aid) = (id.clone(), id.clone());
    let finish = tokio::spawn(async move { finisher.finish(&fid).await });
    let abort = tokio::spawn(async move { aborter.abort(&aid).await });
    (finish.await.unwrap(), abort.await.unwrap())
}

/// The same, the abort started first.
async fn race_reversed(
    finisher: Blobs,
    aborter: Blobs,
    id: &SecretId,
) -> (Result<bool, BlobError>, Result<u64, BlobError>) {
    let (fid, aid) = (id.clone(), id.clone());
    let abort = tokio::spawn(async move { aborter.abort(&aid).await });
    let finish = tokio::spawn(async move { finisher.finish(&fid).await });
    (abort.await.unwrap(), finish.await.unwrap())
}

async fn check_one_winner(
    blobs: &Blobs,
    id: &SecretId,
    finished: Result<u64, BlobError>,
    aborted: Result<bool, BlobError>,
    bytes: &[u8],
) {
    let aborted = aborted.unwrap();
    match finished {
        Ok(length) => {
            assert!(!aborted, "both the finish and the abort won");
            assert_eq!(length, bytes.len() as u64);
            assert_eq!(read_all(blobs, id, 0..length).await, bytes);
        }
        Err(BlobError::NotFound) => {
            assert!(aborted, "neither the finish nor the abort won");
            assert_eq!(blobs.len(id).await.unwrap(), None);
        }
        Err(e) => panic!("finish: {e}"),
    }
    assert_eq!(blobs.upload(id).await.unwrap(), None);
}

/// Uploads under way are listed with their whole length and when they began, finished
/// blobs apart, so the sweep can throw away the abandoned and keep the rest.
async fn abandoned_uploads_are_listed_for_the_sweep(backend: Backend) {
    let (blobs, p) = (&backend.blobs, backend.part);
    // Object storage keeps its own clock: allow it to be a little off.
    let slack = Duration::from_secs(5);
    let before = SystemTime::now() - slack;
    let partial = SecretId::generate().unwrap();
    blobs.begin(&partial, &upload(3 * p, p)).await.unwrap();
    blobs
        .put_part(&partial, 0, &mut body(&data(p)))
        .await
        .unwrap();
    let untouched = SecretId::generate().unwrap();
    blobs.begin(&untouched, &upload(10, p)).await.unwrap();
    let done = uploaded(blobs, &data(10), p).await;
    blobs.finish(&done).await.unwrap();

    let mut listed = blobs.list_uploads().await.unwrap();
    listed.sort_by_key(|l| l.length);
    let after = SystemTime::now() + slack;
    let seen: Vec<_> = listed.iter().map(|l| (l.id.clone(), l.length)).collect();
    assert_eq!(
        seen,
        vec![(untouched.clone(), 10), (partial.clone(), 3 * p)]
    );
    for l in &listed {
        assert!(
            before <= l.modified && l.modified <= after,
            "{:?}",
            l.modified
        );
    }
    let blobs_listed = blobs.list_blobs().await.unwrap();
    assert_eq!(blobs_listed.len(), 1);
    assert_eq!((&blobs_listed[0].id, blobs_listed[0].length), (&done, 10));

    // What the sweep does with the abandoned: abort them, and they are gone from the list.
    assert!(blobs.abort(&partial).await.unwrap());
    let left: Vec<_> = blobs
        .list_uploads()
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.id)
        .collect();
    assert_eq!(left, vec![untouched.clone()]);
    assert!(blobs.abort(&untouched).await.unwrap());
    assert!(blobs.list_uploads().await.unwrap().is_empty());
    assert_eq!(blobs.list_blobs().await.unwrap().len(), 1);
}

/// A failure's detail (for logs) never names the secret: here, a key the store refuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_failures_name_no_ids() {
    let Some(target) = testkit::garage::S3Target::for_test("failures_name_no_ids") else {
        return;
    };
    let mut options = support::options(&target);
    options.secret_access_key = Some("0".repeat(64));
    let blobs = Blobs::S3(blobs::S3Blobs::open(options).unwrap());
    let id = SecretId::generate().unwrap();
    let failed = blobs.begin(&id, &upload(10, 10)).await;
    let Err(BlobError::Unavailable(detail)) = failed else {
        panic!("{failed:?}");
    };
    assert!(
        !detail
            .to_ascii_lowercase()
            .contains(&id.as_str().to_ascii_lowercase()),
        "{detail}"
    );
    assert!(!detail.contains(&"0".repeat(64)), "{detail}");
}
