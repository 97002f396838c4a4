//! The created secret: its link (copy, QR code), expiry and manage link.

use leptos::prelude::*;
use leptos_i18n::Locale as _;

use crate::browser;
use crate::components::{CopyButton, QrCode};
use crate::i18n::{t, t_string, use_i18n};

/// A created secret's links.
#[derive(Clone, PartialEq)]
pub(super) struct Shared {
    /// The link for the recipient.
    pub link: String,
    /// The sender's status and "destroy now" link.
    pub manage_link: String,
    /// Expiry, in Unix seconds.
    pub expires_at: u64,
}

/// The links of a created secret, the manage link, and a way to start again.
#[component]
pub(super) fn ResultView(
    shared: Shared,
    on_new: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let link = shared.link.clone();
    let expires = move || browser::format_time(shared.expires_at, i18n.get_locale().as_str());
    let copy_label = Signal::derive(move || t_string!(i18n, result_copy).to_string());
    let link_signal = Signal::derive({
        let link = link.clone();
        move || link.clone()
    });
    let manage = shared.manage_link.clone();
    let manage_signal = Signal::derive({
        let manage = manage.clone();
        move || manage.clone()
    });
    let copy_manage_label = Signal::derive(move || t_string!(i18n, result_copy_manage).to_string());
    view! {
        <section class="card result" data-testid="result">
            <h1>{t!(i18n, result_heading)}</h1>
            <p>{t!(i18n, result_hint)}</p>
            <label for="secret-link" class="field-label">{t!(i18n, result_link_label)}</label>
            <div class="link-row">
                <input
                    id="secret-link"
                    data-testid="link"
                    type="text"
                    readonly
                    dir="ltr"
                    prop:value=link.clone()
                    on:focus=|ev| {
                        if let Some(input) = browser::input_of(&ev) {
                            input.select();
                        }
                    }
                />
                <CopyButton text=link_signal label=copy_label test_id="copy-link"/>
            </div>
            <QrCode text=link label=t_string!(i18n, result_qr_label).to_string()/>
            <p data-testid="expires">{t!(i18n, result_expires, when = expires)}</p>
            <label for="manage-link" class="field-label">{t!(i18n, result_manage_label)}</label>
            <p class="hint">{t!(i18n, result_manage_hint)}</p>
            <div class="link-row">
                <input
                    id="manage-link"
                    data-testid="manage-link"
                    type="text"
                    readonly
                    dir="ltr"
                    prop:value=manage.clone()
                />
                <CopyButton text=manage_signal label=copy_manage_label test_id="copy-manage-link"/>
            </div>
            <button type="button" class="secondary" data-testid="new-secret" on:click=move |_| on_new()>
                {t!(i18n, result_new)}
            </button>
        </section>
    }
}

/// An answer to a request was sent: only the requester's inbox can read it now.
#[component]
pub(super) fn AnswerSent() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="card result" data-testid="answer-sent">
            <h2 tabindex="-1">{t!(i18n, answer_sent_heading)}</h2>
            <p role="status">{t!(i18n, answer_sent_hint)}</p>
        </section>
    }
}
