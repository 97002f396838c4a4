import { test, expect, hydrated, createSecret, reveal, aliasOf, fixtureBytes, bigJpeg } from './support';

test('the page is server-rendered and hydrates', async ({ session }) => {
  const page = await session.page();
  const response = await page.request.get('/');
  expect(response.status()).toBe(200);
  const html = await response.text();
  expect(html).toContain('data-testid="create"');
  expect(html).not.toContain('data-hydrated');
  await page.goto('/');
  await hydrated(page);
  // The "needs JavaScript" note is gone once the WASM runs.
  await expect(page.getByTestId('needs-js')).toHaveCount(0);
});

test('text round trip: create, reveal once in another browser, then gone', async ({ session }) => {
  const sender = await session.page();
  const text = 'correct horse battery staple\nline two — ünïcödé 你好';
  const link = await createSecret(sender, { text });
  session.track(link);
  expect(link).toMatch(/\/s\/[A-Za-z0-9]{8}\?lng=en#[A-Za-z0-9_-]{43}$/);
  await expect(sender.locator('svg.qr')).toBeVisible();
  await expect(sender.getByTestId('expires')).toContainText('expires');

  const recipient = await session.page();
  await reveal(recipient, link);
  await expect(recipient.getByTestId('secret-text')).toHaveText(text);
  // The key is dropped from the address bar once used.
  expect(new URL(recipient.url()).hash).toBe('');

  const second = await session.page();
  await second.goto(link);
  await expect(second.getByTestId('gone')).toBeVisible();
  await expect(second.getByTestId('gone')).toContainText('already been viewed');
});

test('the copy button copies the link and confirms', async ({ session }) => {
  const page = await session.page({ permissions: ['clipboard-read', 'clipboard-write'] });
  const link = await createSecret(page, { text: 'copy me' });
  session.track(link);
  await page.getByTestId('copy-link').click();
  await expect(page.getByText('Copied!')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
  await page.getByTestId('new-secret').click();
  await expect(page.getByTestId('secret-text')).toHaveValue('');
});

for (const [name, width, height] of [['gps.png', 640, 480], ['gps-camera.jpg', 1200, 800]] as const) {
  test(`image round trip keeps the dimensions (${name})`, async ({ session }) => {
    const sender = await session.page();
    const link = await createSecret(sender, { image: name });
    session.track(link);
    const recipient = await session.page();
    await reveal(recipient, link);
    const img = recipient.getByTestId('secret-image');
    await expect(img).toBeVisible();
    await expect
      .poll(() => img.evaluate((el: HTMLImageElement) => [el.naturalWidth, el.naturalHeight]))
      .toEqual([width, height]);
    await expect(recipient.getByTestId('download')).toHaveAttribute('download', /^oncelink-image\.(png|jpg)$/);
  });
}

test('opening the page, even fetched by a bot, does not consume the secret', async ({ session, request }) => {
  const sender = await session.page();
  const link = await createSecret(sender, { text: 'still here' });
  session.track(link);
  const pageUrl = link.split('#')[0];

  const viewer = await session.page();
  await viewer.goto(link);
  await hydrated(viewer);
  await expect(viewer.getByTestId('waiting')).toBeVisible();
  await viewer.close();
  for (let i = 0; i < 3; i++) {
    const response = await request.get(pageUrl);
    expect(response.status()).toBe(200);
    expect(await response.text()).toContain('data-testid="reveal"');
  }

  const recipient = await session.page();
  await reveal(recipient, link);
  await expect(recipient.getByTestId('secret-text')).toHaveText('still here');
});

test('a missing or broken key is reported and consumes nothing', async ({ session }) => {
  const sender = await session.page();
  const link = await createSecret(sender, { text: 'needs the key' });
  session.track(link);
  const withoutKey = link.split('#')[0];

  for (const broken of [withoutKey, `${withoutKey}#`, `${withoutKey}#abc`, `${withoutKey}#${'A'.repeat(42)}`]) {
    const page = await session.page();
    await page.goto(broken);
    await hydrated(page);
    await expect(page.getByTestId('key-problem')).toBeVisible();
    await expect(page.getByTestId('reveal')).toBeDisabled();
  }

  const recipient = await session.page();
  await reveal(recipient, link);
  await expect(recipient.getByTestId('secret-text')).toHaveText('needs the key');
});

test('a wrong key says the link is damaged, and consumes nothing', async ({ session }) => {
  const sender = await session.page();
  const link = await createSecret(sender, { text: 'x' });
  session.track(link);
  const wrong = link.replace(/#.*/, '#' + 'A'.repeat(43));
  const recipient = await session.page();
  await reveal(recipient, wrong);
  // The server refuses the wrong key's access proof before releasing anything.
  await expect(recipient.getByTestId('wrong-key')).toContainText('damaged');
  const owner = await session.page();
  await reveal(owner, link);
  await expect(owner.getByTestId('secret-text')).toHaveText('x');
});

test('without JavaScript the page explains and consumes nothing', async ({ session }) => {
  const sender = await session.page();
  const link = await createSecret(sender, { text: 'no js' });
  session.track(link);
  const noJs = await session.page({ javaScriptEnabled: false });
  await noJs.goto(link);
  await expect(noJs.getByTestId('needs-js')).toBeVisible();
  await expect(noJs.getByTestId('needs-js')).toContainText('needs JavaScript');
  await expect(noJs.getByTestId('reveal')).toBeDisabled();

  const recipient = await session.page();
  await reveal(recipient, link);
  await expect(recipient.getByTestId('secret-text')).toHaveText('no js');
});

test('unsupported files are refused with a message before anything is sent', async ({ session }) => {
  const page = await session.page();
  await page.goto('/');
  await hydrated(page);
  const input = page.getByTestId('image-input');
  const problem = page.getByTestId('problem');

  await input.setInputFiles({ name: 'drawing.svg', mimeType: 'image/svg+xml', buffer: fixtureBytes('not-an-image.jpg') });
  await expect(problem).toContainText('SVG');
  await input.setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: fixtureBytes('not-an-image.jpg') });
  await expect(problem).toContainText('SVG');
  await input.setInputFiles({ name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('just some text, not a picture') });
  await expect(problem).toContainText('not a JPEG, PNG, GIF or WebP');
  const big = Buffer.alloc(11 * 1024 * 1024, 0);
  big.set([0xff, 0xd8, 0xff, 0xe0]);
  await input.setInputFiles({ name: 'big.jpg', mimeType: 'image/jpeg', buffer: big });
  await expect(problem).toContainText('larger than 10 MB');
  await expect(page.getByTestId('image-preview')).toHaveCount(0);

  // Nothing was sent to the server functions.
  expect(session.sent.filter((s) => s.url.includes('/fn/'))).toEqual([]);
});

test('?lng=ar renders Arabic right-to-left on the first response', async ({ session, request }) => {
  const response = await request.get('/?lng=ar');
  const html = await response.text();
  expect(html).toMatch(/<html[^>]*lang="ar"/);
  expect(html).toMatch(/<html[^>]*dir="rtl"/);
  expect(html).toContain('شارك سرًا');

  const page = await session.page();
  await page.goto('/?lng=ar');
  await hydrated(page);
  await expect(page.locator('html')).toHaveAttribute('dir', 'rtl');
  await expect(page.locator('h1')).toHaveText('شارك سرًا');
});

test('switching language changes the strings and persists', async ({ session }) => {
  const page = await session.page();
  await page.goto('/');
  await hydrated(page);
  await expect(page.locator('h1')).toHaveText('Share a secret');
  await page.getByTestId('language').selectOption('es');
  await expect(page.locator('h1')).toHaveText('Comparte un secreto');
  await expect(page.locator('html')).toHaveAttribute('lang', 'es');
  await page.reload();
  await expect(page.locator('h1')).toHaveText('Comparte un secreto');
  // Links carry the sender's language.
  const link = await createSecret(page, { text: 'hola' });
  session.track(link);
  expect(new URL(link).searchParams.get('lng')).toBe('es');
  const recipient = await session.page();
  await recipient.goto(link);
  await expect(recipient.locator('h1')).toHaveText('Alguien compartió un secreto contigo');
});

test('both pages send CSP and the other security headers', async ({ session, request }) => {
  const sender = await session.page();
  const link = await createSecret(sender, { text: 'headers' });
  session.track(link);
  for (const url of ['/', new URL(link).pathname, '/security']) {
    const response = await request.get(url);
    const h = response.headers();
    const csp = h['content-security-policy'];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'wasm-unsafe-eval'/);
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain('frame-src blob:');
    expect(csp).toContain("base-uri 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("img-src 'self' blob: data:");
    expect(h['referrer-policy']).toBe('no-referrer');
    expect(h['x-content-type-options']).toBe('nosniff');
    expect(h['cache-control']).toBe('no-store');
    // No third-party resources of any kind.
    const html = await response.text();
    expect(html).not.toMatch(/(src|href)="https?:\/\//);
  }
});

test('phone width: the create page fits 360 px without horizontal scrolling', async ({ session }) => {
  const page = await session.page({ viewport: { width: 360, height: 740 } });
  await page.goto('/');
  await hydrated(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});

test('images can be dropped or pasted, and removed', async ({ session }) => {
  const page = await session.page();
  await page.goto('/');
  await hydrated(page);
  const png = fixtureBytes('gps.png').toString('base64');
  const transfer = await page.evaluateHandle((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
    return dt;
  }, png);
  await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer: transfer });
  await expect(page.getByTestId('image-summary')).toContainText('PNG image');
  await page.getByTestId('remove-image').click();
  await expect(page.getByTestId('image-preview')).toHaveCount(0);

  await page.getByTestId('secret-text').evaluate((el, b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'pasted.png', { type: 'image/png' }));
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, png);
  await expect(page.getByTestId('image-summary')).toContainText('PNG image');
});

