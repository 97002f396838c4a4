//! `oncelink inbox`: the requester's side of a request, from the inbox link. Shows where the
//! request is, waits for the answer if asked, cancels it if asked, and reads the answer —
//! an ordinary secret, revealed once by `open`'s own path — after its key box has opened
//! here, so an answer sealed to another key is never revealed (nor consumed).

use std::time::Duration;

use crypto_core::request::InboxLink;
use crypto_core::{Alias, Link, SecretId, SecretRef};
use protocol::requests::{AnswerRef, InboxRequest, InboxResponse, RequestState};

use crate::api::Api;
use crate::args::{InboxArgs, OutputArgs};
use crate::error::CliError;
use crate::output::{escape_controls, format_time, note, now_unix};
use crate::{input, open};

/// How often a waiting inbox asks the server.
const POLL: Duration = Duration::from_secs(10);
/// The longest pause between tries while the server is failing.
const MAX_PAUSE: Duration = Duration::from_secs(60);
/// How long a failing server is tried when the request's expiry is not known yet.
const UNKNOWN_EXPIRY_GRACE: Duration = Duration::from_secs(5 * 60);

/// Runs `inbox`.
pub fn run(args: InboxArgs) -> Result<(), CliError> {
    let text = input::link_or_file(args.inbox, "inbox link")?;
    let link = InboxLink::parse(&text).map_err(|e| match e.kind() {
        crypto_core::ErrorKind::Key => CliError::Damaged(
            "the inbox link has no valid key after '#': it may be cut off (quote the link)".into(),
        ),
        _ => CliError::Input("this is not an inbox link (…/i/{alias}#{key})".into()),
    })?;
    let api = Api::new(link.base())?;
    if args.cancel {
        api.cancel_request(link.alias().as_str(), &proof(&link))?;
        note(
            "cancelled: the request link takes no answer any more (an unread answer, if there \
             was one, is destroyed)",
        );
        return Ok(());
    }
    if args.wait {
        open::check_output(&args.output)?;
        return wait_and_read(&api, &link, &args.output, None);
    }
    let inbox = api.inbox(link.alias().as_str(), &proof(&link))?;
    read(&link, &inbox, &args.output)
}

/// Waits until the request is answered (or closed, or expired), then shows it and reads the
/// answer. `expires_at`, when the caller knows it, bounds the wait before the first answer.
pub fn wait_and_read(
    api: &Api,
    link: &InboxLink,
    output: &OutputArgs,
    expires_at: Option<u64>,
) -> Result<(), CliError> {
    let inbox = wait(api, link, expires_at)?;
    read(link, &inbox, output)
}

/// Asks every [`POLL`] until the state is no longer `waiting`; a failing server is asked
/// again after longer and longer pauses, until the request expires.
fn wait(api: &Api, link: &InboxLink, expires_at: Option<u64>) -> Result<InboxResponse, CliError> {
    let alias = link.alias().as_str();
    let proof = proof(link);
    let mut deadline = expires_at.unwrap_or_else(|| now_unix() + UNKNOWN_EXPIRY_GRACE.as_secs());
    let mut pause = POLL;
    let mut told = false;
    loop {
        match api.inbox(alias, &proof) {
            Ok(inbox) if inbox.state == RequestState::Waiting => {
                deadline = inbox.expires_at;
                if !told {
                    note(&format!(
                        "waiting for the answer (the request is open until {})",
                        format_time(deadline)
                    ));
                    told = true;
                }
                pause = POLL;
            }
            Ok(inbox) => return Ok(inbox),
            Err(e) if e.is_transient() && now_unix() < deadline => {
                if pause == POLL {
                    note(&format!("{e}; asking again"));
                }
                pause = (pause * 2).min(MAX_PAUSE);
            }
            Err(e) => return Err(e),
        }
        let now = now_unix();
        if now >= deadline {
            return Err(CliError::Gone(
                "the request expired without an answer".into(),
            ));
        }
        std::thread::sleep(pause.min(Duration::from_secs(deadline - now)));
    }
}

