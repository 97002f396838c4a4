#!/usr/bin/env python3
"""Turns one benchmark run into Markdown: the JSON lines the stages wrote (results.jsonl)
and criterion's estimates from the same run, with the machine, the command and the date,
and each of issue 8's targets marked met or not met by the figures themselves.

    python3 bench/report.py RESULTS_JSONL CRITERION_DIR [BENCHMARKS_MD]

With BENCHMARKS_MD, the part between the `results:begin` and `results:end` markers is
replaced; without, the Markdown goes to standard output.
"""
import json, os, platform, re, subprocess, sys, time

results_path, criterion_dir = sys.argv[1], sys.argv[2]
target_md = sys.argv[3] if len(sys.argv) > 3 else None

records = [json.loads(line) for line in open(results_path) if line.strip().startswith("{")]
run = next((r for r in records if r.get("bench") == "run"), {"started": 0, "command": "?"})


def find(name, **match):
    return [r for r in records if r.get("bench") == name and all(r.get(k) == v for k, v in match.items())]


def one(name, **match):
    found = find(name, **match)
    return found[-1] if found else None


def version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "not found"


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_gib = int(f.readline().split()[1]) / (1 << 20)
    os_name = "?"
    if os.path.exists("/etc/os-release"):
        for line in open("/etc/os-release"):
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip().strip('"')
    return (f"{os.cpu_count()} cores ({cpu}), {mem_gib:.0f} GiB RAM, {os_name}, {platform.machine()}; "
            f"{version(['rustc', '--version'])}; {version(['chromium', '--version'])}; "
            f"{version(['redis-server', '--version']).split(' sha=')[0]}; {version(['wrk', '--version']).split(' [')[0]}")


def criterion():
    """full_id → (median ns, low, high, bytes) for estimates written during this run."""
    out = {}
    for root, _, files in os.walk(criterion_dir):
        if root.endswith(os.sep + "new") and "estimates.json" in files and "benchmark.json" in files:
            est = os.path.join(root, "estimates.json")
            if os.path.getmtime(est) < run["started"]:
                continue
            bench = json.load(open(os.path.join(root, "benchmark.json")))
            median = json.load(open(est))["median"]
            throughput = (bench.get("throughput") or {}).get("Bytes")
            ci = median["confidence_interval"]
            out[bench["full_id"]] = (median["point_estimate"], ci["lower_bound"], ci["upper_bound"], throughput)
    return out


def dur(ns):
    if ns < 1e3:
        return f"{ns:.0f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.2f} µs"
    if ns < 1e9:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e9:.2f} s"


def rate(nbytes, ns):
    per_s = nbytes / (ns / 1e9)
    return f"{per_s / (1 << 30):.2f} GiB/s" if per_s >= 1 << 30 else f"{per_s / (1 << 20):.0f} MiB/s"


