//! The one configuration surface: command-line flags, each with an environment fallback.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use service::Limits;

/// oncelink server: end-to-end encrypted, one-time sharing of secrets and images.
#[derive(Debug, Clone, Parser)]
#[command(name = "oncelink-server", version, about)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Redis URL (`redis://`, `redis-cluster://`, `redis-sentinel://`). When unset, secrets
    /// live in the embedded in-process store and are lost on restart.
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,

    /// Prefix of every Redis key, so several deployments can share one Redis.
    #[arg(long, env = "ONCELINK_REDIS_PREFIX", default_value = "oncelink:")]
    pub redis_prefix: String,

    /// Number of Redis connections.
    #[arg(long, env = "ONCELINK_REDIS_POOL_SIZE", default_value_t = 4)]
    pub redis_pool_size: usize,

    /// How long a store operation may take, in milliseconds, before the request fails with 503.
    #[arg(long, env = "ONCELINK_STORE_TIMEOUT_MS", default_value_t = 2000)]
    pub store_timeout_ms: u64,

    /// Largest encrypted payload accepted, in bytes (the default fits a 10 MB image).
    #[arg(long, env = "ONCELINK_MAX_PAYLOAD_BYTES", default_value_t = Limits::DEFAULT_MAX_PAYLOAD_BYTES)]
    pub max_payload_bytes: usize,

    /// The most views a sender may allow for one secret.
    #[arg(long, env = "ONCELINK_MAX_VIEWS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_views: u32,

    /// Wrong passphrases allowed before a secret is destroyed.
    #[arg(long, env = "ONCELINK_PASSPHRASE_TRIES", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub passphrase_tries: u32,

    /// Longest lifetime a sender may choose, in seconds (`ttl_hours` keeps the reference's 1–72).
    #[arg(long, env = "ONCELINK_MAX_TTL_SECONDS", default_value_t = 7 * 24 * 3600, value_parser = clap::value_parser!(u64).range(300..=365 * 24 * 3600))]
    pub max_ttl_seconds: u64,

    /// Failures (wrong key, passphrase or manage token; unknown or invalid ids) allowed per
    /// client address in ten minutes; then its reads are refused with 429 until the window ends.
    #[arg(long, env = "ONCELINK_FAILED_ATTEMPTS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    pub failed_attempts: u32,

    /// Secrets one client address may create per minute.
    #[arg(long, env = "ONCELINK_RATE_CREATE", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_create: u32,

    /// Reads (info, reveal, status, destroy) one client address may make per minute.
    #[arg(long, env = "ONCELINK_RATE_REVEAL", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_reveal: u32,

    /// Take the client's address from this request header (the rightmost address in it),
    /// e.g. X-Forwarded-For or X-Real-IP. Set it only behind a proxy that sets the header;
    /// otherwise clients could choose their own address. Unset: the socket's peer address.
    #[arg(long, env = "ONCELINK_CLIENT_IP_HEADER", value_name = "HEADER")]
    pub client_ip_header: Option<String>,

    /// Memory cap of the embedded store, in bytes of payload.
    #[arg(long, env = "ONCELINK_EMBEDDED_MAX_BYTES", default_value_t = 512 * 1024 * 1024)]
    pub embedded_max_bytes: usize,

    /// Send `Strict-Transport-Security` (two years, subdomains): set it when the site is
    /// served over HTTPS (behind TLS); off by default so plain-HTTP self-hosting keeps working.
    #[arg(long, env = "ONCELINK_HSTS", default_value_t = false)]
    pub hsts: bool,

    /// On SIGTERM or Ctrl-C: stop accepting, then give in-flight requests this many seconds
    /// to finish before closing what is left.
    #[arg(long, env = "ONCELINK_SHUTDOWN_GRACE_SECONDS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_grace_seconds: u64,

    /// Large uploads (bodies over 1 MiB) handled at once; more wait (see
    /// --upload-wait-seconds), so memory stays bounded however many arrive together.
    #[arg(long, env = "ONCELINK_MAX_CONCURRENT_UPLOADS", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub max_concurrent_uploads: u32,

    /// Seconds a large upload may wait for its turn before it is refused with 503.
    #[arg(long, env = "ONCELINK_UPLOAD_WAIT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub upload_wait_seconds: u64,

    /// Seconds a client may take to send a request's headers (slow clients are cut off).
    #[arg(long, env = "ONCELINK_HEADER_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub header_timeout_seconds: u64,

    /// Seconds a request body may pause between two pieces before it is cut off.
    #[arg(long, env = "ONCELINK_BODY_TIMEOUT_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub body_timeout_seconds: u64,

    /// Instead of serving, ask the server at --addr for its health and exit 0 if healthy.
    #[arg(long)]
    pub healthcheck: bool,

    /// Log format.
    #[arg(long, env = "ONCELINK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

impl Config {
    /// The Redis URL, if one is set and not empty.
    pub fn redis_url(&self) -> Option<&str> {
        self.redis_url.as_deref().filter(|u| !u.trim().is_empty())
    }

    /// Store timeout as a duration.
    pub fn store_timeout(&self) -> Duration {
        Duration::from_millis(self.store_timeout_ms)
    }

    /// Input limits shared by the REST API and the server functions.
    pub fn limits(&self) -> Limits {
        Limits {
            max_payload_bytes: self.max_payload_bytes,
            max_ttl: Duration::from_secs(self.max_ttl_seconds),
            max_views: self.max_views,
            passphrase_tries: self.passphrase_tries,
            ..Limits::default()
        }
    }

    /// The gate for large uploads.
    pub fn upload_gate(&self) -> crate::middleware::UploadGate {
        crate::middleware::UploadGate::new(
            usize::try_from(self.max_concurrent_uploads).unwrap_or(1),
            Duration::from_secs(self.upload_wait_seconds),
        )
    }

    /// How long headers may take.
    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_seconds)
    }

    /// How long a body may pause.
    pub fn body_timeout(&self) -> Duration {
        Duration::from_secs(self.body_timeout_seconds)
    }

    /// The proxy header naming the client's address, checked.
    pub fn client_ip_header(&self) -> Result<Option<axum::http::HeaderName>, String> {
        self.client_ip_header
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(|h| {
                axum::http::HeaderName::try_from(h)
                    .map_err(|_| format!("--client-ip-header: {h:?} is not a header name"))
            })
            .transpose()
    }

    /// The rate limits the configuration asks for.
    pub fn rules(&self) -> service::Rules {
        use service::Rule;
        let minute = Duration::from_secs(60);
        service::Rules {
            create: Rule {
                max: self.rate_create,
                window: minute,
            },
            reveal: Rule {
                max: self.rate_reveal,
                window: minute,
            },
            failed: Rule {
                max: self.failed_attempts,
                window: Duration::from_secs(600),
            },
        }
    }

    /// Largest request body: the payload in base64 plus room for the JSON around it.
    pub fn body_limit(&self) -> usize {
        self.max_payload_bytes.div_ceil(3) * 4 + 64 * 1024
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fit_a_10_mb_image_in_base64() {
        let config = Config::parse_from(["oncelink-server"]);
        // A 10 MiB image padded to 11 MiB, plus the payload header.
        assert!(config.max_payload_bytes > 11 * 1024 * 1024 + 29);
        assert!(config.body_limit() > (config.max_payload_bytes * 4).div_ceil(3));
        assert_eq!(config.addr.port(), 3000);
    }

    #[test]
    fn empty_redis_url_means_embedded() {
        let config = Config::parse_from(["oncelink-server", "--redis-url", " "]);
        assert_eq!(config.redis_url(), None);
    }
}
