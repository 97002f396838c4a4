import { test } from '@playwright/test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseOnPlainPage } from './support';

// What Chromium itself costs on this machine for the steps a file transfer cannot skip,
// with no app code: the ceilings behind the files stage's ratios (BENCHMARKS.md, What
// limits the targets). 256 MiB each, in a browser with a profile on disk, on a page of the
// server under test (a secure origin):
// - writing to the private file system with `createWritable` (the app's path), 4 MiB per
//   write from one reused buffer;
// - reading a chosen file: slices into fresh buffers, and a BYOB reader into one buffer;
// - a fresh 4 MiB buffer filled against a reused one (the page faults of new memory).

const MIB = 1 << 20;
const SIZE = 256 * MIB;

test('browser I/O ceilings', async ({ playwright, launchOptions }) => {
  test.setTimeout(120_000);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'oncelink-bench-profile-'));
  const file = path.join(profile, 'input.bin');
  fs.writeFileSync(file, Buffer.alloc(SIZE, 7));
  const context = await playwright.chromium.launchPersistentContext(path.join(profile, 'browser'), {
    ...launchOptions,
    baseURL: process.env.ONCELINK_BASE_URL,
  });
  const page = await context.newPage();
  await chooseOnPlainPage(page, file);
  const ms = await page.evaluate(async (size) => {
    const chunk = 4 << 20;
    const root = await navigator.storage.getDirectory();
    const timed = async (run: () => Promise<unknown>) => {
      const start = performance.now();
      await run();
      return Math.round(performance.now() - start);
    };
    const buffer = new Uint8Array(chunk);
    const writable = await timed(async () => {
      const handle = await root.getFileHandle('writable.bin', { create: true });
      const writer = await handle.createWritable();
      for (let at = 0; at < size; at += chunk) await writer.write(buffer);
      await writer.close();
    });
    const f = (document.getElementById('chosen') as HTMLInputElement).files![0];
    const slices = await timed(async () => {
      for (let at = 0; at < f.size; at += chunk) await f.slice(at, at + chunk).arrayBuffer();
    });
    const byob = await timed(async () => {
      const reader = f.stream().getReader({ mode: 'byob' });
      let reused = new ArrayBuffer(chunk);
      for (;;) {
        const { done, value } = await reader.read(new Uint8Array(reused));
        if (done || !value) break;
        reused = value.buffer as ArrayBuffer;
      }
    });
    const source = new Uint8Array(chunk).fill(1);
    const fresh = await timed(async () => {
      for (let at = 0; at < size; at += chunk) new Uint8Array(chunk).set(source);
    });
    const kept = new Uint8Array(chunk);
    const reusedFill = await timed(async () => {
      for (let at = 0; at < size; at += chunk) kept.set(source);
    });
    return { writable, slices, byob, fresh, reused: reusedFill };
  }, SIZE);
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
  const mbps = (ms: number) => Math.round((SIZE / 1e6 / (ms / 1000)) * 10) / 10;
  console.log(
    JSON.stringify({
      bench: 'browser-io-256mib',
      bytes: SIZE,
      ms,
      mbps: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, mbps(v)])),
    }),
  );
});
