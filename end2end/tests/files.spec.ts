import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Page } from '@playwright/test';
import { test, expect, hydrated, fixture } from './support';

// Files in the web app (docs/api.md, Files): chosen in the page, sealed chunk by chunk with
// WebCrypto, uploaded in parts, received and decrypted after a reveal, saved by the
// recipient. Names never reach the server in clear.

type Made = { path: string; name: string; bytes: Buffer };

/** A one-page PDF that says "Hello PDF". */
const MINIMAL_PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 200]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n' +
    '4 0 obj<</Length 44>>stream\nBT /F1 24 Tf 40 100 Td (Hello PDF) Tj ET\nendstream endobj\n' +
    '5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);

function makeFiles(dir: string, specs: { name: string; bytes: Buffer }[]): Made[] {
  return specs.map(({ name, bytes }) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, bytes);
    return { path: p, name, bytes };
  });
}

async function createWithFiles(page: Page, text: string, paths: string[]): Promise<string> {
  await page.goto('/');
  await hydrated(page);
  await expect(page.getByTestId('files-limits')).toContainText('20');
  await page.getByTestId('secret-text').fill(text);
  await page.getByTestId('files-input').setInputFiles(paths);
  await expect(page.getByTestId('file-row')).toHaveCount(paths.length);
  await page.getByTestId('create').click();
  const link = page.getByTestId('link');
  await expect(link).toBeVisible({ timeout: 120_000 });
  return await link.inputValue();
}

/** Reveals, waits for every file, saves each and returns the saved bytes by name. */
async function receiveAll(page: Page, link: string, count: number): Promise<Map<string, Buffer>> {
  await page.goto(link);
  await hydrated(page);
  await page.getByTestId('reveal').click();
  await expect(page.getByTestId('received-file')).toHaveCount(count);
  await expect(page.getByTestId('save-file')).toHaveCount(count, { timeout: 120_000 });
  const saved = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('save-file').nth(i).click(),
    ]);
    saved.set(download.suggestedFilename(), fs.readFileSync(await download.path()));
  }
  return saved;
}

/** How many decrypted files the page's origin keeps in its private file system. */
async function privateFiles(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    let count = 0;
    const walk = async (dir: FileSystemDirectoryHandle) => {
      // @ts-expect-error: entries() is not in every TypeScript DOM library yet.
      for await (const [, handle] of dir.entries()) {
        if (handle.kind === 'file') count++;
        else await walk(handle as FileSystemDirectoryHandle);
      }
    };
    await walk(root);
    return count;
  });
}

