//! Reusable pieces of the pages.

mod copy_button;
mod language;
mod qr;

pub use copy_button::CopyButton;
pub use language::LanguageSelect;
pub use qr::QrCode;
