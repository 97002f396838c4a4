//! Operations: health, errors for unknown routes, pages and their headers, metrics, request
//! ids, store outages, the static bundle.

use crypto_core::MasterKey;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::AppState;
use std::time::Duration;
use store::{RedisConfig, RedisStore, Store};
use testkit::RedisServer;

use crate::support::*;

both_backends!(
    health_is_ok,
    unknown_endpoints_and_methods_are_json_errors,
    pages_render_with_security_headers,
);

async fn health_is_ok(server: TestServer) {
    let response = server.fetch("/api/health").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["service"], "oncelink");
    assert!(
        body["features"]
            .as_array()
            .unwrap()
            .contains(&json!("access_proof"))
    );
    assert_eq!(body["max_views"], 10);
}

async fn unknown_endpoints_and_methods_are_json_errors(server: TestServer) {
    let response = server.fetch("/api/nothing").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "no such endpoint"
    );
    let response = server
        .client
        .delete(server.url("/api/secrets"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "method not allowed"
    );
    let response = server
        .client
        .post(server.url("/api/secrets/Kx7mP2nQ"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

async fn pages_render_with_security_headers(server: TestServer) {
    let response = server.fetch("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    let csp = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'self'"));
    assert!(csp.contains("object-src 'none'"));
    // Frames only of the page's own blobs (the PDF preview), never of anything else.
    assert!(csp.contains("frame-src blob:"));
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(csp.contains("'wasm-unsafe-eval'"));
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "no-store");
    // Plain-HTTP self-hosting by default: no HSTS unless asked for.
    assert!(headers.get("strict-transport-security").is_none());
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_owned();
    assert!(nonce.len() >= 16);
    let html = response.text().await.unwrap();
    assert!(html.contains("oncelink"));
    // Every inline script carries this response's nonce.
    for script in html.split("<script").skip(1) {
        let (tag, rest) = script.split_once('>').unwrap();
        let body = rest.split("</script>").next().unwrap();
        if !tag.contains("src=") && !body.trim().is_empty() {
            assert!(
                tag.contains(&format!("nonce=\"{nonce}\"")),
                "inline script without nonce: {tag}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_is_503_and_service_resumes() {
    let mut redis = RedisServer::start();
    let mut config = default_config();
    config.store_timeout_ms = 500;
    let mut redis_config = RedisConfig::new(redis.url());
    redis_config.command_timeout = config.store_timeout();
    let store = Store::Redis(RedisStore::connect(&redis_config).await.unwrap());
    let server = start_with(store, &config, None).await;
    assert_eq!(
        server
            .post(json!({ "ciphertext": valid_ciphertext() }))
            .await
            .0,
        StatusCode::CREATED
    );

    redis.stop();
    let started = std::time::Instant::now();
    let response = server.fetch("/api/health").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let (status, body) = server
        .post(json!({ "ciphertext": valid_ciphertext() }))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        body["error"],
        "the secret store is unavailable; try again later"
    );
    let (status, _) = server.get("Kx7mP2nQ").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() < Duration::from_secs(3));

    redis.restart();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let response = server.fetch("/api/health").await;
        if response.status() == StatusCode::OK {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "did not recover");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        server
            .post(json!({ "ciphertext": valid_ciphertext() }))
            .await
            .0,
        StatusCode::CREATED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_outcomes_and_name_no_secret() {
    let server = embedded("metrics", default_config()).await;
    let g = create_guarded(&server, "counted", None, json!({})).await;
    let wrong =
        json!({ "access_proof": MasterKey::generate().unwrap().access_proof().to_base64url() });
    assert_eq!(
        server.reveal(&g.alias, wrong).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        server.reveal(&g.alias, g.access_body()).await.0,
        StatusCode::OK
    );
    assert_eq!(
        server.post(json!({ "ciphertext": "%%%" })).await.0,
        StatusCode::BAD_REQUEST
    );

    // Never on the public port.
    assert_eq!(
        server.fetch("/metrics").await.status(),
        StatusCode::NOT_FOUND
    );
    let response = server.metrics().await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    let value = |line_start: &str| -> u64 {
        text.lines()
            .find(|l| l.starts_with(line_start))
            .unwrap_or_else(|| panic!("{line_start} missing:\n{text}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    // Counters belong to this server's state: exactly what this test did.
    assert_eq!(value("oncelink_secrets_created_total "), 1);
    assert_eq!(value("oncelink_secrets_revealed_total "), 1);
    assert_eq!(value("oncelink_store_errors_total "), 0);
    for (reason, expected) in [
        ("wrong_proof", 1),
        ("bad_input", 1),
        ("not_found", 0),
        ("rate_limited", 0),
        ("too_large", 0),
        ("busy", 0),
    ] {
        assert_eq!(
            value(&format!("oncelink_rejected_total{{reason=\"{reason}\"}}")),
            expected,
            "{reason}"
        );
    }
    let reveal = "method=\"POST\",route=\"/api/secrets/{key}/reveal\"";
    assert_eq!(
        value(&format!(
            "oncelink_http_request_duration_seconds_count{{{reveal},status=\"ok\"}}"
        )),
        1
    );
    assert_eq!(
        value(&format!(
            "oncelink_http_request_duration_seconds_count{{{reveal},status=\"4xx\"}}"
        )),
        1
    );
    // Made-up methods share one label: a thousand of them add no series.
    let made_up = async |from: usize, count: usize| {
        for i in from..from + count {
            let method = reqwest::Method::from_bytes(format!("XQ{i}").as_bytes()).unwrap();
            server
                .client
                .request(method, server.url("/api/health"))
                .send()
                .await
                .unwrap();
        }
    };
    let series = async || {
        let text = server.metrics().await.text().await.unwrap();
        let count = text.lines().filter(|l| !l.starts_with('#')).count();
        (count, text)
    };
    made_up(0, 1).await;
    let (before, _) = series().await;
    made_up(1, 1000).await;
    let (after, text) = series().await;
    assert_eq!(before, after, "made-up methods added series");
    assert!(!text.contains("XQ1"), "{text}");
    assert!(
        text.contains("method=\"other\",route=\"/api/health\""),
        "{text}"
    );
    assert!(
        !text.contains(&g.alias) && !text.contains(g.id.as_str()),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_has_a_request_id() {
    let server = embedded("request-id", default_config()).await;
    let response = server.fetch("/api/health").await;
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 16);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    let again = server.fetch("/api/health").await;
    assert_ne!(again.headers()["x-request-id"].to_str().unwrap(), id);
    // A proxy's id is kept.
    let proxied = server
        .client
        .get(server.url("/api/health"))
        .header("x-request-id", "from-the-proxy-1")
        .send()
        .await
        .unwrap();
    assert_eq!(proxied.headers()["x-request-id"], "from-the-proxy-1");
}

/// Redis stopped and started again under create/reveal load: requests fail fast with 503,
/// health says so, service resumes without a restart; no secret is served twice and none
/// that was acknowledged as created is lost (Redis keeps its data on disk here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stop_and_start_under_load_serves_nothing_twice_and_loses_nothing() {
    use std::collections::{HashMap, HashSet};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    // Store timeout 500 ms: anything near this means a request hung (the margin is for a
    // busy 2-core machine running other tests at the same time).
    const SLOW: Duration = Duration::from_secs(5);
    let mut redis = RedisServer::start_persistent();
    let mut config = default_config();
    config.store_timeout_ms = 500;
    let mut redis_config = RedisConfig::new(redis.url());
    redis_config.command_timeout = config.store_timeout();
    let store = Store::Redis(RedisStore::connect(&redis_config).await.unwrap());
    let server = Arc::new(start_with(store, &config, None).await);

    #[derive(Default)]
    struct Log {
        created: Vec<String>,
        served: HashMap<String, u32>,
        // Reveals whose outcome is unknown (503 or a broken connection while Redis was
        // away): they may have consumed the secret without delivering it.
        uncertain: HashSet<String>,
        slow: u32,
        unavailable: u32,
    }
    let log = Arc::new(Mutex::new(Log::default()));
    let running = Arc::new(AtomicBool::new(true));
    let mut tasks = Vec::new();
    for worker in 0..4 {
        let (server, log, running) = (server.clone(), log.clone(), running.clone());
        tasks.push(tokio::spawn(async move {
            let mut mine: Vec<String> = Vec::new();
            while running.load(Ordering::Relaxed) {
                let started = std::time::Instant::now();
                let (status, body) = server
                    .post(json!({ "ciphertext": valid_ciphertext() }))
                    .await;
                let took = started.elapsed();
                {
                    let mut entry = log.lock().unwrap();
                    if took > SLOW {
                        entry.slow += 1;
                    }
                    match status {
                        StatusCode::CREATED => {
                            let alias = body["alias"].as_str().unwrap().to_owned();
                            entry.created.push(alias.clone());
                            mine.push(alias);
                        }
                        StatusCode::SERVICE_UNAVAILABLE => entry.unavailable += 1,
                        other => panic!("create: {other}"),
                    }
                }
                // Reveal every other secret this worker made, at once.
                if worker % 2 == 0
                    && let Some(alias) = mine.pop()
                {
                    let started = std::time::Instant::now();
                    let response = server
                        .client
                        .get(server.url(&format!("/api/secrets/{alias}")))
                        .send()
                        .await;
                    let took = started.elapsed();
                    let mut entry = log.lock().unwrap();
                    if took > SLOW {
                        entry.slow += 1;
                    }
                    match response.map(|r| r.status()) {
                        Ok(StatusCode::OK) => *entry.served.entry(alias).or_default() += 1,
                        Ok(StatusCode::SERVICE_UNAVAILABLE) | Err(_) => {
                            entry.unavailable += 1;
                            entry.uncertain.insert(alias);
                        }
                        Ok(other) => panic!("reveal: {other}"),
                    }
                }
            }
        }));
    }

    tokio::time::sleep(Duration::from_millis(800)).await;
    redis.stop();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let response = server.fetch("/api/health").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    redis.restart();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while server.fetch("/api/health").await.status() != StatusCode::OK {
        assert!(std::time::Instant::now() < deadline, "did not recover");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    running.store(false, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }

    let log = Arc::try_unwrap(log).ok().unwrap().into_inner().unwrap();
    assert!(log.unavailable > 0, "the outage was not noticed");
    assert_eq!(log.slow, 0, "requests hung instead of failing fast");
    assert!(
        log.served.values().all(|&n| n == 1),
        "served twice: {:?}",
        log.served
    );
    // Every acknowledged secret not yet served (and not touched by an uncertain reveal)
    // is still there, exactly once.
    let mut checked = 0;
    for alias in &log.created {
        if log.served.contains_key(alias) || log.uncertain.contains(alias) {
            continue;
        }
        assert_eq!(server.get(alias).await.0, StatusCode::OK, "lost: {alias}");
        assert_eq!(server.get(alias).await.0, StatusCode::NOT_FOUND);
        checked += 1;
    }
    assert!(checked > 10, "only {checked} secrets checked");
    assert!(log.created.len() > 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bundle_is_served_precompressed_and_hashed_names_cached_for_good() {
    let site = std::env::temp_dir().join(format!("oncelink-site-{}", std::process::id()));
    let pkg = site.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("oncelink.wasm"), vec![7u8; 4096]).unwrap();
    std::fs::write(pkg.join("oncelink.wasm.br"), b"brotli bytes").unwrap();
    std::fs::write(pkg.join("oncelink.wasm.gz"), b"gzip bytes").unwrap();
    std::fs::write(pkg.join("oncelink.Xq3_bM-9kLwPz0aT5cYv1g.wasm"), b"hashed").unwrap();
    let config = default_config();
    let store = server::open_store(&config).await.unwrap();
    let mut options = leptos_options();
    options.site_root = site.to_string_lossy().into_owned().into();
    let state = AppState::new(store, &config, options).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(server::serve(
        listener,
        server::app(state),
        std::future::pending(),
    ));
    let client = reqwest::Client::new();
    let get = |encoding: &'static str| {
        client
            .get(format!("{base}/pkg/oncelink.wasm"))
            .header("accept-encoding", encoding)
            .send()
    };
    let br = get("br, gzip").await.unwrap();
    assert_eq!(br.headers()["content-encoding"], "br");
    assert_eq!(br.headers()["content-type"], "application/wasm");
    assert_eq!(br.headers()["cache-control"], "no-cache");
    assert_eq!(br.bytes().await.unwrap().as_ref(), b"brotli bytes");
    let gz = get("gzip").await.unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let plain = get("identity").await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.bytes().await.unwrap().len(), 4096);
    // A content-hashed name never changes content: cached for a year without revalidation.
    let hashed = client
        .get(format!("{base}/pkg/oncelink.Xq3_bM-9kLwPz0aT5cYv1g.wasm"))
        .send()
        .await
        .unwrap();
    assert_eq!(hashed.status(), 200);
    assert_eq!(
        hashed.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    // A missing hashed name is not cached at all.
    let missing = client
        .get(format!("{base}/pkg/oncelink.AAAAAAAAAAAAAAAAAAAAAA.wasm"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["cache-control"], "no-cache");
    let _ = std::fs::remove_dir_all(&site);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_router_served_without_client_addresses_refuses_instead_of_guessing() {
    use tower::ServiceExt as _;
    // Driven without `server::serve` (no peer address) and no proxy header configured: every
    // request is refused as a wiring fault, never counted as one shared "unknown" client.
    let config = default_config();
    let state = server::AppState::from_config(&config, leptos_options())
        .await
        .unwrap();
    let request = axum::http::Request::get("/api/secrets/Kx7mP2nQ/info")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = server::app(state).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    let body: protocol::ErrorBody = serde_json::from_slice(&body).unwrap();
    assert_eq!(body.code, protocol::ErrorCode::Internal);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hsts_is_sent_when_asked_for() {
    let mut config = default_config();
    config.hsts = true;
    let server = embedded("hsts", config).await;
    for path in ["/", "/api/health"] {
        let response = server.fetch(path).await;
        assert_eq!(
            response.headers()["strict-transport-security"],
            "max-age=63072000; includeSubDomains",
            "{path}"
        );
    }
}