test('a large upload shows progress, and a double click creates one secret', async ({ session }) => {
  const page = await session.page();
  await page.goto('/');
  await hydrated(page);
  // A valid 9 MB JPEG (padded with vendor segments); kept whole so the upload is large.
  await page.getByTestId('image-input').setInputFiles({ name: 'big.jpg', mimeType: 'image/jpeg', buffer: bigJpeg(9 * 1024 * 1024) });
  await expect(page.getByTestId('image-preview')).toBeVisible();
  await page.getByTestId('keep-original').check();
  await page.evaluate(() => {
    const seen: number[] = [];
    (window as unknown as { seen: number[] }).seen = seen;
    new MutationObserver(() => {
      const bar = document.querySelector('[data-testid=progress] progress');
      if (bar && bar.hasAttribute('value')) seen.push(Number(bar.getAttribute('value')));
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
  await page.getByTestId('create').dblclick();
  const link = await page.getByTestId('link').inputValue();
  session.track(link);
  const seen = await page.evaluate(() => (window as unknown as { seen: number[] }).seen);
  expect(seen.length).toBeGreaterThan(0);
  expect(Math.max(...seen)).toBeGreaterThan(0);
  expect(session.sent.filter((s) => s.url.endsWith('/fn/create')).length).toBe(1);
});

test('no English is left in the other languages', async ({ request }) => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const en: Record<string, string> = JSON.parse(
    fs.readFileSync(path.resolve(__dirname, '../../locales/en.json'), 'utf8'),
  );
  const english = Object.values(en).map((v) => v.split('{{')[0].trim()).filter((v) => v.length >= 6);
  for (const lang of ['zh', 'es', 'hi', 'ar', 'pt']) {
    for (const url of [
      `/?lng=${lang}`,
      `/security?lng=${lang}`,
      `/s/Unknown1?lng=${lang}`,
      `/nothing?lng=${lang}`,
      `/request?lng=${lang}`,
      `/r/Unknown1?lng=${lang}`,
      `/i/Unknown1?lng=${lang}`,
    ]) {
      const html = await (await request.get(url)).text();
      const text = html.replace(/<script[\s\S]*?<\/script>/g, ' ').replace(/<[^>]+>/g, ' ');
      for (const sentence of english) {
        expect(text.includes(sentence), `${url} contains English "${sentence}"`).toBe(false);
      }
      expect(html).toMatch(new RegExp(`<html[^>]*lang="${lang}"`));
    }
  }
});
