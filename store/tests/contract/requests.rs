//! Requests: one answer of any number sent at once, proofs checked, cancel, expiry; the
//! answer's own reveal is an ordinary secret's (one of 50 concurrent reveals gets it).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use store::{
    Access, AnswerAt, Answered, Cancelled, Managed, NewRequest, Presented, RequestProof, Reveal,
    SecretId, Stage, Store,
};

use super::{by_alias, eventually, verifier, with};

const ANSWER_PROOF: u8 = 21;
const INBOX_PROOF: u8 = 22;

fn request(ttl: Duration) -> NewRequest {
    NewRequest {
        id: SecretId::generate().unwrap(),
        note: Bytes::from_static(b"\x01sealed note"),
        answer_verifier: verifier(ANSWER_PROOF),
        inbox_verifier: verifier(INBOX_PROOF),
        ttl,
        answer_ttl: Duration::from_secs(7200),
    }
}

fn answer(n: u8) -> AnswerAt {
    AnswerAt {
        alias: super::alias(&format!("Answer{n:02}")),
        id: SecretId::generate().unwrap(),
        key_box: Bytes::from(vec![n; 80]),
        answered_at: 1_700_000_000,
    }
}

/// Answers `alias` with answer `n`, presenting the verifier of `proof`.
async fn answer_with(
    store: &Store,
    alias: &store::Alias,
    proof: u8,
    n: u8,
    ttl: Duration,
) -> Managed<Answered> {
    let answer = answer(n);
    store
        .answer_request(alias, &verifier(proof), &answer, ttl)
        .await
        .unwrap()
}

fn by_answer() -> RequestProof {
    RequestProof::Answer(verifier(ANSWER_PROOF))
}

fn by_inbox() -> RequestProof {
    RequestProof::Inbox(verifier(INBOX_PROOF))
}

