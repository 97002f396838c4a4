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
