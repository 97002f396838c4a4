// Takes screenshots of the main screens for a human to look at (not a test).
// Usage: ONCELINK_BASE_URL=http://127.0.0.1:3000 node screenshots.mjs /tmp/shots
import { chromium } from 'playwright-core';
import * as path from 'node:path';

const base = process.env.ONCELINK_BASE_URL ?? 'http://127.0.0.1:3000';
const out = process.argv[2] ?? 'screenshots';
const images = path.resolve(import.meta.dirname, '../fixtures/images');
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const shot = async (page, name) => page.screenshot({ path: path.join(out, `${name}.png`), fullPage: true });
const hydrated = (page) => page.waitForSelector('body[data-hydrated]');

for (const scheme of ['light', 'dark']) {
  const ctx = await browser.newContext({ baseURL: base, viewport: { width: 1100, height: 900 }, colorScheme: scheme });
  const page = await ctx.newPage();
  await page.goto('/');
  await hydrated(page);
  await page.fill('[data-testid=secret-text]', 'db password: hunter2');
  await page.setInputFiles('[data-testid=image-input]', path.join(images, 'gps-camera.jpg'));
  await page.waitForSelector('[data-testid=image-preview]');
  await shot(page, `create-${scheme}`);
  await page.click('[data-testid=create]');
  await page.waitForSelector('[data-testid=result]');
  const link = await page.inputValue('[data-testid=link]');
  await shot(page, `result-${scheme}`);
  const r = await ctx.newPage();
  await r.goto(link);
  await hydrated(r);
  await shot(r, `reveal-before-${scheme}`);
  await r.click('[data-testid=reveal]');
  await r.waitForSelector('[data-testid=revealed] img');
  await r.waitForTimeout(300);
  await shot(r, `reveal-after-${scheme}`);
  await r.goto(link);
  await shot(r, `gone-${scheme}`);
  await ctx.close();
}
const ar = await browser.newContext({ baseURL: base, viewport: { width: 1100, height: 900 } });
const pa = await ar.newPage();
await pa.goto('/?lng=ar');
await hydrated(pa);
await shot(pa, 'create-ar');
await pa.goto('/security?lng=ar');
await shot(pa, 'security-ar');
await ar.close();
const phone = await browser.newContext({ baseURL: base, viewport: { width: 360, height: 740 }, deviceScaleFactor: 2 });
const pp = await phone.newPage();
await pp.goto('/?lng=en');
await hydrated(pp);
await shot(pp, 'create-phone');
await pp.fill('[data-testid=secret-text]', 'phone secret');
await pp.click('[data-testid=create]');
await pp.waitForSelector('[data-testid=result]');
await shot(pp, 'result-phone');
await browser.close();
