//! Nothing lost: a reveal whose answer does not arrive (a timeout, a dropped reply) is asked
//! for again with the same claim and gets the same view; nobody else gets it; after the window
//! it is gone. A full store still serves every secret it holds.

use std::process::Command;
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::StatusCode;
use serde_json::{Value, json};
use store::{Access, NewSecret};
use testkit::RedisServer;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::support::*;

fn fresh_claim() -> String {
    crypto_core::Proof::generate().unwrap().to_base64url()
}

/// A guarded secret of `size` random bytes, straight into the store (faster than the API for
/// many large ones): its alias, payload and access proof.
async fn stored(server: &TestServer, size: usize) -> (String, Bytes, String) {
    let proof = crypto_core::Proof::generate().unwrap();
    let mut payload = vec![0u8; size];
    getrandom::fill(&mut payload).unwrap();
    payload[0] = 1;
    let payload = Bytes::from(payload);
    let created = server
        .store
        .create(NewSecret {
            id: crypto_core::SecretId::generate().unwrap(),
            payload: payload.clone(),
            ttl: Duration::from_secs(3600),
            access: Access {
                access_verifier: Some(proof.verifier()),
                ..Access::default()
            },
        })
        .await
        .unwrap();
    (created.alias.to_string(), payload, proof.to_base64url())
}

/// Reveals like the CLI and the web app: on no answer or a 5xx, the same request again,
/// backing off, for up to `for_at_most`. The final status and body.
async fn reveal_retrying(
    server: &TestServer,
    alias: &str,
    body: &Value,
    for_at_most: Duration,
) -> (StatusCode, Value) {
    let started = Instant::now();
    let mut pause = Duration::from_millis(200);
    loop {
        let sent = server
            .client
            .post(server.url(&format!("/api/secrets/{alias}/reveal")))
            .json(body)
            .send()
            .await;
        let answer = match sent {
            Ok(response) => {
                let status = response.status();
                match response.json::<Value>().await {
                    Ok(body) => Some((status, body)),
                    Err(_) => None,
                }
            }
            Err(_) => None,
        };
        match answer {
            Some((status, body)) if !status.is_server_error() => return (status, body),
            last if started.elapsed() + pause > for_at_most => {
                return last.unwrap_or((StatusCode::BAD_GATEWAY, Value::Null));
            }
            _ => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(4));
            }
        }
    }
}

/// 64 clients reveal 10 MiB secrets at once on a real Redis at default settings: every secret
/// is delivered, or is still there to reveal; none is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_large_reveals_lose_nothing() {
    let server = redis("large-reveals", default_config()).await;
    let mut secrets = Vec::new();
    for _ in 0..64 {
        secrets.push(stored(&server, 10 * 1024 * 1024).await);
    }
    let server = std::sync::Arc::new(server);
    let mut tasks = Vec::new();
    for (alias, payload, access) in secrets {
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            let body = json!({ "access_proof": access, "claim": fresh_claim() });
            let (status, answer) =
                reveal_retrying(&server, &alias, &body, Duration::from_secs(40)).await;
            if status == StatusCode::OK {
                let got = crypto_core::base64::decode(answer["ciphertext"].as_str().unwrap());
                assert_eq!(got.as_deref(), Some(payload.as_ref()), "a wrong payload");
                return true;
            }
            // Not delivered: it must still be there.
            let (info, _) = server.info(&alias).await;
            assert_eq!(
                info,
                StatusCode::OK,
                "{alias}: neither delivered nor there ({status})"
            );
            false
        }));
    }
    let mut delivered = 0;
    for task in tasks {
        delivered += usize::from(task.await.unwrap());
    }
    assert_eq!(
        delivered, 64,
        "every reveal should get through with retries"
    );
}

/// A proxy between client and server that forwards each request but, while `drop_replies`
/// is set, swallows the server's answer and closes the client's connection.
async fn lossy_proxy(
    upstream: String,
    drop_replies: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let at = format!("http://{}", listener.local_addr().unwrap());
    let upstream = upstream.trim_start_matches("http://").to_owned();
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            let upstream = upstream.clone();
            let drop_replies = drop_replies.clone();
            tokio::spawn(async move {
                let mut server = tokio::net::TcpStream::connect(&upstream).await.unwrap();
                // One request per connection (the client is told to close), then the answer.
                let mut request = Vec::new();
                let mut buf = [0u8; 16 * 1024];
                loop {
                    let n = client.read(&mut buf).await.unwrap_or(0);
                    request.extend_from_slice(&buf[..n]);
                    if n == 0 || complete(&request) {
                        break;
                    }
                }
                server.write_all(&request).await.unwrap();
                let mut answer = Vec::new();
                server.read_to_end(&mut answer).await.unwrap();
                if !drop_replies.load(std::sync::atomic::Ordering::SeqCst) {
                    client.write_all(&answer).await.unwrap();
                }
            });
        }
    });
    at
}

