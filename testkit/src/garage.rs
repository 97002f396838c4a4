//! S3-compatible object storage for the tests: a real Garage (`garage` on `PATH`, or
//! `$GARAGE_BIN`) started per test on free 127.0.0.1 ports and killed when dropped — one
//! node, or three in three zones — or the external S3 named by `ONCELINK_S3_ENDPOINT`.
//!
//! When neither is there, [`S3Target::for_test`] prints a notice and gives `None` (the test
//! skips), unless `ONCELINK_REQUIRE_S3=1` (what `scripts/test.sh` sets): then the test fails,
//! so a run cannot pass without having tested object storage.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::{TempDir, free_port};

/// The region the test Garage signs for.
pub const REGION: &str = "garage";
/// The bucket the test Garage serves.
pub const BUCKET: &str = "oncelink";

/// Where a test's objects go, and the Garage behind it when the test started one.
pub struct S3Target {
    /// `http://127.0.0.1:{port}`, or the external endpoint.
    pub endpoint: String,
    /// The bucket.
    pub bucket: String,
    /// The region to sign for.
    pub region: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// A key prefix of this test's own.
    pub prefix: String,
    /// The Garage serving it (`None`: an external S3).
    pub garage: Option<Garage>,
}

impl S3Target {
    /// The S3 for `test`: `ONCELINK_S3_ENDPOINT` (with `ONCELINK_S3_BUCKET`,
    /// `ONCELINK_S3_REGION`, `ONCELINK_S3_ACCESS_KEY_ID`, `ONCELINK_S3_SECRET_ACCESS_KEY`,
    /// and this test's prefix under `ONCELINK_S3_PREFIX`) if set, otherwise a one-node Garage
    /// of its own.
    pub fn for_test(test: &str) -> Option<Self> {
        if let Some(external) = Self::external(test) {
            return Some(external);
        }
        Garage::available(test).then(|| Garage::start(1).target(test))
    }

    /// A Garage of three nodes in three zones (replication factor 3) for `test`; never the
    /// external S3, whose layout is not ours.
    pub fn cluster_for_test(test: &str) -> Option<Self> {
        Garage::available(test).then(|| Garage::start(3).target(test))
    }

    /// Whether parts under 5 MiB are accepted: Garage does not check part sizes; AWS S3 and
    /// MinIO refuse them at completion.
    pub fn small_parts_allowed(&self) -> bool {
        self.garage.is_some()
    }

    fn external(test: &str) -> Option<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let endpoint = var("ONCELINK_S3_ENDPOINT")?;
        let need = |name: &str| {
            var(name).unwrap_or_else(|| panic!("ONCELINK_S3_ENDPOINT is set: set {name} too"))
        };
        let base = var("ONCELINK_S3_PREFIX").unwrap_or_default();
        Some(Self {
            endpoint,
            bucket: need("ONCELINK_S3_BUCKET"),
            region: var("ONCELINK_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
            access_key_id: need("ONCELINK_S3_ACCESS_KEY_ID"),
            secret_access_key: need("ONCELINK_S3_SECRET_ACCESS_KEY"),
            prefix: format!("{base}{}", unique_name(test)),
            garage: None,
        })
    }
}

