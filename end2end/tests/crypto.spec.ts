import { test, expect } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openHarness } from '../harness';
import { sharedDir } from './support';

// crypto_core::bulk in Chromium: the WebCrypto AES-GCM step must give exactly the bytes of
// the pure-Rust path, over the shared vectors and over large buffers.

type Report = { backend: string; checked: number; failures: string[] };
const vectors = () => fs.readFileSync(path.join(sharedDir, 'vectors', 'wire-format.json'), 'utf8');

test('the shared vectors pass bit for bit through WebCrypto', async ({ page }) => {
  await openHarness(page);
  expect(await page.evaluate(() => window.harness.backend())).toBe('webcrypto');
  const report: Report = JSON.parse(await page.evaluate((json) => window.harness.check_vectors(json), vectors()));
  expect(report.failures).toEqual([]);
  expect(report.backend).toBe('webcrypto');
  // 6 valid entries × (open, unpack, seal) + 8 invalid ones, at least.
  expect(report.checked).toBeGreaterThanOrEqual(26);
});

test('WebCrypto and Rust agree on empty, odd-sized and 10 MiB buffers', async ({ page }) => {
  await openHarness(page);
  for (const size of [0, 1, 4097, 10 * 1024 * 1024]) {
    const report: Report = JSON.parse(await page.evaluate((n) => window.harness.cross_check(n), size));
    expect(report.failures, `size ${size}`).toEqual([]);
    expect(report.backend).toBe('webcrypto');
    expect(report.checked).toBe(7);
  }
});

test('a page without WebCrypto (plain HTTP, not localhost) falls back to Rust', async ({ page }) => {
  await openHarness(page, 'http://oncelink.test');
  expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
  expect(await page.evaluate(() => window.harness.backend())).toBe('rust');
  const report: Report = JSON.parse(await page.evaluate((json) => window.harness.check_vectors(json), vectors()));
  expect(report.failures).toEqual([]);
  expect(report.backend).toBe('rust');
});
