import type { Page } from '@playwright/test';

/**
 * Clicks the element with data-testid `button` and returns the milliseconds until the
 * expression `done` holds, both timed inside the page (polled once a frame, so the figure
 * ends at the frame the result shows up in).
 */
export const clickAndTime = (page: Page, button: string, done: string) =>
  page.evaluate(
    ([button, done]) =>
      new Promise<number>((resolve) => {
        const ready = new Function(`return (${done})`) as () => boolean;
        const start = performance.now();
        (document.querySelector(`[data-testid="${button}"]`) as HTMLElement).click();
        const poll = () => (ready() ? resolve(performance.now() - start) : requestAnimationFrame(poll));
        requestAnimationFrame(poll);
      }),
    [button, done],
  );

/**
 * Opens a page of the app (a secure origin under its CSP) and chooses `file` in a file input
 * added to it, `#chosen`: the benches' way to hand the page a file with no app code.
 */
export async function chooseOnPlainPage(page: Page, file: string) {
  await page.goto('/security');
  await page.evaluate(() => {
    const input = document.createElement('input');
    input.type = 'file';
    input.id = 'chosen';
    document.body.append(input);
  });
  await page.setInputFiles('#chosen', file);
}
