//! One contract, two backends: every test here runs against the embedded store and against
//! a real `redis-server` (`$REDIS_URL`, or a private one started on a free port).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use store::{
    Access, Alias, Destroyed, EmbeddedConfig, EmbeddedStore, Managed, NewSecret, Presented,
    RedisConfig, RedisStore, Reveal, SecretId, SecretRef, State, Store, StoreError, Verifier,
};
use testkit::{RedisServer, TestRedis};

#[path = "contract/claims.rs"]
mod claims;
use claims::*;
#[path = "contract/requests.rs"]
mod requests;
use requests::*;

const HOUR: Duration = Duration::from_secs(3600);

fn secret(payload: &[u8], ttl: Duration) -> NewSecret {
    NewSecret {
        id: SecretId::generate().unwrap(),
        payload: Bytes::copy_from_slice(payload),
        ttl,
        access: Access::default(),
    }
}

/// A reveal without proofs (the reference API's GET): `Some` when it returned the payload.
struct Consumed {
    id: SecretId,
    payload: Bytes,
}

trait Consume {
    async fn consume(&self, key: &SecretRef) -> Result<Option<Consumed>, StoreError>;
    async fn exists(&self, key: &SecretRef) -> Result<bool, StoreError>;
}

impl Consume for Store {
    async fn consume(&self, key: &SecretRef) -> Result<Option<Consumed>, StoreError> {
        Ok(match self.reveal(key, &Presented::default()).await? {
            Reveal::Revealed { id, payload, .. } => Some(Consumed { id, payload }),
            _ => None,
        })
    }
    async fn exists(&self, key: &SecretRef) -> Result<bool, StoreError> {
        Ok(self.info(key).await?.is_some())
    }
}

/// Polls `condition` every 20 ms until it holds; fails after 5 s. Lifetimes are real time on
/// Redis, so tests wait for the store to say a secret has expired rather than sleep a guess.
async fn eventually<F: AsyncFn() -> bool>(what: &str, condition: F) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !condition().await {
        assert!(Instant::now() < deadline, "{what}: not after 5 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn verifier(byte: u8) -> Verifier {
    Verifier::from_bytes([byte; 32])
}

fn with(payload: &[u8], access: Access) -> NewSecret {
    NewSecret {
        access,
        ..secret(payload, HOUR)
    }
}

fn alias(text: &str) -> Alias {
    Alias::parse(text).unwrap()
}

fn by_alias(a: &Alias) -> SecretRef {
    SecretRef::Alias(a.clone())
}

fn by_id(id: &SecretId) -> SecretRef {
    SecretRef::Id(id.clone())
}

async fn embedded_store(_test: &str) -> (Store, Option<TestRedis>) {
    (
        Store::Embedded(EmbeddedStore::new(EmbeddedConfig::default())),
        None,
    )
}

async fn redis_store(test: &str) -> (Store, Option<TestRedis>) {
    let redis = TestRedis::new(test);
    let mut config = RedisConfig::new(&redis.url);
    config.prefix = redis.prefix.clone();
    let store = RedisStore::connect(&config).await.unwrap();
    (Store::Redis(store), Some(redis))
}

async fn cluster_store(test: &str) -> (Store, Option<TestRedis>) {
    let mut config = RedisConfig::new(testkit::RedisCluster::url());
    config.prefix = testkit::unique_prefix(test);
    let store = RedisStore::connect(&config).await.unwrap();
    (Store::Redis(store), None)
}

async fn sentinel_store(test: &str) -> (Store, Option<TestRedis>) {
    let mut config = RedisConfig::new(testkit::RedisSentinel::url());
    config.prefix = testkit::unique_prefix(test);
    let store = RedisStore::connect(&config).await.unwrap();
    (Store::Redis(store), None)
}

macro_rules! contract {
    ($($test:ident),* $(,)?) => {
        /// The same contract through Redis Sentinel.
        mod sentinel {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let (store, _redis) = super::sentinel_store(stringify!($test)).await;
                    super::$test(store).await;
                }
            )*
        }
        /// The same contract on a real three-master Redis Cluster.
        mod cluster {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let (store, _redis) = super::cluster_store(stringify!($test)).await;
                    super::$test(store).await;
                }
            )*
        }
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let (store, _redis) = super::embedded_store(stringify!($test)).await;
                    super::$test(store).await;
                }
            )*
        }
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let (store, _redis) = super::redis_store(stringify!($test)).await;
                    super::$test(store).await;
                }
            )*
        }
    };
}

