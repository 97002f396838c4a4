//! A QR code drawn as inline SVG in the page: no image service, no third party.

use leptos::prelude::*;

/// The QR code of `text`, as one SVG path of dark modules. The encoder is a WASM chunk of
/// its own (see [`prefetch_qr`]); the code appears as soon as it has run.
#[component]
pub fn QrCode(text: String, label: String) -> impl IntoView {
    let drawn = RwSignal::new(None::<(usize, String)>);
    leptos::task::spawn_local(async move { drawn.set(qr_path(text).await) });
    move || {
        drawn.get().map(|(size, path)| {
            let view_box = format!("-4 -4 {} {}", size + 8, size + 8);
            view! {
                <svg class="qr" role="img" aria-label=label.clone() viewBox=view_box shape-rendering="crispEdges">
                    <rect x="-4" y="-4" width=size + 8 height=size + 8 fill="#fff"/>
                    <path d=path fill="#000"/>
                </svg>
            }
        })
    }
}

/// Fetches the QR encoder's chunk (call when the browser is idle).
pub fn prefetch_qr() {
    let _loaded = lazy_preload!(qr_path);
}

/// The module count per side and an SVG path with one unit square per dark module.
#[lazy]
fn qr_path(text: String) -> Option<(usize, String)> {
    let code = qrcode::QrCode::with_error_correction_level(&text, qrcode::EcLevel::M).ok()?;
    let width = code.width();
    let mut path = String::new();
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == qrcode::Color::Dark {
            path.push_str(&format!("M{} {}h1v1h-1z", i % width, i / width));
        }
    }
    Some((width, path))
}

#[cfg(test)]
mod tests {
    use super::qr_path;

    /// Natively a lazy function is a plain async one, ready at once.
    fn now<F: Future>(future: F) -> F::Output {
        use std::task::{Context, Poll, Waker};
        match std::pin::pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(out) => out,
            Poll::Pending => panic!("not ready"),
        }
    }

    #[test]
    fn a_link_fits_and_draws_modules() {
        let link = format!("https://example.com/s/Kx7mP2nQ?lng=en#{}", "A".repeat(43));
        let (size, path) = now(qr_path(link)).unwrap();
        assert!((21..=177).contains(&size));
        assert!(path.starts_with('M') && path.ends_with('z'));
    }
}
