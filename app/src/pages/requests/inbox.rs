//! `/i/{alias}#{private key ‖ seed}`: the requester's inbox. It shows the request's state
//! (waiting, answered, read, cancelled), waits for the answer, reveals it once (its key is
//! opened from the key box first, so an answer sealed to another key is refused before
//! anything is consumed), and cancels.

use leptos::prelude::*;
use leptos_i18n::Locale as _;
use leptos_router::hooks::use_params_map;
use protocol::ErrorCode;
use protocol::requests::{InboxResponse, RequestState};

use crate::components::NeedsJavaScript;
use crate::i18n::{t, use_i18n};
use crate::pages::received::ReceivedFiles;
use crate::pages::reveal::{Outcome, Revealed, refusal_message, reveal_once};
use crate::pages::{Problem, problem_message};
use crate::{browser, client, rest};

/// How often a waiting inbox asks again, in milliseconds: six reads a minute, well inside
/// the per-client read limit (30 a minute by default), so the reveal that follows is not
/// refused.
const POLL_MS: i32 = 10_000;

#[derive(Clone, PartialEq)]
enum Loaded {
    Loading,
    BadLink,
    /// Unknown, expired, or not this inbox's.
    Gone,
    Failed(Problem),
    Ready {
        inbox: InboxResponse,
        note: String,
    },
}

#[derive(Clone, PartialEq)]
enum Reading {
    Idle,
    Busy,
    /// The key box did not open: nothing was revealed.
    NotSealedToUs,
    Done,
}

