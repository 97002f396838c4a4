//! The real binary as a process: SIGTERM (stop accepting, finish what is in flight within
//! the grace period, exit 0), slow and oversized requests cut off, memory under many
//! concurrent large uploads.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(grace_seconds: u64) -> Server {
    start_with(&[(
        "ONCELINK_SHUTDOWN_GRACE_SECONDS",
        &grace_seconds.to_string(),
    )])
}

fn start_with(env: &[(&str, &str)]) -> Server {
    start_logging(env, None)
}

fn start_logging(env: &[(&str, &str)], log: Option<&std::path::Path>) -> Server {
    let port = testkit::free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    // The embedded store unless the test names a Redis; metrics on a port of their own.
    command.env_remove("REDIS_URL");
    command.env("ONCELINK_METRICS_ADDR", "127.0.0.1:0");
    for (k, v) in env {
        command.env(k, v);
    }
    let child = command
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_OUTPUT_NAME", "oncelink")
        .env("LEPTOS_SITE_ROOT", "target/site")
        .stdout(log.map_or_else(Stdio::null, |path| {
            Stdio::from(std::fs::File::create(path).unwrap())
        }))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

fn sigterm(server: &Server) {
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait_exit(server: &mut Server, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the server did not exit in time");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A create request whose body is sent in two halves.
fn half_sent_create(port: u16) -> (TcpStream, Vec<u8>) {
    let payload = {
        let key = crypto_core::MasterKey::generate().unwrap();
        let id = crypto_core::SecretId::generate().unwrap();
        crypto_core::seal(&key, &id, b"\x00in flight").unwrap()
    };
    let body = format!(
        "{{\"ciphertext\": \"{}\"}}",
        crypto_core::base64::encode(&payload)
    )
    .into_bytes();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "POST /api/secrets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    let half = body.len() / 2;
    stream.write_all(&body[..half]).unwrap();
    stream.flush().unwrap();
    (stream, body[half..].to_vec())
}

#[test]
fn sigterm_finishes_in_flight_requests_and_exits_zero() {
    let mut server = start(10);
    let (mut stream, rest) = half_sent_create(server.port);
    std::thread::sleep(Duration::from_millis(200));
    sigterm(&server);
    // No new connections once stopping (allow a loaded machine a few seconds to notice).
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(("127.0.0.1", server.port)).is_ok() {
        assert!(Instant::now() < deadline, "still accepting after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "exited with a request in flight"
    );
    // The request in flight completes normally.
    stream.write_all(&rest).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    let status = wait_exit(&mut server, Duration::from_secs(5));
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_request_that_never_finishes_is_cut_at_the_grace_period() {
    let mut server = start(1);
    let (_stream, _rest) = half_sent_create(server.port);
    std::thread::sleep(Duration::from_millis(200));
    let start = Instant::now();
    sigterm(&server);
    let status = wait_exit(&mut server, Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(900),
        "{took:?}: did not wait for the request"
    );
}

/// Reads until the server closes the connection (or `limit` passes); returns what came.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Duration) {
    let start = Instant::now();
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    (String::from_utf8_lossy(&got).into_owned(), start.elapsed())
}

#[test]
fn slow_headers_are_cut_off() {
    let server = start_with(&[("ONCELINK_HEADER_TIMEOUT_SECONDS", "1")]);
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    // A slowloris: a request line and a header, then nothing.
    stream
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let (_, took) = read_until_closed(&mut stream, Duration::from_secs(10));
    assert!(took < Duration::from_secs(5), "kept open for {took:?}");
    // The server still serves others.
    let mut other = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    other
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let (reply, _) = read_until_closed(&mut other, Duration::from_secs(5));
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
}

#[test]
fn oversized_headers_are_refused() {
    let server = start_with(&[]);
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let big = "a".repeat(64 * 1024);
    let _ = write!(
        stream,
        "GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n"
    );
    let (reply, _) = read_until_closed(&mut stream, Duration::from_secs(5));
    assert!(
        reply.is_empty() || reply.starts_with("HTTP/1.1 431"),
        "{reply}"
    );
    assert!(!reply.starts_with("HTTP/1.1 200"));
}

#[test]
fn a_stalled_body_is_cut_off() {
    let server = start_with(&[("ONCELINK_BODY_TIMEOUT_SECONDS", "1")]);
    let (mut stream, _rest) = half_sent_create(server.port);
    let (reply, took) = read_until_closed(&mut stream, Duration::from_secs(10));
    assert!(took < Duration::from_secs(5), "kept open for {took:?}");
    // Cut off: an error answer or a closed connection, never a stored secret.
    assert!(
        reply.is_empty() || reply.starts_with("HTTP/1.1 4"),
        "{reply}"
    );
}

/// Peak resident memory of a process (VmHWM), in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[test]
fn fifty_concurrent_10_mb_uploads_stay_under_the_memory_ceiling() {
    const CEILING: u64 = 400 * 1024 * 1024;
    let redis = testkit::TestRedis::new("uploads");
    let server = start_with(&[
        ("REDIS_URL", redis.url.as_str()),
        ("ONCELINK_REDIS_PREFIX", redis.prefix.as_str()),
        ("ONCELINK_MAX_CONCURRENT_UPLOADS", "4"),
        ("ONCELINK_MAX_UPLOADS_PER_CLIENT", "50"),
        ("ONCELINK_UPLOAD_WAIT_SECONDS", "60"),
        ("ONCELINK_RATE_CREATE", "100000"),
        ("ONCELINK_QUOTA_BYTES", "100000000000"),
    ]);
    // One 10 MiB payload, sent 50 times at once (14 MB of JSON each).
    let payload = {
        let key = crypto_core::MasterKey::generate().unwrap();
        let id = crypto_core::SecretId::generate().unwrap();
        let mut plain = vec![0u8; 10 * 1024 * 1024];
        plain[0] = 0x00;
        crypto_core::seal(&key, &id, &plain).unwrap()
    };
    let body = std::sync::Arc::new(
        format!(
            "{{\"ciphertext\": \"{}\"}}",
            crypto_core::base64::encode(&payload)
        )
        .into_bytes(),
    );
    let url = format!("http://127.0.0.1:{}/api/secrets", server.port);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let statuses: Vec<u16> = runtime.block_on(async {
        let client = reqwest::Client::new();
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (client, url, body) = (client.clone(), url.clone(), body.clone());
                tokio::spawn(async move {
                    client
                        .post(url)
                        .header("content-type", "application/json")
                        .body(body.as_ref().clone())
                        .send()
                        .await
                        .map_or(0, |r| r.status().as_u16())
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.unwrap());
        }
        statuses
    });
    let created = statuses.iter().filter(|&&s| s == 201).count();
    assert!(
        statuses.iter().all(|&s| s == 201 || s == 503),
        "{statuses:?}"
    );
    assert!(
        created >= 10,
        "only {created} of 50 were stored: {statuses:?}"
    );
    let peak = peak_rss(server.child.id());
    assert!(
        peak < CEILING,
        "peak RSS {} MiB over the {} MiB ceiling",
        peak >> 20,
        CEILING >> 20
    );
    eprintln!("50 × 10 MiB: {created} stored, peak RSS {} MiB", peak >> 20);
}

/// SIGTERM while a 10 MiB reveal is being read slowly: the grace period ends and cuts it.
/// The view was claimed, not lost: another instance on the same Redis delivers it to the same
/// claim (and proof).
#[test]
fn sigterm_during_a_large_reveal_loses_nothing() {
    let redis = testkit::TestRedis::new("sigterm-reveal");
    let env = [
        ("REDIS_URL", redis.url.as_str()),
        ("ONCELINK_REDIS_PREFIX", redis.prefix.as_str()),
        ("ONCELINK_SHUTDOWN_GRACE_SECONDS", "1"),
    ];
    let mut first = start_with(&env);
    let key = crypto_core::MasterKey::generate().unwrap();
    let id = crypto_core::SecretId::generate().unwrap();
    let plain = vec![7u8; 10 * 1024 * 1024];
    let payload = crypto_core::seal(&key, &id, &plain).unwrap();
    let access = key.access_proof();
    let create = serde_json::json!({
        "ciphertext": crypto_core::base64::encode(&payload),
        "id": id.as_str(),
        "access_verifier": access.verifier().to_base64url(),
    });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = reqwest::Client::new();
    let created: serde_json::Value = runtime.block_on(async {
        let url = format!("http://127.0.0.1:{}/api/secrets", first.port);
        let response = client.post(url).json(&create).send().await.unwrap();
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    });
    let alias = created["alias"].as_str().unwrap().to_owned();
    let claim = crypto_core::Proof::generate().unwrap().to_base64url();
    let reveal =
        serde_json::json!({ "access_proof": access.to_base64url(), "claim": claim }).to_string();

    // A client that reads the answer's first bytes, then stalls.
    let mut stream = TcpStream::connect(("127.0.0.1", first.port)).unwrap();
    write!(
        stream,
        "POST /api/secrets/{alias}/reveal HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reveal}",
        reveal.len()
    )
    .unwrap();
    let mut head = [0u8; 1024];
    stream.read_exact(&mut head).unwrap();
    assert!(head.starts_with(b"HTTP/1.1 200"));
    sigterm(&first);
    let status = wait_exit(&mut first, Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
    let (rest, _) = read_until_closed(&mut stream, Duration::from_secs(5));
    assert!(rest.len() < 13 * 1024 * 1024, "the answer was not cut");

    // The same claim on another instance: the same view, whole.
    let second = start_with(&env);
    let answer: serde_json::Value = runtime.block_on(async {
        let url = format!(
            "http://127.0.0.1:{}/api/secrets/{alias}/reveal",
            second.port
        );
        let response = client
            .post(url)
            .header("content-type", "application/json")
            .body(reveal.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    });
    let got = crypto_core::base64::decode(answer["ciphertext"].as_str().unwrap()).unwrap();
    assert_eq!(got, payload);
    drop(redis);
}

#[test]
fn json_logs_carry_request_ids_and_no_secret_ids() {
    let log = std::env::temp_dir().join(format!("oncelink-log-{}.json", std::process::id()));
    let server = start_logging(&[("ONCELINK_LOG_FORMAT", "json")], Some(&log));
    let (mut stream, rest) = half_sent_create(server.port);
    stream.write_all(&rest).unwrap();
    let (reply, _) = read_until_closed(&mut stream, Duration::from_secs(5));
    assert!(reply.starts_with("HTTP/1.1 201"), "{reply}");
    let body = &reply[reply.find("\r\n\r\n").unwrap() + 4..];
    let created: serde_json::Value = serde_json::from_str(body).unwrap();
    let (alias, id) = (
        created["alias"].as_str().unwrap().to_owned(),
        created["id"].as_str().unwrap().to_owned(),
    );
    let mut get = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    write!(
        get,
        "GET /api/secrets/{alias} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let (reply, _) = read_until_closed(&mut get, Duration::from_secs(5));
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    // Lines are written by a logging thread, after the answers: wait for both to be written.
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::fs::read_to_string(&log)
        .unwrap_or_default()
        .matches("finished processing request")
        .count()
        < 2
    {
        assert!(Instant::now() < deadline, "the log lines were not written");
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(server);

    let text = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let responses: Vec<_> = lines
        .iter()
        .filter(|l| l["span"]["route"].is_string())
        .collect();
    assert!(responses.len() >= 2, "{text}");
    for line in &responses {
        assert_eq!(
            line["span"]["request_id"].as_str().unwrap().len(),
            16,
            "{line}"
        );
    }
    assert!(text.contains("/api/secrets/{key}"), "{text}");
    assert!(!text.contains(&alias) && !text.contains(&id), "{text}");
}

#[test]
fn configuration_is_documented_and_validated_at_start() {
    let help = Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    let help = String::from_utf8(help.stdout).unwrap();
    for (flag, env) in [
        ("--redis-url", "REDIS_URL"),
        ("--rate-create", "ONCELINK_RATE_CREATE"),
        ("--rate-reveal", "ONCELINK_RATE_REVEAL"),
        ("--failed-attempts", "ONCELINK_FAILED_ATTEMPTS"),
        ("--client-ip-header", "ONCELINK_CLIENT_IP_HEADER"),
        (
            "--max-concurrent-uploads",
            "ONCELINK_MAX_CONCURRENT_UPLOADS",
        ),
        (
            "--header-timeout-seconds",
            "ONCELINK_HEADER_TIMEOUT_SECONDS",
        ),
        ("--body-timeout-seconds", "ONCELINK_BODY_TIMEOUT_SECONDS"),
        (
            "--shutdown-grace-seconds",
            "ONCELINK_SHUTDOWN_GRACE_SECONDS",
        ),
        ("--log-format", "ONCELINK_LOG_FORMAT"),
    ] {
        assert!(
            help.contains(flag) && help.contains(env),
            "{flag} / {env} missing"
        );
    }
    assert!(help.matches("[default: ").count() >= 15, "{help}");

    for (args, env, word) in [
        (vec!["--rate-create", "0"], None, "--rate-create"),
        (vec!["--max-views", "abc"], None, "--max-views"),
        (
            vec![],
            Some(("ONCELINK_HEADER_TIMEOUT_SECONDS", "0")),
            "--header-timeout-seconds",
        ),
        (vec!["--log-format", "xml"], None, "--log-format"),
    ] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
        command.args(&args);
        if let Some((k, v)) = env {
            command.env(k, v);
        }
        let out = command.output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains(word), "{args:?}: {stderr}");
    }
}
