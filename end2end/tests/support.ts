import { test as base, expect, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from '@playwright/test';
import * as path from 'node:path';
import * as fs from 'node:fs';

/** `../shared/fixtures/images` from the project root (or $ONCELINK_SHARED_DIR). */
export const sharedDir = process.env.ONCELINK_SHARED_DIR ?? path.resolve(__dirname, '../../../shared');
export const fixture = (name: string) => path.join(sharedDir, 'fixtures', 'images', name);
export const fixtureBytes = (name: string) => fs.readFileSync(fixture(name));

type Sent = { url: string; headers: Record<string, string>; body: Buffer | null };

/**
 * Opens browser contexts that record every request they send and every console error,
 * so each test can assert at its end that no master key reached the server and that
 * the pages logged no errors.
 */
export class Session {
  readonly sent: Sent[] = [];
  readonly errors: string[] = [];
  readonly keys: string[] = [];
  private readonly contexts: BrowserContext[] = [];
  private readonly pending: Promise<void>[] = [];
  /** Console messages that are expected in a test (e.g. a 404 the test asks for). */
  allowedErrors: RegExp[] = [];

  constructor(private readonly browser: Browser, private readonly baseURL: string) {}

  async page(options: BrowserContextOptions = {}): Promise<Page> {
    const context = await this.browser.newContext({ baseURL: this.baseURL, ...options });
    this.contexts.push(context);
    context.on('request', (request) => {
      const url = request.url();
      const body = request.postDataBuffer();
      this.pending.push(
        request
          .allHeaders()
          .catch(() => request.headers())
          .then((headers) => {
            this.sent.push({ url, headers, body });
          }),
      );
    });
    const page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') this.errors.push(`${page.url()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => this.errors.push(`${page.url()}: ${err.message}`));
    return page;
  }

  /** Remembers the key of a link so that no request may contain it. */
  track(link: string): string {
    const key = new URL(link).hash.slice(1);
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    this.keys.push(key);
    return key;
  }

  async finish() {
    await Promise.all(this.pending);
    for (const context of this.contexts) await context.close();
    await Promise.all(this.pending);
    for (const key of this.keys) {
      const forms = [key, encodeURIComponent(key), Buffer.from(key).toString('base64')];
      for (const s of this.sent) {
        const body = s.body ? s.body.toString('latin1') : '';
        const headers = JSON.stringify(s.headers);
        for (const form of forms) {
          expect(s.url.includes(form), `key in URL ${s.url}`).toBe(false);
          expect(headers.includes(form), `key in headers of ${s.url}`).toBe(false);
          expect(body.includes(form), `key in body of ${s.url}`).toBe(false);
        }
      }
    }
    const unexpected = this.errors.filter((e) => !this.allowedErrors.some((re) => re.test(e)));
    expect(unexpected, 'console errors').toEqual([]);
  }
}

export const test = base.extend<{ session: Session }>({
  session: async ({ browser, baseURL }, use) => {
    const session = new Session(browser, baseURL!);
    await use(session);
    await session.finish();
  },
});

export { expect };

/** Waits until the WASM has hydrated the page. */
export async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

/** Creates a secret in the page and returns its link. */
export async function createSecret(
  page: Page,
  options: { text?: string; image?: string; lang?: string } = {},
): Promise<string> {
  await page.goto(options.lang ? `/?lng=${options.lang}` : '/');
  await hydrated(page);
  if (options.text !== undefined) await page.getByTestId('secret-text').fill(options.text);
  if (options.image) {
    await page.getByTestId('image-input').setInputFiles(fixture(options.image));
    await expect(page.getByTestId('image-preview')).toBeVisible();
  }
  await page.getByTestId('create').click();
  const link = page.getByTestId('link');
  await expect(link).toBeVisible();
  return await link.inputValue();
}

/** Opens a link in a page and clicks Reveal. */
export async function reveal(page: Page, link: string) {
  await page.goto(link);
  await hydrated(page);
  await page.getByTestId('reveal').click();
}

/** The alias in a link. */
export const aliasOf = (link: string) => new URL(link).pathname.split('/').pop()!;
