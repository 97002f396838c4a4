//! The REST API over a real socket, on both backends (embedded, and a real redis-server).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

use std::time::Duration;

use crypto_core::{Envelope, MasterKey, SecretId};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::{AppState, Config};
use store::{RedisConfig, RedisStore, Store};
use testkit::{RedisServer, TestRedis};

struct TestServer {
    base: String,
    client: reqwest::Client,
    store: Store,
    _redis: Option<TestRedis>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

fn leptos_options() -> leptos::config::LeptosOptions {
    leptos::config::LeptosOptions::builder()
        .output_name("oncelink")
        .site_root("target/site")
        .build()
}

async fn start_with(store: Store, config: &Config, redis: Option<TestRedis>) -> TestServer {
    let state = AppState {
        store: store.clone(),
        limits: config.limits(),
        body_limit: config.body_limit(),
        leptos_options: leptos_options(),
        attempts: config.attempts(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::serve(listener, server::router(state), async {
        let _ = rx.await;
    }));
    TestServer {
        base,
        client: reqwest::Client::new(),
        store,
        _redis: redis,
        _shutdown: tx,
    }
}

fn default_config() -> Config {
    <Config as clap::Parser>::parse_from(["oncelink-server"])
}

async fn embedded(_test: &str, config: Config) -> TestServer {
    let store = server::open_store(&config).await.unwrap();
    start_with(store, &config, None).await
}

async fn redis(test: &str, mut config: Config) -> TestServer {
    let redis = TestRedis::new(test);
    config.redis_url = Some(redis.url.clone());
    config.redis_prefix = redis.prefix.clone();
    let store = server::open_store(&config).await.unwrap();
    assert_eq!(store.backend(), "redis");
    start_with(store, &config, Some(redis)).await
}

impl TestServer {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn post_raw(&self, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
        let response = self
            .client
            .post(self.url("/api/secrets"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert_eq!(
            response
                .headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("no-store")
        );
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, body: Value) -> (StatusCode, Value) {
        self.post_raw(body.to_string()).await
    }

    async fn get(&self, key: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .get(self.url(&format!("/api/secrets/{key}")))
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert_eq!(
            response
                .headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("no-store")
        );
        (status, response.json().await.unwrap())
    }
}

fn sealed(text: &str) -> (MasterKey, SecretId, String) {
    let key = MasterKey::generate().unwrap();
    let id = SecretId::generate().unwrap();
    let payload = crypto_core::seal(&key, &id, &Envelope::text_only(text).pack().unwrap()).unwrap();
    (key, id, crypto_core::base64::encode(&payload))
}

fn valid_ciphertext() -> String {
    sealed("x").2
}

macro_rules! both_backends {
    ($($test:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(super::embedded(stringify!($test), super::default_config()).await).await;
                }
            )*
        }
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(super::redis(stringify!($test), super::default_config()).await).await;
                }
            )*
        }
    };
}

both_backends!(
    round_trip_seal_post_fetch_open,
    server_makes_the_id_when_none_is_sent,
    ttl_hours_bounds,
    bad_bodies_are_4xx_and_store_nothing,
    duplicate_id_is_409,
    bad_references_are_400,
    unknown_consumed_and_expired_look_the_same,
    concurrent_fetches_serve_once,
    health_is_ok,
    unknown_endpoints_and_methods_are_json_errors,
    pages_render_with_security_headers,
);