contract!(
    consume_returns_exact_bytes_once,
    consume_by_id_removes_the_alias_too,
    unknown_secrets_are_none,
    duplicate_id_is_a_conflict_and_keeps_the_original,
    alias_collision_retries_with_a_new_alias,
    aliases_exhausted_is_an_error,
    ttl_expiry,
    concurrent_consumers_exactly_one_wins,
    concurrent_mixed_id_and_alias_consumers_exactly_one_wins,
    large_binary_payload_round_trips,
    health_is_ok,
    exists_does_not_consume,
    access_proof_is_required_and_checked,
    view_limits_count_down,
    concurrent_reveals_respect_the_view_limit,
    passphrase_tries_count_down_and_burn,
    passphrase_and_proof_together,
    sender_sees_status_and_destroys,
    without_a_manage_token_nothing_is_kept,
    a_claim_gets_its_view_again_and_nobody_else_does,
    a_claims_window_ends,
    each_claim_counts_one_view,
    concurrent_claims_count_each_view_once,
    a_claimless_last_view_keeps_the_copy_for_live_claims,
    a_secrets_own_window_holds_its_claims_for_the_download,
    requests_take_exactly_one_of_50_concurrent_answers,
    requests_check_their_proofs,
    a_cancelled_request_takes_no_answer,
    requests_expire,
    an_answer_is_revealed_by_exactly_one_of_50,
);

async fn consume_returns_exact_bytes_once(store: Store) {
    let payload: Vec<u8> = (0..=255).collect();
    let new = secret(&payload, HOUR);
    let id = new.id.clone();
    let created = store.create(new).await.unwrap();
    assert_eq!(created.id, id);
    assert_eq!(created.alias.as_str().len(), 8);

    let consumed = store
        .consume(&by_alias(&created.alias))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(consumed.id, id);
    assert_eq!(consumed.payload.as_ref(), payload.as_slice());
    assert!(
        store
            .consume(&by_alias(&created.alias))
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.consume(&by_id(&id)).await.unwrap().is_none());
}

async fn consume_by_id_removes_the_alias_too(store: Store) {
    let new = secret(b"by id", HOUR);
    let id = new.id.clone();
    let created = store.create(new).await.unwrap();
    let consumed = store.consume(&by_id(&id)).await.unwrap().unwrap();
    assert_eq!(consumed.payload.as_ref(), b"by id");
    assert!(
        store
            .consume(&by_alias(&created.alias))
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.consume(&by_id(&id)).await.unwrap().is_none());
}

async fn unknown_secrets_are_none(store: Store) {
    assert!(
        store
            .consume(&by_alias(&alias("Nothing1")))
            .await
            .unwrap()
            .is_none()
    );
    let id = SecretId::generate().unwrap();
    assert!(store.consume(&by_id(&id)).await.unwrap().is_none());
}

async fn duplicate_id_is_a_conflict_and_keeps_the_original(store: Store) {
    let first = secret(b"first", HOUR);
    let mut second = secret(b"second", HOUR);
    second.id = first.id.clone();
    let created = store.create(first).await.unwrap();
    assert!(matches!(
        store.create(second).await,
        Err(StoreError::Conflict)
    ));
    let consumed = store
        .consume(&by_alias(&created.alias))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(consumed.payload.as_ref(), b"first");
}

async fn alias_collision_retries_with_a_new_alias(store: Store) {
    let taken = alias("Taken123");
    let a = store
        .create_with_aliases(secret(b"a", HOUR), &mut || Ok(alias("Taken123")))
        .await
        .unwrap();
    assert_eq!(a.alias, taken);

    let mut offered = vec![alias("Fresh456"), alias("Taken123")];
    let b = store
        .create_with_aliases(secret(b"b", HOUR), &mut || Ok(offered.pop().unwrap()))
        .await
        .unwrap();
    assert_eq!(b.alias, alias("Fresh456"));
    assert!(offered.is_empty(), "the taken alias was offered first");

    let got_a = store.consume(&by_alias(&taken)).await.unwrap().unwrap();
    let got_b = store.consume(&by_id(&b.id)).await.unwrap().unwrap();
    assert_eq!(got_a.payload.as_ref(), b"a");
    assert_eq!(got_b.payload.as_ref(), b"b");
}

