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

    /// Number of Redis connections. Measured (`scripts/bench.sh pool`, BENCHMARKS.md): fewer
    /// connections pipeline more commands per write, so 1 was fastest for small requests and
    /// 2 within 4–10 % of it; 2 keeps a second connection so that one large payload in
    /// transit does not hold up every small request behind it.
    #[arg(long, env = "ONCELINK_REDIS_POOL_SIZE", default_value_t = 2)]
    pub redis_pool_size: usize,

    /// Redis replicas that must acknowledge each create, reveal and destroy (`WAIT`) before
    /// the server answers. With Sentinel and replicas, 1 keeps a failover right after a reveal
    /// from bringing the consumed view back (see SECURITY.md); 0 answers at once.
    #[arg(long, env = "ONCELINK_REDIS_WAIT_REPLICAS", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=16))]
    pub redis_wait_replicas: u32,

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

    /// Take the client's address from this request header: the rightmost entry of
    /// X-Forwarded-For or X-Real-IP (a port is dropped), or the rightmost element's `for=` of
    /// Forwarded (RFC 7239). An entry that is not an address falls back to the socket's peer.
    /// Set it only behind a proxy that sets the header; otherwise clients could choose their
    /// own address. Unset: the socket's peer address.
    #[arg(long, env = "ONCELINK_CLIENT_IP_HEADER", value_name = "HEADER")]
    pub client_ip_header: Option<String>,

    /// IPv6 clients are counted together by this prefix length for every limit and quota
    /// (64: one customer's network; 128: each address alone).
    #[arg(long, env = "ONCELINK_IPV6_PREFIX", default_value_t = 64, value_parser = clap::value_parser!(u8).range(16..=128))]
    pub ipv6_prefix: u8,

    /// Payload bytes one client may store per quota window; more is refused with 429
    /// `quota_exceeded` (before the body is read when its length says so).
    #[arg(long, env = "ONCELINK_QUOTA_BYTES", default_value_t = service::Quota::DEFAULT.bytes)]
    pub quota_bytes: u64,

    /// The quota window, in seconds.
    #[arg(long, env = "ONCELINK_QUOTA_WINDOW_SECONDS", default_value_t = service::Quota::DEFAULT.window.as_secs(), value_parser = clap::value_parser!(u64).range(60..=30 * 24 * 3600))]
    pub quota_window_seconds: u64,

    /// Bytes the whole store may hold before creates are refused with 507 `store_full`.
    /// Unset: 90 % of what the store holds (Redis's `maxmemory`, the embedded cap), so
    /// reveals, counters and claims keep room.
    #[arg(long, env = "ONCELINK_STORE_BUDGET_BYTES")]
    pub store_budget_bytes: Option<u64>,

    /// Seconds a claimed view can be fetched again by the client that claimed it (after a
    /// timeout or a lost reply); a last view's payload is deleted when this ends or the client
    /// confirms.
    #[arg(long, env = "ONCELINK_CLAIM_WINDOW_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(5..=3600))]
    pub claim_window_seconds: u64,

    /// Memory cap of the embedded store, in bytes (payloads and each entry's overhead).
    #[arg(long, env = "ONCELINK_EMBEDDED_MAX_BYTES", default_value_t = 512 * 1024 * 1024)]
    pub embedded_max_bytes: usize,

    /// Address of the `/metrics` listener (Prometheus), or `off`. Loopback by default: the
    /// public port never serves metrics.
    #[arg(long, env = "ONCELINK_METRICS_ADDR", default_value = "127.0.0.1:9464")]
    pub metrics_addr: String,

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

    /// Large uploads one client (address, or IPv6 prefix) may have in progress at once; more
    /// are refused with 429.
    #[arg(long, env = "ONCELINK_MAX_UPLOADS_PER_CLIENT", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub max_uploads_per_client: u32,

    /// The slowest average a request body may arrive at, in bytes per second, once
    /// --body-timeout-seconds have passed; slower ones are cut off.
    #[arg(long, env = "ONCELINK_MIN_UPLOAD_RATE", default_value_t = 8 * 1024, value_parser = clap::value_parser!(u64).range(1..))]
    pub min_upload_rate: u64,

    /// Seconds a large upload may wait for its turn before it is refused with 503.
    #[arg(long, env = "ONCELINK_UPLOAD_WAIT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub upload_wait_seconds: u64,

    /// Seconds a client may take to send a request's headers (slow clients are cut off).
    #[arg(long, env = "ONCELINK_HEADER_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub header_timeout_seconds: u64,

    /// Seconds a request body may pause between two pieces before it is cut off; also how
    /// long a body may take before --min-upload-rate applies.
    #[arg(long, env = "ONCELINK_BODY_TIMEOUT_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub body_timeout_seconds: u64,

    /// Where secrets' file data is kept (a directory; created if missing). Default:
    /// `oncelink-files/<port>` in the system's temporary directory. Set it when the store is
    /// Redis: data whose secret this server's store does not know is swept.
    #[arg(long, env = "ONCELINK_FILES_DIR")]
    pub files_dir: Option<std::path::PathBuf>,

    /// The largest file data one secret may have, in bytes (sealed: 16 bytes per 64 KiB more
    /// than the files). Default: 2 GiB of files.
    #[arg(long, env = "ONCELINK_MAX_FILE_BYTES", default_value_t = service::FileLimits::DEFAULT_MAX_BYTES)]
    pub max_file_bytes: u64,

    /// Bytes in every upload part but the last (object storage needs at least 5 MiB).
    #[arg(long, env = "ONCELINK_UPLOAD_PART_BYTES", default_value_t = service::FileLimits::default().part_size, value_parser = clap::value_parser!(u64).range(65_536..=256 * 1024 * 1024))]
    pub upload_part_bytes: u64,

    /// Bytes all file data and unfinished uploads together may take on disk (a begin beyond
    /// it gets `507 store_full`).
    #[arg(long, env = "ONCELINK_FILES_BUDGET_BYTES", default_value_t = service::FileLimits::default().budget_bytes)]
    pub files_budget_bytes: u64,

    /// How many files one secret may hold (advertised to clients, which keep to it: the
    /// server never sees the sealed manifest).
    #[arg(long, env = "ONCELINK_MAX_FILES", default_value_t = service::FileLimits::default().max_files, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub max_files: u32,

    /// File data bytes one client (address or IPv6 prefix) may upload per quota window.
    #[arg(long, env = "ONCELINK_FILE_QUOTA_BYTES", default_value_t = service::FileLimits::default().quota_bytes)]
    pub file_quota_bytes: u64,

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
            claim_window: Duration::from_secs(self.claim_window_seconds),
            ..Limits::default()
        }
    }

    /// Where file data goes and its limits.
    pub fn files(&self) -> Result<service::Files, String> {
        let dir = self.files_dir.clone().unwrap_or_else(|| {
            std::env::temp_dir()
                .join("oncelink-files")
                .join(self.addr.port().to_string())
        });
        let blobs = blobs::DirBlobs::open(&dir)
            .map_err(|e| format!("cannot open the files directory {}: {e}", dir.display()))?;
        Ok(service::Files {
            blobs: blobs::Blobs::Dir(blobs),
            limits: service::FileLimits {
                max_bytes: self.max_file_bytes,
                part_size: self.upload_part_bytes,
                budget_bytes: self.files_budget_bytes,
                quota_bytes: self.file_quota_bytes,
                max_files: self.max_files,
                quota_window: Duration::from_secs(self.quota_window_seconds),
                ..service::FileLimits::default()
            },
        })
    }

    /// The gate every request body passes.
    pub fn upload_gate(&self) -> crate::upload::UploadGate {
        crate::upload::UploadGate::new(crate::upload::GateConfig {
            concurrent: usize::try_from(self.max_concurrent_uploads).unwrap_or(1),
            per_client: usize::try_from(self.max_uploads_per_client).unwrap_or(1),
            wait: Duration::from_secs(self.upload_wait_seconds),
            min_rate: self.min_upload_rate,
            grace: self.body_timeout(),
        })
    }

    /// The metrics listener's address; `None` when switched off.
    pub fn metrics_addr(&self) -> Result<Option<SocketAddr>, String> {
        let text = self.metrics_addr.trim();
        if text.is_empty() || text.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        text.parse()
            .map(Some)
            .map_err(|_| format!("--metrics-addr: {text:?} is not an address (or `off`)"))
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
            quota: service::Quota {
                bytes: self.quota_bytes,
                window: Duration::from_secs(self.quota_window_seconds),
                global_bytes: self.store_budget_bytes,
            },
            ipv6_prefix: self.ipv6_prefix,
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