pub(super) async fn requests_take_exactly_one_of_50_concurrent_answers(store: Store) {
    let new = request(super::HOUR);
    let id = new.id.clone();
    let created = store.create_request(new).await.unwrap();
    let alias = Arc::new(created.alias);
    let tasks: Vec<_> = (0..50u8)
        .map(|n| {
            let (store, alias) = (store.clone(), alias.clone());
            tokio::spawn(async move {
                let ttl = Duration::from_secs(7200);
                (n, answer_with(&store, &alias, ANSWER_PROOF, n, ttl).await)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            (n, Managed::Ok(Answered::Now { .. })) => winners.push(n),
            (_, Managed::Ok(Answered::Already)) => {}
            (_, other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let Managed::Ok(record) = store.request(&alias, by_inbox()).await.unwrap() else {
        panic!("the inbox cannot read its request");
    };
    assert_eq!(record.id, id);
    assert_eq!(record.stage, Stage::Answered);
    assert_eq!(record.note.as_ref(), b"\x01sealed note");
    let stored = record.answer.unwrap();
    assert_eq!(
        stored.key_box.as_ref(),
        &[winners[0]; 80][..],
        "the winner's box"
    );
    assert_eq!(stored.alias, answer(winners[0]).alias);
    assert_eq!(stored.answered_at, 1_700_000_000);
    // The record now lives as long as the answer (two hours), not the hour it was open.
    assert!(record.expires_at >= now() + 7100, "{}", record.expires_at);
}

pub(super) async fn requests_check_their_proofs(store: Store) {
    let created = store.create_request(request(super::HOUR)).await.unwrap();
    let alias = created.alias;
    // Each side's proof reads it; the other proof, or a guess, does not.
    assert!(matches!(
        store.request(&alias, by_answer()).await.unwrap(),
        Managed::Ok(_)
    ));
    for wrong in [
        RequestProof::Answer(verifier(INBOX_PROOF)),
        RequestProof::Inbox(verifier(ANSWER_PROOF)),
        RequestProof::Answer(verifier(9)),
    ] {
        let refused = store.request(&alias, wrong).await.unwrap();
        assert!(matches!(refused, Managed::WrongToken), "{wrong:?}");
    }
    let ttl = Duration::from_secs(60);
    let guessed = answer_with(&store, &alias, INBOX_PROOF, 1, ttl);
    assert!(matches!(guessed.await, Managed::WrongToken));
    let cancel = store.cancel_request(&alias, &verifier(ANSWER_PROOF)).await;
    assert!(matches!(cancel.unwrap(), Managed::WrongToken));
    // Nothing was changed by the refusals.
    let Managed::Ok(record) = store.request(&alias, by_answer()).await.unwrap() else {
        panic!("gone");
    };
    assert_eq!(record.stage, Stage::Open);
    assert!(record.answer.is_none());
    let unknown = super::alias("Unknown1");
    assert!(matches!(
        store.request(&unknown, by_answer()).await.unwrap(),
        Managed::NotFound
    ));
}

pub(super) async fn a_cancelled_request_takes_no_answer(store: Store) {
    let created = store.create_request(request(super::HOUR)).await.unwrap();
    let alias = created.alias;
    let cancelled = store.cancel_request(&alias, &verifier(INBOX_PROOF)).await;
    assert_eq!(cancelled.unwrap(), Managed::Ok(Cancelled::Now(None)));
    let again = store.cancel_request(&alias, &verifier(INBOX_PROOF)).await;
    assert_eq!(again.unwrap(), Managed::Ok(Cancelled::Already(None)));
    let ttl = Duration::from_secs(60);
    let late = answer_with(&store, &alias, ANSWER_PROOF, 2, ttl);
    assert!(matches!(late.await, Managed::Ok(Answered::Cancelled)));
    let Managed::Ok(record) = store.request(&alias, by_answer()).await.unwrap() else {
        panic!("gone");
    };
    assert_eq!(record.stage, Stage::Cancelled);
    // Cancelling an answered request names the answer, for the service to destroy.
    let created = store.create_request(request(super::HOUR)).await.unwrap();
    let first = answer_with(&store, &created.alias, ANSWER_PROOF, 3, ttl);
    assert!(matches!(first.await, Managed::Ok(Answered::Now { .. })));
    let cancelled = store
        .cancel_request(&created.alias, &verifier(INBOX_PROOF))
        .await;
    assert_eq!(
        cancelled.unwrap(),
        Managed::Ok(Cancelled::Now(Some(answer(3).alias)))
    );
}

pub(super) async fn requests_expire(store: Store) {
    let created = store
        .create_request(request(Duration::from_millis(300)))
        .await
        .unwrap();
    let alias = created.alias;
    assert!(matches!(
        store.request(&alias, by_inbox()).await.unwrap(),
        Managed::Ok(_)
    ));
    eventually("the request expires", async || {
        matches!(
            store.request(&alias, by_inbox()).await.unwrap(),
            Managed::NotFound
        )
    })
    .await;
    let ttl = Duration::from_secs(60);
    let late = answer_with(&store, &alias, ANSWER_PROOF, 4, ttl);
    assert!(matches!(late.await, Managed::NotFound));
    // An answered request lives as its answer does, not as it was open.
    let created = store
        .create_request(request(Duration::from_secs(3600)))
        .await
        .unwrap();
    let short = Duration::from_millis(300);
    let answered = answer_with(&store, &created.alias, ANSWER_PROOF, 5, short);
    assert!(matches!(answered.await, Managed::Ok(Answered::Now { .. })));
    eventually("the answered request expires with its answer", async || {
        matches!(
            store.request(&created.alias, by_inbox()).await.unwrap(),
            Managed::NotFound
        )
    })
    .await;
}

/// The answer is an ordinary one-view secret: of 50 concurrent reveals exactly one gets it.
pub(super) async fn an_answer_is_revealed_by_exactly_one_of_50(store: Store) {
    let access = Access {
        access_verifier: Some(verifier(1)),
        manage_verifier: Some(verifier(INBOX_PROOF)),
        ..Access::default()
    };
    let created = store.create(with(b"the answer", access)).await.unwrap();
    let key = Arc::new(by_alias(&created.alias));
    let tasks: Vec<_> = (0..50u8)
        .map(|n| {
            let (store, key) = (store.clone(), key.clone());
            tokio::spawn(async move {
                let presented = Presented {
                    access: Some(verifier(1)),
                    claim: Some(store::Claim {
                        verifier: verifier(100 + n),
                        window: Duration::from_secs(60),
                    }),
                    ..Presented::default()
                };
                store.reveal(&key, &presented).await.unwrap()
            })
        })
        .collect();
    let mut got = 0;
    for task in tasks {
        match task.await.unwrap() {
            Reveal::Revealed { payload, .. } => {
                assert_eq!(payload.as_ref(), b"the answer");
                got += 1;
            }
            Reveal::NotFound => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(got, 1);
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}
