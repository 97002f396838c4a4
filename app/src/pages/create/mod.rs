//! `/`: write a secret, add an image, encrypt in the browser, get a link.
//!
//! The page switches between the [`editor`] and the [`result`]; the editor's parts share one
//! [`FormState`], and [`submit`] is the only place that calls `crate::client` and
//! `crate::api`.

mod editor;
mod files;
mod form;
mod image;
mod removed;
mod result;
mod submit;

use leptos::prelude::*;

use editor::Editor;
use form::{FormState, Phase};
use result::{AnswerSent, ResultView};

pub use form::Answering;

/// The create page; with `answering`, the form that answers a request (`/r/{alias}`).
#[component]
pub fn CreatePage(#[prop(optional)] answering: Option<Answering>) -> impl IntoView {
    let form = FormState::new(answering);
    // Leaving the page stops an upload under way (and deletes what arrived).
    on_cleanup(move || {
        submit::cancel(form);
        form.clear_image();
    });
    // What file data the server takes, asked once (rendered on the server).
    let limits = OnceResource::new(crate::api::file_limits());
    // The view changes only between editing and done (and busy or not), never with the
    // progress of an upload, so nothing the user may click is rebuilt under the pointer.
    let done = Memo::new(move |_| match form.phase.get() {
        Phase::Done(shared) => Some(Some(shared)),
        Phase::Answered => Some(None),
        _ => None,
    });
    let busy = Memo::new(move |_| form.phase.get() != Phase::Editing);
    // Effects run once the page is hydrated: then, while the browser is idle, fetch the
    // chunks the next steps may need (image cleaner, Argon2id, QR code), so nobody waits.
    Effect::new(move |_| {
        request_idle_callback(|| {
            image::prefetch_cleaner();
            crate::client::prefetch_passphrase();
            crate::components::prefetch_qr();
        })
    });

    view! {
        {move || match done.get() {
            Some(Some(shared)) => {
                view! { <ResultView shared on_new=move || form.phase.set(Phase::Editing)/> }
                    .into_any()
            }
            Some(None) => view! { <AnswerSent/> }.into_any(),
            None => view! { <Editor form busy=busy.get() limits/> }.into_any(),
        }}
    }
}
