//! One service behind every door: the same bad and abusive requests through the REST API and
//! through the web app's server functions get the same outcome, the same error code and the
//! same counters (failure accounting, rate limits, metrics).

use crypto_core::{Envelope, ManageToken, MasterKey, SecretId};
use protocol::rest::CreateRequest;
use protocol::web::{
    CreateSecretRequest, CreatedSecret, ManageSecretRequest, ManageState, ManageView,
    RevealOutcome, RevealSecretRequest,
};
use protocol::{ErrorBody, ErrorCode, Loose};
use reqwest::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::support::*;

/// A secret sealed as the web app seals it, ready for either door.
struct Sealed {
    id: SecretId,
    payload: Vec<u8>,
    access: String,
    access_verifier: String,
    manage: String,
    manage_verifier: String,
}

fn seal(text: &str) -> Sealed {
    let key = MasterKey::generate().unwrap();
    let id = SecretId::generate().unwrap();
    let padded = Envelope::text_only(text).pack_padded().unwrap();
    let payload = crypto_core::seal_with(&key, None, &id, &padded).unwrap();
    let manage = ManageToken::generate().unwrap();
    Sealed {
        id,
        payload,
        access: key.access_proof().to_base64url(),
        access_verifier: key.access_proof().verifier().to_base64url(),
        manage: manage.proof().to_base64url(),
        manage_verifier: manage.proof().verifier().to_base64url(),
    }
}

/// What a door answered, reduced to what must agree: success, or the error code.
type Answer = Result<(), ErrorCode>;

/// Calls a server function the way the browser does: postcard in, postcard out, and the
/// protocol's error body (JSON) on failure.
pub(crate) async fn call<I: Serialize, O: DeserializeOwned>(
    server: &TestServer,
    endpoint: &str,
    input: &I,
) -> Result<O, ErrorBody> {
    let response = server
        .client
        .post(server.url(&format!("/fn/{endpoint}")))
        .header("content-type", "application/x-postcard")
        .header("accept", "application/x-postcard")
        .body(postcard::to_allocvec(input).unwrap())
        .send()
        .await
        .unwrap();
    let ok = response.status().is_success();
    let bytes = response.bytes().await.unwrap();
    if ok {
        Ok(postcard::from_bytes(&bytes).unwrap())
    } else {
        Err(serde_json::from_slice(&bytes).unwrap())
    }
}

/// A REST answer as an [`Answer`].
fn rest((status, body): (StatusCode, serde_json::Value)) -> Answer {
    if status.is_success() {
        return Ok(());
    }
    let body: ErrorBody = serde_json::from_value(body).unwrap();
    assert_ne!(body.code, ErrorCode::Unknown, "{body:?}");
    Err(body.code)
}

/// The page's reveal outcomes are answers, not errors; they name the same cases.
fn web_reveal(outcome: Result<RevealOutcome, ErrorBody>) -> Answer {
    match outcome {
        Ok(RevealOutcome::Revealed { .. }) => Ok(()),
        Ok(RevealOutcome::Gone) => Err(ErrorCode::NotFound),
        Ok(RevealOutcome::WrongKey) => Err(ErrorCode::WrongAccessProof),
        Ok(RevealOutcome::WrongPassphrase { .. }) => Err(ErrorCode::WrongPassphrase),
        Ok(RevealOutcome::Burned) => Err(ErrorCode::Burned),
        Err(body) => Err(body.code),
    }
}

fn web_manage(view: Result<ManageView, ErrorBody>) -> Answer {
    match view {
        Ok(v) if v.state == ManageState::WrongToken => Err(ErrorCode::WrongManageToken),
        Ok(v) if v.state == ManageState::Expired => Err(ErrorCode::NotFound),
        Ok(_) => Ok(()),
        Err(body) => Err(body.code),
    }
}

fn web<T>(result: Result<T, ErrorBody>) -> Answer {
    result.map(|_| ()).map_err(|body| body.code)
}

/// A create through the REST API with the web app's fields.
fn rest_create(sealed: &Sealed, ttl_seconds: u64, access_verifier: &str) -> CreateRequest {
    CreateRequest {
        ciphertext: Some(crypto_core::base64::encode(&sealed.payload).into()),
        id: Some(sealed.id.as_str().to_owned().into()),
        ttl_seconds: Some(ttl_seconds.into()),
        max_views: Some(1.into()),
        access_verifier: Some(Loose::Valid(access_verifier.to_owned())),
        manage_verifier: Some(sealed.manage_verifier.clone().into()),
        ..CreateRequest::default()
    }
}

