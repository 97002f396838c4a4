//! The shared harness: a real server on a real socket, on the embedded store or a real
//! redis-server, and helpers to seal, post and reveal.

#![allow(dead_code)] // each test module uses its own part of the harness

use crypto_core::{Envelope, MasterKey, SecretId};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::{AppState, Config};
use store::Store;
use testkit::TestRedis;

pub struct TestServer {
    pub base: String,
    /// The metrics listener (its own address, as `--metrics-addr` gives it).
    pub metrics_base: String,
    pub client: reqwest::Client,
    pub store: Store,
    /// The service behind the server's doors: its exact counters.
    pub service: service::Service,
    pub _redis: Option<TestRedis>,
    pub _shutdown: tokio::sync::oneshot::Sender<()>,
    /// This server's own files directory (sweeps must not see another test's data).
    pub files: std::path::PathBuf,
    pub _files: Option<tempfile::TempDir>,
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET /metrics` from the metrics listener.
    pub async fn metrics(&self) -> reqwest::Response {
        let url = format!("{}/metrics", self.metrics_base);
        self.client.get(url).send().await.unwrap()
    }

    /// `GET path`: the response, whatever its status.
    pub async fn fetch(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post_raw(&self, body: impl Into<Vec<u8>>) -> (StatusCode, Value) {
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
        assert_no_store(&response);
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, body: Value) -> (StatusCode, Value) {
        self.post_raw(body.to_string()).await
    }

    pub async fn post_to(&self, path: &str, body: Value) -> (StatusCode, Value) {
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

    pub async fn reveal(&self, alias: &str, body: Value) -> (StatusCode, Value) {
        self.post_to(&format!("/api/secrets/{alias}/reveal"), body)
            .await
    }

    pub async fn info(&self, alias: &str) -> (StatusCode, Value) {
        let response = self.fetch(&format!("/api/secrets/{alias}/info")).await;
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, key: &str) -> (StatusCode, Value) {
        let response = self.fetch(&format!("/api/secrets/{key}")).await;
        let status = response.status();
        assert_no_store(&response);
        (status, response.json().await.unwrap())
    }
}

/// A `429` with `Retry-After` between 1 and `max_wait` seconds and the `rate_limited` code;
/// its body, for further checks.
pub async fn assert_rate_limited(response: reqwest::Response, max_wait: u64) -> Value {
    assert_429(response, max_wait, "rate_limited").await
}

/// A `429` with `Retry-After` between 1 and `max_wait` seconds and `code`; its body.
pub async fn assert_429(response: reqwest::Response, max_wait: u64, code: &str) -> Value {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=max_wait).contains(&retry), "{retry}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    body
}

/// Sends a request's head alone (no body) and returns the server's first answer bytes: a
/// refusal must come before the body is sent.
pub async fn answer_to_head(server: &TestServer, head: &[u8]) -> String {
    answer_to_head_within(server, head, std::time::Duration::from_secs(5))
        .await
        .expect("no answer before the body")
}

/// [`answer_to_head`], `None` when no answer comes within `wait` (the server waits for the body).
pub async fn answer_to_head_within(
    server: &TestServer,
    head: &[u8],
    wait: std::time::Duration,
) -> Option<String> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(head).await.unwrap();
    // The first bytes within `wait`; then the rest until the server closes (it does: the body
    // it refused is never read), for at most a second more.
    let mut answer = vec![0u8; 4096];
    let mut n = tokio::time::timeout(wait, stream.read(&mut answer))
        .await
        .ok()?
        .unwrap_or(0);
    let more_until = tokio::time::Instant::now() + std::time::Duration::from_secs(1);
    while n > 0 && n < answer.len() {
        match tokio::time::timeout_at(more_until, stream.read(&mut answer[n..])).await {
            Ok(Ok(m)) if m > 0 => n += m,
            _ => break,
        }
    }
    Some(String::from_utf8_lossy(&answer[..n]).into_owned())
}

/// Concurrent reads of one secret: each answers 200 or 404, nothing else; how many got it.
pub async fn served(tasks: Vec<tokio::task::JoinHandle<StatusCode>>) -> usize {
    let mut ok = 0;
    for task in tasks {
        let status = task.await.unwrap();
        assert!(
            status == StatusCode::OK || status == StatusCode::NOT_FOUND,
            "{status}"
        );
        ok += usize::from(status == StatusCode::OK);
    }
    ok
}

/// Every API answer must not be cached anywhere.
pub fn assert_no_store(response: &reqwest::Response) {
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
}

pub fn leptos_options() -> leptos::config::LeptosOptions {
    leptos::config::LeptosOptions::builder()
        .output_name("oncelink")
        .site_root("target/site")
        .build()
}

pub async fn start_with(store: Store, config: &Config, redis: Option<TestRedis>) -> TestServer {
    let mut config = config.clone();
    let dir = match &config.files_dir {
        Some(_) => None,
        None => Some(tempfile::tempdir().unwrap()),
    };
    if let Some(dir) = &dir {
        config.files_dir = Some(dir.path().to_owned());
    }
    let files = config.files_dir.clone().unwrap();
    let config = &config;
    let state = AppState::new(store.clone(), config, leptos_options()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::serve(listener, server::app(state.clone()), async {
        let _ = rx.await;
    }));
    let metrics = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics_base = format!("http://{}", metrics.local_addr().unwrap());
    tokio::spawn(server::serve(
        metrics,
        server::metrics::router(state.clone()),
        std::future::pending(),
    ));
    TestServer {
        base,
        metrics_base,
        client: reqwest::Client::new(),
        store,
        service: state.service().clone(),
        _redis: redis,
        _shutdown: tx,
        files,
        _files: dir,
    }
}

/// Defaults, except rate limits high enough for tests that send many requests.
pub fn default_config() -> Config {
    <Config as clap::Parser>::parse_from([
        "oncelink-server",
        "--rate-create=100000",
        "--rate-reveal=100000",
        "--failed-attempts=100000",
        "--upload-part-bytes=65536",
    ])
}

pub async fn embedded(_test: &str, config: Config) -> TestServer {
    let store = server::open_store(&config).await.unwrap();
    start_with(store, &config, None).await
}

pub async fn redis(test: &str, mut config: Config) -> TestServer {
    let redis = TestRedis::new(test);
    config.redis_url = Some(redis.url.clone());
    config.redis_prefix = redis.prefix.clone();
    let store = server::open_store(&config).await.unwrap();
    assert_eq!(store.backend(), "redis");
    start_with(store, &config, Some(redis)).await
}

pub fn sealed(text: &str) -> (MasterKey, SecretId, String) {
    let key = MasterKey::generate().unwrap();
    let id = SecretId::generate().unwrap();
    let payload = crypto_core::seal(&key, &id, &Envelope::text_only(text).pack().unwrap()).unwrap();
    (key, id, crypto_core::base64::encode(&payload))
}

pub fn valid_ciphertext() -> String {
    sealed("x").2
}

macro_rules! both_backends {
    ($($test:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::support::embedded(stringify!($test), $crate::support::default_config()).await).await;
                }
            )*
        }
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::support::redis(stringify!($test), $crate::support::default_config()).await).await;
                }
            )*
        }
    };
}

/// A secret as the web app makes it: access proof, optional passphrase, manage token.
pub struct Guarded {
    pub key: MasterKey,
    pub id: SecretId,
    pub alias: String,
    pub access: String,
    pub passphrase: Option<String>,
    pub manage: String,
}

impl Guarded {
    pub fn access_body(&self) -> Value {
        json!({ "access_proof": self.access })
    }
}

pub async fn create_guarded(
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

pub fn open_text(g: &Guarded, passphrase: Option<&str>, body: &Value) -> String {
    let payload = crypto_core::base64::decode(body["ciphertext"].as_str().unwrap()).unwrap();
    let stretched = passphrase.map(|p| g.key.stretch_passphrase(p).unwrap());
    let plain = crypto_core::open_with(&g.key, stretched.as_ref(), &g.id, &payload).unwrap();
    Envelope::unpack(&plain).unwrap().text().to_owned()
}

/// Both backends, with a configuration of the test's own.
pub async fn on_both(test: &str, config: impl Fn() -> Config, body: impl AsyncFn(TestServer)) {
    body(embedded(test, config()).await).await;
    body(redis(test, config()).await).await;
}
