//! `?lng=xx` in a link picks the page's language, so a recipient sees the sender's.
//!
//! The i18n provider chooses the locale on the server from its cookie (then
//! `Accept-Language`) and writes the cookie back; this middleware only makes a valid
//! `lng` query parameter win over both, before rendering.

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use app::LANGUAGE_COOKIE as COOKIE;

/// Applies a supported `lng` query parameter to the request's locale cookie.
pub async fn from_query(mut request: Request, next: Next) -> Response {
    if let Some(lang) = request.uri().query().and_then(lng) {
        let others: Vec<String> = request
            .headers()
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .map(str::trim)
            .filter(|c| !c.is_empty() && !c.starts_with(&format!("{COOKIE}=")))
            .map(str::to_owned)
            .collect();
        let mut cookies = vec![format!("{COOKIE}={lang}")];
        cookies.extend(others);
        if let Ok(value) = HeaderValue::from_str(&cookies.join("; ")) {
            request.headers_mut().remove(header::COOKIE);
            request.headers_mut().insert(header::COOKIE, value);
        }
    }
    next.run(request).await
}

/// The supported language a query string names in `lng`, if any.
fn lng(query: &str) -> Option<&'static str> {
    let value = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("lng="))?;
    app::LANGUAGES
        .iter()
        .copied()
        .find(|l| l.eq_ignore_ascii_case(value))
}

#[cfg(test)]
mod tests {
    use super::lng;

    #[test]
    fn only_supported_languages_are_taken() {
        assert_eq!(lng("lng=ar"), Some("ar"));
        assert_eq!(lng("x=1&lng=pt"), Some("pt"));
        assert_eq!(lng("lng=fr"), None);
        assert_eq!(lng("lng=ar;evil=1"), None);
        assert_eq!(lng("language=ar"), None);
    }
}
