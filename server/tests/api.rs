//! The REST API over a real socket, on both backends (embedded, and a real redis-server).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

use std::time::Duration;

use crypto_core::{Envelope, MasterKey, SecretId};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::{AppState, Config};
use store::{RedisConfig, RedisStore, SecretRef, Store};
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
        limiter: store::limits::Limiter::for_store(&store, config.rules()),
        client_ip_header: config.client_ip_header().unwrap(),
        body_timeout: config.body_timeout(),
        uploads: config.upload_gate(),
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

/// Defaults, except rate limits high enough for tests that send many requests.
fn default_config() -> Config {
    <Config as clap::Parser>::parse_from([
        "oncelink-server",
        "--rate-create=100000",
        "--rate-reveal=100000",
        "--failed-attempts=100000",
    ])
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

    /// `GET path`: the response, whatever its status.
    async fn fetch(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    async fn post_raw(&self, body: impl Into<Vec<u8>>) -> (StatusCode, Value) {
        let body = body.into();
        // The server may answer an oversized body (413) and close before the client has sent
        // it all; the client then sees a broken connection instead of the answer. Retry that.
        let mut tries = 0;
        let response = loop {
            match self
                .client
                .post(self.url("/api/secrets"))
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
            {
                Ok(response) => break response,
                Err(e) if tries < 5 && e.is_request() => tries += 1,
                Err(e) => panic!("{e}"),
            }
        };
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

    async fn post_to(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn reveal(&self, alias: &str, body: Value) -> (StatusCode, Value) {
        self.post_to(&format!("/api/secrets/{alias}/reveal"), body)
            .await
    }

    async fn info(&self, alias: &str) -> (StatusCode, Value) {
        let response = self.fetch(&format!("/api/secrets/{alias}/info")).await;
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, key: &str) -> (StatusCode, Value) {
        let response = self.fetch(&format!("/api/secrets/{key}")).await;
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
    wrong_or_missing_access_proof_consumes_nothing,
    view_limit_counts_down_and_holds_under_concurrency,
    wrong_passphrase_burns_nothing_until_the_last_try,
    sender_sees_status_and_destroys_once,
    new_bad_inputs_are_clear_4xx,
    finer_expiry_in_seconds,
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
    let cases: Vec<(Vec<u8>, StatusCode, &str)> = vec![
        ("".into(), StatusCode::BAD_REQUEST, "empty"),
        ("{".into(), StatusCode::BAD_REQUEST, "not valid JSON"),
        (
            vec![0xffu8, 0xfe],
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

/// A secret as the web app makes it: access proof, optional passphrase, manage token.
struct Guarded {
    key: MasterKey,
    id: SecretId,
    alias: String,
    access: String,
    passphrase: Option<String>,
    manage: String,
}

impl Guarded {
    fn access_body(&self) -> Value {
        json!({ "access_proof": self.access })
    }
}

async fn create_guarded(
    server: &TestServer,
    text: &str,
    passphrase: Option<&str>,
    extra: Value,
) -> Guarded {
    let key = MasterKey::generate().unwrap();
    let id = SecretId::generate().unwrap();
    let stretched = passphrase.map(|p| key.stretch_passphrase(p).unwrap());
    let padded = Envelope::text_only(text).pack_padded().unwrap();
    let payload = crypto_core::seal_with(&key, stretched.as_ref(), &id, &padded).unwrap();
    let access = key.access_proof();
    let manage = crypto_core::ManageToken::generate().unwrap();
    let mut body = json!({
        "ciphertext": crypto_core::base64::encode(&payload),
        "id": id.as_str(),
        "access_verifier": access.verifier().to_base64url(),
        "manage_verifier": manage.proof().verifier().to_base64url(),
    });
    if let Some(s) = &stretched {
        body["passphrase_verifier"] = s.proof().verifier().to_base64url().into();
    }
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (status, created) = server.post(body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    Guarded {
        key,
        id,
        alias: created["alias"].as_str().unwrap().to_owned(),
        access: access.to_base64url(),
        passphrase: stretched.map(|s| s.proof().to_base64url()),
        manage: manage.proof().to_base64url(),
    }
}

fn open_text(g: &Guarded, passphrase: Option<&str>, body: &Value) -> String {
    let payload = crypto_core::base64::decode(body["ciphertext"].as_str().unwrap()).unwrap();
    let stretched = passphrase.map(|p| g.key.stretch_passphrase(p).unwrap());
    let plain = crypto_core::open_with(&g.key, stretched.as_ref(), &g.id, &payload).unwrap();
    Envelope::unpack(&plain).unwrap().text().to_owned()
}

async fn wrong_or_missing_access_proof_consumes_nothing(server: TestServer) {
    let g = create_guarded(&server, "launch codes", None, json!({})).await;
    let other = MasterKey::generate().unwrap().access_proof().to_base64url();
    let (status, info) = server.info(&g.alias).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["proof_required"], true);
    assert_eq!(info["passphrase_required"], false);

    // The reference GET, a missing proof, a wrong proof, the manage token as proof, by id too.
    let (status, body) = server.get(&g.alias).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    for body in [
        json!({}),
        json!({ "access_proof": other }),
        json!({ "access_proof": g.manage }),
    ] {
        let (status, reply) = server.reveal(&g.alias, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{reply}");
        assert!(reply["error"].as_str().unwrap().contains("access proof"));
        assert!(reply.get("ciphertext").is_none());
    }
    let (status, _) = server
        .reveal(g.id.as_str(), json!({ "access_proof": other }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(server.info(&g.alias).await.0, StatusCode::OK, "still there");

    // The right proof opens it exactly once.
    let (status, body) = server.reveal(&g.alias, g.access_body()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["views_left"], 0);
    assert_eq!(open_text(&g, None, &body), "launch codes");
    let (status, body) = server.reveal(&g.alias, g.access_body()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(server.info(&g.alias).await.0, StatusCode::NOT_FOUND);
}

async fn view_limit_counts_down_and_holds_under_concurrency(server: TestServer) {
    let g = create_guarded(&server, "contract", None, json!({ "max_views": 3 })).await;
    assert_eq!(server.info(&g.alias).await.1["views_left"], 3);
    for left in [2, 1, 0] {
        let (status, body) = server.reveal(&g.alias, g.access_body()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["views_left"], left);
        assert_eq!(open_text(&g, None, &body), "contract");
    }
    assert_eq!(
        server.reveal(&g.alias, g.access_body()).await.0,
        StatusCode::NOT_FOUND
    );

    // Reference clients can ask for views too (no proof): GET counts them.
    let (_, created) = server
        .post(json!({ "ciphertext": valid_ciphertext(), "max_views": 2 }))
        .await;
    let alias = created["alias"].as_str().unwrap();
    assert_eq!(created["max_views"], 2);
    assert_eq!(server.get(alias).await.1["views_left"], 1);
    assert_eq!(server.get(alias).await.1["views_left"], 0);
    assert_eq!(server.get(alias).await.0, StatusCode::NOT_FOUND);

    // 100 concurrent reveals of a 5-view secret: exactly 5 succeed.
    let g = create_guarded(&server, "race", None, json!({ "max_views": 5 })).await;
    let url = server.url(&format!("/api/secrets/{}/reveal", g.alias));
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (client, url, body) = (server.client.clone(), url.clone(), g.access_body());
            tokio::spawn(async move { client.post(url).json(&body).send().await.unwrap().status() })
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
    assert_eq!(ok, 5);
}

async fn wrong_passphrase_burns_nothing_until_the_last_try(server: TestServer) {
    let g = create_guarded(&server, "scan", Some("tango oscar"), json!({})).await;
    let wrong = g
        .key
        .stretch_passphrase("tango")
        .unwrap()
        .proof()
        .to_base64url();
    let (_, info) = server.info(&g.alias).await;
    assert_eq!(info["passphrase_required"], true);
    assert_eq!(info["tries_left"], 5);

    // Without a passphrase proof: asked for one, no try spent.
    let (status, body) = server.reveal(&g.alias, g.access_body()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["tries_left"], 5);
    // Wrong passphrase: one try spent, nothing released.
    let (status, body) = server
        .reveal(
            &g.alias,
            json!({ "access_proof": g.access, "passphrase_proof": wrong }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "wrong passphrase");
    assert_eq!(body["tries_left"], 4);
    assert!(body.get("ciphertext").is_none());
    assert_eq!(server.info(&g.alias).await.1["tries_left"], 4);
    // The right one opens it; the link's key alone could not decrypt.
    let (status, body) = server
        .reveal(
            &g.alias,
            json!({ "access_proof": g.access, "passphrase_proof": g.passphrase }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let payload = crypto_core::base64::decode(body["ciphertext"].as_str().unwrap()).unwrap();
    assert_eq!(payload[0], 0x10);
    assert!(crypto_core::open(&g.key, &g.id, &payload).is_err());
    assert_eq!(open_text(&g, Some("tango oscar"), &body), "scan");

    // Five wrong tries destroy it; the fifth says so.
    let g = create_guarded(&server, "scan", Some("tango oscar"), json!({})).await;
    let wrong = json!({ "access_proof": g.access, "passphrase_proof": wrong });
    for left in [4, 3, 2, 1] {
        let (status, body) = server.reveal(&g.alias, wrong.clone()).await;
        assert_eq!(
            (status, body["tries_left"].clone()),
            (StatusCode::FORBIDDEN, json!(left))
        );
    }
    let (status, body) = server.reveal(&g.alias, wrong.clone()).await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    assert!(body["error"].as_str().unwrap().contains("destroyed"));
    let right = json!({ "access_proof": g.access, "passphrase_proof": g.passphrase });
    assert_eq!(
        server.reveal(&g.alias, right).await.0,
        StatusCode::NOT_FOUND
    );
}

async fn sender_sees_status_and_destroys_once(server: TestServer) {
    let g = create_guarded(&server, "regret", None, json!({ "max_views": 2 })).await;
    let status_url = format!("/api/secrets/{}/status", g.alias);
    let destroy_url = format!("/api/secrets/{}/destroy", g.alias);
    let token = json!({ "manage_token": g.manage });

    let (code, s) = server.post_to(&status_url, token.clone()).await;
    assert_eq!(code, StatusCode::OK, "{s}");
    assert_eq!(s["state"], "waiting");
    assert_eq!(s["views_left"], 2);
    assert!(s.get("ciphertext").is_none());

    assert_eq!(
        server.reveal(&g.alias, g.access_body()).await.0,
        StatusCode::OK
    );
    let (_, s) = server.post_to(&status_url, token.clone()).await;
    assert_eq!(s["state"], "opened");
    assert_eq!(s["views_left"], 1);
    assert!(s["opened_at"][0].as_u64().unwrap() > 1_700_000_000);

    // The access proof is not a manage token, and the manage token cannot open the secret.
    let (code, _) = server
        .post_to(&destroy_url, json!({ "manage_token": g.access }))
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);

    let (code, d) = server.post_to(&destroy_url, token.clone()).await;
    assert_eq!(code, StatusCode::OK, "{d}");
    assert_eq!(d["state"], "destroyed");
    assert_eq!(
        server.reveal(&g.alias, g.access_body()).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, s) = server.post_to(&status_url, token.clone()).await;
    assert_eq!(s["state"], "destroyed");
    // Destroying twice is a clear conflict, not a silent success.
    let (code, d) = server.post_to(&destroy_url, token).await;
    assert_eq!(code, StatusCode::CONFLICT, "{d}");
    assert!(d["error"].as_str().unwrap().contains("already gone"));
}

async fn new_bad_inputs_are_clear_4xx(server: TestServer) {
    let id = SecretId::generate().unwrap();
    let c = valid_ciphertext();
    let good = MasterKey::generate()
        .unwrap()
        .access_proof()
        .verifier()
        .to_base64url();
    let cases = [
        (
            json!({ "max_views": 0 }),
            "max_views must be an integer from 1 to 10",
        ),
        (json!({ "max_views": 11 }), "max_views"),
        (json!({ "max_views": -1 }), "max_views"),
        (json!({ "max_views": "3" }), "max_views"),
        (json!({ "max_views": 1.5 }), "max_views"),
        (
            json!({ "access_verifier": "abc" }),
            "access_verifier must be 32 bytes",
        ),
        (json!({ "access_verifier": 5 }), "access_verifier"),
        (
            json!({ "access_verifier": format!("{good}AA") }),
            "access_verifier",
        ),
        (
            json!({ "passphrase_verifier": "!!!" }),
            "passphrase_verifier",
        ),
        (
            json!({ "passphrase_verifier": good, "access_verifier": "x" }),
            "access_verifier",
        ),
        (
            json!({ "manage_verifier": "not base64" }),
            "manage_verifier",
        ),
        (
            json!({ "ttl_seconds": 60 }),
            "ttl_seconds must be an integer from 300 to 604800",
        ),
        (json!({ "ttl_seconds": 8 * 86400 }), "ttl_seconds"),
        (json!({ "ttl_seconds": "3600" }), "ttl_seconds"),
        (json!({ "ttl_seconds": 3600, "ttl_hours": 1 }), "not both"),
    ];
    for (extra, message) in cases {
        let mut body = json!({ "ciphertext": c, "id": id.as_str() });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, reply) = server.post(body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{extra}: {reply}");
        let error = reply["error"].as_str().unwrap();
        assert!(
            error.contains(message),
            "{error:?} should mention {message:?}"
        );
    }
    // None of those stored anything.
    let (status, _) = server
        .post(json!({ "ciphertext": c, "id": id.as_str() }))
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let g = create_guarded(&server, "x", None, json!({})).await;
    let endpoint = |what: &str| format!("/api/secrets/{}/{what}", g.alias);
    let bad = [
        (endpoint("status"), json!({}), "manage_token"),
        (
            endpoint("status"),
            json!({ "manage_token": "short" }),
            "manage_token",
        ),
        (
            endpoint("destroy"),
            json!({ "manage_token": 42 }),
            "manage_token",
        ),
        (
            endpoint("reveal"),
            json!({ "access_proof": "%%%" }),
            "access_proof",
        ),
        (
            endpoint("reveal"),
            json!({ "access_proof": g.access, "passphrase_proof": [] }),
            "passphrase_proof",
        ),
        (
            format!("/api/secrets/{}/status", g.id),
            json!({ "manage_token": g.manage }),
            "alias",
        ),
        (
            "/api/secrets/bad!/reveal".to_string(),
            json!({}),
            "not a valid secret id",
        ),
    ];
    for (path, body, message) in bad {
        let (status, reply) = server.post_to(&path, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body}: {reply}");
        let error = reply["error"].as_str().unwrap();
        assert!(
            error.contains(message),
            "{error:?} should mention {message:?}"
        );
    }
    let response = server
        .client
        .post(server.url(&endpoint("reveal")))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // Still there after all of that.
    assert_eq!(
        server.reveal(&g.alias, g.access_body()).await.0,
        StatusCode::OK
    );
}

async fn finer_expiry_in_seconds(server: TestServer) {
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for (extra, ttl) in [
        (json!({ "ttl_seconds": 300 }), 300),
        (json!({ "ttl_seconds": 7 * 86400 }), 7 * 86400),
        (json!({ "ttl_hours": 72 }), 72 * 3600),
        (json!({}), 24 * 3600),
    ] {
        let mut body = json!({ "ciphertext": valid_ciphertext() });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, created) = server.post(body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let expires = created["expires_at"].as_u64().unwrap();
        assert!(
            (before + ttl..=before + ttl + 5).contains(&expires),
            "{extra}: {expires} vs {before}+{ttl}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_attempts_are_rate_limited_per_client() {
    let mut config = default_config();
    config.failed_attempts = 3;
    let server = embedded("rate", config).await;
    let g = create_guarded(&server, "x", None, json!({})).await;
    let wrong =
        json!({ "access_proof": MasterKey::generate().unwrap().access_proof().to_base64url() });
    for _ in 0..3 {
        assert_eq!(
            server.reveal(&g.alias, wrong.clone()).await.0,
            StatusCode::FORBIDDEN
        );
    }
    // Over the limit: even the right proof waits, and the secret is untouched.
    let response = server
        .client
        .post(server.url(&format!("/api/secrets/{}/reveal", g.alias)))
        .json(&g.access_body())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry), "{retry}");
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("too many failed attempts")
    );
    assert!(
        server
            .store
            .info(&SecretRef::parse(&g.alias).unwrap())
            .await
            .unwrap()
            .is_some()
    );
    // Creating is not affected.
    assert_eq!(
        server
            .post(json!({ "ciphertext": valid_ciphertext() }))
            .await
            .0,
        StatusCode::CREATED
    );
}

/// Both backends, with a configuration of the test's own.
async fn on_both(test: &str, config: impl Fn() -> Config, body: impl AsyncFn(TestServer)) {
    body(embedded(test, config()).await).await;
    body(redis(test, config()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_answer_429_with_retry_after_and_reveals_are_stricter() {
    let config = || {
        let mut c = default_config();
        c.rate_create = 4;
        c.rate_reveal = 2;
        c.failed_attempts = 3;
        c
    };
    on_both("rate", config, async |server: TestServer| {
        // Creation: 4 per minute, the 5th is refused with Retry-After and a JSON error.
        let mut aliases = Vec::new();
        for _ in 0..4 {
            let (status, created) = server
                .post(json!({ "ciphertext": valid_ciphertext() }))
                .await;
            assert_eq!(status, StatusCode::CREATED);
            aliases.push(created["alias"].as_str().unwrap().to_owned());
        }
        let response = server
            .client
            .post(server.url("/api/secrets"))
            .json(&json!({ "ciphertext": valid_ciphertext() }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry), "{retry}");
        let body: Value = response.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains("too many"));

        // Reads: 2 per minute, stricter than creation.
        assert_eq!(server.get(&aliases[0]).await.0, StatusCode::OK);
        assert_eq!(server.info(&aliases[1]).await.0, StatusCode::OK);
        assert_eq!(
            server.get(&aliases[1]).await.0,
            StatusCode::TOO_MANY_REQUESTS
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_invalid_ids_count_as_failures() {
    let config = || {
        let mut c = default_config();
        c.failed_attempts = 3;
        c
    };
    on_both("failures", config, async |server: TestServer| {
        let (_, created) = server
            .post(json!({ "ciphertext": valid_ciphertext() }))
            .await;
        let alias = created["alias"].as_str().unwrap().to_owned();
        assert_eq!(server.get("Unknown1").await.0, StatusCode::NOT_FOUND);
        assert_eq!(server.get("bad!").await.0, StatusCode::BAD_REQUEST);
        assert_eq!(server.info("Unknown2").await.0, StatusCode::NOT_FOUND);
        // Over: even a real secret waits, and is not consumed.
        assert_eq!(server.get(&alias).await.0, StatusCode::TOO_MANY_REQUESTS);
        assert!(
            server
                .store
                .info(&SecretRef::parse(&alias).unwrap())
                .await
                .unwrap()
                .is_some()
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_address_comes_from_the_configured_proxy_header_only() {
    let as_client = |server: &TestServer, ip: &str| {
        server
            .client
            .get(server.url("/api/secrets/Unknown1"))
            .header("x-forwarded-for", format!("203.0.113.9, {ip}"))
            .send()
    };
    // Without the setting the header is ignored: everyone is 127.0.0.1.
    let mut config = default_config();
    config.failed_attempts = 2;
    let server = embedded("no-header", config).await;
    assert_eq!(
        as_client(&server, "10.0.0.1").await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        as_client(&server, "10.0.0.2").await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        as_client(&server, "10.0.0.3").await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    // With it, the rightmost address is the client: each has its own budget.
    let mut config = default_config();
    config.failed_attempts = 2;
    config.client_ip_header = Some("X-Forwarded-For".into());
    let server = embedded("header", config).await;
    for _ in 0..2 {
        assert_eq!(
            as_client(&server, "10.0.0.1").await.unwrap().status(),
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        as_client(&server, "10.0.0.1").await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        as_client(&server, "10.0.0.2").await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_redis_share_secrets_and_limits() {
    let redis = TestRedis::new("two");
    let mut config = default_config();
    config.failed_attempts = 3;
    config.redis_url = Some(redis.url.clone());
    config.redis_prefix = redis.prefix.clone();
    let a = start_with(server::open_store(&config).await.unwrap(), &config, None).await;
    let b = start_with(server::open_store(&config).await.unwrap(), &config, None).await;
    assert_ne!(a.base, b.base);

    // Created on A, revealed on B, gone on A.
    let g = create_guarded(&a, "across instances", None, json!({})).await;
    let (status, body) = b.reveal(&g.alias, g.access_body()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(open_text(&g, None, &body), "across instances");
    assert_eq!(
        a.reveal(&g.alias, g.access_body()).await.0,
        StatusCode::NOT_FOUND
    );

    // Failures on A count on B: the 404 above was one, a wrong proof on A is the second,
    // one on B the third; then both refuse.
    let g = create_guarded(&a, "x", None, json!({})).await;
    let wrong =
        json!({ "access_proof": MasterKey::generate().unwrap().access_proof().to_base64url() });
    assert_eq!(
        a.reveal(&g.alias, wrong.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        b.reveal(&g.alias, wrong.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        b.reveal(&g.alias, g.access_body()).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        a.reveal(&g.alias, g.access_body()).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    drop(redis);
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

    let response = server.fetch("/metrics").await;
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
    // Counters are per process (tests run in parallel): at least what this test did.
    assert!(value("oncelink_secrets_created_total ") >= 1);
    assert!(value("oncelink_secrets_revealed_total ") >= 1);
    assert!(value("oncelink_rejected_total{reason=\"wrong_proof\"}") >= 1);
    assert!(value("oncelink_rejected_total{reason=\"bad_input\"}") >= 1);
    assert!(text.contains(
        "oncelink_http_request_duration_seconds_count{method=\"POST\",route=\"/api/secrets/{key}/reveal\",status=\"ok\"}"
    ));
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
    let state = AppState {
        store,
        limits: config.limits(),
        body_limit: config.body_limit(),
        limiter: store::limits::Limiter::local(config.rules()),
        client_ip_header: None,
        body_timeout: config.body_timeout(),
        uploads: config.upload_gate(),
        leptos_options: options,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(server::serve(
        listener,
        server::router(state),
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
