//! Telling refusals apart: by the stable `code` when the server sends one, by the HTTP
//! status (and what the request carried) when it does not — a reference server or a proxy.
//! Never by the English text, which is only shown, escaped.

use protocol::ErrorCode;

use crate::error::CliError;
use crate::output::escape_controls;

/// A non-success answer.
pub(super) struct Refusal {
    pub(super) status: u16,
    /// [`ErrorCode::Unknown`] when the server sent none (a reference server).
    pub(super) code: ErrorCode,
    pub(super) tries_left: Option<u32>,
    /// For messages only.
    pub(super) text: Option<String>,
}

impl Refusal {
    /// The server's own words, escaped: they are shown on a terminal and could carry
    /// control sequences.
    pub(super) fn text_or(&self, fallback: &str) -> String {
        escape_controls(self.text.as_deref().unwrap_or(fallback)).into_owned()
    }

    /// Refusals every endpoint shares: limits, a busy or failing server, anything else.
    pub(super) fn into_server_error(self) -> CliError {
        match (self.code, self.status) {
            (ErrorCode::RateLimited, _) | (_, 429) => CliError::Server(format!(
                "the server refused: {}",
                self.text_or("too many requests; try again later")
            )),
            (ErrorCode::Busy | ErrorCode::StoreFull | ErrorCode::Unavailable, _)
            | (_, 500..=599) => CliError::Server(format!(
                "the server failed ({}): {}",
                self.status,
                self.text_or("try again later")
            )),
            _ => CliError::Server(format!(
                "unexpected answer from the server ({}): {}",
                self.status,
                self.text_or("no details")
            )),
        }
    }
}

/// A refused info or reference read.
pub(super) fn lookup_error(refusal: Refusal) -> CliError {
    match (refusal.code, refusal.status) {
        (ErrorCode::NotFound | ErrorCode::AlreadyGone, _) | (ErrorCode::Unknown, 404) => {
            CliError::NotFound
        }
        (ErrorCode::InvalidReference, _) | (ErrorCode::Unknown, 400) => bad_reference(),
        (ErrorCode::ProofRequired, _) => CliError::Damaged(
            "this secret needs the link's key proof, which this reference read cannot give".into(),
        ),
        _ => refusal.into_server_error(),
    }
}

/// A refused reveal. By code when the server sends one; otherwise by status and by what was
/// sent: with no passphrase proof, a `tries_left` means one is needed; with one, it was
/// wrong; without `tries_left` the access proof was refused.
pub(super) fn refused_reveal(refusal: Refusal, sent_passphrase: bool) -> CliError {
    let wrong_key = || {
        CliError::Damaged(
            "the link's key is wrong (the server refused its proof); nothing was consumed".into(),
        )
    };
    let needs_passphrase = || CliError::Input("this secret needs a passphrase".into());
    let tries = refusal.tries_left.unwrap_or(0);
    match (refusal.code, refusal.status) {
        (ErrorCode::WrongPassphrase, _) => CliError::WrongPassphrase(tries),
        (ErrorCode::PassphraseRequired, _) => needs_passphrase(),
        (ErrorCode::WrongAccessProof | ErrorCode::ProofRequired, _) => wrong_key(),
        (ErrorCode::Burned, _) | (ErrorCode::Unknown, 410) => CliError::Burned,
        (ErrorCode::Unknown, 403) => match refusal.tries_left {
            Some(left) if sent_passphrase => CliError::WrongPassphrase(left),
            Some(_) => needs_passphrase(),
            None => wrong_key(),
        },
        _ => lookup_error(refusal),
    }
}

/// A refused status or destroy.
pub(super) fn refused_manage(refusal: Refusal) -> CliError {
    match (refusal.code, refusal.status) {
        (ErrorCode::NotFound | ErrorCode::AlreadyGone, _) | (ErrorCode::Unknown, 404 | 409) => {
            CliError::NotFound
        }
        (ErrorCode::WrongManageToken, _) | (ErrorCode::Unknown, 403) => {
            CliError::Damaged("the manage link's token is wrong for this secret".into())
        }
        (ErrorCode::InvalidProof | ErrorCode::InvalidReference, _) | (ErrorCode::Unknown, 400) => {
            CliError::Damaged("the manage link is damaged".into())
        }
        (ErrorCode::MethodNotAllowed | ErrorCode::NoRoute, _) | (ErrorCode::Unknown, 405) => {
            CliError::Input(
                "this server has no manage links (it speaks only the reference API)".into(),
            )
        }
        _ => refusal.into_server_error(),
    }
}

/// Which link a refused request call was made with: the responder's request link (view,
/// answer) or the requester's inbox link (inbox, cancel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RequestSide {
    /// The request link (`/r/…`).
    Responder,
    /// The inbox link (`/i/…`).
    Inbox,
}

/// What to say when a request link does not fit its request: its note does not open, or the
/// server refuses its answer proof. Either way the link was damaged or altered in transit.
pub const DAMAGED_REQUEST_LINK: &str =
    "this request link is damaged or was altered; ask for a new one";

