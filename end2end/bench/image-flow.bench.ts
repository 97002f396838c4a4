import { test, expect } from '@playwright/test';
import * as fs from 'node:fs';
import { clickAndTime } from './support';

// The 10 MB photo end to end on localhost, timed inside the page to the frame it shows up
// in (requestAnimationFrame polling):
// - Create → link: from the click on Create (photo already chosen and cleaned) to the link
//   on screen: pad, encrypt, upload as binary, store, answer.
// - Reveal → image: from the click on Reveal to the photo on screen: request, download as
//   binary, decrypt, unpack, object URL, <img> loaded; and to the photo decoded
//   (`img.decode()`), which for a 24-megapixel JPEG is the browser's own work.


test('10 MB photo: Create to link, Reveal to image', async ({ browser }) => {
  const photo = process.env.ONCELINK_BENCH_JPEG!;
  const bytes = fs.statSync(photo).size;
  const create: number[] = [];
  const reveal: number[] = [];
  const decoded: number[] = [];
  for (let i = 0; i < 7; i++) {
    const sender = await browser.newPage();
    await sender.goto('/');
    await expect(sender.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await sender.getByTestId('image-input').setInputFiles(photo);
    await sender.getByTestId('removed').waitFor();
    create.push(await clickAndTime(sender, 'create', `document.querySelector('[data-testid="link"]')?.value`));
    const link = await sender.getByTestId('link').inputValue();
    await sender.close();

    const recipient = await browser.newPage();
    await recipient.goto(link);
    await expect(recipient.locator('body')).toHaveAttribute('data-hydrated', 'true');
    reveal.push(await clickAndTime(recipient, 'reveal',
      `(() => { const img = document.querySelector('[data-testid="secret-image"]'); return !!img && img.complete && img.naturalWidth > 0; })()`));
    decoded.push(reveal[reveal.length - 1] + (await recipient.evaluate(async () => {
      const start = performance.now();
      await (document.querySelector('[data-testid="secret-image"]') as HTMLImageElement).decode();
      return performance.now() - start;
    })));
    expect(await recipient.evaluate(() => (document.querySelector('[data-testid="secret-image"]') as HTMLImageElement).naturalWidth)).toBe(6000);
    await recipient.close();
  }
  // The floor under Create: the same number of bytes POSTed by a bare fetch from the same
  // page (no cleaning, no crypto, no app); the server reads the whole body, then answers 400.
  const page = await browser.newPage();
  await page.goto('/security');
  const upload = await page.evaluate(async (size) => {
    const body = new Uint8Array(size);
    const runs: number[] = [];
    for (let i = 0; i < 7; i++) {
      const start = performance.now();
      await fetch('/api/secrets', { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
      runs.push(performance.now() - start);
    }
    return runs;
  }, bytes);
  await page.close();
  const median = (runs: number[]) => [...runs].sort((a, b) => a - b)[Math.floor(runs.length / 2)];
  const round = (runs: number[]) => runs.map((r) => Math.round(r));
  console.log(JSON.stringify({ bench: 'browser-create-to-link-10mb', bytes, runs_ms: round(create), median_ms: Math.round(median(create)) }));
  console.log(JSON.stringify({ bench: 'browser-reveal-to-image-10mb', bytes, runs_ms: round(reveal), median_ms: Math.round(median(reveal)) }));
  console.log(JSON.stringify({ bench: 'browser-upload-floor-10mb', bytes, runs_ms: round(upload), median_ms: Math.round(median(upload)) }));
  console.log(JSON.stringify({ bench: 'browser-reveal-to-image-decoded-10mb', bytes, runs_ms: round(decoded), median_ms: Math.round(median(decoded)) }));
});
