import { expect, type Page } from '@playwright/test';

/**
 * When the WASM has hydrated the page (each page sets `data-hydrated` on `<body>` from an
 * effect of its own view, `app::page_hydrated`), in ms since navigation start. Add it with
 * `addInitScript`: a MutationObserver in the page records the moment, before any idle
 * callback can start a prefetch. Shared by the lazy-loading test and the first-load bench.
 */
export const HYDRATION_CLOCK = `
  new MutationObserver((_, observer) => {
    if (document.body && document.body.getAttribute('data-hydrated') === 'true') {
      window.__hydratedAt = performance.now();
      observer.disconnect();
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-hydrated'] });
`;

/** Waits until the page is hydrated; the moment it was, by the page's HYDRATION_CLOCK. */
export async function hydratedAt(page: Page): Promise<number> {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  return page.evaluate(() => (window as unknown as { __hydratedAt: number }).__hydratedAt);
}
