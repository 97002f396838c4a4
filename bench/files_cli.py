#!/usr/bin/env python3
"""A 1 GiB file through the CLI against curl moving the same bytes (the floor the issue
compares with: ratio ≥ 0.9), with the peak RSS of the CLI and of the server.

    python3 bench/files_cli.py BASE_URL SERVER_PID FILE CLI

- Upload: `oncelink send --file FILE` (sealed in 64 KiB chunks, parts one after another)
  against curl PUTting the same parts of FILE to a begun upload, one after another.
- Download: `oncelink open -o DIR` of the second of two views against curl reading the
  sealed data with the claim of a REST reveal of the first into a file in the same
  directory (both write what they receive to the same disk).
Prints one JSON line.
"""
import base64, hashlib, hmac, json, os, subprocess, sys, tempfile, time, urllib.request, uuid


base, server_pid, path, cli = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
size = os.path.getsize(path)


def settled():
    """Flushes what earlier steps wrote, so that no transfer pays for another's disk writes."""
    os.sync()
    return cpu_times()


def cpu_times():
    """Busy and total jiffies of the machine's CPUs so far (/proc/stat)."""
    fields = [int(x) for x in open("/proc/stat").readline().split()[1:9]]
    return sum(fields) - fields[3] - fields[4], sum(fields)


def cores_since(mark):
    """How many of the machine's cores were busy since `mark` (a cpu_times())."""
    busy, total = cpu_times()
    return round((busy - mark[0]) / max(1, total - mark[1]) * os.cpu_count(), 2)


def peak_of(argv, **kw):
    """Runs argv; returns (seconds, stdout, peak RSS MiB from VmHWM just before it ends)."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, **kw)
    peak = 0.0
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) / 1024)
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    out = proc.stdout.read().decode()
    if proc.returncode != 0:
        sys.exit(f"{argv[:2]} failed with {proc.returncode}")
    return time.monotonic() - start, out, peak


def post_json(url, body, headers=None):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"content-type": "application/json", **(headers or {})})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


def access_proof(link):
    """HKDF-SHA-256(master key, salt "oncelink-access-v1", info "access proof"), base64url."""
    key = link.split("#", 1)[1]
    master = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    prk = hmac.new(b"oncelink-access-v1", master, hashlib.sha256).digest()
    okm = hmac.new(prk, b"access proof" + b"\x01", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(okm).rstrip(b"=").decode()


env = {**os.environ, "ONCELINK_PASSPHRASE": ""}
# The CLI: send (two views: the floor uses the first).
mark = settled()
send_s, link, send_rss = peak_of([cli, "send", "--server", base, "--views", "2", "bench", "--file", path], env=env)
link = link.strip()
send_cores = cores_since(mark)

# The floor: curl PUTs the same parts of the file, one after another.
secret_id = str(uuid.uuid4())
mark = settled()
start = time.monotonic()
begun = post_json(f"{base}/api/uploads", {"secret_id": secret_id, "length": size})
with open(path, "rb") as f:
    for n in range(begun["parts"]):
        part = f.read(begun["part_size"])
        subprocess.run(["curl", "-sS", "-f", "-o", "/dev/null", "-X", "PUT", "--data-binary", "@-",
                        "-H", f"authorization: Bearer {begun['upload_token']}",
                        "-H", "content-type: application/octet-stream",
                        f"{base}/api/uploads/{secret_id}/parts/{n}"], input=part, check=True)
bare_up_s = time.monotonic() - start
bare_up_cores = cores_since(mark)
subprocess.run(["curl", "-sS", "-o", "/dev/null", "-X", "DELETE", "-H", f"authorization: Bearer {begun['upload_token']}",
                f"{base}/api/uploads/{secret_id}"], check=True)

# The floor for the download: curl saves the sealed data, read with the first view's claim,
# into a file beside where the CLI will write (then removed).
alias = link.split("#")[0].rstrip("/").split("/")[-1].split("?")[0]
proof = access_proof(link)
claim = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
post_json(f"{base}/api/secrets/{alias}/reveal", {"access_proof": proof, "claim": claim})
bare_file = os.path.join(os.path.dirname(path), "curl-download.bin")
mark = settled()
start = time.monotonic()
subprocess.run(["curl", "-sS", "-f", "-o", bare_file, "-H", f"oncelink-access-proof: {proof}",
                "-H", f"oncelink-claim: {claim}", f"{base}/api/secrets/{alias}/data"], check=True)
bare_down_s = time.monotonic() - start
bare_down_cores = cores_since(mark)
os.remove(bare_file)

# The CLI: the second view, into a directory; the file must come back whole.
with tempfile.TemporaryDirectory(dir=os.path.dirname(path)) as out:
    mark = settled()
    open_s, _, open_rss = peak_of([cli, "open", link, "-o", out], env=env)
    open_cores = cores_since(mark)
    got = os.path.join(out, os.path.basename(path))
    same = os.path.getsize(got) == size and subprocess.run(["cmp", "-s", got, path]).returncode == 0

with open(f"/proc/{server_pid}/status") as f:
    server_peak = next(int(l.split()[1]) / 1024 for l in f if l.startswith("VmHWM:"))
mbps = lambda s: round(size / 1e6 / s, 1)
print(json.dumps({
    "bench": "files-1gib-cli", "bytes": size, "identical": same,
    "upload_s": round(send_s, 2), "upload_mbps": mbps(send_s),
    "bare_upload_s": round(bare_up_s, 2), "bare_upload_mbps": mbps(bare_up_s),
    "upload_ratio": round(bare_up_s / send_s, 2),
    "upload_cores": send_cores, "bare_upload_cores": bare_up_cores,
    "download_cores": open_cores, "bare_download_cores": bare_down_cores,
    "download_s": round(open_s, 2), "download_mbps": mbps(open_s),
    "bare_download_s": round(bare_down_s, 2), "bare_download_mbps": mbps(bare_down_s),
    "download_ratio": round(bare_down_s / open_s, 2),
    "cli_peak_rss_mib": round(max(send_rss, open_rss), 1),
    "server_peak_rss_mib": round(server_peak, 1),
}))
