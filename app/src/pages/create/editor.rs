//! The form: text, image, expiry, views, passphrase, and the create button with progress.

use leptos::prelude::*;
use leptos_i18n::Locale as _;

use super::files::FilesField;
use super::form::{FilesProgress, FormState, Phase};
use super::image::{ImageField, accept_file};
use super::submit;
use crate::browser;
use crate::components::NeedsJavaScript;
use crate::i18n::{t, t_string, use_i18n};
use crate::pages::human_size;
use crate::pages::problem_message;

/// Expiry choices in seconds (24 hours preselected).
const EXPIRIES: [u64; 5] = [300, 3600, 86_400, 3 * 86_400, 7 * 86_400];
/// View limit choices (the server's maximum defaults to 10).
const VIEWS: [u32; 5] = [1, 2, 3, 5, 10];

/// The create form; `busy` while a secret is being sealed and sent.
#[component]
pub(super) fn Editor(form: FormState, busy: bool, limits: super::files::Limits) -> impl IntoView {
    let i18n = use_i18n();
    let hydrated = use_context::<crate::Hydrated>();
    let FormState {
        text,
        ttl_seconds,
        views,
        passphrase,
        problem,
        phase,
        ..
    } = form;

    let on_paste = move |ev: leptos::ev::ClipboardEvent| {
        if let Some(file) = browser::first_file(ev.clipboard_data().and_then(|d| d.files())) {
            ev.prevent_default();
            accept_file(form, file);
        }
    };
    let create = move |_| submit::create(form, i18n.get_locale_untracked().as_str());
    let answering = form.answering.with_value(Option::is_some);

    view! {
        <section class="card" on:paste=on_paste>
            {if answering {
                view! { <h2>{t!(i18n, answer_form_heading)}</h2> }.into_any()
            } else {
                view! {
                    <h1>{t!(i18n, create_heading)}</h1>
                    <p class="intro">{t!(i18n, create_intro)}</p>
                }.into_any()
            }}
            <NeedsJavaScript i18n hydrated/>

            <label for="secret-text" class="field-label">{t!(i18n, secret_label)}</label>
            // No `name` attribute anywhere: even without JavaScript nothing could be submitted.
            <textarea
                id="secret-text"
                data-testid="secret-text"
                rows="6"
                autocomplete="off"
                spellcheck="false"
                placeholder=move || t_string!(i18n, secret_placeholder).to_string()
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                disabled=busy
            ></textarea>

            <ImageField form busy/>
            <FilesField form busy limits/>

            // An answer lives and is viewed as the request says; the requester has no passphrase.
            {(!answering).then(|| view! {
            <div class="row">
                <label for="expiry" class="field-label">{t!(i18n, expiry_label)}</label>
                <select
                    id="expiry"
                    data-testid="expiry"
                    disabled=busy
                    on:change=move |ev| {
                        if let Ok(seconds) = event_target_value(&ev).parse::<u64>() {
                            ttl_seconds.set(seconds);
                        }
                    }
                >
                    {EXPIRIES
                        .iter()
                        .map(|&seconds| {
                            view! {
                                <option value=seconds.to_string() selected=move || ttl_seconds.get() == seconds>
                                    {move || crate::pages::duration_label(seconds)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <label for="views" class="field-label">{t!(i18n, views_label)}</label>
                <select
                    id="views"
                    data-testid="views"
                    disabled=busy
                    on:change=move |ev| {
                        if let Ok(n) = event_target_value(&ev).parse::<u32>() {
                            views.set(n);
                        }
                    }
                >
                    {VIEWS
                        .iter()
                        .map(|&n| {
                            view! {
                                <option value=n.to_string() selected=move || views.get() == n>
                                    {if n == 1 {
                                        t!(i18n, views_once).into_any()
                                    } else {
                                        t!(i18n, views_many, count = move || n).into_any()
                                    }}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>

            <label for="passphrase" class="field-label">{t!(i18n, passphrase_label)}</label>
            <input
                id="passphrase"
                data-testid="passphrase"
                type="password"
                autocomplete="new-password"
                prop:value=move || passphrase.get()
                on:input=move |ev| passphrase.set(event_target_value(&ev))
                disabled=busy
            />
            <p class="hint">{t!(i18n, passphrase_hint)}</p>
            })}

            {move || problem.get().map(|p| view! { <p class="alert" role="alert" data-testid="problem">{problem_message(i18n, p)}</p> })}

            <div class="actions">
                <button type="button" class="primary" data-testid="create" on:click=create disabled=busy aria-busy=busy.to_string()>
                    {if answering { t!(i18n, answer_send).into_any() } else { t!(i18n, create_button).into_any() }}
                </button>
                {move || match phase.get() {
                    Phase::Encrypting => Some(view! { <Progress label=t_string!(i18n, creating_encrypting).to_string()/> }.into_any()),
                    Phase::Uploading(percent) => Some(view! {
                        <span class="progress" role="status" data-testid="progress">
                            <progress max="100" value=percent></progress>
                            {t!(i18n, creating_uploading)} " " {percent} "%"
                        </span>
                    }.into_any()),
                    Phase::SendingFiles => Some(view! { <FilesProgressView form/> }.into_any()),
                    _ => None,
                }}
            </div>
        </section>
    }
}

/// The files' upload: a bar, bytes sent, speed and time left, and Cancel. Only the text
/// follows the progress; the button stays put.
#[component]
fn FilesProgressView(form: FormState) -> impl IntoView {
    let i18n = use_i18n();
    let progress = form.files_progress;
    let percent = move || {
        let p = progress.get();
        if p.total > 0.0 {
            (p.sent / p.total * 100.0).clamp(0.0, 100.0)
        } else {
            0.0
        }
    };
    // Sent, total, speed and time left, as the text shows them.
    let figures = Memo::new(move |_| {
        let FilesProgress {
            sent, total, speed, ..
        } = progress.get();
        let left = if speed > 0.0 {
            ((total - sent) / speed).ceil().max(0.0) as u64
        } else {
            0
        };
        let left = if left >= 60 {
            format!("{} min", left.div_ceil(60))
        } else {
            format!("{left} s")
        };
        (
            human_size(sent as u64),
            human_size(total as u64),
            human_size(speed as u64),
            left,
        )
    });
    view! {
        <span class="progress" role="status" data-testid="progress">
            <progress max="100" value=percent data-testid="files-progress"></progress>
            {t!(i18n, files_sending,
                sent = move || figures.get().0,
                total = move || figures.get().1,
                speed = move || figures.get().2,
                left = move || figures.get().3)}
            {move || progress.get().retrying.then(|| view! { " " <span data-testid="files-retrying">{t!(i18n, files_retrying)}</span> })}
        </span>
        <button type="button" class="secondary" data-testid="cancel-upload" on:click=move |_| submit::cancel(form)>
            {t!(i18n, files_cancel)}
        </button>
    }
}

/// Work in progress without a known end.
#[component]
fn Progress(label: String) -> impl IntoView {
    view! {
        <span class="progress" role="status" data-testid="progress">
            <progress></progress>
            {label}
        </span>
    }
}
