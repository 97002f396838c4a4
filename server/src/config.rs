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

    /// Longest a request (`POST /api/requests`) stays open for its answer, in seconds.
    #[arg(long, env = "ONCELINK_MAX_REQUEST_TTL_SECONDS", default_value_t = 30 * 24 * 3600, value_parser = clap::value_parser!(u64).range(3600..=365 * 24 * 3600))]
    pub max_request_ttl_seconds: u64,

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
    /// Redis: data whose secret this server's store does not know is swept. Not used when
    /// --s3-bucket is set.
    #[arg(long, env = "ONCELINK_FILES_DIR")]
    pub files_dir: Option<std::path::PathBuf>,

    /// Keep file data in this S3-compatible bucket (AWS S3, MinIO, Garage…) instead of
    /// --files-dir; the bucket must exist. Several servers can share it.
    #[arg(long, env = "ONCELINK_S3_BUCKET")]
    pub s3_bucket: Option<String>,

    /// The S3 endpoint, e.g. `http://127.0.0.1:3900` (Garage), `https://minio.example.org`.
    /// Unset: AWS S3 in --s3-region.
    #[arg(long, env = "ONCELINK_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,

    /// The region requests are signed for (Garage: its `s3_region`, often `garage`).
    #[arg(long, env = "ONCELINK_S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,

    /// The access key id. With neither it nor the secret key: the instance's credentials
    /// (AWS instance profile).
    #[arg(long, env = "ONCELINK_S3_ACCESS_KEY_ID")]
    pub s3_access_key_id: Option<String>,

    /// The secret access key (never logged or shown; prefer the environment variable to the
    /// flag, which `ps` shows).
    #[arg(long, env = "ONCELINK_S3_SECRET_ACCESS_KEY", hide_env_values = true, value_parser = SecretString::parse)]
    pub s3_secret_access_key: Option<SecretString>,

    /// Prefix of every key this server writes in the bucket, so a bucket can be shared.
    #[arg(long, env = "ONCELINK_S3_PREFIX", default_value = "oncelink/")]
    pub s3_prefix: String,

    /// Allow a plain-HTTP --s3-endpoint (a store on the same host or a private network only:
    /// the data is ciphertext, but the requests' signatures and metadata are not).
    #[arg(long, env = "ONCELINK_S3_ALLOW_HTTP", default_value_t = false)]
    pub s3_allow_http: bool,

    /// Address the bucket as `{bucket}.{endpoint host}` (virtual-hosted style) instead of
    /// `{endpoint}/{bucket}` (path style, the default: MinIO and Garage take it as it is).
    #[arg(
        long,
        env = "ONCELINK_S3_VIRTUAL_HOSTED_STYLE",
        default_value_t = false
    )]
    pub s3_virtual_hosted_style: bool,

    /// The largest file data one secret may have, in bytes (sealed: 16 bytes per 64 KiB more
    /// than the files). Default: 2 GiB of files.
    #[arg(long, env = "ONCELINK_MAX_FILE_BYTES", default_value_t = service::FileLimits::DEFAULT_MAX_BYTES)]
    pub max_file_bytes: u64,

    /// Bytes in every upload part but the last (object storage needs at least 5 MiB, and
    /// at most 10,000 parts per secret).
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

/// A setting that must not be printed: its `Debug` is `***`.
#[derive(Clone)]
pub struct SecretString(String);

impl SecretString {
    fn parse(text: &str) -> Result<Self, String> {
        Ok(Self(text.to_owned()))
    }

