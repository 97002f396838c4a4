//! Every body through the gate: slow clients cannot hold the upload turns, one client cannot
//! hold them all, and HTTP/2 without TLS (whose bodies need no declared length) is not spoken.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::support::*;

/// A create that declares 5 MB and then sends one byte every 300 ms, as `client`: ends with
/// what the server answered (or an empty string when it closed), and when.
fn trickle(server: &TestServer, client: &str) -> tokio::task::JoinHandle<(String, Instant)> {
    trickle_declaring(server, client, "5000000")
}

/// [`trickle`] with this `Content-Length` value.
fn trickle_declaring(
    server: &TestServer,
    client: &str,
    length: &str,
) -> tokio::task::JoinHandle<(String, Instant)> {
    let address = server.base.trim_start_matches("http://").to_owned();
    let (client, length) = (client.to_owned(), length.to_owned());
    tokio::spawn(async move {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let head = format!(
            "POST /api/secrets HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: {client}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n{{"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let (mut reader, mut writer) = stream.into_split();
        let sender = tokio::spawn(async move {
            while writer.write_all(b" ").await.is_ok() {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        });
        let mut answer = Vec::new();
        let _ =
            tokio::time::timeout(Duration::from_secs(30), reader.read_to_end(&mut answer)).await;
        sender.abort();
        (
            String::from_utf8_lossy(&answer).into_owned(),
            Instant::now(),
        )
    })
}

/// A normal 2 MB create as `client`.
async fn upload_as(server: &TestServer, client: &str) -> StatusCode {
    let body = json!({ "ciphertext": crypto_core::base64::encode(&vec![1u8; 2 * 1024 * 1024]) });
    server
        .client
        .post(server.url("/api/secrets"))
        .header("x-forwarded-for", client)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
}

fn gate_config() -> server::Config {
    let mut config = default_config();
    config.client_ip_header = Some("X-Forwarded-For".into());
    // Bodies must keep 8 KiB/s on average after one second.
    config.body_timeout_seconds = 1;
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trickling_uploads_do_not_block_a_normal_one() {
    let mut config = gate_config();
    config.max_concurrent_uploads = 2;
    let server = embedded("trickle", config).await;
    let started = Instant::now();
    let slow = [trickle(&server, "10.0.0.1"), trickle(&server, "10.0.0.2")];
    // Both turns are taken by the trickles; the normal upload waits, then gets one.
    assert_eq!(upload_as(&server, "10.0.0.3").await, StatusCode::CREATED);
    for task in slow {
        let (answer, ended) = task.await.unwrap();
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
            "a trickle was not cut: {answer}"
        );
        assert!(ended - started < Duration::from_secs(10), "cut too late");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_holds_at_most_its_share_of_upload_turns() {
    let mut config = gate_config();
    config.max_uploads_per_client = 1;
    config.body_timeout_seconds = 20;
    let server = embedded("per-client", config).await;
    let mut slow = trickle(&server, "10.0.0.1");
    // Poll until the trickle holds its turn: a second large upload of the same client is
    // refused at once. On a loaded machine a probe can reach the gate before the trickle and
    // take the client's one turn, so the trickle is refused: then it starts again.
    let deadline = Instant::now() + Duration::from_secs(10);
    // (From its head alone: the refusal comes before the body, which the client never sends.)
    let head = b"POST /api/secrets HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 10.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 3000000\r\n\r\n";
    loop {
        if slow.is_finished() {
            slow = trickle(&server, "10.0.0.1");
        }
        if let Some(answer) = answer_to_head_within(&server, head, Duration::from_millis(500)).await
        {
            assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
            break;
        }
        assert!(Instant::now() < deadline, "the trickle never held a turn");
    }
    assert_eq!(upload_as(&server, "10.0.0.2").await, StatusCode::CREATED);
    slow.abort();
}

/// `Content-Length: n, n` (which HTTP allows for equal values) is not waved through as an
/// empty body: it is paced and cut like any trickle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_doubled_content_length_is_still_paced() {
    let server = embedded("doubled-length", gate_config()).await;
    let started = Instant::now();
    let (answer, ended) = trickle_declaring(&server, "10.0.0.1", "5000000, 5000000")
        .await
        .unwrap();
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "not cut: {answer}"
    );
    assert!(ended - started < Duration::from_secs(10), "cut too late");
}

/// Server functions other than create take small bodies: a large one is refused before it is
/// read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_functions_other_than_create_refuse_large_bodies_unread() {
    let server = embedded("small-doors", default_config()).await;
    let answer = answer_to_head(
        &server,
        b"POST /fn/reveal HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-postcard\r\nContent-Length: 1000000\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_without_tls_is_not_spoken() {
    let server = embedded("h2c", default_config()).await;
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    // The HTTP/2 connection preface and an empty SETTINGS frame, as h2c prior knowledge sends.
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    // No SETTINGS frame back (type 0x04 at byte 3): an HTTP/1.1 refusal or a closed socket.
    assert!(
        answer.is_empty() || answer.starts_with(b"HTTP/1.1 "),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
    assert!(answer.get(3) != Some(&4));
}
