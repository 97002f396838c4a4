//! Delivery that survives a lost answer: a view claimed with a nonce's verifier is delivered
//! again to the same claim (and access proof) inside its window, to nobody else, and never
//! counted twice.

use std::time::Duration;

use store::{Access, Claim, Presented, Reveal, Store};

use super::{by_alias, by_id, eventually, verifier, with};

fn claim(byte: u8, window: Duration) -> Claim {
    Claim {
        verifier: verifier(byte),
        window,
    }
}

fn presenting(claim: Claim) -> Presented {
    Presented {
        access: Some(verifier(1)),
        claim: Some(claim),
        ..Presented::default()
    }
}

fn guarded(max_views: u32) -> Access {
    Access {
        max_views,
        access_verifier: Some(verifier(1)),
        ..Access::default()
    }
}

/// `(views_left, redelivered)` of a reveal that must succeed.
async fn revealed(store: &Store, key: &store::SecretRef, presented: &Presented) -> (u32, bool) {
    match store.reveal(key, presented).await.unwrap() {
        Reveal::Revealed {
            payload,
            views_left,
            redelivered,
            ..
        } => {
            assert_eq!(payload.as_ref(), b"claimed");
            (views_left, redelivered)
        }
        other => panic!("expected the payload, got {other:?}"),
    }
}

pub async fn a_claim_gets_its_view_again_and_nobody_else_does(store: Store) {
    let created = store.create(with(b"claimed", guarded(1))).await.unwrap();
    let key = by_alias(&created.alias);
    let mine = presenting(claim(10, Duration::from_secs(60)));
    assert_eq!(revealed(&store, &key, &mine).await, (0, false));
    // The answer was lost: the same claim gets the same view, counted once.
    assert_eq!(revealed(&store, &key, &mine).await, (0, true));
    assert_eq!(
        revealed(&store, &by_id(&created.id), &mine).await,
        (0, true)
    );
    // Another claim, or the same claim without the access proof, gets nothing.
    let other = presenting(claim(11, Duration::from_secs(60)));
    assert_eq!(store.reveal(&key, &other).await.unwrap(), Reveal::NotFound);
    let no_proof = Presented {
        access: Some(verifier(2)),
        ..mine
    };
    assert_eq!(
        store.reveal(&key, &no_proof).await.unwrap(),
        Reveal::WrongKey
    );
    assert!(store.info(&key).await.unwrap().is_none());
    // Confirmed: the copy is gone, even for the claim.
    assert!(store.confirm(&key, &verifier(10)).await.unwrap());
    assert_eq!(store.reveal(&key, &mine).await.unwrap(), Reveal::NotFound);
    assert!(!store.confirm(&key, &verifier(10)).await.unwrap());
}

pub async fn a_claims_window_ends(store: Store) {
    let created = store.create(with(b"claimed", guarded(1))).await.unwrap();
    let key = by_alias(&created.alias);
    let mine = presenting(claim(12, Duration::from_millis(300)));
    assert_eq!(revealed(&store, &key, &mine).await, (0, false));
    eventually("the claim's window to end", async || {
        store.reveal(&key, &mine).await.unwrap() == Reveal::NotFound
    })
    .await;
    assert!(!store.confirm(&key, &verifier(12)).await.unwrap());
}

pub async fn each_claim_counts_one_view(store: Store) {
    let created = store.create(with(b"claimed", guarded(2))).await.unwrap();
    let key = by_alias(&created.alias);
    let first = presenting(claim(20, Duration::from_secs(60)));
    let second = presenting(claim(21, Duration::from_secs(60)));
    assert_eq!(revealed(&store, &key, &first).await, (1, false));
    assert_eq!(revealed(&store, &key, &first).await, (1, true));
    assert_eq!(store.info(&key).await.unwrap().unwrap().views_left, 1);
    assert_eq!(revealed(&store, &key, &second).await, (0, false));
    let third = presenting(claim(22, Duration::from_secs(60)));
    assert_eq!(store.reveal(&key, &third).await.unwrap(), Reveal::NotFound);
    // Both claims are still inside their window; confirming one keeps the other's copy.
    assert!(store.confirm(&key, &verifier(21)).await.unwrap());
    assert_eq!(revealed(&store, &key, &first).await, (0, true));
    assert!(store.confirm(&key, &verifier(20)).await.unwrap());
    assert_eq!(store.reveal(&key, &first).await.unwrap(), Reveal::NotFound);
}

