//! Every wire shape pinned by a fixture file in `protocol/fixtures/`, checked both ways: the
//! type encodes to the file, and the file decodes to the type. A change to the wire is a diff
//! of these files. `ONCELINK_BLESS=1 cargo test -p protocol` rewrites them (review the diff).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

use std::path::PathBuf;

use protocol::rest::*;
use protocol::web::*;
use protocol::{ErrorBody, ErrorCode, Loose};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn bless() -> bool {
    std::env::var_os("ONCELINK_BLESS").is_some_and(|v| v == "1")
}

/// Checks (or writes) one fixture file: a JSON object naming each case's encoding, as
/// `encode` gives it; each case must encode to the file and `decode` back from it.
fn pinned<T: PartialEq + std::fmt::Debug>(
    file: &str,
    cases: &[(&str, T)],
    encode: impl Fn(&T) -> Value,
    decode: impl Fn(&Value) -> T,
) {
    let encoded: serde_json::Map<String, Value> = cases
        .iter()
        .map(|(name, value)| ((*name).to_owned(), encode(value)))
        .collect();
    let text = serde_json::to_string_pretty(&encoded).unwrap() + "\n";
    if bless() {
        std::fs::write(path(file), &text).unwrap();
    }
    let pinned: serde_json::Map<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(path(file)).unwrap()).unwrap();
    assert_eq!(pinned.len(), cases.len(), "{file}: case count");
    for (name, value) in cases {
        let on_file = &pinned[*name];
        assert_eq!(&encoded[*name], on_file, "{file}/{name}: encoding changed");
        assert_eq!(&decode(on_file), value, "{file}/{name}: decoding changed");
    }
}

/// JSON fixtures (the REST API).
fn json_cases<T>(file: &str, cases: &[(&str, T)])
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    pinned(
        file,
        cases,
        |value| serde_json::to_value(value).unwrap(),
        |on_file| serde_json::from_value(on_file.clone()).unwrap(),
    );
}

/// Postcard fixtures (the server functions): each case's bytes as hex.
fn postcard_cases<T>(file: &str, cases: &[(&str, T)])
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    pinned(
        file,
        cases,
        |value| {
            let bytes = postcard::to_allocvec(value).unwrap();
            Value::String(bytes.iter().map(|b| format!("{b:02x}")).collect())
        },
        |on_file| {
            let hex = on_file.as_str().unwrap();
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            postcard::from_bytes(&bytes).unwrap()
        },
    );
}

const PAYLOAD: &str =
    "AY+WnaSrsrnAx87V3LxcITzB47KGj2tm7XkxpuFU4DB9Je0gfQbNmteQzZ9B5TRJaBZe+5W1b+O87A==";
const ID: &str = "a1b2c3d4-0000-4000-8000-000000000001";
const VERIFIER: &str = "n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg";

