//! Requests: asking someone for a secret (`/request`), answering (`/r/{alias}`), and the
//! requester's inbox (`/i/{alias}`). Keys are in the links' fragments, so the answer and inbox
//! pages do everything after hydration, like the manage page.

mod answer;
mod inbox;
mod new;

pub use answer::AnswerPage;
pub use inbox::InboxPage;
pub use new::RequestPage;

use leptos::prelude::*;

use crate::components::CopyButton;

/// A link in a read-only field with a Copy button; `id` names the field and its test hook.
#[component]
fn LinkField(link: String, id: &'static str, copy_label: Signal<String>) -> impl IntoView {
    let text = Signal::derive({
        let link = link.clone();
        move || link.clone()
    });
    view! {
        <div class="link-row">
            <input
                id=id
                data-testid=id
                type="text"
                readonly
                dir="ltr"
                translate="no"
                prop:value=link
                on:focus=|ev| {
                    if let Some(input) = crate::browser::input_of(&ev) {
                        input.select();
                    }
                }
            />
            <CopyButton text label=copy_label test_id=format!("copy-{id}")/>
        </div>
    }
}

/// A day, in seconds.
const DAY: u64 = 24 * 3600;