fn web_create(sealed: &Sealed, ttl_seconds: u64, access_verifier: &str) -> CreateSecretRequest {
    CreateSecretRequest {
        id: sealed.id.as_str().to_owned(),
        payload: sealed.payload.clone(),
        ttl_seconds,
        max_views: 1,
        access_verifier: access_verifier.to_owned(),
        passphrase_verifier: None,
        manage_verifier: sealed.manage_verifier.clone(),
        upload_token: None,
    }
}

/// The same script through one door; returns every answer in order.
async fn script(server: &TestServer, via_rest: bool) -> Vec<Answer> {
    let mut answers = Vec::new();
    let good = seal("through the door");
    let create = async |sealed: &Sealed, ttl: u64, verifier: &str| -> (Answer, Option<String>) {
        if via_rest {
            let body = serde_json::to_value(rest_create(sealed, ttl, verifier)).unwrap();
            let (status, created) = server.post(body).await;
            let alias = created["alias"].as_str().map(str::to_owned);
            (rest((status, created)), alias)
        } else {
            let created: Result<CreatedSecret, _> =
                call(server, "create", &web_create(sealed, ttl, verifier)).await;
            let alias = created.as_ref().ok().map(|c| c.alias.clone());
            (web(created), alias)
        }
    };
    let reveal = async |alias: &str, access: &str| -> Answer {
        if via_rest {
            rest(
                server
                    .reveal(alias, serde_json::json!({ "access_proof": access }))
                    .await,
            )
        } else {
            let request = RevealSecretRequest {
                alias: alias.to_owned(),
                access_proof: access.to_owned(),
                passphrase_proof: None,
                claim: crypto_core::Proof::generate().unwrap().to_base64url(),
            };
            web_reveal(call(server, "reveal", &request).await)
        }
    };
    let status = async |alias: &str, token: &str| -> Answer {
        let request = ManageSecretRequest {
            alias: alias.to_owned(),
            token: token.to_owned(),
        };
        if via_rest {
            rest(
                server
                    .post_to(
                        &format!("/api/secrets/{alias}/status"),
                        serde_json::json!({ "manage_token": token }),
                    )
                    .await,
            )
        } else {
            web_manage(call(server, "status", &request).await)
        }
    };

    // Bad input: the same codes, nothing stored.
    answers.push(create(&good, 1, &good.access_verifier).await.0);
    answers.push(create(&good, 900, "not-a-verifier").await.0);
    let mut empty = seal("");
    empty.payload.clear();
    answers.push(create(&empty, 900, &good.access_verifier).await.0);
    // A good one.
    let (created, alias) = create(&good, 900, &good.access_verifier).await;
    answers.push(created);
    let alias = alias.unwrap();
    // The same id again.
    answers.push(create(&good, 900, &good.access_verifier).await.0);

    // Failures: a malformed alias, an unknown one, a wrong proof, a wrong manage token. Each
    // counts against the client (limit 4 in 10 minutes), and none consumes the secret.
    let wrong = seal("other").access;
    answers.push(reveal("bad-alias", &good.access).await);
    answers.push(reveal("Zz9Zz9Zz", &good.access).await);
    answers.push(reveal(&alias, &wrong).await);
    answers.push(status(&alias, &wrong).await);
    // Over the failure limit: every read is refused, even the right one.
    answers.push(reveal(&alias, &good.access).await);
    answers.push(status(&alias, &good.manage).await);
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_and_server_functions_share_every_rule_and_counter() {
    let config = || {
        let mut config = default_config();
        config.failed_attempts = 4;
        config
    };
    let via_rest = embedded("doors-rest", config()).await;
    let via_web = embedded("doors-web", config()).await;
    let rest_answers = script(&via_rest, true).await;
    let web_answers = script(&via_web, false).await;
    use ErrorCode::*;
    let expected: Vec<Answer> = vec![
        Err(InvalidTtl),
        Err(InvalidProof),
        Err(InvalidCiphertext),
        Ok(()),
        Err(IdExists),
        Err(InvalidReference),
        Err(NotFound),
        Err(WrongAccessProof),
        Err(WrongManageToken),
        Err(RateLimited),
        Err(RateLimited),
    ];
    assert_eq!(rest_answers, expected, "REST");
    assert_eq!(web_answers, expected, "server functions");
    // The same counters on both servers, exactly.
    let (a, b) = (via_rest.service.snapshot(), via_web.service.snapshot());
    assert_eq!(a, b);
    assert_eq!(a.created, 1);
    assert_eq!(a.revealed, 0);
    for (reason, count) in [
        (service::Rejected::BadInput, 4), // ttl, verifier, ciphertext, alias
        (service::Rejected::Conflict, 1),
        (service::Rejected::NotFound, 1),
        (service::Rejected::WrongProof, 1),
        (service::Rejected::WrongToken, 1),
        (service::Rejected::RateLimited, 2),
    ] {
        assert_eq!(a.rejected(reason), count, "{reason:?}");
    }
}