/// Whether an HTTP/1.1 request with a `Content-Length` body has fully arrived.
fn complete(request: &[u8]) -> bool {
    let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    request.len() >= end + 4 + length
}

/// The reply to a reveal is lost on the way: the same client (same claim, same proof) gets
/// the payload again inside the window; a different access proof or claim gets nothing; after
/// the window it is gone.
async fn a_lost_reply_is_delivered_again(server: TestServer) {
    let drop_replies = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let proxy = lossy_proxy(server.base.clone(), drop_replies.clone()).await;
    let g = create_guarded(&server, "sent once", None, json!({})).await;
    let claim = fresh_claim();
    let body = json!({ "access_proof": g.access, "claim": claim });
    let through_proxy = |body: &Value| {
        server
            .client
            .post(format!("{proxy}/api/secrets/{}/reveal", g.alias))
            .header("connection", "close")
            .json(body)
            .send()
    };
    assert!(
        through_proxy(&body).await.is_err(),
        "the reply should be lost"
    );
    drop_replies.store(false, std::sync::atomic::Ordering::SeqCst);
    // The secret looks used to everyone else already.
    assert_eq!(server.info(&g.alias).await.0, StatusCode::NOT_FOUND);
    let again = through_proxy(&body).await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.unwrap();
    assert_eq!(open_text(&g, None, &again), "sent once");
    // Another claim gets nothing; the claim with another access proof gets nothing.
    let other_claim = json!({ "access_proof": g.access, "claim": fresh_claim() });
    assert_eq!(
        server.reveal(&g.alias, other_claim).await.0,
        StatusCode::NOT_FOUND
    );
    let other_key = json!({
        "access_proof": crypto_core::MasterKey::generate().unwrap().access_proof().to_base64url(),
        "claim": claim,
    });
    assert_eq!(
        server.reveal(&g.alias, other_key).await.0,
        StatusCode::FORBIDDEN
    );
    // The window (5 s here) ends: gone, for the claim too.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, _) = server.reveal(&g.alias, body.clone()).await;
        if status == StatusCode::NOT_FOUND {
            break;
        }
        assert_eq!(status, StatusCode::OK);
        assert!(
            Instant::now() < deadline,
            "still delivered after the window"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Confirming the claim deletes the held copy at once; a confirmed claim gets nothing.
async fn a_confirmed_claim_is_spent(server: TestServer) {
    let g = create_guarded(&server, "confirmed", None, json!({})).await;
    let claim = fresh_claim();
    let body = json!({ "access_proof": g.access, "claim": claim });
    assert_eq!(
        server.reveal(&g.alias, body.clone()).await.0,
        StatusCode::OK
    );
    let path = format!("/api/secrets/{}/confirm", g.alias);
    let confirm = |claim: &str| server.post_to(&path, json!({ "claim": claim }));
    let (status, answer) = confirm(&claim).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer, json!({ "confirmed": true }));
    assert_eq!(server.reveal(&g.alias, body).await.0, StatusCode::NOT_FOUND);
    let (status, answer) = confirm(&claim).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(answer["code"], "not_found");
    let (status, answer) = confirm("not-a-claim").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["code"], "invalid_proof");
}

