#!/usr/bin/env python3
"""API benchmarks against a running server: create and reveal throughput/latency with wrk
(64 connections; 10 MiB on Redis also with 8), server RSS idle and under load, Redis memory
per stored secret, and the CPU time per request of each process on the machine (server,
redis-server, wrk, this script).

    python3 bench/api.py BASE_URL SERVER_PID [REDIS_PORT] [--only-1kib] [--pool-size N]
                         [--perf-dir DIR]

--only-1kib   only a short 1 KiB create (5 s) and reveal (15,000 secrets); prints
              {"bench": "api-1kib"} (or "api-pool" with --pool-size).
--pool-size N the server's ONCELINK_REDIS_POOL_SIZE, recorded with the figures.
--perf-dir D  `perf record` of the server (and redis-server) during the 1 KiB runs, into
              D/perf-{server,redis}-{create,reveal}.data (bench/profile.sh reads them).
"""
import argparse, base64, json, os, re, resource, signal, subprocess, tempfile, time, urllib.error, urllib.request
from concurrent.futures import ThreadPoolExecutor

from rss import PeakRss, rss_mib

parser = argparse.ArgumentParser()
parser.add_argument("base")
parser.add_argument("pid", type=int)
parser.add_argument("redis_port", nargs="?")
parser.add_argument("--only-1kib", action="store_true")
parser.add_argument("--pool-size", type=int)
parser.add_argument("--perf-dir")
args = parser.parse_args()
base, pid, redis_port = args.base, args.pid, args.redis_port
here = os.path.dirname(os.path.abspath(__file__))
cores = len(os.sched_getaffinity(0))


def create(size):
    payload = b"\x01" + os.urandom(size - 1)
    body = json.dumps({"ciphertext": base64.b64encode(payload).decode()}).encode()
    req = urllib.request.Request(f"{base}/api/secrets", body, {"content-type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)["alias"]


def stored(alias):
    """Whether the secret is still there (`GET …/info` reads without consuming)."""
    try:
        with urllib.request.urlopen(f"{base}/api/secrets/{alias}/info") as r:
            return r.status == 200
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return False
        raise


def run_wrk(argv, env, until=None):
    """Runs wrk (interrupted once `until(wrk's pid)` returns, if given); its output and its
    own CPU time in seconds (os.wait4's rusage of that one child)."""
    proc = subprocess.Popen(["wrk", *argv, base], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, **env})
    if until:
        until(proc.pid)
        proc.send_signal(signal.SIGINT)
    out = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return out, usage.ru_utime + usage.ru_stime


def parse(out):
    lat = dict(re.findall(r"\s(50|99)%\s+([\d.]+\w+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    requests = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result = {"p50": lat.get("50"), "p99": lat.get("99"),
              "requests": int(requests.group(1)) if requests else 0,
              "non_2xx": int(non2xx.group(1)) if non2xx else 0}
    if errors:
        result["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"), map(int, errors.groups())))
    return result


def wrk(script, seconds, env, connections=64):
    out, wrk_cpu = run_wrk(["-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency",
                            "-s", script], env)
    result = parse(out)
    result["rps"] = round(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)))
    return result, wrk_cpu


def metrics():
    """The server's counters (the metrics listener is not the public port; bench.sh says
    where it is)."""
    with urllib.request.urlopen(os.environ["ONCELINK_METRICS_URL"]) as r:
        text = r.read().decode()
    get = lambda name: int(float(re.search(rf"^{name} (\S+)", text, re.M).group(1)))
    return {"created": get("oncelink_secrets_created_total"),
            "revealed": get("oncelink_secrets_revealed_total"),
            "store_errors": get("oncelink_store_errors_total"),
            # By reason: a create whose body wrk cut off when it stopped counts as bad_input.
            "rejected": {reason: int(float(v)) for reason, v in
                         re.findall(r'^oncelink_rejected_total\{reason="([^"]+)"\} (\S+)', text, re.M)}}


def revealed_total():
    return metrics()["revealed"]


