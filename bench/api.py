#!/usr/bin/env python3
"""API benchmarks against a running server: create and reveal throughput/latency with wrk
(64 connections), server RSS idle and under load, Redis memory per stored secret.

    python3 bench/api.py BASE_URL SERVER_PID [REDIS_PORT]
"""
import base64, json, os, re, signal, subprocess, sys, tempfile, time, urllib.request
from concurrent.futures import ThreadPoolExecutor

from rss import PeakRss, rss_mib

base, pid = sys.argv[1], int(sys.argv[2])
redis_port = sys.argv[3] if len(sys.argv) > 3 else None
here = os.path.dirname(os.path.abspath(__file__))


def create(size):
    payload = b"\x01" + os.urandom(size - 1)
    body = json.dumps({"ciphertext": base64.b64encode(payload).decode()}).encode()
    req = urllib.request.Request(f"{base}/api/secrets", body, {"content-type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)["alias"]


def wrk(script, seconds, env, connections=64):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script, base],
        capture_output=True, text=True, env={**os.environ, **env},
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"\s(50|99)%\s+([\d.]+\w+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    requests = re.search(r"(\d+) requests in", out)
    return {"rps": round(rps), "p50": lat.get("50"), "p99": lat.get("99"),
            "requests": int(requests.group(1)) if requests else 0,
            "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def revealed_total():
    # The metrics listener is not the public port (bench.sh says where it is).
    with urllib.request.urlopen(os.environ["ONCELINK_METRICS_URL"]) as r:
        text = r.read().decode()
    return int(float(re.search(r"^oncelink_secrets_revealed_total (\S+)", text, re.M).group(1)))


def reveal_all(aliases_file, count):
    """wrk reads each alias once (bench/reveal.lua) and its threads stop, but wrk itself
    runs out its duration: the rate is taken here, from the server's own count of reveals
    (read every 10 ms), up to the last reveal; then wrk is interrupted and prints its
    latencies."""
    before = revealed_total()
    start = time.monotonic()
    proc = subprocess.Popen(
        ["wrk", "-t2", "-c64", "-d120s", "--latency", "-s", os.path.join(here, "reveal.lua"), base],
        stdout=subprocess.PIPE, text=True,
        env={**os.environ, "ONCELINK_BENCH_ALIASES": aliases_file, "ONCELINK_BENCH_THREADS": "2"},
    )
    # Until every secret is read, or the count stands still for 3 s (wrk's threads stop
    # when their slice is issued and drop what is still in flight; a 10 MiB read under 64
    # connections can take over a second).
    done, last_change = 0, start
    while time.monotonic() - start < 120 and done < count:
        time.sleep(0.01)
        now_done = revealed_total() - before
        if now_done != done:
            done, last_change = now_done, time.monotonic()
        elif done and time.monotonic() - last_change > 3:
            break
    elapsed = last_change - start
    time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out = proc.communicate()[0]
    lat = dict(re.findall(r"\s(50|99)%\s+([\d.]+\w+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": round(done / elapsed), "p50": lat.get("50"), "p99": lat.get("99"),
            "requests": done, "seconds": round(elapsed, 3),
            "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def cpu_seconds(pid):
    """User + system CPU time of `pid` so far, in seconds (from /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def per_request_cpu(result, seconds):
    """Adds the server's CPU time per request, in microseconds, to a wrk result."""
    if result.get("requests"):
        result["server_cpu_us_per_request"] = round(seconds * 1e6 / result["requests"])
    return result


def redis_used():
    out = subprocess.run(["redis-cli", "-p", redis_port, "info", "memory"], capture_output=True, text=True).stdout
    return int(re.search(r"used_memory:(\d+)", out).group(1))


results = {"store": "redis" if redis_port else "embedded", "rss_idle_mib": round(rss_mib(pid), 1)}
with PeakRss(pid, 0.05) as rss:
    for name, size, seconds in [("1 KiB", 1024, 10), ("1 MiB", 1 << 20, 3), ("10 MiB", 10 << 20, 3)]:
        # Server CPU per request (user + system from /proc), comparable across machines. The
        # reveal figure includes the bench's own /metrics polling (every 10 ms).
        cpu = cpu_seconds(pid)
        created = wrk(os.path.join(here, "create.lua"), seconds, {"ONCELINK_BENCH_SIZE": str(size)})
        per_request_cpu(created, cpu_seconds(pid) - cpu)
        # Reveals: fresh secrets made beforehand, each read once (reveal_all). Counts keep the
        # stored total near 2 GB.
        count = 40000 if size <= 1024 else (2000 if size <= 1 << 20 else 200)
        with ThreadPoolExecutor(16) as pool:
            aliases = list(pool.map(lambda _: create(size), range(count)))
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("\n".join(aliases))
        cpu = cpu_seconds(pid)
        revealed = per_request_cpu(reveal_all(f.name, len(aliases)), cpu_seconds(pid) - cpu)
        os.unlink(f.name)
        results[name] = {"create": created, "reveal": revealed}
results["rss_peak_mib"] = round(rss.peak, 1)

if redis_port:
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
            created = json.load(r)
        total = (usage("oncelink:s:{%s}" % created["alias"]) + usage("oncelink:p:{%s}" % created["alias"])
                 + usage("oncelink:i:%s" % created["id"]))
        results[f"redis_bytes_per_secret_{name}"] = {"payload": size, "bytes": total, "overhead_pct": round(100 * (total - size) / size, 2)}

print(json.dumps({"bench": "api", **results}))