async fn aliases_exhausted_is_an_error(store: Store) {
    store
        .create_with_aliases(secret(b"a", HOUR), &mut || Ok(alias("Always11")))
        .await
        .unwrap();
    let loser = secret(b"b", HOUR);
    let loser_id = loser.id.clone();
    let result = store
        .create_with_aliases(loser, &mut || Ok(alias("Always11")))
        .await;
    assert!(matches!(result, Err(StoreError::AliasesExhausted)));
    // The failed create left nothing behind: its id is free again.
    let mut retry = secret(b"b", HOUR);
    retry.id = loser_id;
    store.create(retry).await.unwrap();
}

async fn ttl_expiry(store: Store) {
    let short = secret(b"short", Duration::from_millis(300));
    let short_id = short.id.clone();
    let short = store.create(short).await.unwrap();
    let long = store.create(secret(b"long", HOUR)).await.unwrap();
    eventually("short secret expired", async || {
        !store.exists(&by_alias(&short.alias)).await.unwrap()
    })
    .await;
    assert!(
        store
            .consume(&by_alias(&short.alias))
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.consume(&by_id(&short_id)).await.unwrap().is_none());
    assert!(
        store
            .consume(&by_alias(&long.alias))
            .await
            .unwrap()
            .is_some()
    );
}

async fn concurrent_consumers_exactly_one_wins(store: Store) {
    let created = store.create(secret(b"race", HOUR)).await.unwrap();
    let store = Arc::new(store);
    let barrier = Arc::new(tokio::sync::Barrier::new(200));
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let (store, barrier, key) = (store.clone(), barrier.clone(), by_alias(&created.alias));
            tokio::spawn(async move {
                barrier.wait().await;
                store.consume(&key).await.unwrap()
            })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        if let Some(c) = task.await.unwrap() {
            assert_eq!(c.payload.as_ref(), b"race");
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

async fn concurrent_mixed_id_and_alias_consumers_exactly_one_wins(store: Store) {
    let created = store.create(secret(b"race", HOUR)).await.unwrap();
    let store = Arc::new(store);
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let store = store.clone();
            let key = if i % 2 == 0 {
                by_alias(&created.alias)
            } else {
                by_id(&created.id)
            };
            tokio::spawn(async move { store.consume(&key).await.unwrap() })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap().is_some());
    }
    assert_eq!(winners, 1);
}

async fn large_binary_payload_round_trips(store: Store) {
    let payload: Vec<u8> = (0..11 * 1024 * 1024)
        .map(|i: u32| (i * 7 % 251) as u8)
        .collect();
    let created = store.create(secret(&payload, HOUR)).await.unwrap();
    let consumed = store.consume(&by_id(&created.id)).await.unwrap().unwrap();
    assert!(consumed.payload.as_ref() == payload.as_slice());
}

async fn exists_does_not_consume(store: Store) {
    let created = store.create(secret(b"peek", HOUR)).await.unwrap();
    for _ in 0..3 {
        assert!(store.exists(&by_alias(&created.alias)).await.unwrap());
        assert!(store.exists(&by_id(&created.id)).await.unwrap());
    }
    assert!(!store.exists(&by_alias(&alias("Nothing1"))).await.unwrap());
    assert!(
        !store
            .exists(&by_id(&SecretId::generate().unwrap()))
            .await
            .unwrap()
    );
    store
        .consume(&by_alias(&created.alias))
        .await
        .unwrap()
        .unwrap();
    assert!(!store.exists(&by_alias(&created.alias)).await.unwrap());
    assert!(!store.exists(&by_id(&created.id)).await.unwrap());

    let short = store
        .create(secret(b"short", Duration::from_millis(200)))
        .await
        .unwrap();
    eventually("short secret expired", async || {
        !store.exists(&by_alias(&short.alias)).await.unwrap()
    })
    .await;
}

