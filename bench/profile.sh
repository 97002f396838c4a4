#!/usr/bin/env bash
# Where the CPU goes in the server and in redis-server during the 1 KiB create and reveal
# runs on Redis: `perf record -e cpu-clock -F 499 -g` (this VM has no hardware counters)
# attached to each process while `bench/api.py --only-1kib --perf-dir` runs them, then
# `perf report --no-children` (self time) by DSO and by symbol.
#
#   bench/profile.sh BASE_URL SERVER_PID REDIS_PORT OUT_DIR
#
# Writes OUT_DIR/profile-{server,redis}-{create,reveal}.txt (top DSOs and symbols, with
# percentages) and prints one JSON line {"bench": "profile", ...}; the perf data stays in
# OUT_DIR/perf/ for `perf report -i` (e.g. with --children, or -g caller on one symbol).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
base="$1" server_pid="$2" redis_port="$3" out="$4"
mkdir -p "$out/perf"
rm -f "$out"/perf/perf-*.data
api_json="$(python3 "$here/api.py" "$base" "$server_pid" "$redis_port" --only-1kib --perf-dir "$out/perf" \
  | grep -o '{"bench".*}')"

python3 - "$out" "$api_json" <<'EOF'
import json, os, re, subprocess, sys

out, api = sys.argv[1], json.loads(sys.argv[2])
TOP_DSO, TOP_SYM = 8, 20


def report(data, sort):
    """perf report's rows ([percent, name]) and its header (samples, event count)."""
    text = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", sort, "--stdio",
                           "-g", "none", "--demangle", "--percent-limit", "0.1"],
                          capture_output=True, text=True).stdout
    rows = [[float(p), name.strip()] for p, name in re.findall(r"^\s+([\d.]+)%\s+(.+)$", text, re.M)]
    samples = re.search(r"^# Samples: (\S+)", text, re.M)
    events = re.search(r"^# Event count \(approx.\): (\d+)", text, re.M)
    return rows, samples.group(1) if samples else "0", int(events.group(1)) if events else 0


def short(sym):
    """A symbol as perf prints it ("[.] name", "[k] name"), without the Rust hash suffix."""
    return re.sub(r"::h[0-9a-f]{16}$", "", sym)


record = {"bench": "profile", "store": "redis", "event": "cpu-clock", "frequency_hz": 499}
for proc in ("server", "redis"):
    for step in ("create", "reveal"):
        data = os.path.join(out, "perf", f"perf-{proc}-{step}.data")
        if not os.path.exists(data):
            continue
        dsos, samples, events = report(data, "dso")
        syms, _, _ = report(data, "sym")
        # Monomorphised copies of one function print alike once their hashes are gone: one row.
        merged = {}
        for p, s in syms:
            merged[short(s)] = round(merged.get(short(s), 0) + p, 2)
        syms = sorted(([p, s] for s, p in merged.items()), key=lambda row: -row[0])
        run = api["1 KiB"][step]
        with open(os.path.join(out, f"profile-{proc}-{step}.txt"), "w") as f:
            f.write(f"# {proc} during the 1 KiB {step} on Redis: {run['rps']} req/s under perf, "
                    f"{samples} samples ({events / 1e6:.0f} ms on CPU), self time\n"
                    + ("(redis-check-rdb: Debian's redis-server is that binary under another name)\n"
                       if proc == "redis" else "") + "\n## by DSO\n")
            f.writelines(f"{p:6.2f}%  {name}\n" for p, name in dsos[:TOP_DSO * 2])
            f.write("\n## by symbol\n")
            f.writelines(f"{p:6.2f}%  {name}\n" for p, name in syms[:TOP_SYM * 2])
        record.setdefault(proc, {})[step] = {
            "samples": samples, "cpu_ms": round(events / 1e6), "dso": dsos[:TOP_DSO], "sym": syms[:TOP_SYM]}
for step in ("create", "reveal"):
    run = api["1 KiB"][step]
    record.setdefault("runs", {})[step] = {k: run.get(k) for k in ("rps", "p99", "requests", "cpu_us_per_request")}
print(json.dumps(record))
EOF
