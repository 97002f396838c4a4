import type { Page } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The crypto-core harness (crypto-core/harness, built by `build_harness` in scripts/lib.sh
 * into $ONCELINK_HARNESS_DIR): crypto-core compiled to WASM on a page of its own, so a test
 * or a benchmark can call `crypto_core::bulk` and the pure-Rust path side by side.
 */
declare global {
  interface Window {
    /** The harness's exports (crypto-core/harness/src/lib.rs). */
    harness: {
      backend(): string;
      check_vectors(json: string): Promise<string>;
      check_file_streams(json: string): Promise<string>;
      check_sealed_box(json: string): string;
      cross_check(size: number): Promise<string>;
      bench_prepare(plaintext: Uint8Array): void;
      bench_seal(webcrypto: boolean): Promise<number>;
      bench_open(webcrypto: boolean): Promise<number>;
    };
  }
}

const harnessDir = process.env.ONCELINK_HARNESS_DIR ?? path.resolve(__dirname, '../target/harness');

const index = `<!doctype html><meta charset="utf-8"><title>crypto-core harness</title>
<script type="module">
  import init, * as harness from './crypto_harness.js';
  await init();
  window.harness = harness;
  document.title = 'ready';
</script>`;

/**
 * Opens the harness at `origin` (routed, nothing listens there). 127.0.0.1 is a secure
 * context, so WebCrypto is there; any other plain-HTTP host is not, like a LAN deployment
 * without TLS.
 */
export async function openHarness(page: Page, origin = 'http://127.0.0.1:9'): Promise<void> {
  await page.route(`${origin}/harness/**`, async (route) => {
    const name = new URL(route.request().url()).pathname.replace('/harness/', '');
    if (name === 'index.html') {
      return route.fulfill({ contentType: 'text/html', body: index });
    }
    const file = path.join(harnessDir, path.basename(name));
    if (!fs.existsSync(file)) {
      return route.fulfill({ status: 404, body: 'not built: run build_harness' });
    }
    const type = file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
    return route.fulfill({ contentType: type, body: fs.readFileSync(file) });
  });
  await page.goto(`${origin}/harness/index.html`);
  await page.waitForFunction(() => document.title === 'ready');
}