/// `test-{pid}-{n}-{test}/`: a prefix no other test run or test uses.
fn unique_name(test: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "test-{}-{}-{test}/",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Garage server processes of one test, with a bucket and a key that may use it; killed and
/// their data removed when dropped.
pub struct Garage {
    nodes: Vec<Node>,
    key_id: String,
    secret_key: String,
    // Dropped after the nodes (fields drop in order): the processes are gone first.
    _dir: TempDir,
}

struct Node {
    child: Child,
    config: PathBuf,
    s3_port: u16,
    admin_port: u16,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bin() -> String {
    std::env::var("GARAGE_BIN").unwrap_or_else(|_| "garage".into())
}

impl Garage {
    /// Whether `garage` runs here; if not, fails when `ONCELINK_REQUIRE_S3=1`, else says
    /// that `test` is skipped.
    pub fn available(test: &str) -> bool {
        let runs = Command::new(bin())
            .arg("--version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if runs {
            return true;
        }
        let why = format!(
            "{test}: no S3 to test against: `{}` is not installed (scripts/setup.sh --test \
             installs it) and ONCELINK_S3_ENDPOINT is not set",
            bin()
        );
        if std::env::var("ONCELINK_REQUIRE_S3").is_ok_and(|v| v == "1") {
            panic!("{why} (ONCELINK_REQUIRE_S3=1)");
        }
        eprintln!("skipped: {why}");
        false
    }

    /// Starts `count` nodes (replication factor `count`, one zone each), applies the layout,
    /// and makes the bucket and a key that may read, write and own it.
    pub fn start(count: usize) -> Self {
        static RUNS: AtomicU64 = AtomicU64::new(0);
        let dir = TempDir::new(
            "oncelink-garage",
            &RUNS.fetch_add(1, Ordering::Relaxed).to_string(),
        );
        let secret = random_hex(32);
        let mut nodes: Vec<Node> = (0..count)
            .map(|i| Node::spawn(&dir.path().join(format!("node{i}")), count, &secret))
            .collect();
        for node in &mut nodes {
            node.wait_until_answering();
        }
        let ids: Vec<String> = nodes.iter().map(Node::id).collect();
        let first = &nodes[0];
        for id in &ids[1..] {
            first.garage(&["node", "connect", id]);
        }
        for (i, id) in ids.iter().enumerate() {
            // `{hex}@{address}`: the layout wants the hex id.
            let hex = id.split('@').next().unwrap_or(id);
            let zone = format!("dc{}", i + 1);
            first.garage(&["layout", "assign", "-z", &zone, "-c", "1G", hex]);
        }
        first.garage(&["layout", "apply", "--version", "1"]);
        for node in &mut nodes {
            node.wait_until_healthy();
        }
        let first = &nodes[0];
        let key_id = format!("GK{}", random_hex(12));
        let secret_key = random_hex(32);
        first.garage(&["bucket", "create", BUCKET]);
        first.garage(&[
            "key",
            "import",
            "--yes",
            "-n",
            "oncelink",
            &key_id,
            &secret_key,
        ]);
        first.garage(&[
            "bucket", "allow", "--read", "--write", "--owner", BUCKET, "--key", &key_id,
        ]);
        Self {
            nodes,
            key_id,
            secret_key,
            _dir: dir,
        }
    }

    /// The S3 endpoint of node `i`.
    pub fn endpoint(&self, i: usize) -> String {
        format!("http://127.0.0.1:{}", self.nodes[i].s3_port)
    }

    /// How many nodes run.
    pub fn nodes(&self) -> usize {
        self.nodes.len()
    }

    fn target(self, test: &str) -> S3Target {
        S3Target {
            endpoint: self.endpoint(0),
            bucket: BUCKET.into(),
            region: REGION.into(),
            access_key_id: self.key_id.clone(),
            secret_access_key: self.secret_key.clone(),
            prefix: unique_name(test),
            garage: Some(self),
        }
    }
}

impl Node {
    fn spawn(dir: &Path, replication: usize, secret: &str) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let (rpc_port, s3_port, admin_port) = distinct_ports();
        let config = dir.join("garage.toml");
        let d = dir.display();
        std::fs::write(
            &config,
            format!(
                r#"metadata_dir = "{d}/meta"
data_dir = "{d}/data"
db_engine = "lmdb"
replication_factor = {replication}
# Ciphertext does not compress: do not try.
compression_level = "none"
rpc_bind_addr = "127.0.0.1:{rpc_port}"
rpc_public_addr = "127.0.0.1:{rpc_port}"
rpc_secret = "{secret}"

[s3_api]
s3_region = "{REGION}"
api_bind_addr = "127.0.0.1:{s3_port}"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:{admin_port}"
"#
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.join("garage.log")).unwrap();
        let child = Command::new(bin())
            .arg("-c")
            .arg(&config)
            .arg("server")
            .env("RUST_LOG", "garage=warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin()));
        Self {
            child,
            config,
            s3_port,
            admin_port,
        }
    }

    /// Runs `garage -c {config} {args}`; panics with its output if it fails.
    fn garage(&self, args: &[&str]) -> String {
        let out = Command::new(bin())
            .arg("-c")
            .arg(&self.config)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "garage {}: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// `{hex id}@127.0.0.1:{rpc port}`.
    fn id(&self) -> String {
        self.garage(&["node", "id", "-q"])
    }

    /// Until the admin API answers at all (the node is up; the layout may be missing).
    fn wait_until_answering(&mut self) {
        self.wait_for_health("started", |_| true);
    }

    /// Until the node reports every partition's quorum reachable.
    fn wait_until_healthy(&mut self) {
        self.wait_for_health("healthy", |answer| answer.contains("fully operational"));
    }

    fn wait_for_health(&mut self, what: &str, good: impl Fn(&str) -> bool) {
        // Generous: on a loaded 2-core machine (a CI run beside other tests) a node once took
        // over 30 s to report its partitions; polling ends as soon as it does.
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Some(answer) = http_get(self.admin_port, "/health")
                && good(&answer)
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("garage exited ({status}) before it was {what}: see its garage.log");
            }
            assert!(
                Instant::now() < deadline,
                "garage was not {what} within 90 s"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

/// Three free ports, all different.
fn distinct_ports() -> (u16, u16, u16) {
    loop {
        let (a, b, c) = (free_port(), free_port(), free_port());
        if a != b && b != c && a != c {
            return (a, b, c);
        }
    }
}

/// The whole answer (status line, headers, body) of `GET {path}` on 127.0.0.1:{port}.
fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    Some(answer)
}

/// `bytes` random bytes in hex, from the kernel.
fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .unwrap();
    buf.iter().map(|b| format!("{b:02x}")).collect()
}