def reveal_all(aliases_file, count, connections=64):
    """wrk reads each alias once (bench/reveal.lua) and its threads stop, but wrk itself
    runs out its duration: the rate is taken here, from the server's own count of reveals
    (read every 10 ms), up to the last reveal; then wrk is interrupted and prints its
    latencies. The CPU times (server, Redis, this script; wrk's from /proc) are read at the
    last reveal too, so a wait for stragglers costs nothing per request.

    Returns the result, wrk's CPU seconds and cpu_now() at the last reveal."""
    before = revealed_total()
    start = time.monotonic()
    state = {"done": 0, "last_change": start, "cpu": None, "wrk_cpu": 0.0}

    # Until every secret is read, or the count stands still for 3 s (wrk's threads stop
    # when their slice is issued and drop what is still in flight; a 10 MiB read under 64
    # connections can take over a second).
    def until(wrk_pid):
        while time.monotonic() - start < 120 and state["done"] < count:
            time.sleep(0.01)
            now_done = revealed_total() - before
            if now_done != state["done"]:
                state.update(done=now_done, last_change=time.monotonic(), cpu=cpu_now(),
                             wrk_cpu=cpu_seconds(wrk_pid))
            elif state["done"] and time.monotonic() - state["last_change"] > 3:
                break
        time.sleep(0.1)

    out, _ = run_wrk(["-t2", f"-c{connections}", "-d120s", "--timeout", "30s", "--latency",
                      "-s", os.path.join(here, "reveal.lua")],
                     {"ONCELINK_BENCH_ALIASES": aliases_file, "ONCELINK_BENCH_THREADS": "2"}, until)
    done, elapsed = state["done"], state["last_change"] - start
    result = parse(out)
    # wrk's own count includes requests still open when it was interrupted; the server's
    # count of reveals is the figure.
    result.pop("requests")
    result.update({"rps": round(done / elapsed) if elapsed else 0, "requests": done, "seconds": round(elapsed, 3)})
    return result, state["wrk_cpu"], state["cpu"]