/// The requester's inbox page.
#[component]
pub fn InboxPage() -> impl IntoView {
    let params = use_params_map();
    let alias = move || params.read_untracked().get("alias").unwrap_or_default();
    let loaded = RwSignal::new(Loaded::Loading);
    let reading = RwSignal::new(Reading::Idle);
    let refusal = RwSignal::new(None);
    let shown = RwSignal::new(None);
    let received = StoredValue::new(None);
    let i18n = use_i18n();
    let hydrated = use_context::<crate::Hydrated>();

    // The inbox key from the link's fragment, read afresh for each action (it never leaves
    // the page); a broken link says so.
    let link_key = move || {
        let key = client::requests::inbox_key(&browser::location_hash()).ok();
        if key.is_none() {
            loaded.set(Loaded::BadLink);
        }
        key
    };
    let load = move || {
        let Some(key) = link_key() else { return };
        let proof = client::requests::inbox_proof(&key);
        let alias = alias();
        leptos::task::spawn_local(async move {
            let state = match rest::inbox(&alias, proof).await {
                Ok(inbox) => {
                    let note = client::requests::inbox_note(&key, &inbox.id, &inbox.note)
                        .unwrap_or_default();
                    Loaded::Ready { inbox, note }
                }
                Err(e)
                    if matches!(
                        e.code(),
                        ErrorCode::NotFound
                            | ErrorCode::WrongManageToken
                            | ErrorCode::InvalidReference
                    ) =>
                {
                    Loaded::Gone
                }
                Err(e) => Loaded::Failed(e.into()),
            };
            loaded.try_set(state);
        });
    };
    Effect::new(move |_| load());
    // While no answer is there, look again now and then (until the page is left).
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            loop {
                browser::sleep_ms(POLL_MS).await;
                match loaded.try_get_untracked() {
                    None => return,
                    Some(Loaded::Ready { inbox, .. }) if inbox.state == RequestState::Waiting => {
                        load()
                    }
                    // A refusal for too many requests is not asked again by itself.
                    Some(Loaded::Failed(Problem::RateLimited)) => return,
                    Some(Loaded::Loading | Loaded::Failed(_)) => load(),
                    Some(_) => return,
                }
            }
        });
    });

    let cancel = move |_| {
        let Some(key) = link_key() else { return };
        let proof = client::requests::inbox_proof(&key);
        let alias = alias();
        leptos::task::spawn_local(async move {
            match rest::cancel_request(&alias, proof).await {
                Ok(_) => load(),
                Err(e) => {
                    loaded.try_set(Loaded::Failed(e.into()));
                }
            }
        });
    };

    let reveal = move |_| {
        if reading.get_untracked() != Reading::Idle {
            return;
        }
        let Loaded::Ready { inbox, .. } = loaded.get_untracked() else {
            return;
        };
        let Some(answer) = inbox.answer else { return };
        let Some(key) = link_key() else { return };
        // The answer's key first: a box sealed to another key is refused before the reveal.
        let Ok(master_key) =
            client::requests::answer_key(&key, &inbox.id, &answer.id, &answer.key_box)
        else {
            reading.set(Reading::NotSealedToUs);
            return;
        };
        reading.set(Reading::Busy);
        refusal.set(None);
        leptos::task::spawn_local(async move {
            browser::next_frame().await;
            match reveal_once(answer.alias, &master_key, None).await {
                Outcome::Shown(answer, files) => {
                    received.set_value(files);
                    shown.try_set(Some(answer));
                    reading.try_set(Reading::Done);
                    load();
                }
                Outcome::Refused(why) => {
                    refusal.try_set(Some(why));
                    reading.try_set(Reading::Idle);
                }
                Outcome::Gone | Outcome::Burned | Outcome::Damaged => {
                    reading.try_set(Reading::Done);
                    load();
                }
            }
        });
    };

    let state_view = move |inbox: InboxResponse, note: String| {
        let lang = move || i18n.get_locale().as_str();
        let state = inbox.state;
        let expires = inbox.expires_at;
        let read_at = inbox.read_at;
        view! {
            {(!note.is_empty()).then(|| view! {
                <blockquote class="request-note" translate="no" data-testid="inbox-note">{note}</blockquote>
            })}
            <p class="state" role="status" data-testid="inbox-state" data-state=format!("{state:?}").to_lowercase()>
                {match state {
                    RequestState::Waiting => t!(i18n, inbox_waiting).into_any(),
                    RequestState::Answered => t!(i18n, inbox_answered).into_any(),
                    RequestState::Read => t!(i18n, inbox_read).into_any(),
                    RequestState::Cancelled => t!(i18n, inbox_cancelled).into_any(),
                }}
            </p>
            {read_at.map(|at| view! { <p>{t!(i18n, inbox_read_at, when = move || browser::format_time(at, lang()))}</p> })}
            {matches!(state, RequestState::Waiting | RequestState::Answered).then(|| view! {
                <p data-testid="expires">{t!(i18n, result_expires, when = move || browser::format_time(expires, lang()))}</p>
            })}
            {move || (reading.get() == Reading::NotSealedToUs).then(|| view! {
                <p class="alert" role="alert" data-testid="inbox-key-problem">{t!(i18n, inbox_not_sealed_to_us)}</p>
            })}
            {move || refusal.get().map(|r| refusal_message(i18n, r))}
            <div class="actions">
                {(state == RequestState::Answered).then(|| view! {
                    <button type="button" class="primary" data-testid="reveal" on:click=reveal
                        disabled=move || reading.get() != Reading::Idle>
                        {t!(i18n, inbox_reveal)}
                    </button>
                    {move || (reading.get() == Reading::Busy).then(|| view! {
                        <span class="progress" role="status"><progress></progress>{t!(i18n, revealing)}</span>
                    })}
                })}
                {matches!(state, RequestState::Waiting | RequestState::Answered).then(|| view! {
                    <button type="button" class="danger" data-testid="cancel-request" on:click=cancel>
                        {t!(i18n, inbox_cancel)}
                    </button>
                })}
            </div>
        }
    };

    view! {
        <section class="card" data-testid="inbox">
            <h1>{t!(i18n, inbox_heading)}</h1>
            <NeedsJavaScript i18n hydrated/>
            {move || match loaded.get() {
                Loaded::Loading => None,
                Loaded::BadLink => Some(view! {
                    <p class="alert" role="alert" data-testid="inbox-problem">{t!(i18n, inbox_bad_link)}</p>
                }.into_any()),
                Loaded::Gone => Some(view! {
                    <p class="alert" role="alert" data-testid="inbox-problem">{t!(i18n, inbox_gone)}</p>
                }.into_any()),
                Loaded::Failed(problem) => Some(view! {
                    <p class="alert" role="alert">{problem_message(i18n, problem)}</p>
                }.into_any()),
                Loaded::Ready { inbox, note } => Some(state_view(inbox, note).into_any()),
            }}
        </section>
        {move || shown.get().map(|answer| {
            let files = received
                .try_update_value(Option::take)
                .flatten()
                .map(|(files, claim)| view! { <ReceivedFiles files claim/> });
            view! { <Revealed shown=answer/> {files} }
        })}
    }
}
