//! A button that copies text, with a short confirmation.

use leptos::prelude::*;

use crate::browser;
use crate::i18n::{t, use_i18n};

#[derive(Clone, Copy, PartialEq)]
enum Copied {
    Not,
    Yes,
    Failed,
}

/// Copies what `text` returns when clicked, then says "Copied!" (or how to copy by hand).
#[component]
pub fn CopyButton(
    /// What to copy.
    text: Signal<String>,
    /// The button's label.
    label: Signal<String>,
    /// Test hook.
    #[prop(into)]
    test_id: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let state = RwSignal::new(Copied::Not);
    let copy = move |_| {
        let value = text.get_untracked();
        leptos::task::spawn_local(async move {
            let ok = browser::copy_text(&value).await;
            state.set(if ok { Copied::Yes } else { Copied::Failed });
            browser::sleep_ms(2500).await;
            state.set(Copied::Not);
        });
    };
    view! {
        <button type="button" class="secondary" data-testid=test_id on:click=copy>
            {move || label.get()}
        </button>
        <span class="copied" role="status" aria-live="polite">
            {move || match state.get() {
                Copied::Yes => t!(i18n, result_copied).into_any(),
                Copied::Failed => t!(i18n, result_copy_failed).into_any(),
                Copied::Not => ().into_any(),
            }}
        </span>
    }
}
