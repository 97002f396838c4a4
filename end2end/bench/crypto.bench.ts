import { test } from '@playwright/test';
import { openHarness } from '../harness';

// AES-256-GCM in Chromium on one buffer, three ways: the pure-Rust path compiled to WASM
// (crypto_core::seal/open), crypto_core::bulk (our HKDF, IV and layout around WebCrypto's
// AES-GCM: what the web app runs), and WebCrypto's encrypt/decrypt alone with a key imported
// beforehand (the floor). Median of 10 runs after 2 warm-ups.
test('AES-GCM seal/open in the browser: WASM vs WebCrypto', async ({ page }) => {
  await openHarness(page);
  const rows = await page.evaluate(async () => {
    const h = window.harness;
    const median = async (f: () => Promise<unknown>) => {
      const runs: number[] = [];
      for (let i = 0; i < 12; i++) {
        const start = performance.now();
        await f();
        runs.push(performance.now() - start);
      }
      const timed = runs.slice(2).sort((a, b) => a - b);
      return (timed[4] + timed[5]) / 2;
    };
    const out = [];
    for (const size of [1 << 20, 10 << 20]) {
      const buffer = new Uint8Array(size);
      for (let i = 0; i < size; i += 65536) crypto.getRandomValues(buffer.subarray(i, i + 65536));
      h.bench_prepare(buffer);
      const key = await crypto.subtle.importKey('raw', crypto.getRandomValues(new Uint8Array(32)), 'AES-GCM', false, ['encrypt', 'decrypt']);
      const params = { name: 'AES-GCM', iv: crypto.getRandomValues(new Uint8Array(12)), additionalData: new TextEncoder().encode('a1b2c3d4-0000-4000-8000-000000000001') };
      const sealed = await crypto.subtle.encrypt(params, key, buffer);
      out.push({
        bytes: size,
        backend: h.backend(),
        seal_ms: {
          wasm_rust: await median(() => h.bench_seal(false)),
          crypto_core_bulk: await median(() => h.bench_seal(true)),
          webcrypto_alone: await median(() => crypto.subtle.encrypt(params, key, buffer)),
        },
        open_ms: {
          wasm_rust: await median(() => h.bench_open(false)),
          crypto_core_bulk: await median(() => h.bench_open(true)),
          webcrypto_alone: await median(() => crypto.subtle.decrypt(params, key, sealed)),
        },
      });
    }
    return out;
  });
  for (const row of rows) console.log(JSON.stringify({ bench: 'browser-aes-gcm', ...row }));
});
