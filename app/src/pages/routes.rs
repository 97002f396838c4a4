//! The pages as routes. The sender's pages are lazily loaded: `#[lazy_route]` puts each
//! one's view, and whatever only it uses, into a WASM chunk of its own; the server lists
//! the current page's chunks in `<link rel="preload">`, and hydration waits for them. The
//! recipient's page is in the main module ([`reveal`]), so a recipient downloads neither
//! the create page nor its image cleaner and QR encoder.

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

/// `/`: the create page.
pub struct Create;

#[lazy_route]
impl LazyRoute for Create {
    fn data() -> Self {
        Create
    }

    fn view(_this: Self) -> AnyView {
        crate::page_hydrated();
        view! { <super::create::CreatePage/> }.into_any()
    }
}

/// `/m/{alias}`: the sender's manage page.
pub struct Manage;

#[lazy_route]
impl LazyRoute for Manage {
    fn data() -> Self {
        Manage
    }

    fn view(_this: Self) -> AnyView {
        crate::page_hydrated();
        view! { <super::manage::ManagePage/> }.into_any()
    }
}

/// `/request`: ask someone for a secret.
pub struct RequestNew;

#[lazy_route]
impl LazyRoute for RequestNew {
    fn data() -> Self {
        RequestNew
    }

    fn view(_this: Self) -> AnyView {
        crate::page_hydrated();
        view! { <super::requests::RequestPage/> }.into_any()
    }
}

/// `/r/{alias}`: answer a request.
pub struct Answer;

#[lazy_route]
impl LazyRoute for Answer {
    fn data() -> Self {
        Answer
    }

    fn view(_this: Self) -> AnyView {
        crate::page_hydrated();
        view! { <super::requests::AnswerPage/> }.into_any()
    }
}

/// `/i/{alias}`: the requester's inbox.
pub struct Inbox;

#[lazy_route]
impl LazyRoute for Inbox {
    fn data() -> Self {
        Inbox
    }

    fn view(_this: Self) -> AnyView {
        crate::page_hydrated();
        view! { <super::requests::InboxPage/> }.into_any()
    }
}

/// `/security`: how oncelink protects a secret.
pub struct Security;

#[lazy_route]
impl LazyRoute for Security {
    fn data() -> Self {
        Security
    }

    fn view(_this: Self) -> AnyView {
        crate::page_hydrated();
        view! { <super::security::SecurityPage/> }.into_any()
    }
}

/// `/s/{alias}`: the reveal page, in the main module, not a chunk. Measured both ways
/// (BENCHMARKS.md): as a chunk of its own a recipient's first load was 343 KB and 745 ms to
/// a working Reveal button on a 4×-slowed CPU; in the main module 272 KB and 620 ms — the
/// code it shares with the create page then sits in the main module instead of in shared
/// chunks that each compress and instantiate apart.
pub fn reveal() -> impl IntoView {
    crate::page_hydrated();
    view! { <super::reveal::RevealPage/> }
}
