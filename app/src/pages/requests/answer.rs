//! `/r/{alias}#{public key ‖ seed}`: someone asks for a secret. The page opens their note
//! with the link's key (an altered link fails here, before anything is sent), then offers the
//! create form, whose secret goes to the requester's inbox sealed to their key.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use protocol::ErrorCode;
use protocol::requests::RequestState;

use crate::components::NeedsJavaScript;
use crate::i18n::{t, use_i18n};
use crate::pages::create::{Answering, CreatePage};
use crate::pages::{Problem, problem_message};
use crate::{browser, client, rest};

#[derive(Clone, PartialEq)]
enum Loaded {
    Loading,
    /// The fragment is missing, malformed, or does not open the note.
    Damaged,
    Gone,
    Answered,
    Cancelled,
    Failed(Problem),
    Ready {
        note: String,
        request_id: String,
    },
}

/// The responder's page.
#[component]
pub fn AnswerPage() -> impl IntoView {
    let params = use_params_map();
    let alias = move || params.read_untracked().get("alias").unwrap_or_default();
    let loaded = RwSignal::new(Loaded::Loading);
    let i18n = use_i18n();
    let hydrated = use_context::<crate::Hydrated>();

    Effect::new(move |_| {
        let Ok(key) = client::requests::request_key(&browser::location_hash()) else {
            loaded.set(Loaded::Damaged);
            return;
        };
        let proof = client::requests::answer_proof(&key);
        let alias = alias();
        leptos::task::spawn_local(async move {
            let state = match rest::view_request(&alias, proof).await {
                Ok(view) => match view.state {
                    RequestState::Waiting => {
                        match client::requests::open_note(&key, &view.id, &view.note) {
                            Ok(note) => Loaded::Ready {
                                note,
                                request_id: view.id,
                            },
                            Err(_) => Loaded::Damaged,
                        }
                    }
                    RequestState::Answered | RequestState::Read => Loaded::Answered,
                    RequestState::Cancelled => Loaded::Cancelled,
                },
                // A proof that does not fit: the link was altered or cut.
                Err(e) if e.code() == ErrorCode::WrongAccessProof => Loaded::Damaged,
                Err(e) if matches!(e.code(), ErrorCode::NotFound | ErrorCode::InvalidReference) => {
                    Loaded::Gone
                }
                Err(e) => Loaded::Failed(e.into()),
            };
            loaded.try_set(state);
        });
    });

    let message = move |id: &'static str, problem: Problem| {
        view! {
            <section class="card">
                <h1>{t!(i18n, answer_heading)}</h1>
                <p class="alert" role="alert" data-testid=id>{problem_message(i18n, problem)}</p>
            </section>
        }
        .into_any()
    };
    view! {
        {move || match loaded.get() {
            Loaded::Loading => view! {
                <section class="card">
                    <h1>{t!(i18n, answer_heading)}</h1>
                    <NeedsJavaScript i18n hydrated/>
                    <p>{t!(i18n, checking)}</p>
                </section>
            }.into_any(),
            Loaded::Damaged => message("request-damaged", Problem::DamagedRequest),
            Loaded::Gone => message("request-gone", Problem::RequestGone),
            Loaded::Answered => message("request-answered", Problem::AlreadyAnswered),
            Loaded::Cancelled => message("request-cancelled", Problem::RequestClosed),
            Loaded::Failed(problem) => message("problem", problem),
            Loaded::Ready { note, request_id } => {
                let answering = Answering { alias: alias(), request_id };
                view! {
                    <section class="card" data-testid="request">
                        <h1>{t!(i18n, answer_heading)}</h1>
                        <p>{t!(i18n, answer_intro)}</p>
                        {(!note.is_empty()).then(|| view! {
                            <blockquote class="request-note" translate="no" data-testid="request-note">{note}</blockquote>
                        })}
                        <p class="hint">{t!(i18n, answer_privacy)}</p>
                    </section>
                    <CreatePage answering/>
                }.into_any()
            }
        }}
    }
}
