//! The pages as lazily loaded routes. `#[lazy_route]` puts each page's view, and whatever
//! only it uses, into a WASM chunk of its own; the server lists the current page's chunks
//! in `<link rel="preload">`, and hydration waits for them, so a page becomes interactive
//! with its own code and the shared runtime only.

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

/// `/s/{alias}`: the reveal page.
pub struct Reveal;

#[lazy_route]
impl LazyRoute for Reveal {
    fn data() -> Self {
        Reveal
    }

    fn view(_this: Self) -> AnyView {
        crate::page_hydrated();
        view! { <super::reveal::RevealPage/> }.into_any()
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