async fn access_proof_is_required_and_checked(store: Store) {
    let access = Access {
        access_verifier: Some(verifier(1)),
        ..Access::default()
    };
    let created = store.create(with(b"proof", access)).await.unwrap();
    let key = by_alias(&created.alias);
    for wrong in [
        Presented::default(),
        Presented {
            access: Some(verifier(2)),
            passphrase: None,
            claim: None,
        },
    ] {
        assert_eq!(store.reveal(&key, &wrong).await.unwrap(), Reveal::WrongKey);
    }
    let info = store.info(&key).await.unwrap().unwrap();
    assert!(info.needs_proof && !info.needs_passphrase);
    let right = Presented {
        access: Some(verifier(1)),
        passphrase: None,
        claim: None,
    };
    let Reveal::Revealed {
        payload,
        views_left,
        ..
    } = store.reveal(&key, &right).await.unwrap()
    else {
        panic!("the right proof must reveal");
    };
    assert_eq!((payload.as_ref(), views_left), (&b"proof"[..], 0));
    assert_eq!(store.reveal(&key, &right).await.unwrap(), Reveal::NotFound);
}

async fn view_limits_count_down(store: Store) {
    let access = Access {
        max_views: 3,
        ..Access::default()
    };
    let created = store.create(with(b"three", access)).await.unwrap();
    for expected_left in [2, 1, 0] {
        assert_eq!(
            store
                .info(&by_id(&created.id))
                .await
                .unwrap()
                .unwrap()
                .views_left,
            expected_left + 1
        );
        match store
            .reveal(&by_alias(&created.alias), &Presented::default())
            .await
            .unwrap()
        {
            Reveal::Revealed {
                views_left,
                payload,
                ..
            } => {
                assert_eq!(views_left, expected_left);
                assert_eq!(payload.as_ref(), b"three");
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        store
            .reveal(&by_alias(&created.alias), &Presented::default())
            .await
            .unwrap(),
        Reveal::NotFound
    );
    assert!(
        store
            .info(&by_alias(&created.alias))
            .await
            .unwrap()
            .is_none()
    );
}

async fn concurrent_reveals_respect_the_view_limit(store: Store) {
    let access = Access {
        max_views: 5,
        ..Access::default()
    };
    let created = store.create(with(b"five", access)).await.unwrap();
    let store = Arc::new(store);
    let barrier = Arc::new(tokio::sync::Barrier::new(200));
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let (store, barrier) = (store.clone(), barrier.clone());
            let key = if i % 2 == 0 {
                by_alias(&created.alias)
            } else {
                by_id(&created.id)
            };
            tokio::spawn(async move {
                barrier.wait().await;
                store.reveal(&key, &Presented::default()).await.unwrap()
            })
        })
        .collect();
    let mut left_seen = Vec::new();
    for task in tasks {
        if let Reveal::Revealed { views_left, .. } = task.await.unwrap() {
            left_seen.push(views_left);
        }
    }
    left_seen.sort_unstable();
    assert_eq!(left_seen, vec![0, 1, 2, 3, 4]);
}

async fn passphrase_tries_count_down_and_burn(store: Store) {
    let access = Access {
        passphrase_verifier: Some(verifier(7)),
        passphrase_tries: 3,
        ..Access::default()
    };
    let created = store.create(with(b"pass", access)).await.unwrap();
    let key = by_alias(&created.alias);
    assert_eq!(
        store.reveal(&key, &Presented::default()).await.unwrap(),
        Reveal::PassphraseRequired { tries_left: 3 }
    );
    let wrong = Presented {
        access: None,
        passphrase: Some(verifier(8)),
        claim: None,
    };
    assert_eq!(
        store.reveal(&key, &wrong).await.unwrap(),
        Reveal::WrongPassphrase { tries_left: 2 }
    );
    assert_eq!(store.info(&key).await.unwrap().unwrap().tries_left, 2);
    let right = Presented {
        access: None,
        passphrase: Some(verifier(7)),
        claim: None,
    };
    assert!(matches!(
        store.reveal(&key, &right).await.unwrap(),
        Reveal::Revealed { .. }
    ));

    let access = Access {
        passphrase_verifier: Some(verifier(7)),
        passphrase_tries: 3,
        ..Access::default()
    };
    let burned = store.create(with(b"burn", access)).await.unwrap();
    let key = by_alias(&burned.alias);
    assert_eq!(
        store.reveal(&key, &wrong).await.unwrap(),
        Reveal::WrongPassphrase { tries_left: 2 }
    );
    assert_eq!(
        store.reveal(&key, &wrong).await.unwrap(),
        Reveal::WrongPassphrase { tries_left: 1 }
    );
    assert_eq!(store.reveal(&key, &wrong).await.unwrap(), Reveal::Burned);
    assert_eq!(store.reveal(&key, &right).await.unwrap(), Reveal::NotFound);
}