fn short_window() -> server::Config {
    let mut config = default_config();
    config.claim_window_seconds = 5;
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_reply_is_delivered_again_on_redis() {
    a_lost_reply_is_delivered_again(redis("lost-reply", short_window()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_reply_is_delivered_again_embedded() {
    a_lost_reply_is_delivered_again(embedded("lost-reply", short_window()).await).await;
}

both_backends!(a_confirmed_claim_is_spent);

fn redis_cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn used_memory(port: u16) -> u64 {
    redis_cli(port, &["INFO", "memory"])
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap()
}

/// Redis at `maxmemory` with `noeviction`: creating until refused gets a clear 507 (never a
/// hang or a 500), every secret made before still reveals, and rate limits still count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_redis_refuses_creates_and_still_serves() {
    let redis = RedisServer::start();
    let port = redis.port();
    let headroom = 24 * 1024 * 1024;
    let max = used_memory(port) + headroom;
    redis_cli(port, &["CONFIG", "SET", "maxmemory-policy", "noeviction"]);
    redis_cli(port, &["CONFIG", "SET", "maxmemory", &max.to_string()]);
    let mut config = default_config();
    config.redis_url = Some(redis.url());
    config.quota_bytes = 1 << 40;
    config.failed_attempts = 5;
    // Past the server's own budget too: what Redis itself refuses must be a clear answer.
    config.store_budget_bytes = Some(1 << 40);
    let store = server::open_store(&config).await.unwrap();
    let server = start_with(store, &config, None).await;
    let mut made = Vec::new();
    let refused = loop {
        let g_key = crypto_core::MasterKey::generate().unwrap();
        let id = crypto_core::SecretId::generate().unwrap();
        let envelope = crypto_core::Envelope::text_only("x".repeat(1024 * 1024));
        let payload = crypto_core::seal(&g_key, &id, &envelope.pack().unwrap()).unwrap();
        let started = Instant::now();
        let (status, body) = server
            .post(json!({ "ciphertext": crypto_core::base64::encode(&payload), "id": id.as_str() }))
            .await;
        assert!(started.elapsed() < Duration::from_secs(5), "a create hung");
        if status != StatusCode::CREATED {
            break (status, body);
        }
        made.push(body["alias"].as_str().unwrap().to_owned());
        assert!(made.len() < 100, "never refused");
    };
    assert_eq!(refused.0, StatusCode::INSUFFICIENT_STORAGE, "{}", refused.1);
    assert_eq!(refused.1["code"], "store_full");
    assert!(!made.is_empty());
    for alias in &made {
        let (status, body) = server.get(alias).await;
        assert_eq!(status, StatusCode::OK, "{alias}: {body}");
    }
    // Failures are still counted: the sixth wrong read is refused.
    let mut last = StatusCode::OK;
    for _ in 0..6 {
        last = server.get("Missing1").await.0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    drop(redis);
}

/// The server's own budget (90 % of `maxmemory` by default) refuses before Redis has to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_budget_refuses_before_redis_is_full() {
    let redis = RedisServer::start();
    let port = redis.port();
    let max = used_memory(port) + 40 * 1024 * 1024;
    redis_cli(port, &["CONFIG", "SET", "maxmemory", &max.to_string()]);
    let mut config = default_config();
    config.redis_url = Some(redis.url());
    config.quota_bytes = 1 << 40;
    let store = server::open_store(&config).await.unwrap();
    let server = start_with(store, &config, None).await;
    let big = json!({ "ciphertext": crypto_core::base64::encode(&vec![1u8; 2 * 1024 * 1024]) });
    let mut created = 0;
    let status = loop {
        let sent = server
            .client
            .post(server.url("/api/secrets"))
            .json(&big)
            .send()
            .await;
        let Ok(response) = sent else {
            // Refused before its body was read, the connection closed under the upload: the
            // server must have counted a store_full refusal.
            let counted = server.service.snapshot();
            assert_eq!(counted.rejected(service::Rejected::StoreFull), 1);
            break StatusCode::INSUFFICIENT_STORAGE;
        };
        let status = response.status();
        if status != StatusCode::CREATED {
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["code"], "store_full", "{body}");
            break status;
        }
        created += 1;
        assert!(created < 40);
        // The usage is read at most once a second.
        tokio::time::sleep(Duration::from_millis(1100)).await;
    };
    assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE);
    assert!(used_memory(port) <= max / 10 * 9 + 3 * 1024 * 1024);
}

/// A client's byte quota: refused with 429 `quota_exceeded` and `Retry-After`, before the
/// body is read when its length says it would not fit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_byte_quota_is_per_client_and_checked_before_the_body() {
    let mut config = default_config();
    config.quota_bytes = 3 * 1024 * 1024 + 64 * 1024;
    let server = embedded("quota", config).await;
    let mb = json!({ "ciphertext": crypto_core::base64::encode(&vec![1u8; 1024 * 1024]) });
    for _ in 0..3 {
        assert_eq!(server.post(mb.clone()).await.0, StatusCode::CREATED);
    }
    // The fourth is refused from its head alone: the answer comes without the body being sent
    // (a client sending the body may see the connection closed under it).
    let length = mb.to_string().len();
    let head = format!(
        "POST /api/secrets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    );
    let answer = answer_to_head(&server, head.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("\r\nretry-after: "),
        "{answer}"
    );
    assert!(answer.contains("\"code\":\"quota_exceeded\""), "{answer}");
    // A larger one too.
    let answer = answer_to_head(
        &server,
        b"POST /api/secrets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 20000000\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
}