#[test]
fn rest_requests() {
    json_cases(
        "rest-create-request.json",
        &[
            (
                "reference",
                CreateRequest {
                    ciphertext: Some(PAYLOAD.to_owned().into()),
                    ttl_hours: Some(1.into()),
                    ..CreateRequest::default()
                },
            ),
            (
                "reference_with_id",
                CreateRequest {
                    ciphertext: Some(PAYLOAD.to_owned().into()),
                    ttl_hours: Some(24.into()),
                    id: Some(ID.to_owned().into()),
                    ..CreateRequest::default()
                },
            ),
            (
                "guarded",
                CreateRequest {
                    ciphertext: Some(PAYLOAD.to_owned().into()),
                    id: Some(ID.to_owned().into()),
                    ttl_seconds: Some(900.into()),
                    max_views: Some(3.into()),
                    access_verifier: Some(VERIFIER.to_owned().into()),
                    passphrase_verifier: Some(VERIFIER.to_owned().into()),
                    manage_verifier: Some(VERIFIER.to_owned().into()),
                    ..CreateRequest::default()
                },
            ),
            (
                "with_files",
                CreateRequest {
                    ciphertext: Some(PAYLOAD.to_owned().into()),
                    id: Some(ID.to_owned().into()),
                    ttl_seconds: Some(900.into()),
                    access_verifier: Some(VERIFIER.to_owned().into()),
                    manage_verifier: Some(VERIFIER.to_owned().into()),
                    upload_token: Some(VERIFIER.to_owned().into()),
                    ..CreateRequest::default()
                },
            ),
        ],
    );
    json_cases(
        "rest-reveal-request.json",
        &[
            ("empty", RevealRequest::default()),
            (
                "proofs",
                RevealRequest {
                    access_proof: Some(VERIFIER.to_owned().into()),
                    passphrase_proof: Some(VERIFIER.to_owned().into()),
                    claim: None,
                },
            ),
            (
                "proofs-and-claim",
                RevealRequest {
                    access_proof: Some(VERIFIER.to_owned().into()),
                    passphrase_proof: None,
                    claim: Some(VERIFIER.to_owned().into()),
                },
            ),
        ],
    );
    json_cases(
        "rest-confirm-request.json",
        &[(
            "claim",
            ConfirmRequest {
                claim: Some(VERIFIER.to_owned().into()),
            },
        )],
    );
    json_cases(
        "rest-confirm-response.json",
        &[("confirmed", ConfirmResponse { confirmed: true })],
    );
    json_cases(
        "rest-manage-request.json",
        &[(
            "token",
            ManageRequest {
                manage_token: Some(VERIFIER.to_owned().into()),
            },
        )],
    );
}

#[test]
fn rest_responses() {
    json_cases(
        "rest-create-response.json",
        &[(
            "created",
            CreateResponse {
                id: ID.into(),
                alias: "Kx7mP2nQ".into(),
                expires_at: Some(1_790_000_000),
                max_views: Some(1),
            },
        )],
    );
    json_cases(
        "rest-secret-response.json",
        &[(
            "revealed",
            SecretResponse {
                ciphertext: PAYLOAD.into(),
                id: ID.into(),
                views_left: Some(0),
            },
        )],
    );
    json_cases(
        "rest-info-response.json",
        &[
            (
                "plain",
                InfoResponse {
                    proof_required: true,
                    passphrase_required: false,
                    tries_left: None,
                    views_left: 1,
                },
            ),
            (
                "passphrase",
                InfoResponse {
                    proof_required: true,
                    passphrase_required: true,
                    tries_left: Some(5),
                    views_left: 3,
                },
            ),
        ],
    );
    json_cases(
        "rest-status-response.json",
        &[(
            "opened",
            StatusResponse {
                state: SecretState::Opened,
                views_used: 1,
                max_views: 3,
                views_left: 2,
                opened_at: vec![1_790_000_100],
                expires_at: 1_790_000_900,
                tries_left: Some(5),
            },
        )],
    );
    json_cases(
        "rest-destroy-response.json",
        &[(
            "destroyed",
            DestroyResponse {
                state: SecretState::Destroyed,
            },
        )],
    );
    json_cases(
        "rest-health-response.json",
        &[
            (
                "ok",
                HealthResponse {
                    claim_window_seconds: Some(60),
                    status: HealthStatus::Ok,
                    store: Some("redis".into()),
                    service: Some(protocol::SERVICE_NAME.into()),
                    features: protocol::FEATURES.iter().map(|f| (*f).to_owned()).collect(),
                    max_views: Some(10),
                    max_ttl_seconds: Some(604_800),
                    min_ttl_seconds: Some(300),
                    error: None,
                    code: None,
                    files: Some(FilesInfo {
                        max_bytes: 2_148_008_256,
                        part_size: 8_388_608,
                        max_files: Some(20),
                    }),
                },
            ),
            (
                "unavailable",
                HealthResponse {
                    claim_window_seconds: None,
                    status: HealthStatus::Unavailable,
                    store: Some("redis".into()),
                    service: None,
                    features: Vec::new(),
                    max_views: None,
                    max_ttl_seconds: None,
                    min_ttl_seconds: None,
                    error: Some("the secret store is unreachable".into()),
                    code: Some(ErrorCode::Unavailable),
                    files: None,
                },
            ),
        ],
    );
}

