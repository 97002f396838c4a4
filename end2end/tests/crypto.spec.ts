import { test, expect } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openHarness } from '../harness';
import { fixtureRoots, repositoryFixtures } from './support';

// crypto_core::bulk in Chromium: the WebCrypto AES-GCM step must give exactly the bytes of
// the pure-Rust path, over every set of wire-format vectors (the repository's own, and the
// shared ones when present) and over large buffers.

type Report = { backend: string; checked: number; failures: string[] };

for (const root of fixtureRoots()) {
  const json = fs.readFileSync(root.vectors, 'utf8');
  const { valid, invalid } = JSON.parse(json) as { valid: unknown[]; invalid: unknown[] };
  // The harness makes three checks per valid entry and one per invalid one.
  const expected = 3 * valid.length + invalid.length;

  test(`the ${root.name} vectors pass bit for bit through WebCrypto`, async ({ page }) => {
    expect(valid.length).toBeGreaterThan(0);
    expect(invalid.length).toBeGreaterThan(0);
    await openHarness(page);
    expect(await page.evaluate(() => window.harness.backend())).toBe('webcrypto');
    const report: Report = JSON.parse(await page.evaluate((text) => window.harness.check_vectors(text), json));
    expect(report.failures).toEqual([]);
    expect(report.backend).toBe('webcrypto');
    expect(report.checked).toBe(expected);
  });

  test(`a page without WebCrypto (plain HTTP, not localhost) falls back to Rust: ${root.name} vectors`, async ({ page }) => {
    await openHarness(page, 'http://oncelink.test');
    expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
    expect(await page.evaluate(() => window.harness.backend())).toBe('rust');
    const report: Report = JSON.parse(await page.evaluate((text) => window.harness.check_vectors(text), json));
    expect(report.failures).toEqual([]);
    expect(report.backend).toBe('rust');
    expect(report.checked).toBe(expected);
  });
}

test('WebCrypto and Rust agree on empty, odd-sized and 10 MiB buffers', async ({ page }) => {
  await openHarness(page);
  for (const size of [0, 1, 4097, 10 * 1024 * 1024]) {
    const report: Report = JSON.parse(await page.evaluate((n) => window.harness.cross_check(n), size));
    expect(report.failures, `size ${size}`).toEqual([]);
    expect(report.backend).toBe('webcrypto');
    expect(report.checked).toBe(7);
  }
});

// File data (docs/protocol.md, Files): the vectors made by fixtures/streams.py with Python's
// cryptography, through crypto_core::bulk::stream — WebCrypto, and the Rust fallback.
const fileStreams = fs.readFileSync(path.join(path.dirname(repositoryFixtures.vectors), 'file-streams.json'), 'utf8');
for (const [name, origin] of [['WebCrypto', undefined], ['the Rust fallback', 'http://oncelink.test']] as const) {
  test(`the file-stream vectors pass through ${name}`, async ({ page }) => {
    const { streams, invalid_streams } = JSON.parse(fileStreams) as { streams: unknown[]; invalid_streams: unknown[] };
    expect(streams.length).toBeGreaterThanOrEqual(7);
    expect(invalid_streams.length).toBeGreaterThanOrEqual(10);
    await openHarness(page, origin);
    const report: Report = JSON.parse(await page.evaluate((text) => window.harness.check_file_streams(text), fileStreams));
    expect(report.failures).toEqual([]);
    expect(report.backend).toBe(origin ? 'rust' : 'webcrypto');
    expect(report.checked).toBe(3 * streams.length + invalid_streams.length);
  });
}

// Sealed boxes (docs/protocol.md, Sealed boxes): RFC 9180's own vector for the suite,
// through the WASM build of crypto_core::sealed_box (HPKE in Rust: no WebCrypto involved).
const rfc9180 = fs.readFileSync(
  path.join(path.dirname(repositoryFixtures.vectors), 'rfc9180-base-x25519-sha256-aes256gcm.json'),
  'utf8',
);
test('the RFC 9180 vector seals and opens bit for bit in the browser', async ({ page }) => {
  await openHarness(page);
  const report: Report = JSON.parse(await page.evaluate((text) => window.harness.check_sealed_box(text), rfc9180));
  expect(report.failures).toEqual([]);
  expect(report.checked).toBe(4);
});
