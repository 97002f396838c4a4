//! The sender's manage link: status and destroy.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::*;

both_backends!(sender_sees_status_and_destroys_once,);

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