async fn passphrase_and_proof_together(store: Store) {
    let access = Access {
        access_verifier: Some(verifier(1)),
        passphrase_verifier: Some(verifier(2)),
        ..Access::default()
    };
    let created = store.create(with(b"both", access)).await.unwrap();
    let key = by_alias(&created.alias);
    // A wrong key never costs a passphrase try.
    let no_key = Presented {
        access: Some(verifier(9)),
        passphrase: Some(verifier(9)),
        claim: None,
    };
    for _ in 0..10 {
        assert_eq!(store.reveal(&key, &no_key).await.unwrap(), Reveal::WrongKey);
    }
    let key_only = Presented {
        access: Some(verifier(1)),
        passphrase: None,
        claim: None,
    };
    assert_eq!(
        store.reveal(&key, &key_only).await.unwrap(),
        Reveal::PassphraseRequired { tries_left: 5 }
    );
    let both = Presented {
        access: Some(verifier(1)),
        passphrase: Some(verifier(2)),
        claim: None,
    };
    assert!(matches!(
        store.reveal(&key, &both).await.unwrap(),
        Reveal::Revealed { .. }
    ));
}

async fn sender_sees_status_and_destroys(store: Store) {
    let access = Access {
        max_views: 2,
        manage_verifier: Some(verifier(3)),
        ..Access::default()
    };
    let created = store.create(with(b"managed", access)).await.unwrap();
    let alias = created.alias.clone();
    assert_eq!(
        store.status(&alias, &verifier(4)).await.unwrap(),
        Managed::WrongToken
    );
    assert_eq!(
        store.destroy(&alias, &verifier(4)).await.unwrap(),
        Managed::WrongToken
    );
    let Managed::Ok(status) = store.status(&alias, &verifier(3)).await.unwrap() else {
        panic!()
    };
    assert_eq!(
        (status.state, status.views_used, status.max_views),
        (State::Waiting, 0, 2)
    );
    assert!(status.opened_at.is_empty() && status.expires_at > 0 && status.tries_left.is_none());

    assert!(matches!(
        store
            .reveal(&by_alias(&alias), &Presented::default())
            .await
            .unwrap(),
        Reveal::Revealed { views_left: 1, .. }
    ));
    let Managed::Ok(status) = store.status(&alias, &verifier(3)).await.unwrap() else {
        panic!()
    };
    assert_eq!(
        (status.state, status.views_used, status.opened_at.len()),
        (State::Opened, 1, 1)
    );

    assert_eq!(
        store.destroy(&alias, &verifier(3)).await.unwrap(),
        Managed::Ok(Destroyed::Now)
    );
    assert_eq!(
        store.destroy(&alias, &verifier(3)).await.unwrap(),
        Managed::Ok(Destroyed::Already)
    );
    assert_eq!(
        store
            .reveal(&by_alias(&alias), &Presented::default())
            .await
            .unwrap(),
        Reveal::NotFound
    );
    let Managed::Ok(status) = store.status(&alias, &verifier(3)).await.unwrap() else {
        panic!()
    };
    assert_eq!(status.state, State::Destroyed);

    // Fully viewed: "opened", and the ciphertext is gone.
    let access = Access {
        manage_verifier: Some(verifier(3)),
        ..Access::default()
    };
    let once = store.create(with(b"once", access)).await.unwrap();
    store
        .consume(&by_alias(&once.alias))
        .await
        .unwrap()
        .unwrap();
    let Managed::Ok(status) = store.status(&once.alias, &verifier(3)).await.unwrap() else {
        panic!()
    };
    assert_eq!((status.state, status.views_used), (State::Opened, 1));
    assert!(store.info(&by_alias(&once.alias)).await.unwrap().is_none());
    assert_eq!(
        store
            .status(&Alias::parse("Missing1").unwrap(), &verifier(3))
            .await
            .unwrap(),
        Managed::NotFound
    );
}