/// Shows the request's state on stderr and reads the answer when there is one unread.
fn read(link: &InboxLink, inbox: &InboxResponse, output: &OutputArgs) -> Result<(), CliError> {
    show(link, inbox);
    match (inbox.state, &inbox.answer) {
        (RequestState::Waiting, _) => Ok(()),
        (RequestState::Answered, Some(answer)) => reveal(link, inbox, answer, output),
        (RequestState::Answered, None) => Err(CliError::Server(
            "the server says the request is answered but sent no answer".into(),
        )),
        (RequestState::Read, _) => Err(CliError::Gone(
            "the answer was read already: it is shown only once, and nothing was revealed now"
                .into(),
        )),
        (RequestState::Cancelled, _) => Err(CliError::RequestClosed),
    }
}

/// The state, for a person, on stderr (with the request's own note, when it opens).
fn show(link: &InboxLink, inbox: &InboxResponse) {
    let request_note = SecretId::parse(&inbox.id).ok().and_then(|id| {
        let sealed = crypto_core::base64::decode(&inbox.note)?;
        link.key().request_key().open_note(&id, &sealed).ok()
    });
    if let Some(text) = request_note.filter(|t| !t.is_empty()) {
        note(&format!("request: {}", escape_controls(&text)));
    }
    let answered_at = inbox.answer.as_ref().map(|a| format_time(a.answered_at));
    let state = match inbox.state {
        RequestState::Waiting => format!(
            "waiting for an answer; the request is open until {}",
            format_time(inbox.expires_at)
        ),
        RequestState::Answered => format!(
            "answered{}; the answer waits unread until {}",
            answered_at.map(|t| format!(" at {t}")).unwrap_or_default(),
            format_time(inbox.expires_at)
        ),
        RequestState::Read => format!(
            "answered{}, and read{}",
            answered_at.map(|t| format!(" at {t}")).unwrap_or_default(),
            inbox
                .read_at
                .map(|t| format!(" at {}", format_time(t)))
                .unwrap_or_default()
        ),
        RequestState::Cancelled => "cancelled".to_owned(),
    };
    note(&format!("state: {state}"));
}

/// Opens the answer's key box with the inbox key, then reveals the answer as `open` does.
fn reveal(
    link: &InboxLink,
    inbox: &InboxResponse,
    answer: &AnswerRef,
    output: &OutputArgs,
) -> Result<(), CliError> {
    let invalid = |what: &str| CliError::Server(format!("the server sent an invalid {what}"));
    let request_id = SecretId::parse(&inbox.id).map_err(|_| invalid("request id"))?;
    let answer_id = SecretId::parse(&answer.id).map_err(|_| invalid("answer id"))?;
    let alias = Alias::parse(&answer.alias).map_err(|_| invalid("answer alias"))?;
    // Nothing is revealed until the box opens: a box sealed to another key (a request link
    // whose public key was replaced on the way) leaves the answer unread.
    let key = crypto_core::base64::decode_url(&answer.key_box)
        .and_then(|key_box| {
            link.key()
                .open_answer_key(&request_id, &answer_id, &key_box)
                .ok()
        })
        .ok_or_else(|| {
            CliError::Damaged(
                "the answer was not sealed to this inbox's key (the request link may have been \
                 altered on its way to the person who answered): it was NOT revealed, and stays \
                 unread; ask again with a new request"
                    .into(),
            )
        })?;
    let secret = Link::new(link.base(), SecretRef::Alias(alias), link.lang(), key);
    open::deliver(&secret, output, false)
}

/// The inbox proof of `link`, as the inbox and cancel bodies carry it.
pub fn proof(link: &InboxLink) -> InboxRequest {
    InboxRequest {
        inbox_proof: Some(link.key().inbox_proof().to_base64url().into()),
    }
}