/// A refused view, answer, inbox or cancel of a request.
pub(super) fn refused_request(refusal: Refusal, side: RequestSide) -> CliError {
    let damaged = || match side {
        RequestSide::Responder => CliError::Damaged(DAMAGED_REQUEST_LINK.into()),
        RequestSide::Inbox => CliError::Damaged(
            "the inbox link is damaged, or is not this request's (the server refused its proof)"
                .into(),
        ),
    };
    match (refusal.code, refusal.status) {
        (ErrorCode::AlreadyAnswered, _) => CliError::AlreadyAnswered,
        (ErrorCode::RequestClosed, _) => CliError::RequestClosed,
        (ErrorCode::NotFound | ErrorCode::AlreadyGone, _) | (ErrorCode::Unknown, 404) => {
            CliError::Gone(match side {
                RequestSide::Responder => "request not found: it may have expired".into(),
                RequestSide::Inbox => {
                    "request not found: it expired (with its answer, if it had one)".into()
                }
            })
        }
        (
            ErrorCode::WrongAccessProof
            | ErrorCode::WrongManageToken
            | ErrorCode::InvalidReference
            | ErrorCode::InvalidProof,
            _,
        )
        | (ErrorCode::Unknown, 403) => damaged(),
        (ErrorCode::NoRoute | ErrorCode::MethodNotAllowed, _) | (ErrorCode::Unknown, 405) => {
            CliError::Input(
                "this server does not take requests (it is older, or not oncelink)".into(),
            )
        }
        (code, _) if code.is_bad_input() || code == ErrorCode::TooLarge => {
            CliError::Input(refusal.text_or("the server refused the request as invalid"))
        }
        (ErrorCode::Unknown, 400 | 413 | 422) => {
            CliError::Input(refusal.text_or("the server refused the request as invalid"))
        }
        _ => refusal.into_server_error(),
    }
}

fn bad_reference() -> CliError {
    CliError::Damaged("the link is damaged: its secret reference is not valid".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Answer;

    fn refusal(status: u16, body: &str) -> Refusal {
        Answer {
            status,
            bytes: body.as_bytes().to_vec(),
        }
        .refusal()
    }

    #[test]
    fn reveal_refusals_follow_the_code_not_the_text() {
        // The texts are swapped on purpose: only the code counts.
        let wrong = refusal(
            403,
            r#"{"error":"a passphrase is required","code":"wrong_passphrase","tries_left":3}"#,
        );
        assert!(matches!(
            refused_reveal(wrong, false),
            CliError::WrongPassphrase(3)
        ));
        let required = refusal(
            403,
            r#"{"error":"wrong passphrase","code":"passphrase_required","tries_left":5}"#,
        );
        assert!(matches!(refused_reveal(required, true), CliError::Input(_)));
        let key = refusal(403, r#"{"error":"x","code":"wrong_access_proof"}"#);
        assert!(matches!(refused_reveal(key, false), CliError::Damaged(_)));
        let burned = refusal(410, r#"{"error":"x","code":"burned"}"#);
        assert!(matches!(refused_reveal(burned, true), CliError::Burned));
    }

    #[test]
    fn without_a_code_the_status_and_what_was_sent_decide() {
        let tries = || refusal(403, r#"{"error":"wrong passphrase","tries_left":3}"#);
        assert!(matches!(
            refused_reveal(tries(), true),
            CliError::WrongPassphrase(3)
        ));
        assert!(matches!(refused_reveal(tries(), false), CliError::Input(_)));
        assert!(matches!(
            refused_reveal(refusal(403, "<html>"), false),
            CliError::Damaged(_)
        ));
        assert!(matches!(
            refused_reveal(refusal(404, r#"{"error":"not found"}"#), false),
            CliError::NotFound
        ));
        assert!(matches!(
            refused_manage(refusal(409, "")),
            CliError::NotFound
        ));
        assert!(matches!(
            refused_manage(refusal(405, "")),
            CliError::Input(_)
        ));
    }

    #[test]
    fn request_refusals_follow_the_code() {
        let side = RequestSide::Responder;
        // The texts are swapped on purpose: only the code counts.
        let answered = refusal(409, r#"{"error":"cancelled","code":"already_answered"}"#);
        assert!(matches!(
            refused_request(answered, side),
            CliError::AlreadyAnswered
        ));
        let closed = refusal(410, r#"{"error":"answered","code":"request_closed"}"#);
        assert!(matches!(
            refused_request(closed, side),
            CliError::RequestClosed
        ));
        let gone = refusal(404, r#"{"error":"x","code":"not_found"}"#);
        assert_eq!(refused_request(gone, side).exit_code(), 3);
        let proof = refusal(403, r#"{"error":"x","code":"wrong_access_proof"}"#);
        let damaged = refused_request(proof, side).to_string();
        assert_eq!(damaged, DAMAGED_REQUEST_LINK);
        let token = refusal(403, r#"{"error":"x","code":"wrong_manage_token"}"#);
        let damaged = refused_request(token, RequestSide::Inbox);
        assert!(damaged.to_string().contains("inbox link"), "{damaged}");
        let ttl = refusal(
            400,
            r#"{"error":"ttl_seconds: too long","code":"invalid_ttl"}"#,
        );
        assert!(matches!(refused_request(ttl, side), CliError::Input(_)));
        let busy = refusal(503, r#"{"error":"x","code":"busy"}"#);
        assert!(refused_request(busy, side).is_transient());
    }

    #[test]
    fn server_words_are_escaped() {
        let message = refusal(500, "{\"error\":\"bad\\u001b]52;c;aGk=\\u0007\"}")
            .into_server_error()
            .to_string();
        assert!(!message.contains('\u{1b}'), "{message:?}");
        assert!(message.contains("\\x1b]52"), "{message:?}");
    }
}