    /// The value itself, for the one place that needs it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
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
            max_request_ttl: Duration::from_secs(self.max_request_ttl_seconds),
            max_views: self.max_views,
            passphrase_tries: self.passphrase_tries,
            claim_window: Duration::from_secs(self.claim_window_seconds),
            ..Limits::default()
        }
    }

    /// The S3 bucket for file data, if one is set and not empty.
    pub fn s3_bucket(&self) -> Option<&str> {
        self.s3_bucket.as_deref().filter(|b| !b.trim().is_empty())
    }

    /// Where file data goes and its limits: the S3 bucket when one is set, else the directory.
    pub fn files(&self) -> Result<service::Files, String> {
        let blobs = match self.s3_bucket() {
            Some(bucket) => blobs::Blobs::S3(self.s3_blobs(bucket)?),
            None => {
                let dir = self.files_dir.clone().unwrap_or_else(|| {
                    std::env::temp_dir()
                        .join("oncelink-files")
                        .join(self.addr.port().to_string())
                });
                let blobs = blobs::DirBlobs::open(&dir).map_err(|e| {
                    format!("cannot open the files directory {}: {e}", dir.display())
                })?;
                blobs::Blobs::Dir(blobs)
            }
        };
        Ok(service::Files {
            blobs,
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

    /// The bucket's client, after the checks S3 imposes on parts.
    fn s3_blobs(&self, bucket: &str) -> Result<blobs::S3Blobs, String> {
        use blobs::S3Blobs;
        let part = self.upload_part_bytes;
        if part < S3Blobs::MIN_PART_SIZE {
            return Err(format!(
                "--upload-part-bytes is {part}: object storage (--s3-bucket) refuses parts under \
                 5 MiB; set it to at least {} (the default is 8 MiB)",
                S3Blobs::MIN_PART_SIZE
            ));
        }
        if self.max_file_bytes.div_ceil(part) > S3Blobs::MAX_PARTS {
            return Err(format!(
                "--max-file-bytes {} in parts of --upload-part-bytes {part} would be more than \
                 {} parts, the most S3 takes: raise --upload-part-bytes",
                self.max_file_bytes,
                S3Blobs::MAX_PARTS
            ));
        }
        let endpoint = self
            .s3_endpoint
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty());
        if endpoint.is_some_and(|e| e.starts_with("http://")) && !self.s3_allow_http {
            return Err(
                "--s3-endpoint is plain http://: set --s3-allow-http to use it anyway".into(),
            );
        }
        let options = blobs::S3Options {
            endpoint: endpoint.map(str::to_owned),
            bucket: bucket.trim().to_owned(),
            region: self.s3_region.clone(),
            access_key_id: self.s3_access_key_id.clone().filter(|k| !k.is_empty()),
            secret_access_key: self
                .s3_secret_access_key
                .as_ref()
                .map(|s| s.expose_secret().to_owned())
                .filter(|k| !k.is_empty()),
            prefix: self.s3_prefix.clone(),
            allow_http: self.s3_allow_http,
            virtual_hosted_style: self.s3_virtual_hosted_style,
        };
        S3Blobs::open(options).map_err(|e| format!("--s3-bucket: {e}"))
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
    fn a_bucket_chooses_object_storage_with_parts_s3_takes() {
        let s3 = |extra: &[&str]| {
            let mut args = vec![
                "oncelink-server",
                "--s3-bucket",
                "b",
                "--s3-access-key-id=k",
            ];
            args.extend_from_slice(extra);
            args.push("--s3-secret-access-key=s");
            Config::parse_from(args).files()
        };
        let files = s3(&[]).unwrap();
        assert_eq!(files.blobs.backend(), "object storage");
        let small = s3(&["--upload-part-bytes=1048576"]).err().unwrap();
        assert!(small.contains("at least 5242880"), "{small}");
        let many = s3(&[
            "--upload-part-bytes=5242880",
            "--max-file-bytes=60000000000",
        ]);
        assert!(many.err().unwrap().contains("10000 parts"));
        let http = s3(&["--s3-endpoint=http://127.0.0.1:3900"]).err().unwrap();
        assert!(http.contains("--s3-allow-http"), "{http}");
        s3(&["--s3-endpoint=http://127.0.0.1:3900", "--s3-allow-http"]).unwrap();
        // Without a bucket (or an empty one): the directory, whatever the part size.
        let config = Config::parse_from([
            "oncelink-server",
            "--s3-bucket",
            " ",
            "--upload-part-bytes=65536",
        ]);
        assert_eq!(config.files().unwrap().blobs.backend(), "directory");
    }

    #[test]
    fn the_secret_access_key_is_never_shown() {
        let config = Config::parse_from(["oncelink-server", "--s3-secret-access-key=hunter2"]);
        assert!(!format!("{config:?}").contains("hunter2"));
        let command = <Config as clap::CommandFactory>::command();
        let arg = command
            .get_arguments()
            .find(|a| a.get_id() == "s3_secret_access_key")
            .unwrap();
        assert!(arg.is_hide_env_values_set());
    }

    #[test]
    fn empty_redis_url_means_embedded() {
        let config = Config::parse_from(["oncelink-server", "--redis-url", " "]);
        assert_eq!(config.redis_url(), None);
    }
}
