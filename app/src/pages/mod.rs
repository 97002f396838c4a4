//! The pages, one per file.

mod create;
mod manage;
mod not_found;
mod received;
mod requests;
mod reveal;
pub mod routes;
mod security;

pub use not_found::NotFound;

use crate::api::UiError;

/// Problems shown to the user, each with its own translated message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Problem {
    Empty,
    Svg,
    NotImage,
    TooBig,
    Truncated,
    DamagedImage,
    TooManyPixels,
    ReadFile,
    StoreDown,
    RateLimited,
    /// This address stored its byte quota for the window.
    OverQuota,
    TooLargeForServer,
    /// More files than the server takes in one secret (its limit).
    TooManyFiles(u32),
    /// The files together are over the server's limit.
    FilesTooLarge,
    /// A file could not be read while it was being sent.
    FileChanged,
    /// A password-protected document among the files: it cannot be cleaned.
    Encrypted,
    /// A document among the files that cannot be read (damaged or cut off).
    DamagedDocument,
    /// A request link whose key is missing or does not fit its request.
    DamagedRequest,
    /// The request has its answer already.
    AlreadyAnswered,
    /// The requester cancelled the request.
    RequestClosed,
    /// The request is unknown or expired.
    RequestGone,
    Generic,
}

impl From<image_privacy::ImageError> for Problem {
    fn from(e: image_privacy::ImageError) -> Self {
        match e {
            image_privacy::ImageError::TooLarge => Problem::TooBig,
            image_privacy::ImageError::Svg => Problem::Svg,
            image_privacy::ImageError::Truncated => Problem::Truncated,
            image_privacy::ImageError::Damaged => Problem::DamagedImage,
            image_privacy::ImageError::TooManyPixels => Problem::TooManyPixels,
            image_privacy::ImageError::Encrypted => Problem::Encrypted,
            _ => Problem::NotImage,
        }
    }
}

impl From<UiError> for Problem {
    fn from(e: UiError) -> Self {
        use protocol::ErrorCode;
        match e.code() {
            ErrorCode::Unavailable | ErrorCode::StoreFull | ErrorCode::Busy => Problem::StoreDown,
            ErrorCode::TooLarge => Problem::TooLargeForServer,
            ErrorCode::RateLimited => Problem::RateLimited,
            ErrorCode::QuotaExceeded => Problem::OverQuota,
            ErrorCode::AlreadyAnswered => Problem::AlreadyAnswered,
            ErrorCode::RequestClosed => Problem::RequestClosed,
            _ => Problem::Generic,
        }
    }
}

/// The translated name of a lifetime offered in the pages' choices.
pub(crate) fn duration_label(seconds: u64) -> String {
    use crate::i18n::{t_string, use_i18n};
    let i18n = use_i18n();
    match seconds {
        300 => t_string!(i18n, expiry_5m).to_string(),
        3600 => t_string!(i18n, expiry_1h).to_string(),
        259_200 => t_string!(i18n, expiry_72h).to_string(),
        604_800 => t_string!(i18n, expiry_7d).to_string(),
        2_592_000 => t_string!(i18n, expiry_30d).to_string(),
        _ => t_string!(i18n, expiry_24h).to_string(),
    }
}

/// The translated message of a problem.
pub(crate) fn problem_message(
    i18n: leptos_i18n::I18nContext<crate::i18n::Locale>,
    problem: Problem,
) -> impl leptos::IntoView + use<> {
    use crate::i18n::t;
    use leptos::prelude::IntoAny;
    match problem {
        Problem::Empty => t!(i18n, error_empty).into_any(),
        Problem::Svg => t!(i18n, error_svg).into_any(),
        Problem::NotImage => t!(i18n, error_not_image).into_any(),
        Problem::TooBig => t!(i18n, error_too_big).into_any(),
        Problem::Truncated => t!(i18n, error_truncated).into_any(),
        Problem::DamagedImage => t!(i18n, error_damaged).into_any(),
        Problem::TooManyPixels => t!(i18n, error_too_many_pixels).into_any(),
        Problem::ReadFile => t!(i18n, error_read_file).into_any(),
        Problem::StoreDown => t!(i18n, error_store_down).into_any(),
        Problem::RateLimited => t!(i18n, error_rate_limited).into_any(),
        Problem::OverQuota => t!(i18n, error_quota).into_any(),
        Problem::TooLargeForServer => t!(i18n, error_too_large_server).into_any(),
        Problem::TooManyFiles(count) => {
            t!(i18n, error_too_many_files, count = move || count).into_any()
        }
        Problem::FilesTooLarge => t!(i18n, error_files_too_large).into_any(),
        Problem::FileChanged => t!(i18n, error_file_changed).into_any(),
        Problem::Encrypted => t!(i18n, error_encrypted).into_any(),
        Problem::DamagedDocument => t!(i18n, error_damaged_document).into_any(),
        Problem::DamagedRequest => t!(i18n, request_damaged).into_any(),
        Problem::AlreadyAnswered => t!(i18n, request_already_answered).into_any(),
        Problem::RequestClosed => t!(i18n, request_cancelled).into_any(),
        Problem::RequestGone => t!(i18n, request_gone).into_any(),
        Problem::Generic => t!(i18n, error_generic).into_any(),
    }
}

/// Sizes in kB/MB/GB (MB and GB with one decimal), as file managers show them.
pub(crate) fn human_size(bytes: u64) -> String {
    let bytes = bytes as f64;
    if bytes >= 1_000_000_000.0 {
        format!("{:.1} GB", bytes / 1_000_000_000.0)
    } else if bytes >= 1_000_000.0 {
        format!("{:.1} MB", bytes / 1_000_000.0)
    } else {
        format!("{:.0} kB", (bytes / 1000.0).max(1.0))
    }
}
