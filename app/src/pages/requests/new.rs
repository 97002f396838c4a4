//! `/request`: write what you need, choose how long the request stays open and how long the
//! answer may wait, get the request link (to send) and the inbox link (to keep).

use leptos::prelude::*;
use leptos_i18n::Locale as _;

use super::{DAY, LinkField};
use crate::components::{NeedsJavaScript, QrCode};
use crate::i18n::{t, t_string, use_i18n};
use crate::pages::{Problem, problem_message};
use crate::{browser, client, rest};

/// How long a request stays open: 1 hour to 30 days (7 days preselected).
const OPEN_FOR: [u64; 5] = [3600, DAY, 3 * DAY, 7 * DAY, 30 * DAY];
/// How long an answer waits unread (within the server's secret lifetimes).
const ANSWER_WAITS: [u64; 4] = [3600, DAY, 3 * DAY, 7 * DAY];
/// The longest note, in bytes (as `crypto_core::request::MAX_NOTE_LEN`).
const MAX_NOTE: usize = crypto_core::request::MAX_NOTE_LEN;

#[derive(Clone, PartialEq)]
enum Phase {
    Editing,
    Busy,
    Done {
        request: String,
        inbox: String,
        expires_at: u64,
    },
}

/// The page that makes a request.
#[component]
pub fn RequestPage() -> impl IntoView {
    let i18n = use_i18n();
    let hydrated = use_context::<crate::Hydrated>();
    let note = RwSignal::new(String::new());
    let open_for = RwSignal::new(7 * DAY);
    let answer_waits = RwSignal::new(7 * DAY);
    let phase = RwSignal::new(Phase::Editing);
    let problem = RwSignal::new(None::<Problem>);

    let create = move |_| {
        if phase.get_untracked() != Phase::Editing {
            return;
        }
        let text = note.get_untracked();
        if text.len() > MAX_NOTE {
            problem.set(Some(Problem::TooLargeForServer));
            return;
        }
        problem.set(None);
        phase.set(Phase::Busy);
        let lang = i18n.get_locale_untracked().as_str();
        let (ttl, answer_ttl) = (open_for.get_untracked(), answer_waits.get_untracked());
        leptos::task::spawn_local(async move {
            let Ok(new) = client::requests::new_request(&text, ttl, answer_ttl) else {
                problem.try_set(Some(Problem::Generic));
                phase.try_set(Phase::Editing);
                return;
            };
            let opened = rest::open_request(&new.body).await;
            let links = opened.as_ref().ok().and_then(|opened| {
                let links = new.links(&browser::location_origin(), &opened.alias, lang)?;
                Some((links, opened.expires_at))
            });
            match (links, opened) {
                (Some((links, expires_at)), _) => {
                    note.try_set(String::new());
                    phase.try_set(Phase::Done {
                        request: links.request,
                        inbox: links.inbox,
                        expires_at,
                    });
                }
                (None, Err(e)) => {
                    problem.try_set(Some(e.into()));
                    phase.try_set(Phase::Editing);
                }
                (None, Ok(_)) => {
                    problem.try_set(Some(Problem::Generic));
                    phase.try_set(Phase::Editing);
                }
            }
        });
    };

    let select = move |id: &'static str, value: RwSignal<u64>, choices: &'static [u64]| {
        view! {
            <select
                id=id
                data-testid=id
                on:change=move |ev| {
                    if let Ok(seconds) = event_target_value(&ev).parse() {
                        value.set(seconds);
                    }
                }
            >
                {choices.iter().map(|&seconds| view! {
                    <option value=seconds.to_string() selected=move || value.get() == seconds>
                        {move || crate::pages::duration_label(seconds)}
                    </option>
                }).collect_view()}
            </select>
        }
    };

    let editing = move || {
        let busy = phase.get() == Phase::Busy;
        view! {
            <section class="card" data-testid="request-form">
                <h1>{t!(i18n, request_heading)}</h1>
                <p class="intro">{t!(i18n, request_intro)}</p>
                <NeedsJavaScript i18n hydrated/>
                <label for="request-note" class="field-label">{t!(i18n, request_note_label)}</label>
                <textarea
                    id="request-note"
                    data-testid="request-note"
                    rows="4"
                    maxlength=MAX_NOTE
                    autocomplete="off"
                    placeholder=move || t_string!(i18n, request_note_placeholder).to_string()
                    prop:value=move || note.get()
                    on:input=move |ev| note.set(event_target_value(&ev))
                    disabled=busy
                ></textarea>
                <div class="row">
                    <label for="request-open-for" class="field-label">{t!(i18n, request_open_for)}</label>
                    {select("request-open-for", open_for, &OPEN_FOR)}
                    <label for="request-answer-waits" class="field-label">{t!(i18n, request_answer_waits)}</label>
                    {select("request-answer-waits", answer_waits, &ANSWER_WAITS)}
                </div>
                {move || problem.get().map(|p| view! {
                    <p class="alert" role="alert" data-testid="problem">{problem_message(i18n, p)}</p>
                })}
                <div class="actions">
                    <button type="button" class="primary" data-testid="create-request" on:click=create disabled=busy aria-busy=busy.to_string()>
                        {t!(i18n, request_create)}
                    </button>
                    {busy.then(|| view! { <span class="progress" role="status"><progress></progress></span> })}
                </div>
            </section>
        }
    };

    view! {
        {move || match phase.get() {
            Phase::Done { request, inbox, expires_at } => {
                let expires = move || browser::format_time(expires_at, i18n.get_locale().as_str());
                let copy_request = Signal::derive(move || t_string!(i18n, result_copy).to_string());
                let copy_inbox = Signal::derive(move || t_string!(i18n, request_copy_inbox).to_string());
                view! {
                    <section class="card result" data-testid="request-made">
                        <h1 tabindex="-1">{t!(i18n, request_made_heading)}</h1>
                        <p role="status">{t!(i18n, request_made_hint)}</p>
                        <label for="request-link" class="field-label">{t!(i18n, request_link_label)}</label>
                        <LinkField link=request.clone() id="request-link" copy_label=copy_request/>
                        <QrCode text=request label=t_string!(i18n, result_qr_label).to_string()/>
                        <p data-testid="expires">{t!(i18n, request_open_until, when = expires)}</p>
                        <label for="inbox-link" class="field-label">{t!(i18n, request_inbox_label)}</label>
                        <p class="alert" data-testid="inbox-warning">{t!(i18n, request_inbox_warning)}</p>
                        <LinkField link=inbox id="inbox-link" copy_label=copy_inbox/>
                    </section>
                }.into_any()
            }
            _ => editing().into_any(),
        }}
    }
}