def cpu_seconds(pid):
    """User + system CPU time of `pid` (all its threads) so far, in seconds (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def self_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_now():
    """CPU seconds so far of the server, redis-server (0 on the embedded store) and this script."""
    return cpu_seconds(pid), cpu_seconds(rpid) if rpid else 0.0, self_cpu()


def redis_pid():
    out = subprocess.run(["redis-cli", "-p", redis_port, "info", "server"], capture_output=True, text=True).stdout
    return int(re.search(r"process_id:(\d+)", out).group(1))


rpid = redis_pid() if redis_port else None


class Measured:
    """`with Measured(name, profile) as m: m.result, m.wrk_cpu = …` (and `m.end`, the
    cpu_now() to count up to, if not the end of the block): adds to the result the CPU time
    per request of the server, redis-server, wrk and this script (the reveals' /metrics
    polling), their sum over the three that serve and load (server, Redis, wrk) and the
    rate that sum allows on this machine's cores; the server's counters over the run; with
    --perf-dir, a perf record of the server and redis-server for the run (1 KiB only)."""

    def __init__(self, name, profile):
        self.name, self.profile, self.result, self.wrk_cpu, self.end, self.perf = name, profile, None, 0.0, None, []

    def __enter__(self):
        if args.perf_dir and self.profile:
            for proc, p in (("server", pid), ("redis", rpid)):
                if p:
                    self.perf.append(subprocess.Popen(
                        ["perf", "record", "-e", "cpu-clock", "-F", "499", "-g", "-p", str(p),
                         "-o", os.path.join(args.perf_dir, f"perf-{proc}-{self.name}.data")],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            time.sleep(0.5)  # perf attaches
        self.counters = metrics()
        self.cpu = cpu_now()
        return self

    def __exit__(self, *exc):
        cpu = self.end or cpu_now()
        counters = metrics()
        for proc in self.perf:
            proc.send_signal(signal.SIGINT)
            proc.wait()
        if exc[0] or not self.result.get("requests"):
            return
        per = lambda seconds: round(seconds * 1e6 / self.result["requests"], 1)
        split = {"server": per(cpu[0] - self.cpu[0]), "wrk": per(self.wrk_cpu)}
        if rpid:
            split["redis"] = per(cpu[1] - self.cpu[1])
        split["sum"] = round(sum(split.values()), 1)
        split["bench_script"] = per(cpu[2] - self.cpu[2])
        self.result["cpu_us_per_request"] = split
        self.result["cpu_ceiling_rps"] = round(cores * 1e6 / split["sum"]) if split["sum"] else None
        self.result["cores"] = cores
        # Kept under its old name (earlier runs' JSON): the server alone.
        self.result["server_cpu_us_per_request"] = round(split["server"])
        before = self.counters
        delta = {k: counters[k] - before[k] for k in counters if k != "rejected"}
        delta["rejected"] = {r: n - before["rejected"].get(r, 0) for r, n in counters["rejected"].items()
                             if n - before["rejected"].get(r, 0)}
        self.result["server_counters"] = delta


# name, body size, create seconds, secrets made for the reveal, connections. Reveal counts
# keep the stored total near 2 GB.
if args.only_1kib:
    runs = [("1 KiB", 1024, 5, 15000, 64)]
else:
    runs = [("1 KiB", 1024, 10, 40000, 64), ("1 MiB", 1 << 20, 3, 2000, 64), ("10 MiB", 10 << 20, 3, 200, 64)]
    if redis_port:
        runs.append(("10 MiB c8", 10 << 20, 3, 200, 8))

results = {"store": "redis" if redis_port else "embedded", "rss_idle_mib": round(rss_mib(pid), 1)}
if args.pool_size:
    results["pool_size"] = args.pool_size
with PeakRss(pid, 0.05) as rss:
    for name, size, seconds, count, connections in runs:
        # Creates: the same body again and again for `seconds`.
        with Measured("create", size == 1024) as m:
            m.result, m.wrk_cpu = wrk(os.path.join(here, "create.lua"), seconds,
                                      {"ONCELINK_BENCH_SIZE": str(size)}, connections)
        created = m.result
        created["connections"] = connections
        # Reveals: fresh secrets made beforehand, each read once (reveal_all).
        with ThreadPoolExecutor(16) as pool:
            aliases = list(pool.map(lambda _: create(size), range(count)))
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("\n".join(aliases))
        with Measured("reveal", size == 1024) as m:
            m.result, m.wrk_cpu, m.end = reveal_all(f.name, len(aliases), connections)
        revealed = m.result
        os.unlink(f.name)
        # Nothing lost: every secret made is either revealed (the server's count) or still
        # there to reveal (`…/info`, which does not consume).
        revealed.update({"connections": connections, "made": len(aliases)})
        if revealed["requests"] < len(aliases) or size > 1024:
            with ThreadPoolExecutor(16) as pool:
                revealed["still_stored"] = sum(pool.map(stored, aliases))
            revealed["lost"] = len(aliases) - revealed["requests"] - revealed["still_stored"]
        results[name] = {"create": created, "reveal": revealed}
results["rss_peak_mib"] = round(rss.peak, 1)

if redis_port and not args.only_1kib:
    # MEMORY USAGE of the secret's record, its payload key and its id index, exactly (SAMPLES 0).
    def usage(key):
        out = subprocess.run(["redis-cli", "-p", redis_port, "memory", "usage", key, "samples", "0"],
                             capture_output=True, text=True).stdout.strip()
        return int(out or 0)
    # Payload sizes as the web app and the CLI make them: a padding class less 64 bytes,
    # plus 29 bytes of version, IV and tag (crypto_core::padded_len).
    for name, size in [("1 KiB", 1024 - 35), ("1 MiB", (1 << 20) - 35), ("10 MiB", (10 << 20) - 35)]:
        payload = b"\x01" + os.urandom(size - 1)
        body = json.dumps({"ciphertext": base64.b64encode(payload).decode()}).encode()
        req = urllib.request.Request(f"{base}/api/secrets", body, {"content-type": "application/json"})
        with urllib.request.urlopen(req) as r:
            made = json.load(r)
        total = (usage("oncelink:s:{%s}" % made["alias"]) + usage("oncelink:p:{%s}" % made["alias"])
                 + usage("oncelink:i:%s" % made["id"]))
        results[f"redis_bytes_per_secret_{name}"] = {"payload": size, "bytes": total, "overhead_pct": round(100 * (total - size) / size, 2)}

bench = "api" if not args.only_1kib else ("api-pool" if args.pool_size else "api-1kib")
print(json.dumps({"bench": bench, **results}))
