//! Rate limits, failure accounting and the client address (proxy header, shared Redis).

use crypto_core::MasterKey;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;
use store::SecretRef;

use testkit::TestRedis;

use crate::support::*;

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
    let body = assert_rate_limited(response, 600).await;
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
        let body = assert_rate_limited(response, 60).await;
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

    // Failures on A count on B: each instance decides on what it knows and they share their
    // counts every 50 ms, so B refuses too within a few sync intervals. The 404 above was one
    // failure (on A), a wrong proof on A is the second, one more on A the third: A refuses.
    let g = create_guarded(&a, "x", None, json!({})).await;
    let wrong =
        json!({ "access_proof": MasterKey::generate().unwrap().access_proof().to_base64url() });
    for _ in 0..2 {
        assert_eq!(
            a.reveal(&g.alias, wrong.clone()).await.0,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(
        a.reveal(&g.alias, g.access_body()).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    loop {
        let (status, _) = b.info(&g.alias).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
        assert_eq!(status, StatusCode::OK);
        assert!(
            std::time::Instant::now() < deadline,
            "B never learned A's failures"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The secret was not touched by any of it.
    assert_eq!(
        a.service
            .store()
            .info(&SecretRef::Alias(store::Alias::parse(&g.alias).unwrap()))
            .await
            .unwrap()
            .map(|i| i.views_left),
        Some(1)
    );
    drop(redis);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_and_references_are_checked_before_the_body() {
    let mut config = default_config();
    config.rate_create = 1;
    config.failed_attempts = 100;
    let server = embedded("order", config).await;
    // The one create of the minute is used by a malformed body...
    assert_eq!(server.post_raw("{").await.0, StatusCode::BAD_REQUEST);
    // ...so the next one is over the limit, whatever its body.
    let (status, body) = server.post_raw("not json").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["code"], "rate_limited");
    // A malformed reference is refused (and counted as a failure) before the body is read.
    let (status, body) = server
        .post_to("/api/secrets/bad-alias/reveal", json!([]))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_reference");
    let counters = server.service.snapshot();
    assert_eq!(counters.rejected(service::Rejected::BadInput), 2);
    assert_eq!(counters.rejected(service::Rejected::RateLimited), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_does_not_use_up_a_view() {
    let server = embedded("head", default_config()).await;
    let (status, created) = server
        .post(json!({ "ciphertext": valid_ciphertext() }))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let url = server.url(&format!(
        "/api/secrets/{}",
        created["alias"].as_str().unwrap()
    ));
    let head = server.client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        server.get(created["alias"].as_str().unwrap()).await.0,
        StatusCode::OK
    );
}
