//! Reusable pieces of the pages.

mod copy_button;
mod language;
mod needs_js;
mod qr;

pub use copy_button::CopyButton;
pub use language::LanguageSelect;
pub use needs_js::NeedsJavaScript;
pub use qr::{QrCode, prefetch_qr};
