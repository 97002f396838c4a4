import { test, expect, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { accessProof } from '../tests/support';
import { chooseOnPlainPage, clickAndTime } from './support';

// A 1 GiB file through the web app on localhost, against the same page moving the same bytes
// with no app and no crypto (the floor the issue compares with: ratio ≥ 0.9):
// - Upload: from the click on Create (file chosen) to the link, against the page PUTting the
//   file's slices to a begun upload, as many parts at once as the app sends.
// - Download: from the click on Reveal to every file decrypted into the private file
//   system, against the page reading the same sealed data from the data endpoint (claimed
//   by a REST reveal of the first of two views) and dropping it.
// The server's peak RSS (VmHWM of a server started for this stage) and Chromium's peak
// memory (the proportional set sizes of all its processes, summed, sampled) are reported too,
// for a browser with a profile on disk.

const file = process.env.ONCELINK_BENCH_FILE!;
const serverPid = process.env.ONCELINK_SERVER_PID;
const MB = 1e6;

/**
 * The memory of every Chromium process together, in bytes: the sum of their proportional
 * set sizes (shared pages split between the processes that map them; a sum of RSS would
 * count each shared library once per process).
 */
function chromiumPss(): number {
  try {
    const pids = execFileSync('ps', ['-C', 'chromium', '-o', 'pid='], { encoding: 'utf8' })
      .split('\n')
      .map((p) => p.trim())
      .filter(Boolean);
    let sum = 0;
    for (const pid of pids) {
      try {
        const pss = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
        sum += pss ? Number(pss[1]) * 1024 : 0;
      } catch {
        // The process ended between ps and the read.
      }
    }
    return sum;
  } catch {
    return 0;
  }
}

/** Busy and total jiffies of the machine's CPUs so far (`/proc/stat`). */
function cpuTimes(): [number, number] {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + fields[4];
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return [total - idle, total];
}

/**
 * Runs `phase` and returns its result and how many of the machine's cores were busy (the
 * clock of `phase` starts inside it, after the flush).
 */
async function withCores<T>(phase: () => Promise<T>): Promise<[T, number]> {
  // What earlier steps wrote is flushed first: no transfer pays for another's disk writes.
  execFileSync('sync');
  const [busy0, total0] = cpuTimes();
  const result = await phase();
  const [busy1, total1] = cpuTimes();
  const busy = (busy1 - busy0) / Math.max(1, total1 - total0);
  return [result, Math.round(busy * os.cpus().length * 100) / 100];
}

function sampler(read: () => number) {
  let max = 0;
  const timer = setInterval(() => (max = Math.max(max, read())), 250);
  return () => {
    clearInterval(timer);
    return max;
  };
}


/** The page uploads `file` (chosen in an input it adds) with bare fetches: returns ms. */
async function bareUpload(page: Page): Promise<number> {
  await chooseOnPlainPage(page, file);
  return page.evaluate(async () => {
    const f = (document.getElementById('chosen') as HTMLInputElement).files![0];
    const id = crypto.randomUUID();
    const start = performance.now();
    const begun = await fetch('/api/uploads', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ secret_id: id, length: f.size }),
    }).then((r) => r.json());
    const auth = { authorization: `Bearer ${begun.upload_token}` };
    let next = 0;
    const worker = async () => {
      while (next < begun.parts) {
        const n = next++;
        const body = f.slice(n * begun.part_size, Math.min((n + 1) * begun.part_size, f.size));
        const r = await fetch(`/api/uploads/${id}/parts/${n}`, { method: 'PUT', headers: auth, body });
        if (r.status !== 204) throw new Error(`part ${n}: ${r.status}`);
      }
    };
    await Promise.all([worker(), worker()]);
    const ms = performance.now() - start;
    await fetch(`/api/uploads/${id}`, { method: 'DELETE', headers: auth });
    return ms;
  });
}

/** The page reads the secret's sealed data with a claim and drops it: returns ms. */
async function bareDownload(page: Page, alias: string, access: string, claim: string): Promise<number> {
  return page.evaluate(
    async ([alias, access, claim]) => {
      const start = performance.now();
      const r = await fetch(`/api/secrets/${alias}/data`, {
        headers: { 'oncelink-access-proof': access, 'oncelink-claim': claim },
        cache: 'no-store',
      });
      const reader = r.body!.getReader();
      let bytes = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.length;
      }
      if (r.status !== 200 || bytes === 0) throw new Error(`data: ${r.status}, ${bytes} bytes`);
      return performance.now() - start;
    },
    [alias, access, claim],
  );
}

