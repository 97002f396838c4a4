//! Test helpers shared by the workspace's test suites: where the wire-format vectors and
//! image fixtures are ([`fixtures`]), throwaway Redis servers, and throwaway Garage servers
//! for object storage ([`garage`]).
//!
//! Tests use a real `redis-server`: the one named by `REDIS_URL` when it is set (each test
//! then works under its own key prefix), otherwise a private one started on a free port
//! and killed when the test ends.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: a panic is a failure report

pub mod fixtures;
pub mod garage;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// A key prefix unique to this process and call, so tests never see each other's keys.
pub fn unique_prefix(test: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "test:{}:{}:{}:",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        test
    )
}

/// A `redis-server` process owned by the test; killed on drop.
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    /// Data directory when persistent (append-only file, fsync on every write).
    dir: Option<std::path::PathBuf>,
}

impl RedisServer {
    /// Starts `redis-server` (or `$REDIS_SERVER_BIN`) on a free port, without persistence,
    /// and waits until it answers `PING`.
    pub fn start() -> Self {
        let mut server = Self {
            child: None,
            port: free_port(),
            dir: None,
        };
        server.restart();
        server
    }

    /// Like [`RedisServer::start`], but keeping every write in an append-only file
    /// (`appendfsync always`), so data survives [`RedisServer::stop`] and
    /// [`RedisServer::restart`].
    pub fn start_persistent() -> Self {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("oncelink-redis-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut server = Self {
            child: None,
            port,
            dir: Some(dir),
        };
        server.restart();
        server
    }

