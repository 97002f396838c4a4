//! `/metrics` in Prometheus text format: the service's counters and request latency per
//! route template (never a raw path, so never an id or alias). Both live in the app's state,
//! one set per server, so tests see exact counts. Served on its own address
//! (`--metrics-addr`, loopback by default) by [`router`], never on the public port.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use service::Rejected;

use crate::AppState;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Method, route template, status class: all from small fixed sets.
type Labels = (&'static str, String, &'static str);

/// Latency histograms by labels.
#[derive(Default)]
pub struct Latency(Mutex<BTreeMap<Labels, Histogram>>);

/// A method as a label: the standard ones by name, anything else as `other`, so made-up
/// methods cannot add series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// Times each request under its route template.
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = method_label(request.method());
    let start = Instant::now();
    let response = next.run(request).await;
    let seconds = start.elapsed().as_secs_f64();
    let class = match response.status().as_u16() {
        100..=399 => "ok",
        400..=499 => "4xx",
        _ => "5xx",
    };
    if let Ok(mut map) = state.latency.0.lock() {
        let h = map.entry((method, route, class)).or_default();
        h.count += 1;
        h.sum += seconds;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.counts[i] += 1;
            }
        }
    }
    response
}

/// The metrics listener's router: `GET /metrics` and nothing else.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(render))
        .with_state(state)
}

/// `GET /metrics`.
pub async fn render(State(state): State<AppState>) -> Response {
    let counters = state.service.snapshot();
    let mut out = String::new();
    let counter = |out: &mut String, name: &str, help: &str, value: u64| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
        );
    };
    counter(
        &mut out,
        "oncelink_secrets_created_total",
        "Secrets stored.",
        counters.created,
    );
    counter(
        &mut out,
        "oncelink_secrets_revealed_total",
        "Views served (each view of a multi-view secret counts).",
        counters.revealed,
    );
    counter(
        &mut out,
        "oncelink_requests_opened_total",
        "Requests opened.",
        counters.requests_opened,
    );
    counter(
        &mut out,
        "oncelink_requests_answered_total",
        "Requests answered (each answer is also counted as a secret stored).",
        counters.requests_answered,
    );
    counter(
        &mut out,
        "oncelink_secrets_expired_unread_total",
        "Secrets that expired without a view (embedded store only; Redis expires keys silently).",
        counters.expired_unread.unwrap_or(0),
    );
    counter(
        &mut out,
        "oncelink_store_errors_total",
        "Store operations that failed (unreachable, timeout).",
        counters.store_errors,
    );
    let _ = writeln!(
        out,
        "# HELP oncelink_rejected_total Requests turned down, by reason.\n# TYPE oncelink_rejected_total counter"
    );
    for reason in Rejected::ALL {
        let _ = writeln!(
            out,
            "oncelink_rejected_total{{reason=\"{}\"}} {}",
            reason.label(),
            counters.rejected(reason)
        );
    }
    let _ = writeln!(
        out,
        "# HELP oncelink_http_request_duration_seconds Request latency by route template.\n# TYPE oncelink_http_request_duration_seconds histogram"
    );
    if let Ok(map) = state.latency.0.lock() {
        for ((method, route, class), h) in map.iter() {
            let labels = format!("method=\"{method}\",route=\"{route}\",status=\"{class}\"");
            for (bound, count) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    out,
                    "oncelink_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "oncelink_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\noncelink_http_request_duration_seconds_sum{{{labels}}} {}\noncelink_http_request_duration_seconds_count{{{labels}}} {}",
                h.count, h.sum, h.count
            );
        }
    }
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