test('several files round-trip byte-exact, images cleaned, names never sent, a second open refused', async ({ session }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oncelink-files-'));
  const files = makeFiles(dir, [
    { name: 'contract-draft-Q7x.pdf', bytes: MINIMAL_PDF },
    { name: 'notes-Z9k.txt', bytes: Buffer.from('meeting at nine\n') },
    { name: 'empty-W3m.bin', bytes: Buffer.alloc(0) },
    // Three upload parts at the default 8 MiB, and many chunks.
    { name: 'archive-J5p.bin', bytes: crypto.randomBytes(20 * 1024 * 1024 + 12345) },
  ]);
  const photo = path.join(dir, 'holiday-R2d.jpg');
  fs.copyFileSync(fixture('gps-camera.jpg'), photo);
  const png = path.join(dir, 'screenshot-V8s.png');
  fs.copyFileSync(fixture('gps.png'), png);
  for (const f of [...files.map((f) => f.name), 'holiday-R2d.jpg', 'screenshot-V8s.png']) session.secret(f.replace(/\.[a-z]+$/, ''));

  const sender = await session.page();
  const link = await createWithFiles(sender, 'the files you asked for', [...files.map((f) => f.path), photo, png]);
  session.track(link);
  await expect(sender.getByTestId('link')).toBeVisible();

  const recipient = await session.page();
  const saved = await receiveAll(recipient, link, files.length + 2);
  await expect(recipient.getByTestId('secret-text')).toHaveText('the files you asked for');
  for (const f of files) {
    if (f.name.endsWith('.pdf')) {
      // PDFs are cleaned (written back as one revision): still the same page and text.
      const pdf = saved.get(f.name)!;
      expect(pdf.subarray(0, 5).toString(), f.name).toBe('%PDF-');
      expect(pdf.includes(Buffer.from('(Hello PDF) Tj')), f.name).toBe(true);
    } else {
      expect(saved.get(f.name)?.equals(f.bytes), f.name).toBe(true);
    }
  }
  // The image was cleaned in the sender's page: no GPS or camera left.
  const cleaned = saved.get('holiday-R2d.jpg');
  expect(cleaned).toBeDefined();
  const cleanedPath = path.join(dir, 'received.jpg');
  fs.writeFileSync(cleanedPath, cleaned!);
  const tags = execFileSync('exiftool', ['-j', '-G', cleanedPath]).toString();
  expect(tags).not.toMatch(/GPS/);
  expect(tags).not.toMatch(/Make|Model/);
  // Save all: every file once more, each as a download of its own.
  const all: string[] = [];
  recipient.on('download', (d) => all.push(d.suggestedFilename()));
  await recipient.getByTestId('save-all').click();
  await expect.poll(() => all.length).toBe(files.length + 2);
  expect(new Set(all)).toEqual(new Set(saved.keys()));
  // The JPEG and the PNG preview inline (checked images), the PDF in the browser's viewer.
  await expect(recipient.getByTestId('file-preview')).toHaveCount(2);
  await expect(recipient.getByTestId('file-preview-pdf')).toHaveCount(1);
  await expect(recipient.getByTestId('file-preview-pdf')).toHaveAttribute('src', /^blob:/);
  // The decrypted files sit in the origin's private file system while the page shows them,
  // and are gone once it is left.
  expect(await privateFiles(recipient)).toBe(files.length + 2);
  await recipient.goto('/security');
  await expect.poll(() => privateFiles(recipient)).toBe(0);

  // One view: the link is used up, and its data with it.
  const other = await session.page();
  await other.goto(link);
  await expect(other.getByTestId('gone')).toBeVisible();
});

test('an upload whose connection drops resumes and completes', async ({ session }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oncelink-files-'));
  const [big] = makeFiles(dir, [{ name: 'big-T4n.bin', bytes: crypto.randomBytes(17 * 1024 * 1024) }]);
  session.allowedErrors.push(/ERR_CONNECTION_RESET|ERR_INTERNET_DISCONNECTED|Failed to load resource/);
  const sender = await session.page();
  const puts: string[] = [];
  let cut = false;
  await sender.route('**/api/uploads/*/parts/*', async (route) => {
    puts.push(new URL(route.request().url()).pathname);
    if (!cut && puts.length === 2) {
      cut = true;
      await route.abort('connectionreset');
      return;
    }
    await route.continue();
  });
  const link = await createWithFiles(sender, 'resumed', [big.path]);
  session.track(link);
  expect(cut).toBe(true);
  // The cut part was sent again, the others once: three parts, four requests.
  expect(puts.length).toBe(4);
  expect(new Set(puts).size).toBe(3);

  const saved = await receiveAll(await session.page(), link, 1);
  expect(saved.get(big.name)?.equals(big.bytes)).toBe(true);
});