async fn without_a_manage_token_nothing_is_kept(store: Store) {
    let created = store.create(secret(b"plain", HOUR)).await.unwrap();
    assert_eq!(
        store.status(&created.alias, &verifier(0)).await.unwrap(),
        Managed::WrongToken
    );
    store
        .consume(&by_alias(&created.alias))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store.status(&created.alias, &verifier(0)).await.unwrap(),
        Managed::NotFound
    );
}

async fn health_is_ok(store: Store) {
    store.health().await.unwrap();
}

/// What one entry with a 60-byte payload costs the embedded store (payload and overhead).
async fn embedded_cost_of_60_bytes() -> usize {
    let probe = EmbeddedStore::new(EmbeddedConfig::default());
    let store = Store::Embedded(probe.clone());
    store.create(secret(&[1; 60], HOUR)).await.unwrap();
    probe.bytes_used()
}

#[tokio::test]
async fn embedded_memory_cap_is_enforced_and_freed() {
    let cost = embedded_cost_of_60_bytes().await;
    let store = Store::Embedded(EmbeddedStore::new(EmbeddedConfig {
        max_bytes: cost * 3 / 2,
        sweep_interval: Duration::from_millis(50),
    }));
    let a = store.create(secret(&[1; 60], HOUR)).await.unwrap();
    assert!(matches!(
        store.create(secret(&[2; 60], HOUR)).await,
        Err(StoreError::Full)
    ));
    store.consume(&by_alias(&a.alias)).await.unwrap().unwrap();
    store.create(secret(&[2; 60], HOUR)).await.unwrap();
}

#[tokio::test]
async fn embedded_cap_counts_each_entrys_overhead() {
    // Tiny secrets cost more than their payload: the cap holds however small they are.
    let cap = 256 * 1024;
    let embedded = EmbeddedStore::new(EmbeddedConfig {
        max_bytes: cap,
        sweep_interval: Duration::from_secs(60),
    });
    let store = Store::Embedded(embedded.clone());
    let mut stored = 0usize;
    while store.create(secret(&[7; 1], HOUR)).await.is_ok() {
        stored += 1;
        assert!(stored < cap, "a 1-byte secret must cost more than a byte");
    }
    assert!(embedded.bytes_used() <= cap);
    // Each entry counts at least its record, two map slots and their keys.
    assert!(
        stored <= cap / 200,
        "{stored} one-byte secrets fit in {cap} bytes"
    );
    assert!(stored >= cap / 2000, "the overhead is not absurd: {stored}");
}

#[tokio::test]
async fn embedded_sweep_frees_expired_secrets() {
    let embedded = EmbeddedStore::new(EmbeddedConfig {
        max_bytes: 1000,
        sweep_interval: Duration::from_millis(50),
    });
    let store = Store::Embedded(embedded.clone());
    store
        .create(secret(&[1; 60], Duration::from_millis(100)))
        .await
        .unwrap();
    assert_eq!(embedded.bytes_used(), embedded_cost_of_60_bytes().await);
    // The sweeper frees expired payloads without any read.
    eventually("expired bytes swept", async || embedded.bytes_used() == 0).await;
}

