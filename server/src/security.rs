//! Security headers on every response, and the per-request CSP nonce.

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;

/// The nonce of this request's inline scripts, shared with the Leptos renderer.
#[derive(Debug, Clone)]
pub struct CspNonce(pub String);

impl CspNonce {
    fn generate() -> Self {
        let mut bytes = [0u8; 16];
        // Without randomness the nonce would be predictable; an all-zero nonce is still
        // unique to nothing, so fail closed by refusing inline scripts instead.
        if getrandom::fill(&mut bytes).is_err() {
            return Self(String::new());
        }
        Self(base64::engine::general_purpose::STANDARD.encode(bytes))
    }
}

/// The Content-Security-Policy for a nonce: no third-party anything, no inline script
/// without the nonce, WASM allowed, no framing of us. Frames only of `blob:` URLs: the
/// received-files preview of a PDF (a blob the page made, typed `application/pdf` by the
/// page itself, shown by the browser's PDF viewer); plugins (`object-src`) stay off.
pub fn content_security_policy(nonce: &str) -> String {
    let script = if nonce.is_empty() {
        "script-src 'self' 'wasm-unsafe-eval'".to_owned()
    } else {
        format!("script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'")
    };
    format!(
        "default-src 'self'; {script}; style-src 'self'; img-src 'self' blob: data:; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'; frame-src blob:"
    )
}

/// Whether a file name carries the build's content hash, as the release build names the
/// bundle (`oncelink.{22 base64url characters of MD5}.wasm`, `hash-files` in Cargo.toml).
fn is_content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let mut parts = name.rsplit('.');
    let (Some(_ext), Some(hash), Some(stem)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !stem.is_empty()
        && hash.len() == 22
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `Strict-Transport-Security` when `--hsts` is set: two years, subdomains included.
const HSTS: HeaderValue = HeaderValue::from_static("max-age=63072000; includeSubDomains");

/// Adds the nonce to the request and the security headers to the response (HSTS too when
/// `hsts`).
pub async fn headers(hsts: bool, mut request: Request, next: Next) -> Response {
    let nonce = CspNonce::generate();
    let csp = content_security_policy(&nonce.0);
    request.extensions_mut().insert(nonce);
    let is_static = request.uri().path().starts_with("/pkg/");
    let hashed = is_static && is_content_hashed(request.uri().path());
    let mut response = next.run(request).await;
    let immutable = hashed && response.status().is_success();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if hsts {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
    if immutable {
        // The name changes whenever the content does: cache it for a year, never revalidate.
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
    } else if is_static {
        // Same name across builds: caches must revalidate (cheap: Last-Modified → 304).
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    } else {
        // Pages and API answers may concern one secret: never cache them anywhere.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hashed_bundle_names_count_as_immutable() {
        assert!(is_content_hashed(
            "/pkg/oncelink.Xq3_bM-9kLwPz0aT5cYv1g.wasm"
        ));
        assert!(is_content_hashed(
            "/pkg/oncelink.Xq3_bM-9kLwPz0aT5cYv1g.css"
        ));
        assert!(!is_content_hashed("/pkg/oncelink.wasm"));
        assert!(!is_content_hashed("/pkg/Xq3_bM-9kLwPz0aT5cYv1g.wasm"));
        assert!(!is_content_hashed(
            "/pkg/oncelink.Xq3_bM-9kLwPz0aT5cYv1.wasm"
        ));
        assert!(!is_content_hashed(
            "/pkg/oncelink.Xq3_bM-9kLwPz0aT5cY/1g.wasm"
        ));
    }
}
