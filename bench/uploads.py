#!/usr/bin/env python3
"""50 clients upload a 10 MiB secret each at the same moment (REST API, JSON + base64, so
about 14 MB per body) against a server at its default settings; prints the server's peak
RSS, sampled every 20 ms, and how the uploads ended.

    python3 bench/uploads.py BASE_URL SERVER_PID [CEILING_MIB]
"""
import base64, json, os, sys, threading, time, urllib.error, urllib.request
from concurrent.futures import ThreadPoolExecutor

from rss import PeakRss, rss_mib

base, pid = sys.argv[1], int(sys.argv[2])
ceiling = int(sys.argv[3]) if len(sys.argv) > 3 else 400
CLIENTS, SIZE = 50, 10 << 20


body = json.dumps({"ciphertext": base64.b64encode(b"\x01" + os.urandom(SIZE - 1)).decode()}).encode()
start_gate = threading.Barrier(CLIENTS)


def upload(_):
    start_gate.wait()
    req = urllib.request.Request(f"{base}/api/secrets", body, {"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


idle = rss_mib(pid)
with PeakRss(pid, 0.02) as rss:
    began = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        statuses = list(pool.map(upload, range(CLIENTS)))
    elapsed = time.monotonic() - began
    time.sleep(0.2)
print(json.dumps({
    "bench": "uploads-50x10mib",
    "clients": CLIENTS,
    "body_bytes": len(body),
    "created": statuses.count(201),
    "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
    "seconds": round(elapsed, 2),
    "rss_idle_mib": round(idle, 1),
    "rss_peak_mib": round(rss.peak, 1),
    "ceiling_mib": ceiling,
}))
