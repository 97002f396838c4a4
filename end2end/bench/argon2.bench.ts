import { test, expect } from '@playwright/test';

// Argon2id (32 MiB, 2 passes, 1 lane) in the recipient's browser: time from clicking Reveal
// with a wrong passphrase to the "wrong passphrase" message. That is one Argon2id in WASM,
// the proof derivation and one request to a local server (a few ms).
test('passphrase stretching in the browser', async ({ browser }) => {
  const runs: number[] = [];
  for (let s = 0; s < 3; s++) {
    const sender = await browser.newPage();
    await sender.goto('/');
    await expect(sender.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await sender.getByTestId('secret-text').fill('bench');
    await sender.getByTestId('passphrase').fill('right passphrase');
    await sender.getByTestId('create').click();
    const link = await sender.getByTestId('link').inputValue();
    await sender.close();

    const page = await browser.newPage();
    await page.goto(link);
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    for (let i = 0; i < 4; i++) {
      await page.getByTestId('reveal-passphrase').fill(`wrong ${i}`);
      const start = Date.now();
      await page.getByTestId('reveal').click();
      await expect(page.getByTestId('wrong-passphrase')).toContainText(`: ${4 - i}.`);
      runs.push(Date.now() - start);
    }
    await page.close();
  }
  runs.sort((a, b) => a - b);
  console.log(JSON.stringify({ bench: 'browser-argon2id-32mib-t2', runs_ms: runs, median_ms: runs[Math.floor(runs.length / 2)] }));
});
