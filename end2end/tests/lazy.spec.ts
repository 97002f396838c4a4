import { test, expect, hydrated, createSecret, fixture } from './support';
import { HYDRATION_CLOCK, hydratedAt } from '../hydration';

// Code splitting: the sender's pages are lazy routes, and the image cleaner, Argon2id and the QR
// encoder are chunks of their own (app/src/pages/routes.rs, bundle/).

/** The lazily loaded part a `/pkg/` URL is, if it is one. */
const part = (url: string) =>
  /\/pkg\/split_(?:__)?(clean_image|qr_path|stretch|create_view|manage_view|security_view)_\d+\./.exec(url)?.[1];

test('a recipient downloads the reveal page only: no create page, image cleaner, QR encoder or Argon2', async ({ session }) => {
  const link = await createSecret(await session.page(), { text: 'only what is needed' });
  session.track(link);
  const page = await session.page();
  const fetched: string[] = [];
  page.on('request', (request) => {
    const name = part(request.url());
    if (name) fetched.push(name);
  });
  await page.goto(link);
  await hydrated(page);
  await page.waitForLoadState('networkidle');
  expect(fetched).toEqual([]);
  await page.getByTestId('reveal').click();
  await expect(page.getByTestId('secret-text')).toHaveText('only what is needed');
  expect(fetched).toEqual([]);
});

test('the image cleaner is fetched once the page works, and cleans the image chosen before it arrived', async ({ session }) => {
  const page = await session.page();
  await page.addInitScript(HYDRATION_CLOCK);
  // Hold the cleaner's chunk back until the test lets it through.
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let requests = 0;
  await page.route(/\/pkg\/split_clean_image_/, async (route) => {
    requests += 1;
    await released;
    await route.continue();
  });
  await page.goto('/');
  await hydrated(page);
  // The page works without it: text and settings respond.
  await page.getByTestId('secret-text').fill('typed before the cleaner arrived');
  await expect(page.getByTestId('secret-text')).toHaveValue('typed before the cleaner arrived');
  // Prefetched when the browser is idle, after hydration.
  await expect.poll(() => requests).toBe(1);
  await page.getByTestId('image-input').setInputFiles(fixture('gps-camera.jpg'));
  await expect(page.getByTestId('removed')).toHaveCount(0);
  release();
  await expect(page.getByTestId('removed')).toContainText('location (40.13° N, 73.85° W)');
  const hydratedMs = await hydratedAt(page);
  const cleaner = await page.evaluate(() =>
    performance.getEntriesByType('resource').filter((e) => e.name.includes('/split_clean_image_')).map((e) => e.startTime));
  expect(cleaner).toHaveLength(1);
  expect(cleaner[0]).toBeGreaterThan(hydratedMs);
  expect(requests).toBe(1);
  // And the cleaned image goes into a working secret.
  await page.getByTestId('create').click();
  const link = await page.getByTestId('link').inputValue();
  session.track(link);
  await expect(page.locator('svg.qr')).toBeVisible();
});