async fn round_trip_seal_post_fetch_open(server: TestServer) {
    let (key, id, ciphertext) = sealed("correct horse battery staple");
    let (status, body) = server
        .post(json!({ "ciphertext": ciphertext, "ttl_hours": 1, "id": id.as_str() }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["id"], id.as_str());
    let alias = body["alias"].as_str().unwrap();
    assert_eq!(alias.len(), 8);
    assert!(alias.bytes().all(|b| b.is_ascii_alphanumeric()));

    let (status, body) = server.get(alias).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["ciphertext"], ciphertext.as_str());
    let payload = crypto_core::base64::decode(body["ciphertext"].as_str().unwrap()).unwrap();
    let returned_id = SecretId::parse(body["id"].as_str().unwrap()).unwrap();
    let envelope =
        Envelope::unpack(&crypto_core::open(&key, &returned_id, &payload).unwrap()).unwrap();
    assert_eq!(envelope.text(), "correct horse battery staple");

    let (status, _) = server.get(alias).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server.get(id.as_str()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn server_makes_the_id_when_none_is_sent(server: TestServer) {
    let (status, body) = server
        .post(json!({ "ciphertext": valid_ciphertext() }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap();
    assert!(SecretId::parse(id).is_ok());
    let (status, body) = server.get(id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["id"], id);
}

async fn ttl_hours_bounds(server: TestServer) {
    for ok in [json!(1), json!(72), json!(24), Value::Null] {
        let (status, body) = server
            .post(json!({ "ciphertext": valid_ciphertext(), "ttl_hours": ok }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "ttl_hours {ok}: {body}");
    }
    for bad in [
        json!(0),
        json!(73),
        json!(-1),
        json!(1.5),
        json!("24"),
        json!(true),
        json!([1]),
    ] {
        let (status, body) = server
            .post(json!({ "ciphertext": valid_ciphertext(), "ttl_hours": bad }))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "ttl_hours {bad}");
        assert_eq!(body["error"], "ttl_hours must be an integer from 1 to 72");
    }
}

async fn bad_bodies_are_4xx_and_store_nothing(server: TestServer) {
    let id = SecretId::generate().unwrap();
    let v2 = crypto_core::base64::encode(&[2u8; 40]);
    let short = crypto_core::base64::encode(&[1u8; 28]);
    let cases: Vec<(reqwest::Body, StatusCode, &str)> = vec![
        ("".into(), StatusCode::BAD_REQUEST, "empty"),
        ("{".into(), StatusCode::BAD_REQUEST, "not valid JSON"),
        (
            vec![0xffu8, 0xfe].into(),
            StatusCode::BAD_REQUEST,
            "not valid JSON",
        ),
        ("[1,2]".into(), StatusCode::BAD_REQUEST, "JSON object"),
        ("\"text\"".into(), StatusCode::BAD_REQUEST, "JSON object"),
        (
            json!({ "id": id.as_str() }).to_string().into(),
            StatusCode::BAD_REQUEST,
            "ciphertext is required",
        ),
        (
            json!({ "ciphertext": 12, "id": id.as_str() })
                .to_string()
                .into(),
            StatusCode::BAD_REQUEST,
            "must be a string",
        ),
        (
            json!({ "ciphertext": "%%%", "id": id.as_str() })
                .to_string()
                .into(),
            StatusCode::BAD_REQUEST,
            "base64",
        ),
        (
            json!({ "ciphertext": "", "id": id.as_str() })
                .to_string()
                .into(),
            StatusCode::BAD_REQUEST,
            "empty",
        ),
        (
            json!({ "ciphertext": v2, "id": id.as_str() })
                .to_string()
                .into(),
            StatusCode::BAD_REQUEST,
            "version",
        ),
        (
            json!({ "ciphertext": short, "id": id.as_str() })
                .to_string()
                .into(),
            StatusCode::BAD_REQUEST,
            "too short",
        ),
        (
            json!({ "ciphertext": valid_ciphertext(), "id": "not-a-uuid" })
                .to_string()
                .into(),
            StatusCode::BAD_REQUEST,
            "UUID",
        ),
        (
            json!({ "ciphertext": valid_ciphertext(), "id": 7 })
                .to_string()
                .into(),
            StatusCode::BAD_REQUEST,
            "UUID",
        ),
        (
            json!({ "ciphertext": "A".repeat(16 * 1024 * 1024), "id": id.as_str() })
                .to_string()
                .into(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than the limit",
        ),
    ];
    for (body, expected, message) in cases {
        let (status, json) = server.post_raw(body).await;
        assert_eq!(status, expected, "{message}: {json}");
        let error = json["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error field: {json}"));
        assert!(
            error.contains(message),
            "{error:?} should mention {message:?}"
        );
    }
    // None of those stored anything: the id is still free.
    let (status, body) = server
        .post(json!({ "ciphertext": valid_ciphertext(), "id": id.as_str() }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn duplicate_id_is_409(server: TestServer) {
    let (_, id, ciphertext) = sealed("first");
    let (status, _) = server
        .post(json!({ "ciphertext": ciphertext, "id": id.as_str() }))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = server
        .post(json!({ "ciphertext": valid_ciphertext(), "id": id.as_str() }))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["error"].as_str().unwrap().contains("already exists"));
    let (status, body) = server.get(id.as_str()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ciphertext"], ciphertext.as_str());
}

async fn bad_references_are_400(server: TestServer) {
    for bad in [
        "abc",
        "Kx7mP2n!",
        "Kx7mP2nQQ",
        "a1b2c3d4-0000-4000-8000-00000000000g",
        "%20",
    ] {
        let (status, body) = server.get(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("not a valid secret id or alias")
        );
    }
}

async fn unknown_consumed_and_expired_look_the_same(server: TestServer) {
    let (_, unknown) = server.get("Unknown1").await;
    let (_, unknown_id) = server.get(SecretId::generate().unwrap().as_str()).await;

    let (_, created) = server
        .post(json!({ "ciphertext": valid_ciphertext() }))
        .await;
    let alias = created["alias"].as_str().unwrap();
    assert_eq!(server.get(alias).await.0, StatusCode::OK);
    let (status, consumed) = server.get(alias).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let short = store::validate::new_secret(
        SecretId::generate().unwrap(),
        crypto_core::base64::decode(&valid_ciphertext())
            .unwrap()
            .into(),
        Duration::from_millis(200),
        store::Access::default(),
    );
    let short = server.store.create(short).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, expired) = server.get(short.alias.as_str()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    assert_eq!(unknown, consumed);
    assert_eq!(unknown, expired);
    assert_eq!(unknown, unknown_id);
}

async fn concurrent_fetches_serve_once(server: TestServer) {
    let (_, created) = server
        .post(json!({ "ciphertext": valid_ciphertext() }))
        .await;
    let url = server.url(&format!(
        "/api/secrets/{}",
        created["alias"].as_str().unwrap()
    ));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (client, url) = (server.client.clone(), url.clone());
            tokio::spawn(async move { client.get(url).send().await.unwrap().status() })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        let status = task.await.unwrap();
        assert!(
            status == StatusCode::OK || status == StatusCode::NOT_FOUND,
            "{status}"
        );
        ok += usize::from(status == StatusCode::OK);
    }
    assert_eq!(ok, 1);
}

async fn health_is_ok(server: TestServer) {
    let response = server
        .client
        .get(server.url("/api/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

async fn unknown_endpoints_and_methods_are_json_errors(server: TestServer) {
    let response = server
        .client
        .get(server.url("/api/nothing"))
        .send()
        .await
        .unwrap();
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
    let response = server.client.get(server.url("/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    let csp = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'self'"));
    assert!(csp.contains("object-src 'none'"));
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(csp.contains("'wasm-unsafe-eval'"));
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "no-store");
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
async fn a_smaller_payload_limit_is_enforced() {
    let mut config = default_config();
    config.max_payload_bytes = 100;
    let server = embedded("limit", config).await;
    let big = crypto_core::base64::encode(&[1u8; 101]);
    let (status, body) = server.post(json!({ "ciphertext": big })).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body["error"].as_str().unwrap().contains("100 bytes"));
    let fits = crypto_core::base64::encode(&[1u8; 100]);
    assert_eq!(
        server.post(json!({ "ciphertext": fits })).await.0,
        StatusCode::CREATED
    );
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
    let response = server
        .client
        .get(server.url("/api/health"))
        .send()
        .await
        .unwrap();
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
        let response = server
            .client
            .get(server.url("/api/health"))
            .send()
            .await
            .unwrap();
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