/// Redis stopped: operations fail fast with a typed error; started again: service resumes
/// without rebuilding the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_going_away_is_a_typed_error_and_service_resumes() {
    let mut server = RedisServer::start();
    let mut config = RedisConfig::new(server.url());
    config.command_timeout = Duration::from_millis(500);
    let store = Store::Redis(RedisStore::connect(&config).await.unwrap());
    let kept = store.create(secret(b"before", HOUR)).await.unwrap();

    server.stop();
    let started = Instant::now();
    assert!(matches!(
        store.health().await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        store.create(secret(b"while down", HOUR)).await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        store.consume(&by_alias(&kept.alias)).await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );

    server.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.health().await.is_err() {
        assert!(Instant::now() < deadline, "the store did not reconnect");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let created = store.create(secret(b"after", HOUR)).await.unwrap();
    let consumed = store
        .consume(&by_alias(&created.alias))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(consumed.payload.as_ref(), b"after");
}

#[tokio::test]
async fn redis_bad_url_is_refused() {
    let config = RedisConfig::new("not a url");
    assert!(matches!(
        RedisStore::connect(&config).await,
        Err(StoreError::Unavailable(_))
    ));
}

fn redis_cli(port: u16, args: &[&str]) -> String {
    let out = std::process::Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// With `wait_replicas`, a reveal answers only once a replica has the counted view (so a
/// failover cannot bring it back), and fails rather than answer when no replica acknowledges.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_writes_wait_for_a_replica_when_asked() {
    let master = RedisServer::start();
    let replica_port = testkit::free_port();
    /// Killed on drop, whatever the test does.
    struct Replica(std::process::Child);
    impl Drop for Replica {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut replica = Replica(
        std::process::Command::new("redis-server")
            .args(["--port", &replica_port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--replicaof", "127.0.0.1", &master.port().to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    eventually("the replica to sync", async || {
        redis_cli(master.port(), &["INFO", "replication"]).contains("state=online")
    })
    .await;
    let mut config = RedisConfig::new(master.url());
    config.wait_replicas = 1;
    config.command_timeout = Duration::from_millis(500);
    let store = Store::Redis(RedisStore::connect(&config).await.unwrap());
    // A manage verifier keeps the record after the view, for the replica to show.
    let managed = Access {
        manage_verifier: Some(verifier(3)),
        ..Access::default()
    };
    let first = store
        .create(with(b"replicated", managed.clone()))
        .await
        .unwrap();
    let second = store.create(with(b"replicated", managed)).await.unwrap();
    assert!(
        store
            .consume(&by_alias(&first.alias))
            .await
            .unwrap()
            .is_some()
    );
    // Acknowledged: the replica already has the view counted.
    let record = format!("oncelink:s:{{{}}}", first.alias.as_str());
    assert_eq!(redis_cli(replica_port, &["HGET", &record, "vu"]), "1");

    let _ = replica.0.kill();
    let _ = replica.0.wait();
    let started = Instant::now();
    let refused = store
        .reveal(&by_alias(&second.alias), &Presented::default())
        .await;
    assert!(
        matches!(refused, Err(StoreError::Unavailable(_))),
        "{refused:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    // The view the store claimed itself was given back.
    assert_eq!(
        store
            .info(&by_alias(&second.alias))
            .await
            .unwrap()
            .unwrap()
            .views_left,
        1
    );
}

/// A secret with file data, viewed last by a client that made no claim (the store's own claim,
/// held for seconds): the id's index must last as long as the earlier claim's longer window,
/// or a sweep asking `has_payload(id)` would delete the data under that claim's download.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_the_id_index_lasts_as_long_as_the_latest_claim() {
    let redis = RedisServer::start();
    let store = Store::Redis(
        RedisStore::connect(&RedisConfig::new(redis.url()))
            .await
            .unwrap(),
    );
    let access = Access {
        max_views: 2,
        access_verifier: Some(verifier(1)),
        claim_window: Some(Duration::from_secs(600)),
        ..Access::default()
    };
    let created = store.create(with(b"with data", access)).await.unwrap();
    let key = by_alias(&created.alias);
    let claimed = Presented {
        access: Some(verifier(1)),
        claim: Some(store::Claim {
            verifier: verifier(10),
            window: Duration::from_secs(60),
        }),
        ..Presented::default()
    };
    let claimless = Presented {
        access: Some(verifier(1)),
        ..Presented::default()
    };
    for presented in [claimed, claimless] {
        let revealed = store.reveal(&key, &presented).await.unwrap();
        assert!(matches!(revealed, Reveal::Revealed { .. }), "{revealed:?}");
    }
    let index = format!("oncelink:i:{}", created.id.as_str());
    let ttl_ms: u64 = redis_cli(redis.port(), &["PTTL", &index]).parse().unwrap();
    assert!(ttl_ms > 500_000, "the index expires in {ttl_ms} ms");
    assert!(store.has_payload(&created.id).await.unwrap());
}
