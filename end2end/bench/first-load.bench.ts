import { test, expect } from '@playwright/test';
import * as zlib from 'node:zlib';

// First-load transfer of each page: every response the browser fetches on a cold load,
// summed by kind, raw and as gzip (level 9) and brotli (quality 11) would send it.
test('first-load transfer per page', async ({ browser, baseURL }) => {
  const maker = await browser.newPage();
  await maker.goto('/');
  await expect(maker.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await maker.getByTestId('secret-text').fill('bench');
  await maker.getByTestId('create').click();
  const link = await maker.getByTestId('link').inputValue();
  const manage = await maker.getByTestId('manage-link').inputValue();
  await maker.close();

  for (const [name, url] of [['create', '/'], ['reveal', link], ['manage', manage], ['security', '/security']]) {
    const context = await browser.newContext({ baseURL });
    const page = await context.newPage();
    const bodies: { url: string; kind: string; body: Buffer }[] = [];
    // What actually crossed the wire (headers + encoded body), first visit and repeat visit.
    const wire = { first: 0, repeat: 0 };
    let phase: 'first' | 'repeat' = 'first';
    let bundleCacheControl = '';
    const pending: Promise<void>[] = [];
    page.on('response', (response) => {
      const at = phase;
      pending.push((async () => {
        try {
          const sizes = await response.request().sizes();
          wire[at] += sizes.responseBodySize + sizes.responseHeadersSize;
          if (at === 'repeat') return;
          const body = await response.body();
          const type = response.headers()['content-type'] ?? '';
          const kind = type.includes('wasm') ? 'wasm' : type.includes('javascript') ? 'js' : type.includes('css') ? 'css' : type.includes('html') ? 'html' : 'other';
          if (kind === 'wasm') bundleCacheControl = response.headers()['cache-control'] ?? '';
          bodies.push({ url: response.url(), kind, body });
        } catch {
          // Redirects and aborted requests have no body.
        }
      })());
    });
    await page.goto(url);
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await page.waitForLoadState('networkidle');
    await Promise.all(pending);
    const totals: Record<string, { raw: number; gzip: number; brotli: number }> = {};
    for (const { kind, body } of bodies) {
      const t = (totals[kind] ??= { raw: 0, gzip: 0, brotli: 0 });
      t.raw += body.length;
      t.gzip += zlib.gzipSync(body, { level: 9 }).length;
      t.brotli += zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
    }
    const all = Object.values(totals).reduce((a, t) => ({ raw: a.raw + t.raw, gzip: a.gzip + t.gzip, brotli: a.brotli + t.brotli }), { raw: 0, gzip: 0, brotli: 0 });
    // The same page again in the same browser: the hashed bundle comes from the cache.
    phase = 'repeat';
    await page.goto(url);
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await page.waitForLoadState('networkidle');
    await Promise.all(pending);
    console.log(JSON.stringify({
      bench: 'first-load', page: name, ...totals, total: all,
      transferred: wire.first, repeat_transferred: wire.repeat, bundle_cache_control: bundleCacheControl,
    }));
    await context.close();
  }
});