test('1 GiB file: upload and download in Chromium against the bare transfer', async ({ playwright, launchOptions, request }) => {
  test.setTimeout(900_000);
  // A profile on disk, as a user's browser has: a test's usual context is off the record,
  // and Chromium keeps such a context's private file system in memory, decrypted files and
  // all (1.1 GiB more of the browser's memory during a 1 GiB download, measured).
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'oncelink-bench-profile-'));
  const browser = await playwright.chromium.launchPersistentContext(profile, {
    ...launchOptions,
    baseURL: process.env.ONCELINK_BASE_URL,
  });
  const size = fs.statSync(file).size;
  const browserPeak = sampler(chromiumPss);

  const sender = await browser.newPage();
  await sender.goto('/');
  await expect(sender.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await sender.getByTestId('views').selectOption('2');
  await sender.getByTestId('files-input').setInputFiles(file);
  await expect(sender.getByTestId('file-row')).toHaveCount(1);
  // The browser with one page open and nothing moving, then its peak during each transfer.
  const idlePss = chromiumPss();
  const uploadPeak = sampler(chromiumPss);
  const [upMs, upCores] = await withCores(() =>
    clickAndTime(sender, 'create', `document.querySelector('[data-testid="link"]')?.value`),
  );
  const uploadPss = uploadPeak();
  const link = await sender.getByTestId('link').inputValue();
  const [bareUpMs, bareUpCores] = await withCores(() => bareUpload(sender));
  await sender.close();

  // The first of the two views, claimed over REST: the floor reads the data with it.
  const alias = new URL(link).pathname.split('/').pop()!;
  const access = await accessProof(link);
  const claim = crypto.randomBytes(32).toString('base64url');
  const revealed = await request.post(`/api/secrets/${alias}/reveal`, { data: { access_proof: access, claim } });
  expect(revealed.status()).toBe(200);
  const floor = await browser.newPage();
  await floor.goto('/security');
  const [bareDownMs, bareDownCores] = await withCores(() => bareDownload(floor, alias, access, claim));
  await floor.close();

  // The app: the second view, received and decrypted to the private file system.
  const recipient = await browser.newPage();
  await recipient.goto(link);
  await expect(recipient.locator('body')).toHaveAttribute('data-hydrated', 'true');
  const downloadPeak = sampler(chromiumPss);
  const [downMs, downCores] = await withCores(() =>
    clickAndTime(recipient, 'reveal', `document.querySelectorAll('[data-testid="save-file"]').length === 1`),
  );
  const downloadPss = downloadPeak();
  await recipient.close();
  const browserPss = browserPeak();
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });

  let serverPeak = 0;
  if (serverPid) {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${serverPid}/status`, 'utf8'));
    serverPeak = hwm ? Number(hwm[1]) * 1024 : 0;
  }
  const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
  const mbps = (ms: number) => Math.round((size / MB / (ms / 1000)) * 10) / 10;
  console.log(
    JSON.stringify({
      bench: 'files-1gib-chromium',
      bytes: size,
      upload_ms: Math.round(upMs),
      upload_mbps: mbps(upMs),
      bare_upload_ms: Math.round(bareUpMs),
      bare_upload_mbps: mbps(bareUpMs),
      upload_ratio: Math.round((bareUpMs / upMs) * 100) / 100,
      download_ms: Math.round(downMs),
      download_mbps: mbps(downMs),
      bare_download_ms: Math.round(bareDownMs),
      bare_download_mbps: mbps(bareDownMs),
      download_ratio: Math.round((bareDownMs / downMs) * 100) / 100,
      server_peak_rss_mib: mib(serverPeak),
      upload_cores: upCores,
      bare_upload_cores: bareUpCores,
      download_cores: downCores,
      bare_download_cores: bareDownCores,
      browser_peak_pss_mib: mib(browserPss),
      browser_idle_pss_mib: mib(idlePss),
      browser_upload_pss_mib: mib(uploadPss),
      browser_download_pss_mib: mib(downloadPss),
    }),
  );
});
