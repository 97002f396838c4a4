import { test, expect, type BrowserContext, type Page } from '@playwright/test';
import * as zlib from 'node:zlib';
import { HYDRATION_CLOCK, hydratedAt } from '../hydration';

async function makeLinks(page: Page): Promise<{ link: string; manage: string }> {
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByTestId('secret-text').fill('bench');
  await page.getByTestId('create').click();
  return {
    link: await page.getByTestId('link').inputValue(),
    manage: await page.getByTestId('manage-link').inputValue(),
  };
}

// First load of each page: every response a cold browser fetches before the page is
// hydrated (HTML, JS, CSS, the WASM main module and the page's chunks), summed by kind, raw
// and as gzip (level 9) and brotli (quality 11) would send it, and what the server actually
// sent. Chunks the page prefetches afterwards, when idle, are reported apart.
test('first-load transfer per page', async ({ browser, baseURL }) => {
  const maker = await browser.newPage();
  const { link, manage } = await makeLinks(maker);
  await maker.close();

  for (const [name, url] of [['create', '/'], ['reveal', link], ['manage', manage], ['security', '/security']]) {
    const context = await browser.newContext({ baseURL });
    await context.addInitScript(HYDRATION_CLOCK);
    const page = await context.newPage();
    const responses: { url: string; kind: string; body: Buffer; wire: number }[] = [];
    let bundleCacheControl = '';
    const pending: Promise<void>[] = [];
    page.on('response', (response) => {
      pending.push((async () => {
        try {
          const sizes = await response.request().sizes();
          const body = await response.body();
          const type = response.headers()['content-type'] ?? '';
          const kind = type.includes('wasm') ? 'wasm' : type.includes('javascript') ? 'js' : type.includes('css') ? 'css' : type.includes('html') ? 'html' : 'other';
          if (kind === 'wasm') bundleCacheControl = response.headers()['cache-control'] ?? '';
          responses.push({ url: response.url(), kind, body, wire: sizes.responseBodySize + sizes.responseHeadersSize });
        } catch {
          // Redirects and aborted requests have no body.
        }
      })());
    });
    await page.goto(url);
    const hydrated = await hydratedAt(page);
    await page.waitForLoadState('networkidle');
    await Promise.all(pending);
    // Which requests started before hydration (resource timing; the document is the navigation).
    const started: Record<string, number> = await page.evaluate(() => Object.fromEntries(
      performance.getEntriesByType('resource').map((e) => [e.name, e.startTime])));
    const before = (url: string) => !(url in started) || started[url] < hydrated;
    const sum = (list: typeof responses) => {
      const totals: Record<string, { raw: number; gzip: number; brotli: number }> = {};
      for (const { kind, body } of list) {
        const t = (totals[kind] ??= { raw: 0, gzip: 0, brotli: 0 });
        t.raw += body.length;
        t.gzip += zlib.gzipSync(body, { level: 9 }).length;
        t.brotli += zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
      }
      const total = Object.values(totals).reduce((a, t) => ({ raw: a.raw + t.raw, gzip: a.gzip + t.gzip, brotli: a.brotli + t.brotli }), { raw: 0, gzip: 0, brotli: 0 });
      return { totals, total };
    };
    const first = responses.filter((r) => before(r.url));
    const idle = responses.filter((r) => !before(r.url));
    const { totals, total } = sum(first);
    // The same page again in the same browser: the hashed bundle comes from the cache.
    let repeat = 0;
    page.removeAllListeners('response');
    page.on('response', (response) => {
      pending.push(response.request().sizes().then((s) => { repeat += s.responseBodySize + s.responseHeadersSize; }, () => {}));
    });
    await page.goto(url);
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await page.waitForLoadState('networkidle');
    await Promise.all(pending);
    console.log(JSON.stringify({
      bench: 'first-load', page: name, ...totals, total,
      files: first.map((r) => new URL(r.url).pathname.split('/').pop() || '/'),
      transferred: first.reduce((a, r) => a + r.wire, 0),
      prefetched_when_idle: { files: idle.map((r) => new URL(r.url).pathname.split('/').pop()), brotli: sum(idle).total.brotli },
      repeat_transferred: repeat, bundle_cache_control: bundleCacheControl,
    }));
    await context.close();
  }
});

// A phone: Chromium with its CPU slowed 4× (DevTools' throttling), cold cache each time;
// from navigation start to the page hydrated, when the Reveal button works.
test('time to a working page with 4x CPU throttling', async ({ browser, baseURL }) => {
  const maker = await browser.newPage();
  const { link } = await makeLinks(maker);
  await maker.close();
  for (const [name, url] of [['reveal', link], ['create', '/']]) {
    const runs: number[] = [];
    for (let i = 0; i < 7; i++) {
      const context: BrowserContext = await browser.newContext({ baseURL });
      await context.addInitScript(HYDRATION_CLOCK);
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
      await page.goto(url);
      runs.push(Math.round(await hydratedAt(page)));
      if (name === 'reveal') await expect(page.getByTestId('reveal')).toBeEnabled();
      await context.close();
    }
    const sorted = [...runs].sort((a, b) => a - b);
    console.log(JSON.stringify({ bench: 'ready-throttled', page: name, cpu_slowdown: 4, median_ms: sorted[3], runs_ms: runs }));
  }
});