def wrk_ms(text):
    """wrk's latency ("512.00us", "6.70ms", "1.40s") in milliseconds."""
    if not text:
        return None
    m = re.match(r"([\d.]+)(us|ms|s|m)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def ms(value):
    return "—" if value is None else (f"{value:.2f} ms" if value < 10 else f"{value:.0f} ms")


def n(value):
    return f"{value:,}"


def refused(run):
    return f", {n(run['non_2xx'])} refused" if run.get("non_2xx") else ""


lines = []
add = lines.append
targets = []  # (target, figure, met)

add(f"Run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(run['started']))} · "
    f"command: `{run['command']}` · stages: {run.get('stages', '?')}")
add("")
add(f"Machine: {machine()}.")
add("")

crit = criterion()
if any(k.startswith("crypto-core/") for k in crit):
    add("### crypto-core natively (criterion, median)")
    add("")
    add("| operation | 1 KiB | 1 MiB | 10 MiB |")
    add("|---|---|---|---|")
    for op in ("seal", "open"):
        cells = []
        for size in ("1 KiB", "1 MiB", "10 MiB"):
            got = crit.get(f"crypto-core/{op}/{size}")
            cells.append(f"{dur(got[0])} ({rate(got[3], got[0])})" if got else "—")
        add(f"| {op} | " + " | ".join(cells) + " |")
    argon = next((v for k, v in crit.items() if k.startswith("crypto-core/argon2id")), None)
    if argon:
        add("")
        add(f"Argon2id (32 MiB, t=2, p=1), one passphrase stretch natively: {dur(argon[0])} "
            f"({dur(argon[1])}–{dur(argon[2])}).")
    add("")

aes = find("browser-aes-gcm")
if aes:
    add("### AES-256-GCM in Chromium (median of 10 after 2 warm-ups, same buffer)")
    add("")
    add("WASM (Rust): `crypto_core::seal`/`open` compiled to WASM. crypto-core bulk: "
        "`crypto_core::bulk` — our HKDF, IV, associated data and layout around WebCrypto's "
        "AES-GCM, what the web app runs. WebCrypto alone: `crypto.subtle.encrypt`/`decrypt` "
        "with a key imported beforehand (the floor).")
    add("")
    add("| size | step | WASM (Rust) | crypto-core bulk | WebCrypto alone | bulk ÷ WebCrypto |")
    add("|---|---|---|---|---|---|")
    for row in aes:
        size = f"{row['bytes'] >> 20} MiB"
        for step in ("seal", "open"):
            t = row[f"{step}_ms"]
            ratio = t["crypto_core_bulk"] / t["webcrypto_alone"]
            add(f"| {size} | {step} | {ms(t['wasm_rust'])} | {ms(t['crypto_core_bulk'])} | "
                f"{ms(t['webcrypto_alone'])} | {ratio:.2f}× |")
            if row["bytes"] == 10 << 20 and step == "seal":
                targets.append(("Encrypt 10 MiB in the browser within 1.25× of WebCrypto",
                                f"{ms(t['crypto_core_bulk'])} vs {ms(t['webcrypto_alone'])} ({ratio:.2f}×); "
                                f"pure WASM {ms(t['wasm_rust'])}", ratio <= 1.25))
    add("")

clean_native = next((v for k, v in crit.items() if k.startswith("image-privacy/")), None)
clean = one("browser-clean-24mp")
if clean or clean_native:
    add("### Metadata cleaning of a 24-megapixel, 10 MB JPEG")
    add("")
    if clean_native:
        add(f"- natively (criterion): {dur(clean_native[0])}")
    if clean:
        add(f"- Chromium, from choosing the file to the removal summary on screen: median "
            f"**{clean['median_ms']} ms** (runs {clean['runs_ms']})")
        targets.append(("Cleaning a 24 MP JPEG in the browser under 300 ms (issue 4)",
                        f"{clean['median_ms']} ms", clean["median_ms"] < 300))
    add("")

argon = one("browser-argon2id-32mib-t2")
if argon:
    add("### Passphrase stretching in Chromium")
    add("")
    add(f"Argon2id + proof + one request, from clicking Reveal with a wrong passphrase to the "
        f"message: median **{argon['median_ms']} ms** (runs {argon['runs_ms']}).")
    add("")

flow = [one(name) for name in ("browser-create-to-link-10mb", "browser-reveal-to-image-10mb",
                               "browser-reveal-to-image-decoded-10mb", "browser-upload-floor-10mb")]
if any(flow):
    add("### 10 MB photo in the web app, on localhost (median of 7)")
    add("")
    add("| step | median | runs |")
    add("|---|---|---|")
    labels = ["Create → link on screen", "Reveal → image loaded on screen",
              "Reveal → image decoded (`img.decode()`)",
              "floor: a bare `fetch` POST of the same bytes from the page (no app, no crypto)"]
    for label, rec in zip(labels, flow):
        if rec:
            add(f"| {label} ({n(rec['bytes'])} bytes) | **{rec['median_ms']} ms** | {rec['runs_ms']} |")
    add("")
    if flow[0]:
        targets.append(("10 MiB image: Create → link under 300 ms", f"{flow[0]['median_ms']} ms"
                        + (f" (the browser's bare upload of the bytes: {flow[3]['median_ms']} ms)" if flow[3] else ""),
                        flow[0]["median_ms"] < 300))
    if flow[1]:
        targets.append(("10 MiB image: Reveal → image under 300 ms",
                        f"{flow[1]['median_ms']} ms loaded"
                        + (f", {flow[2]['median_ms']} ms decoded" if flow[2] else ""),
                        flow[1]["median_ms"] < 300))

loads = find("first-load")
if loads:
    add("### First load per page: a cold browser until the page is hydrated (gzip -9 and brotli 11 of the same bytes)")
    add("")
    add("Everything requested before the page's WASM has hydrated it (HTML, JS, CSS, the main "
        "module and the page's own chunks); chunks prefetched afterwards, when the browser is idle, "
        "are in the last column and not in the total.")
    add("")
    add("| page | WASM raw / gzip / brotli | JS brotli | CSS brotli | HTML brotli | total brotli | sent by the server | prefetched when idle (brotli) | cache-control of the bundle |")
    add("|---|---|---|---|---|---|---|---|---|")
    for rec in loads:
        w = rec.get("wasm", {"raw": 0, "gzip": 0, "brotli": 0})
        idle = rec.get("prefetched_when_idle", {"files": [], "brotli": 0})
        add(f"| {rec['page']} | {n(w['raw'])} / {n(w['gzip'])} / {n(w['brotli'])} | "
            f"{n(rec.get('js', {}).get('brotli', 0))} | {n(rec.get('css', {}).get('brotli', 0))} | "
            f"{n(rec.get('html', {}).get('brotli', 0))} | **{n(rec['total']['brotli'])}** | "
            f"{n(rec.get('transferred', 0))} | {n(idle['brotli'])} ({len(idle['files'])} files) | "
            f"`{rec.get('bundle_cache_control', '?')}` |")
    add("")
    worst = max(loads, key=lambda r: r["total"]["brotli"])
    targets.append(("First load of every page ≤ 200 KB brotli until hydrated",
                    ", ".join(f"{r['page']} {n(r['total']['brotli'])}" for r in loads),
                    worst["total"]["brotli"] <= 200_000))
    create = next((r for r in loads if r["page"] == "create"), None)
    if create:
        targets.append(("Hashed bundle files served precompressed with immutable caching",
                        f"{n(create.get('transferred', 0))} bytes sent; `{create.get('bundle_cache_control', '?')}`; "
                        f"repeat visit {n(create.get('repeat_transferred', 0))} bytes",
                        "immutable" in create.get("bundle_cache_control", "")
                        and create.get("transferred", 1 << 30) < create["total"]["gzip"]))

ready = find("ready-throttled")
if ready:
    add("### Time to a working page, Chromium with 4× CPU throttling (a phone), cold cache (median of 7)")
    add("")
    add("| page | navigation → hydrated (controls work) | runs |")
    add("|---|---|---|")
    for rec in ready:
        add(f"| {rec['page']} | **{rec['median_ms']} ms** | {rec['runs_ms']} |")
    add("")

apis = find("api")
if apis:
    add("### REST API (wrk, 2 threads, 64 connections, on the same 2 cores as the server)")
    add("")
    add("Create: `POST /api/secrets` (JSON + base64, the compatible form), 10 s at 1 KiB, 3 s "
        "above. Reveal: `GET` of distinct secrets made beforehand, each read once, until they run out.")
    add("")
    add("| store | size | create req/s | p50 | p99 | reveal req/s | p50 | p99 |")
    add("|---|---|---|---|---|---|---|---|")
    for rec in apis:
        for size in ("1 KiB", "1 MiB", "10 MiB"):
            c, r = rec[size]["create"], rec[size]["reveal"]
            add(f"| {rec['store']} | {size} | {n(c['rps'])}{refused(c)} | {ms(wrk_ms(c['p50']))} | {ms(wrk_ms(c['p99']))} | "
                f"{n(r['rps'])} ({n(r['requests'])} reads{refused(r)}) | {ms(wrk_ms(r['p50']))} | {ms(wrk_ms(r['p99']))} |")
            if rec["store"] == "redis" and size == "1 KiB":
                ok = all(x["rps"] >= 20_000 and wrk_ms(x["p99"]) < 5 for x in (c, r))
                targets.append(("1 KiB create and reveal ≥ 20,000 req/s, p99 < 5 ms, Redis",
                                f"create {n(c['rps'])} req/s p99 {ms(wrk_ms(c['p99']))}; reveal {n(r['rps'])} "
                                f"req/s p99 {ms(wrk_ms(r['p99']))}", ok))
    add("")
    by_store = {rec["store"]: rec for rec in apis}
    if "redis" in by_store and "embedded" in by_store:
        ratio = lambda step: by_store["redis"]["1 KiB"][step]["rps"] / by_store["embedded"]["1 KiB"][step]["rps"]
        add(f"1 KiB, Redis ÷ embedded throughput: create **{ratio('create'):.2f}×**, reveal **{ratio('reveal'):.2f}×**.")
        add("")
    add("| store | server RSS idle | peak during the run |")
    add("|---|---|---|")
    for rec in apis:
        add(f"| {rec['store']} | {rec['rss_idle_mib']} MiB | {rec['rss_peak_mib']} MiB |")
    add("")
    add("The throughput runs lift `--max-concurrent-uploads` to 64 (so 64 large bodies are in "
        "flight at once) and the embedded store keeps every secret of the run in memory.")
    add("")
    redis = next((r for r in apis if r["store"] == "redis"), None)
    if redis:
        add("Redis memory per secret (`MEMORY USAGE` of its hash and id index), payloads as the "
            "web app and CLI pad them:")
        add("")
        add("| payload | bytes in Redis | overhead |")
        add("|---|---|---|")
        for size in ("1 KiB", "1 MiB", "10 MiB"):
            got = redis.get(f"redis_bytes_per_secret_{size}")
            if got:
                add(f"| {n(got['payload'])} B | {n(got['bytes'])} | {got['overhead_pct']:+.2f} % |")
        add("")
        big = [redis.get(f"redis_bytes_per_secret_{s}") for s in ("1 MiB", "10 MiB")]
        if all(big):
            targets.append(("Redis memory per secret within 2 % of the payload (1 and 10 MiB)",
                            ", ".join(f"{b['overhead_pct']:+.2f} %" for b in big),
                            all(b["overhead_pct"] <= 2 for b in big)))


def us(value):
    return "—" if value is None else f"{value:,.1f} µs"


split = [(rec["store"], step, rec["1 KiB"][step]) for rec in apis for step in ("create", "reveal")
         if rec["1 KiB"][step].get("cpu_us_per_request")]
if split:
    cores = split[0][2].get("cores", 2)
    add(f"### CPU time per 1 KiB request, by process ({cores} cores shared by all of them)")
    add("")
    add("User + system time over the run ÷ requests: the server and redis-server from "
        "`/proc/PID/stat`, wrk from its own `wait4` rusage. Their sum bounds what this machine "
        f"can do whatever the server's latency: {cores} × 10⁶ µs ÷ sum req/s. The bench script "
        "itself (the reveals' `/metrics` polling every 10 ms, in the server's figure too) is "
        "shown apart, not in the sum.")
    add("")
    add("| store | step | req/s | server | redis-server | wrk | sum | ceiling (req/s) | req/s ÷ ceiling | bench script |")
    add("|---|---|---|---|---|---|---|---|---|---|")
    for store, step, run in split:
        cpu = run["cpu_us_per_request"]
        ceiling = run.get("cpu_ceiling_rps")
        share = f"{run['rps'] / ceiling:.0%}" if ceiling else "—"
        add(f"| {store} | {step} | {n(run['rps'])} | {us(cpu.get('server'))} | {us(cpu.get('redis'))} | "
            f"{us(cpu.get('wrk'))} | **{us(cpu.get('sum'))}** | {n(ceiling) if ceiling else '—'} | "
            f"{share} | {us(cpu.get('bench_script'))} |")
    add("")

pool = sorted(find("api-pool"), key=lambda r: r["pool_size"])
if pool:
    add("### Redis connection pool size (`ONCELINK_REDIS_POOL_SIZE`), 1 KiB, 64 connections")
    add("")
    add("One server (and redis-server) per size; create for 5 s, then reveal 15,000 secrets made beforehand.")
    add("")
    add("| pool size | create req/s | p50 | p99 | reveal req/s | p50 | p99 | server CPU per create / reveal |")
    add("|---|---|---|---|---|---|---|---|")
    best = {step: max(pool, key=lambda r: r["1 KiB"][step]["rps"])["pool_size"] for step in ("create", "reveal")}
    for rec in pool:
        c, r = rec["1 KiB"]["create"], rec["1 KiB"]["reveal"]
        mark = lambda step: "**" if best[step] == rec["pool_size"] else ""
        add(f"| {rec['pool_size']} | {mark('create')}{n(c['rps'])}{mark('create')}{refused(c)} | "
            f"{ms(wrk_ms(c['p50']))} | {ms(wrk_ms(c['p99']))} | "
            f"{mark('reveal')}{n(r['rps'])}{mark('reveal')}{refused(r)} | {ms(wrk_ms(r['p50']))} | "
            f"{ms(wrk_ms(r['p99']))} | {us(c.get('cpu_us_per_request', {}).get('server'))} / "
            f"{us(r.get('cpu_us_per_request', {}).get('server'))} |")
    add("")
    add(f"Fastest: create with a pool of {best['create']}, reveal with a pool of {best['reveal']} (in bold).")
    add("")


def socket_errors(run):
    errors = run.get("socket_errors") or {}
    return ", ".join(f"{k} {v}" for k, v in errors.items() if v) or "0"


tenmib = [(rec[key], conns) for rec in apis if rec["store"] == "redis"
       for key, conns in (("10 MiB c8", 8), ("10 MiB", 64)) if key in rec]
if tenmib:
    add("### 10 MiB on Redis with 8 and 64 concurrent clients")
    add("")
    add("Create for 3 s; reveal 200 secrets made beforehand. Nothing refused or lost: non-2xx "
        "answers and wrk's socket errors; for creates, wrk's successes against the server's count "
        "of secrets stored (requests still in flight when wrk stops are stored, not counted by wrk); "
        "for reveals, secrets made = revealed (the server's count) + still stored (`GET …/info`) + lost.")
    add("")
    add("| clients | step | req/s | p50 | p99 | non-2xx | socket errors | store errors / rejected | accounted |")
    add("|---|---|---|---|---|---|---|---|---|")
    all_ok = True
    for rec, conns in tenmib:
        for step in ("create", "reveal"):
            run = rec[step]
            counters = run.get("server_counters", {})
            if step == "create":
                ok_count = run["requests"] - run["non_2xx"]
                accounted = f"{n(ok_count)} by wrk, {n(counters.get('created', 0))} stored"
                ok = run["non_2xx"] == 0 and counters.get("created", 0) >= ok_count
            else:
                accounted = (f"made {n(run.get('made', 0))}: revealed {n(run['requests'])}, still stored "
                             f"{n(run.get('still_stored', 0))}, lost **{n(run.get('lost', 0))}**")
                ok = run["non_2xx"] == 0 and not run.get("lost")
            rejected = counters.get("rejected", {})
            if isinstance(rejected, int):  # runs before the counts were kept by reason
                rejected = {"any": rejected} if rejected else {}
            # wrk stops with uploads in flight: the server counts each cut body as bad input,
            # which no client saw. Anything else the server turned down is a refusal.
            refused = {r: c for r, c in rejected.items() if not (step == "create" and r == "bad_input")}
            ok = ok and not counters.get("store_errors") and not refused
            all_ok = all_ok and ok
            shown = ", ".join(f"{r} {c}" for r, c in rejected.items()) or "0"
            if step == "create" and rejected.get("bad_input"):
                shown += " (bodies cut when wrk stopped)"
            add(f"| {conns} | {step} | {n(run['rps'])} | {ms(wrk_ms(run['p50']))} | {ms(wrk_ms(run['p99']))} | "
                f"{n(run['non_2xx'])} | {socket_errors(run)} | {n(counters.get('store_errors', 0))} / "
                f"{shown} | {accounted} |")
    add("")
    targets.append(("10 MiB on Redis, 8 and 64 clients: nothing refused or lost",
                    "; ".join(f"{conns} clients: {n(rec['create']['rps'])} creates/s, {n(rec['reveal']['rps'])} reveals/s"
                              for rec, conns in tenmib), all_ok))

prof = one("profile")
if prof:
    add(f"### Where the CPU goes, 1 KiB on Redis (perf, `{prof['event']}` at {prof['frequency_hz']} Hz, self time)")
    add("")
    add("`scripts/bench.sh profile` (not part of the full run): `perf record -g` attached to the "
        "server and to redis-server during the 1 KiB create and reveal runs; the full reports are "
        "in `target/bench/profile-*.txt`, the data in `target/bench/perf/`.")
    add("")
    cols = [(proc, step) for proc in ("server", "redis") for step in ("create", "reveal") if step in prof.get(proc, {})]
    runs = prof.get("runs", {})
    add("| | " + " | ".join(f"{'server' if p == 'server' else 'redis-server'} {s}" for p, s in cols) + " |")
    add("|---|" + "---|" * len(cols))
    add("| req/s under perf | " + " | ".join(n(runs.get(s, {}).get("rps") or 0) for _, s in cols) + " |")
    add("| samples (CPU time) | " + " | ".join(f"{prof[p][s]['samples']} ({n(prof[p][s]['cpu_ms'])} ms)" for p, s in cols) + " |")
    add("| by DSO | " + " | ".join("<br>".join(f"{pct:.1f} % {name}" for pct, name in prof[p][s]["dso"][:5])
                                   for p, s in cols) + " |")
    add("")
    add("Top symbols:")
    add("")
    add("| # | " + " | ".join(f"{'server' if p == 'server' else 'redis-server'} {s}" for p, s in cols) + " |")
    add("|---|" + "---|" * len(cols))
    clip = lambda sym: (sym if len(sym) <= 60 else sym[:57] + "…").replace("|", "\\|")
    for i in range(12):
        cells = []
        for p, s in cols:
            syms = prof[p][s]["sym"]
            cells.append(f"{syms[i][0]:.1f} % `{clip(syms[i][1])}`" if i < len(syms) else "")
        add(f"| {i + 1} | " + " | ".join(cells) + " |")
    add("")

up = one("uploads-50x10mib")
if up:
    add("### 50 concurrent 10 MiB uploads, default settings (8 large uploads at a time)")
    add("")
    add(f"{up['clients']} clients each `POST` a {n(up['body_bytes'])}-byte JSON body at once: "
        f"statuses {up['statuses']}, {up['seconds']} s in all; server RSS {up['rss_idle_mib']} MiB "
        f"idle, peak **{up['rss_peak_mib']} MiB** (ceiling {up['ceiling_mib']} MiB).")
    add("")
    targets.append((f"Server RSS under the {up['ceiling_mib']} MiB ceiling with 50 concurrent 10 MiB uploads",
                    f"peak {up['rss_peak_mib']} MiB, {up['created']} of {up['clients']} stored",
                    up["rss_peak_mib"] < up["ceiling_mib"]))

files = [(name, one(name)) for name in ("files-1gib-chromium", "files-1gib-cli")]
if any(r for _, r in files):
    add("### A 1 GiB file, up and down (`files`)")
    add("")
    add("The app against the same bytes moved with no app and no crypto, on the same machine and "
        "server (embedded store, file data in a directory): in Chromium, the page `PUT`ting the "
        "file's slices as the same parts, two at a time, and reading the sealed data with a claim; "
        "for the CLI, curl `PUT`ting the parts one after another (as the CLI does) and saving the "
        "data to a file on the same disk (as the CLI does). Ratio = floor's time ÷ app's time "
        "(1.0: no cost). Peak memory: the server's VmHWM; Chromium's, the proportional set sizes "
        "of all its processes summed (the whole browser, with a profile on disk and the three "
        "pages the run opens); the CLI's VmHWM.")
    add("")
    extra_memory = None
    cores_used = []
    add("| client | upload MB/s | floor MB/s | ratio | download MB/s | floor MB/s | ratio | server peak RSS | client peak memory |")
    add("|---|---|---|---|---|---|---|---|---|")
    for name, r in files:
        if not r:
            continue
        client = "Chromium" if name.endswith("chromium") else "CLI"
        peak = r.get("browser_peak_pss_mib", r.get("cli_peak_rss_mib"))
        add(f"| {client} | {r['upload_mbps']} | {r['bare_upload_mbps']} | {r['upload_ratio']} | "
            f"{r['download_mbps']} | {r['bare_download_mbps']} | {r['download_ratio']} | "
            f"{r['server_peak_rss_mib']} MiB | {peak} MiB |")
        if "browser_upload_pss_mib" in r:
            extra_memory = (f"Chromium's memory (summed PSS): {r['browser_idle_pss_mib']} MiB with the "
                            f"sender's page open before the upload, peak {r['browser_upload_pss_mib']} MiB "
                            f"during the upload, {r['browser_download_pss_mib']} MiB during the download.")
        if "download_cores" in r:
            cores_used.append(f"{client}: upload {r['upload_cores']} (floor {r['bare_upload_cores']}), "
                              f"download {r['download_cores']} (floor {r['bare_download_cores']})")
        for way in ("upload", "download"):
            targets.append((f"1 GiB {way} through {client} ≥ 0.9 × the bare transfer",
                            f"{r[way + '_ratio']} ({r[way + '_mbps']} against {r['bare_' + way + '_mbps']} MB/s)",
                            r[way + "_ratio"] >= 0.9))
    add("")
    if extra_memory:
        add(extra_memory)
        add("")
    if cores_used:
        add("Cores busy on the whole machine during each transfer (of 2; `/proc/stat`, the server, "
            "the client and everything else together): " + "; ".join(cores_used) + ".")
        add("")

if targets:
    add("### Targets")
    add("")
    add("| target | this run | met |")
    add("|---|---|---|")
    for target, figure, met in targets:
        add(f"| {target} | {figure} | {'**met**' if met else '**not met**'} |")
    add("")

text = "\n".join(lines).rstrip() + "\n"
if not target_md:
    sys.stdout.write(text)
    sys.exit(0)
doc = open(target_md).read()
begin, end = "<!-- results:begin -->", "<!-- results:end -->"
if begin not in doc or end not in doc:
    sys.exit(f"{target_md} has no {begin} … {end} section")
head, rest = doc.split(begin, 1)
_, tail = rest.split(end, 1)
open(target_md, "w").write(f"{head}{begin}\n{text}{end}{tail}")
print(f"wrote the results into {target_md}")