test('a download whose connection ends early resumes where it stopped', async ({ session }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oncelink-files-'));
  const [big] = makeFiles(dir, [{ name: 'resume-D4k.bin', bytes: crypto.randomBytes(9 * 1024 * 1024 + 321) }]);
  const link = await createWithFiles(await session.page(), 'resume the download', [big.path]);
  session.track(link);
  const recipient = await session.page();
  const ranges: string[] = [];
  await recipient.route('**/api/secrets/*/data', async (route) => {
    const range = route.request().headers()['range'] ?? '';
    ranges.push(range);
    const answer = await route.fetch();
    if (ranges.length > 1) {
      await route.fulfill({ response: answer });
      return;
    }
    // The first answer stops a third of the way through, inside a chunk: the page must
    // keep the whole chunks it got and ask for the rest from the first one it lacks.
    const body = await answer.body();
    await route.fulfill({ status: answer.status(), headers: answer.headers(), body: body.subarray(0, Math.floor(body.length / 3)) });
  });
  const saved = await receiveAll(recipient, link, 1);
  expect(saved.get(big.name)?.equals(big.bytes)).toBe(true);
  expect(ranges.length).toBe(2);
  const first = Number(/bytes=(\d+)-/.exec(ranges[0])![1]);
  const second = Number(/bytes=(\d+)-/.exec(ranges[1])![1]);
  // Resumed at a chunk boundary (64 KiB + 16 sealed), after what arrived whole.
  expect(second).toBeGreaterThan(first);
  expect((second - first) % (65536 + 16)).toBe(0);
});

test('a cancelled upload leaves nothing on the server', async ({ session, request }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oncelink-files-'));
  const [big] = makeFiles(dir, [{ name: 'cancel-H8v.bin', bytes: crypto.randomBytes(17 * 1024 * 1024) }]);
  session.allowedErrors.push(/Failed to load resource|ERR_ABORTED/);
  const sender = await session.page();
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await sender.route('**/api/uploads/*/parts/*', async (route) => {
    await held;
    await route.continue().catch(() => {});
  });
  const deleted = sender.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().includes('/api/uploads/'));
  await sender.goto('/');
  await hydrated(sender);
  await sender.getByTestId('files-input').setInputFiles([big.path]);
  await expect(sender.getByTestId('file-row')).toHaveCount(1);
  await sender.getByTestId('create').click();
  await expect(sender.getByTestId('cancel-upload')).toBeVisible();
  await sender.getByTestId('cancel-upload').click();
  release();
  const answer = await deleted;
  expect(answer.status()).toBe(204);
  // Back to the form, the files still chosen; the upload is gone on the server.
  await expect(sender.getByTestId('create')).toBeEnabled();
  await expect(sender.getByTestId('file-row')).toHaveCount(1);
  const id = new URL(answer.url()).pathname.split('/').pop()!;
  const status = await request.get(`/api/uploads/${id}`, { headers: { authorization: 'Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
  expect(status.status()).toBe(404);
});

test('files larger than the server takes are refused at once, nothing read or sent', async ({ session }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oncelink-files-'));
  // Sparse: 3 GiB on paper, nothing on disk; over the default 2 GiB.
  const huge = path.join(dir, 'huge-X1z.bin');
  fs.closeSync(fs.openSync(huge, 'w'));
  fs.truncateSync(huge, 3 * 1024 ** 3);
  const sender = await session.page();
  const uploads: string[] = [];
  sender.on('request', (r) => {
    if (r.url().includes('/api/uploads')) uploads.push(r.url());
  });
  await sender.goto('/');
  await hydrated(sender);
  await sender.getByTestId('files-input').setInputFiles([huge]);
  await expect(sender.getByTestId('problem')).toBeVisible();
  await expect(sender.getByTestId('file-row')).toHaveCount(0);
  expect(uploads).toEqual([]);
});

test('more files than the server takes are refused at once, nothing added', async ({ session }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oncelink-files-'));
  const many = makeFiles(
    dir,
    Array.from({ length: 21 }, (_, i) => ({ name: `f${i}.txt`, bytes: Buffer.from(`file ${i}`) })),
  );
  const sender = await session.page();
  await sender.goto('/');
  await hydrated(sender);
  await sender.getByTestId('files-input').setInputFiles(many.map((f) => f.path));
  await expect(sender.getByTestId('problem')).toContainText('20');
  await expect(sender.getByTestId('file-row')).toHaveCount(0);
});

/** Samples a value every 200 ms until stopped; returns the largest seen. */
function sampleMax(read: () => Promise<number>): { stop: () => Promise<number> } {
  let max = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      max = Math.max(max, await read().catch(() => 0));
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return max;
    },
  };
}