#[test]
fn request_shapes() {
    use protocol::requests::*;
    json_cases(
        "rest-request-open.json",
        &[(
            "open",
            OpenRequest {
                id: Some(ID.to_owned().into()),
                note: Some(PAYLOAD.to_owned().into()),
                answer_verifier: Some(VERIFIER.to_owned().into()),
                inbox_verifier: Some(VERIFIER.to_owned().into()),
                ttl_seconds: Some(86_400.into()),
                answer_ttl_seconds: Some(604_800.into()),
            },
        )],
    );
    json_cases(
        "rest-request-opened.json",
        &[(
            "opened",
            OpenedRequest {
                alias: "Rq7mP2nQ".into(),
                expires_at: 1_767_225_600,
                id: ID.into(),
            },
        )],
    );
    json_cases(
        "rest-request-view.json",
        &[(
            "waiting",
            RequestView {
                answer_ttl_seconds: 604_800,
                expires_at: 1_767_225_600,
                id: ID.into(),
                note: PAYLOAD.into(),
                state: RequestState::Waiting,
            },
        )],
    );
    json_cases(
        "rest-request-answer.json",
        &[(
            "answer",
            AnswerRequest {
                answer_proof: Some(VERIFIER.to_owned().into()),
                key_box: Some(VERIFIER.to_owned().into()),
                secret: Some(CreateRequest {
                    ciphertext: Some(PAYLOAD.to_owned().into()),
                    id: Some(ID.to_owned().into()),
                    access_verifier: Some(VERIFIER.to_owned().into()),
                    ..CreateRequest::default()
                }),
            },
        )],
    );
    json_cases(
        "rest-request-inbox.json",
        &[
            (
                "waiting",
                InboxResponse {
                    answer: None,
                    expires_at: 1_767_225_600,
                    id: ID.into(),
                    note: PAYLOAD.into(),
                    read_at: None,
                    state: RequestState::Waiting,
                },
            ),
            (
                "read",
                InboxResponse {
                    answer: Some(AnswerRef {
                        alias: "Kx7mP2nQ".into(),
                        answered_at: 1_767_200_000,
                        id: ID.into(),
                        key_box: VERIFIER.into(),
                    }),
                    expires_at: 1_767_225_600,
                    id: ID.into(),
                    note: PAYLOAD.into(),
                    read_at: Some(1_767_210_000),
                    state: RequestState::Read,
                },
            ),
        ],
    );
    json_cases(
        "rest-request-cancelled.json",
        &[(
            "cancelled",
            CancelResponse {
                state: RequestState::Cancelled,
            },
        )],
    );
}

#[test]
fn upload_shapes() {
    json_cases(
        "rest-upload-request.json",
        &[(
            "begin",
            UploadRequest {
                secret_id: Some(ID.to_owned().into()),
                length: Some(1_048_832.into()),
            },
        )],
    );
    json_cases(
        "rest-upload-response.json",
        &[(
            "begun",
            UploadResponse {
                upload_token: VERIFIER.to_owned(),
                part_size: 8_388_608,
                parts: 1,
                expires_at: 1_767_225_600,
            },
        )],
    );
    json_cases(
        "rest-upload-status-response.json",
        &[(
            "two_of_three",
            UploadStatusResponse {
                length: 20_000_000,
                part_size: 8_388_608,
                received: vec![0, 2],
            },
        )],
    );
}

#[test]
fn error_bodies_and_every_code() {
    let cases: Vec<(&str, ErrorBody)> = ErrorCode::ALL
        .iter()
        .map(|code| {
            let name = serde_json::to_value(code).unwrap();
            let name: &'static str = Box::leak(name.as_str().unwrap().to_owned().into_boxed_str());
            (
                name,
                ErrorBody::new(*code, format!("example text for {name}")),
            )
        })
        .chain([(
            "wrong_passphrase_with_tries",
            ErrorBody {
                error: "wrong passphrase".into(),
                code: ErrorCode::WrongPassphrase,
                tries_left: Some(4),
            },
        )])
        .collect();
    json_cases("errors.json", &cases);
}