    /// The server's URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port (after [`RedisServer::stop`]).
    pub fn restart(&mut self) {
        self.stop();
        let bin = std::env::var("REDIS_SERVER_BIN").unwrap_or_else(|_| "redis-server".into());
        let mut command = Command::new(&bin);
        command.args(["--port", &self.port.to_string()]);
        match &self.dir {
            Some(dir) => {
                command
                    .args(["--bind", "127.0.0.1", "--save", ""])
                    .args(["--appendonly", "yes", "--appendfsync", "always"])
                    .current_dir(dir);
            }
            None => {
                command.args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
            }
        }
        let child = command
            .args(["--daemonize", "no", "--loglevel", "warning"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin} (install redis-server): {e}"));
        self.child = Some(child);
        wait_for_pong(self.port);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn wait_for_pong(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
            let mut reply = [0u8; 7];
            if stream.write_all(b"PING\r\n").is_ok()
                && stream.read_exact(&mut reply).is_ok()
                && &reply == b"+PONG\r\n"
            {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("redis-server on port {port} did not answer PING within 10 s");
}

/// The Redis a test should use: `$REDIS_URL` if set, otherwise a private server.
pub struct TestRedis {
    /// The private server, if one was started.
    pub server: Option<RedisServer>,
    /// URL to connect to.
    pub url: String,
    /// Key prefix reserved for this test.
    pub prefix: String,
}

impl TestRedis {
    /// Picks or starts a Redis for `test`.
    pub fn new(test: &str) -> Self {
        let prefix = unique_prefix(test);
        match std::env::var("REDIS_URL") {
            Ok(url) if !url.is_empty() => Self {
                server: None,
                url,
                prefix,
            },
            _ => {
                let server = RedisServer::start();
                Self {
                    url: server.url(),
                    server: Some(server),
                    prefix,
                }
            }
        }
    }
}

/// A three-master Redis Cluster on this machine (redis-server with cluster mode on three
/// free ports), shared by every test of a process and stopped when the process ends.
pub struct RedisCluster {
    ports: [u16; 3],
}

impl RedisCluster {
    /// `$REDIS_CLUSTER_URL` if set, otherwise the process's own cluster (started on first use).
    pub fn url() -> String {
        if let Ok(url) = std::env::var("REDIS_CLUSTER_URL")
            && !url.is_empty()
        {
            return url;
        }
        static CLUSTER: std::sync::OnceLock<RedisCluster> = std::sync::OnceLock::new();
        let c = CLUSTER.get_or_init(RedisCluster::start);
        format!(
            "redis-cluster://127.0.0.1:{}?node=127.0.0.1:{}&node=127.0.0.1:{}",
            c.ports[0], c.ports[1], c.ports[2]
        )
    }

    fn start() -> Self {
        let bin = std::env::var("REDIS_SERVER_BIN").unwrap_or_else(|_| "redis-server".into());
        let dir = std::env::temp_dir().join(format!("oncelink-cluster-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // The cluster bus listens on port + 10000: pick ports where both are free.
        let mut ports = [0u16; 3];
        for i in 0..ports.len() {
            ports[i] = loop {
                let p = free_port();
                if p < 55_000
                    && TcpListener::bind(("127.0.0.1", p + 10_000)).is_ok()
                    && !ports[..i].contains(&p)
                {
                    break p;
                }
            };
        }
        for port in ports {
            spawn_for_process_lifetime(
                &dir,
                &format!(
                    "{bin} --port {port} --bind 127.0.0.1 --cluster-enabled yes \
                     --cluster-config-file nodes-{port}.conf --cluster-node-timeout 5000 \
                     --save '' --appendonly no"
                ),
            );
        }
        for port in ports {
            wait_for_pong(port);
        }
        let nodes: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let status = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&nodes)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("redis-cli (from redis-tools) creates the cluster");
        assert!(status.success(), "redis-cli --cluster create failed");
        let deadline = Instant::now() + Duration::from_secs(30);
        for port in ports {
            loop {
                let out = Command::new("redis-cli")
                    .args(["-p", &port.to_string(), "cluster", "info"])
                    .output()
                    .unwrap();
                if String::from_utf8_lossy(&out.stdout).contains("cluster_state:ok") {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "the cluster did not become ready"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Self { ports }
    }
}

/// Runs a redis-server `command` (quiet, in the foreground) in `dir` under a watchdog shell
/// that stops it when this test process is gone: the shared clusters live in statics, which
/// are never dropped.
fn spawn_for_process_lifetime(dir: &std::path::Path, command: &str) {
    let parent = std::process::id();
    let script = format!(
        "{command} --daemonize no --loglevel warning & child=$!; \
         while kill -0 {parent} 2>/dev/null; do sleep 0.2; done; kill $child"
    );
    #[allow(clippy::zombie_processes)] // lives as long as this process; reaped by init
    Command::new("sh")
        .args(["-c", &script])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?} (install redis-server): {e}"));
}

/// A Redis master watched by one Sentinel, shared by every test of a process and stopped
/// when the process ends. Clients connect through the Sentinel (service `mymaster`).
pub struct RedisSentinel {
    sentinel_port: u16,
}

impl RedisSentinel {
    /// `$REDIS_SENTINEL_URL` if set, otherwise the process's own Sentinel setup.
    pub fn url() -> String {
        if let Ok(url) = std::env::var("REDIS_SENTINEL_URL")
            && !url.is_empty()
        {
            return url;
        }
        static SENTINEL: std::sync::OnceLock<RedisSentinel> = std::sync::OnceLock::new();
        let s = SENTINEL.get_or_init(RedisSentinel::start);
        format!(
            "redis-sentinel://127.0.0.1:{}?sentinelServiceName=mymaster",
            s.sentinel_port
        )
    }

    fn start() -> Self {
        let bin = std::env::var("REDIS_SERVER_BIN").unwrap_or_else(|_| "redis-server".into());
        let dir = std::env::temp_dir().join(format!("oncelink-sentinel-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let master = free_port();
        let sentinel = loop {
            let p = free_port();
            if p != master {
                break p;
            }
        };
        std::fs::write(
            dir.join("sentinel.conf"),
            format!(
                "port {sentinel}\nbind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 {master} 1\n\
                 sentinel down-after-milliseconds mymaster 5000\n"
            ),
        )
        .unwrap();
        for command in [
            format!("{bin} --port {master} --bind 127.0.0.1 --save '' --appendonly no"),
            format!("{bin} sentinel.conf --sentinel"),
        ] {
            spawn_for_process_lifetime(&dir, &command);
        }
        wait_for_pong(master);
        wait_for_pong(sentinel);
        Self {
            sentinel_port: sentinel,
        }
    }
}

/// A scratch directory for one test, removed with everything in it when dropped, so passing
/// runs leave nothing behind in the system's temporary directory.
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    /// A fresh, empty `{tmp}/{prefix}-{pid}-{name}`.
    pub fn new(prefix: &str, name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("{prefix}-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        if let Err(e) = std::fs::create_dir_all(&dir) {
            panic!("cannot create {}: {e}", dir.display());
        }
        Self(dir)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