/** The server's resident memory (test.sh passes its pid), or 0 when unknown. */
function serverRss(): number {
  const pid = process.env.ONCELINK_SERVER_PID;
  if (!pid) return 0;
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  return kb ? Number(kb[1]) * 1024 : 0;
}

async function jsHeap(page: Page): Promise<() => Promise<number>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  return async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
  };
}

const MB = 1024 * 1024;
// Stated bounds (README, Files): neither the page's JavaScript heap nor the server grows with
// the file. A 256 MiB file held whole anywhere would break them.
const PAGE_HEAP_BOUND = 64 * MB;
const SERVER_RSS_BOUND = 200 * MB;

test('a 256 MiB file and three small ones round-trip with bounded memory', async ({ session }) => {
  test.setTimeout(600_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oncelink-files-'));
  const big = path.join(dir, 'scan-archive-B6q.bin');
  // Written in pieces, so the test itself never holds it whole either.
  const fd = fs.openSync(big, 'w');
  const hash = crypto.createHash('sha256');
  for (let i = 0; i < 256; i++) {
    const piece = crypto.randomBytes(MB);
    hash.update(piece);
    fs.writeSync(fd, piece);
  }
  fs.closeSync(fd);
  const bigHash = hash.digest('hex');
  const small = makeFiles(dir, [
    { name: 'a-N1c.txt', bytes: Buffer.from('one') },
    { name: 'b-N2c.csv', bytes: Buffer.from('x,y\n1,2\n') },
    { name: 'c-N3c.bin', bytes: crypto.randomBytes(70_000) },
  ]);

  const sender = await session.page();
  await sender.goto('/');
  await hydrated(sender);
  const senderHeap = sampleMax(await jsHeap(sender));
  const serverUp = sampleMax(async () => serverRss());
  const link = await createWithFiles(sender, 'large', [big, ...small.map((f) => f.path)]);
  const upHeap = await senderHeap.stop();
  const upRss = await serverUp.stop();
  session.track(link);

  const recipient = await session.page();
  await recipient.goto('/');
  const recipientHeap = sampleMax(await jsHeap(recipient));
  const serverDown = sampleMax(async () => serverRss());
  const saved = await receiveAllToDisk(recipient, link, 4, dir);
  const downHeap = await recipientHeap.stop();
  const downRss = await serverDown.stop();

  const got = crypto.createHash('sha256').update(fs.readFileSync(saved.get('scan-archive-B6q.bin')!)).digest('hex');
  expect(got).toBe(bigHash);
  for (const f of small) expect(fs.readFileSync(saved.get(f.name)!).equals(f.bytes), f.name).toBe(true);
  console.log(
    `256 MiB: page JS heap up ${(upHeap / MB).toFixed(1)} MiB, down ${(downHeap / MB).toFixed(1)} MiB; ` +
      `server RSS up ${(upRss / MB).toFixed(1)} MiB, down ${(downRss / MB).toFixed(1)} MiB`,
  );
  expect(upHeap).toBeLessThan(PAGE_HEAP_BOUND);
  expect(downHeap).toBeLessThan(PAGE_HEAP_BOUND);
  if (process.env.ONCELINK_SERVER_PID) {
    expect(upRss).toBeGreaterThan(0);
    expect(upRss).toBeLessThan(SERVER_RSS_BOUND);
    expect(downRss).toBeLessThan(SERVER_RSS_BOUND);
  }
  const other = await session.page();
  await other.goto(link);
  await expect(other.getByTestId('gone')).toBeVisible();
});

/** Like receiveAll, but returns the saved files' paths (a large file is not read here). */
async function receiveAllToDisk(page: Page, link: string, count: number, dir: string): Promise<Map<string, string>> {
  await page.goto(link);
  await hydrated(page);
  await page.getByTestId('reveal').click();
  await expect(page.getByTestId('save-file')).toHaveCount(count, { timeout: 300_000 });
  const saved = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-file').nth(i).click()]);
    const to = path.join(dir, `received-${i}`);
    await download.saveAs(to);
    saved.set(download.suggestedFilename(), to);
  }
  return saved;
}