#[test]
fn reference_clients_keep_working() {
    // A reference server's error has no code: it reads as Unknown, not a parse failure.
    let body: ErrorBody = serde_json::from_str(r#"{"error": "secret not found"}"#).unwrap();
    assert_eq!(body.code, ErrorCode::Unknown);
    // A code from a newer server reads as Unknown too.
    let body: ErrorBody =
        serde_json::from_str(r#"{"error": "x", "code": "from_the_future"}"#).unwrap();
    assert_eq!(body.code, ErrorCode::Unknown);
    // A reference server's create and read answers.
    let created: CreateResponse = serde_json::from_str(
        r#"{"id": "a1b2c3d4-0000-4000-8000-000000000001", "alias": "Kx7mP2nQ"}"#,
    )
    .unwrap();
    assert_eq!((created.expires_at, created.max_views), (None, None));
    let read: SecretResponse = serde_json::from_str(
        r#"{"ciphertext": "AQ==", "id": "a1b2c3d4-0000-4000-8000-000000000001"}"#,
    )
    .unwrap();
    assert_eq!(read.views_left, None);
    // A reference health answer.
    let health: HealthResponse = serde_json::from_str(r#"{"status": "ok"}"#).unwrap();
    assert!(!health.is_oncelink());
    // Wrongly typed fields are kept as Invalid, not a failure of the whole body; unknown
    // fields are ignored; a large string is not buffered twice (Valid owns it).
    let request: CreateRequest = serde_json::from_str(
        r#"{"ciphertext": 5, "ttl_hours": "24", "ttl_seconds": -1, "max_views": 1.5,
            "id": null, "access_verifier": [1, {"a": 2}], "extra": true}"#,
    )
    .unwrap();
    assert_eq!(request.ciphertext, Some(Loose::Invalid));
    assert_eq!(request.ttl_hours, Some(Loose::Invalid));
    assert_eq!(request.ttl_seconds, Some(Loose::Invalid));
    assert_eq!(request.max_views, Some(Loose::Invalid));
    assert_eq!(request.id, None);
    assert_eq!(request.access_verifier, Some(Loose::Invalid));
}

#[test]
fn server_function_bodies() {
    postcard_cases(
        "web-requests.json",
        &[
            (
                "create",
                CreateSecretRequest {
                    id: ID.into(),
                    payload: vec![1, 2, 3],
                    ttl_seconds: 900,
                    max_views: 2,
                    access_verifier: VERIFIER.into(),
                    passphrase_verifier: None,
                    manage_verifier: VERIFIER.into(),
                    upload_token: None,
                },
            ),
            (
                "create with files",
                CreateSecretRequest {
                    id: ID.into(),
                    payload: vec![1, 2, 3],
                    ttl_seconds: 900,
                    max_views: 2,
                    access_verifier: VERIFIER.into(),
                    passphrase_verifier: None,
                    manage_verifier: VERIFIER.into(),
                    upload_token: Some(VERIFIER.into()),
                },
            ),
        ],
    );
    postcard_cases(
        "web-reveal-request.json",
        &[(
            "reveal",
            RevealSecretRequest {
                alias: "Kx7mP2nQ".into(),
                access_proof: VERIFIER.into(),
                passphrase_proof: Some(VERIFIER.into()),
                claim: VERIFIER.into(),
            },
        )],
    );
    postcard_cases(
        "web-confirm-request.json",
        &[(
            "confirm",
            ConfirmSecretRequest {
                alias: "Kx7mP2nQ".into(),
                claim: VERIFIER.into(),
            },
        )],
    );
    postcard_cases(
        "web-manage-request.json",
        &[(
            "manage",
            ManageSecretRequest {
                alias: "Kx7mP2nQ".into(),
                token: VERIFIER.into(),
            },
        )],
    );
    postcard_cases(
        "web-reveal-outcome.json",
        &[
            (
                "revealed",
                RevealOutcome::Revealed {
                    id: ID.into(),
                    payload: vec![1, 2, 3],
                    views_left: 0,
                },
            ),
            ("gone", RevealOutcome::Gone),
            ("wrong_key", RevealOutcome::WrongKey),
            (
                "wrong_passphrase",
                RevealOutcome::WrongPassphrase { tries_left: 4 },
            ),
            ("burned", RevealOutcome::Burned),
        ],
    );
    postcard_cases(
        "web-availability.json",
        &[
            (
                "waiting",
                Availability::Waiting {
                    needs_passphrase: true,
                    tries_left: 5,
                    views_left: 1,
                },
            ),
            ("gone", Availability::Gone),
        ],
    );
    postcard_cases(
        "web-manage-view.json",
        &[(
            "opened",
            ManageView {
                state: ManageState::Opened,
                views_used: 1,
                max_views: 2,
                opened_at: vec![1_790_000_100],
                expires_at: 1_790_000_900,
            },
        )],
    );
    postcard_cases(
        "web-created.json",
        &[(
            "created",
            CreatedSecret {
                alias: "Kx7mP2nQ".into(),
                expires_at: 1_790_000_900,
            },
        )],
    );
}

#[test]
fn answers_keep_the_first_versions_bytes() {
    // What the server sent before the protocol crate (serde_json objects, keys sorted),
    // byte for byte; `code` is the one addition, after `error`.
    let created = CreateResponse {
        id: ID.into(),
        alias: "Kx7mP2nQ".into(),
        expires_at: Some(1_790_000_000),
        max_views: Some(1),
    };
    assert_eq!(
        serde_json::to_string(&created).unwrap(),
        format!(r#"{{"alias":"Kx7mP2nQ","expires_at":1790000000,"id":"{ID}","max_views":1}}"#)
    );
    let read = SecretResponse {
        ciphertext: PAYLOAD.into(),
        id: ID.into(),
        views_left: Some(0),
    };
    assert_eq!(
        serde_json::to_string(&read).unwrap(),
        format!(r#"{{"ciphertext":"{PAYLOAD}","id":"{ID}","views_left":0}}"#)
    );
    let info = InfoResponse {
        proof_required: true,
        passphrase_required: false,
        tries_left: None,
        views_left: 1,
    };
    assert_eq!(
        serde_json::to_string(&info).unwrap(),
        r#"{"passphrase_required":false,"proof_required":true,"tries_left":null,"views_left":1}"#
    );
    let status = StatusResponse {
        state: SecretState::Waiting,
        views_used: 0,
        max_views: 1,
        views_left: 1,
        opened_at: vec![],
        expires_at: 5,
        tries_left: None,
    };
    assert_eq!(
        serde_json::to_string(&status).unwrap(),
        r#"{"expires_at":5,"max_views":1,"opened_at":[],"state":"waiting","tries_left":null,"views_left":1,"views_used":0}"#
    );
    let error = ErrorBody {
        error: "wrong passphrase".into(),
        code: ErrorCode::WrongPassphrase,
        tries_left: Some(4),
    };
    assert_eq!(
        serde_json::to_string(&error).unwrap(),
        r#"{"error":"wrong passphrase","code":"wrong_passphrase","tries_left":4}"#
    );
}

#[test]
fn proofs_never_show_in_debug_output() {
    let reveal = RevealRequest {
        access_proof: Some(VERIFIER.to_owned().into()),
        passphrase_proof: Some(VERIFIER.to_owned().into()),
        claim: Some(VERIFIER.to_owned().into()),
    };
    let confirm = ConfirmRequest {
        claim: Some(VERIFIER.to_owned().into()),
    };
    let web_confirm = ConfirmSecretRequest {
        alias: "Kx7mP2nQ".into(),
        claim: VERIFIER.into(),
    };
    let manage = ManageRequest {
        manage_token: Some(VERIFIER.to_owned().into()),
    };
    let web_reveal = RevealSecretRequest {
        alias: "Kx7mP2nQ".into(),
        access_proof: VERIFIER.into(),
        passphrase_proof: Some(VERIFIER.into()),
        claim: VERIFIER.into(),
    };
    let web_manage = ManageSecretRequest {
        alias: "Kx7mP2nQ".into(),
        token: VERIFIER.into(),
    };
    for debug in [
        format!("{reveal:?}"),
        format!("{manage:?}"),
        format!("{web_reveal:?}"),
        format!("{web_manage:?}"),
        format!("{confirm:?}"),
        format!("{web_confirm:?}"),
    ] {
        assert!(!debug.contains(VERIFIER), "{debug}");
    }
}
