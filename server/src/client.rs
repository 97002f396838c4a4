//! The client's address, decided once per request for every limit: the socket's peer, or —
//! behind a proxy the operator names (`--client-ip-header`) — the entry that proxy wrote.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use service::ClientIp;

use crate::error::ApiError;

/// Puts the client's address ([`ClientIp`]) in the request: with a configured proxy header,
/// its rightmost entry (the one the proxy itself appended; a port is dropped; for `Forwarded`,
/// the rightmost element's `for=`), else — or when that entry is not an address — the socket's
/// peer. Every door reads [`ClientIp`].
pub async fn client_ip(header: Option<HeaderName>, mut request: Request, next: Next) -> Response {
    let from_header = header.as_ref().and_then(|name| {
        let values = request.headers().get_all(name).iter();
        if name == axum::http::header::FORWARDED {
            forwarded_for(values)
        } else {
            rightmost(values)
        }
    });
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    match from_header.or(peer) {
        Some(ip) => {
            request.extensions_mut().insert(ClientIp(ip));
            next.run(request).await
        }
        // Served without `serve` (no peer address) and no proxy header: a wiring fault.
        None => ApiError::Internal("no client address: serve the router with server::serve")
            .into_response(),
    }
}

/// The rightmost entry of a comma-separated proxy header (over all its lines), as an address.
/// Only that entry was written by our proxy; an unparsable one gives `None` (the peer is used),
/// never an entry further left, which the client could have forged.
fn rightmost<'a>(values: impl DoubleEndedIterator<Item = &'a HeaderValue>) -> Option<IpAddr> {
    address(last_element(values)?)
}

/// The rightmost non-empty comma-separated element over all lines of a header.
fn last_element<'a>(values: impl DoubleEndedIterator<Item = &'a HeaderValue>) -> Option<&'a str> {
    values
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .rfind(|entry| !entry.is_empty())
}

/// `Forwarded` (RFC 7239): the `for=` parameter of the rightmost element, e.g.
/// `for=192.0.2.60;proto=https` or `for="[2001:db8::1]:4711"`. `unknown`, obfuscated names
/// (`_hidden`) and an element without `for=` give `None` (the peer is used).
fn forwarded_for<'a>(values: impl DoubleEndedIterator<Item = &'a HeaderValue>) -> Option<IpAddr> {
    let element = last_element(values)?;
    let node = element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("for")
            .then(|| value.trim().trim_matches('"'))
    })?;
    address(node)
}

/// `1.2.3.4`, `1.2.3.4:443`, `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:443`.
fn address(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(inner) = entry.strip_prefix('[').and_then(|e| e.strip_suffix(']')) {
        return inner.parse().ok();
    }
    entry.parse::<SocketAddr>().ok().map(|a| a.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(lines: &[&str]) -> Vec<HeaderValue> {
        lines
            .iter()
            .map(|v| HeaderValue::from_str(v).unwrap())
            .collect()
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse::<IpAddr>().unwrap())
    }

    #[test]
    fn only_the_rightmost_proxy_entry_counts() {
        let client = |lines: &[&str]| rightmost(values(lines).iter());
        assert_eq!(client(&["9.9.9.9, 1.2.3.4"]), ip("1.2.3.4"));
        assert_eq!(client(&["9.9.9.9, 1.2.3.4:443"]), ip("1.2.3.4"));
        assert_eq!(client(&["9.9.9.9", "[2001:db8::1]:443"]), ip("2001:db8::1"));
        assert_eq!(client(&["9.9.9.9, 2001:db8::2 "]), ip("2001:db8::2"));
        // Not an address: the socket's peer is used, never the forgeable left entry.
        assert_eq!(client(&["9.9.9.9, unknown"]), None);
        assert_eq!(client(&["9.9.9.9, "]), ip("9.9.9.9"));
        assert_eq!(client(&[]), None);
    }

    #[test]
    fn forwarded_takes_the_rightmost_for() {
        let client = |lines: &[&str]| forwarded_for(values(lines).iter());
        assert_eq!(
            client(&["for=192.0.2.60;proto=http;by=203.0.113.43"]),
            ip("192.0.2.60")
        );
        assert_eq!(client(&["for=9.9.9.9, for=1.2.3.4"]), ip("1.2.3.4"));
        assert_eq!(
            client(&["for=9.9.9.9", "proto=https;For=\"1.2.3.4:443\""]),
            ip("1.2.3.4")
        );
        assert_eq!(
            client(&["for=\"[2001:db8:cafe::17]:4711\""]),
            ip("2001:db8:cafe::17")
        );
        assert_eq!(
            client(&["for=\"[2001:db8:cafe::17]\""]),
            ip("2001:db8:cafe::17")
        );
        // Unknown, obfuscated or missing: the peer, never the element further left.
        assert_eq!(client(&["for=9.9.9.9, for=unknown"]), None);
        assert_eq!(client(&["for=9.9.9.9, for=_hidden"]), None);
        assert_eq!(client(&["for=9.9.9.9, proto=https"]), None);
    }
}