pub async fn concurrent_claims_count_each_view_once(store: Store) {
    let created = store.create(with(b"claimed", guarded(3))).await.unwrap();
    let mut tasks = Vec::new();
    for byte in 30..42u8 {
        let store = store.clone();
        let key = by_alias(&created.alias);
        tasks.push(tokio::spawn(async move {
            let mine = presenting(claim(byte, Duration::from_secs(60)));
            // Each client asks twice, as after a lost answer.
            let first = store.reveal(&key, &mine).await.unwrap();
            let again = store.reveal(&key, &mine).await.unwrap();
            (first, again)
        }));
    }
    let mut views = 0;
    for task in tasks {
        match task.await.unwrap() {
            (
                Reveal::Revealed {
                    redelivered: false, ..
                },
                Reveal::Revealed {
                    redelivered: true, ..
                },
            ) => views += 1,
            (Reveal::NotFound, Reveal::NotFound) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(views, 3);
}

pub async fn a_claimless_last_view_keeps_the_copy_for_live_claims(store: Store) {
    let created = store.create(with(b"claimed", guarded(2))).await.unwrap();
    let key = by_alias(&created.alias);
    let mine = presenting(claim(50, Duration::from_secs(60)));
    assert_eq!(revealed(&store, &key, &mine).await, (1, false));
    // The last view goes to a client without a claim (the reference read) meanwhile.
    let claimless = Presented {
        access: Some(verifier(1)),
        ..Presented::default()
    };
    assert_eq!(revealed(&store, &key, &claimless).await, (0, false));
    // The first client's answer was lost: its claim still gets its view.
    assert_eq!(revealed(&store, &key, &mine).await, (0, true));
}

/// A secret with file data carries its own, longer claim window; a live claim with the access
/// proof is what lets its data be downloaded (`held`), and it counts nothing.
pub async fn a_secrets_own_window_holds_its_claims_for_the_download(store: Store) {
    let short = Duration::from_millis(300);
    let with_data = Access {
        claim_window: Some(Duration::from_secs(60)),
        ..guarded(1)
    };
    let created = store.create(with(b"claimed", with_data)).await.unwrap();
    let plain = store.create(with(b"claimed", guarded(1))).await.unwrap();
    for created in [&created, &plain] {
        assert!(store.has_payload(&created.id).await.unwrap());
        assert_eq!(
            store.id_of(&created.alias).await.unwrap(),
            Some(created.id.clone())
        );
        let key = by_alias(&created.alias);
        assert_eq!(
            revealed(&store, &key, &presenting(claim(10, short))).await,
            (0, false)
        );
    }
    let held = |alias, access, byte| {
        let store = store.clone();
        async move { store.held(alias, access, &verifier(byte)).await.unwrap() }
    };
    assert_eq!(
        held(&created.alias, Some(verifier(1)), 10).await,
        Some(created.id.clone())
    );
    assert_eq!(held(&created.alias, Some(verifier(2)), 10).await, None);
    assert_eq!(held(&created.alias, None, 10).await, None);
    assert_eq!(held(&created.alias, Some(verifier(1)), 11).await, None);
    // The plain secret's claim ends with the short window the reveal asked for...
    eventually("the plain claim's window to end", async || {
        held(&plain.alias, Some(verifier(1)), 10).await.is_none()
    })
    .await;
    // The payload's own expiry is Redis's, a few milliseconds from the window's end by the
    // app's clock: polled, not assumed.
    eventually("the plain payload to go", async || {
        !store.has_payload(&plain.id).await.unwrap()
    })
    .await;
    // ... while the secret with data still holds it (its own window is a minute), and
    // holding it counted nothing.
    assert_eq!(
        held(&created.alias, Some(verifier(1)), 10).await,
        Some(created.id.clone())
    );
    assert!(store.has_payload(&created.id).await.unwrap());
    let key = by_alias(&created.alias);
    assert_eq!(
        revealed(&store, &key, &presenting(claim(10, short))).await,
        (0, true)
    );
    // Confirmed: no more downloads, and the payload is gone.
    assert!(store.confirm(&key, &verifier(10)).await.unwrap());
    assert_eq!(held(&created.alias, Some(verifier(1)), 10).await, None);
    assert!(!store.has_payload(&created.id).await.unwrap());
}
