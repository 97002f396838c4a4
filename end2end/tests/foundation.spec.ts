import { test, expect } from '@playwright/test';

test('the page is server-rendered, hydrates, and runs crypto-core in WASM', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('response', (res) => {
    if (res.status() >= 400) errors.push(`${res.status()} ${res.url()}`);
  });

  // Server-rendered: the content is in the first response, before any script runs.
  const response = await page.request.get('/');
  expect(response.status()).toBe(200);
  const html = await response.text();
  expect(html).toContain('Run the encryption self-test');
  expect(html).not.toContain('data-hydrated');

  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  const output = page.getByTestId('self-test-result');
  await expect(output).toHaveText('not run yet');

  await page.getByTestId('self-test').click();
  await expect(output).toHaveText(/^ok: \d+ bytes sealed, opened to "sealed and opened by crypto-core"$/);
  expect(errors).toEqual([]);
});
