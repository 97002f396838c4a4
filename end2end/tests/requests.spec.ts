import { test, expect, hydrated, fixture, exiftool, identifying, unpackEnvelope, decryptWithWebCrypto, hpkeOpen } from './support';
import type { Page } from '@playwright/test';

/**
 * Records the JSON bodies the page sends with XMLHttpRequest (as Blobs, which the browser
 * does not report to the test), so the test can decrypt what was sent by itself.
 */
async function recordBodies(page: Page) {
  await page.addInitScript(() => {
    const w = window as unknown as { __bodies: { url: string; text: Promise<string> }[] };
    w.__bodies = [];
    const open = XMLHttpRequest.prototype.open;
    const send = XMLHttpRequest.prototype.send;
    XMLHttpRequest.prototype.open = function (this: XMLHttpRequest & { __url?: string }, method: string, url: string | URL) {
      this.__url = String(url);
      // eslint-disable-next-line prefer-rest-params
      return open.apply(this, arguments as unknown as Parameters<typeof open>);
    };
    XMLHttpRequest.prototype.send = function (this: XMLHttpRequest & { __url?: string }, body?: Document | XMLHttpRequestBodyInit | null) {
      if (body instanceof Blob && this.__url?.startsWith('/api/requests')) w.__bodies.push({ url: this.__url, text: body.text() });
      return send.call(this, body);
    };
  });
}

/** The JSON body of the last request the page sent to a URL ending in `suffix`. */
async function sentBody(page: Page, suffix: string): Promise<any> {
  const text = await page.evaluate(async (suffix) => {
    const w = window as unknown as { __bodies: { url: string; text: Promise<string> }[] };
    const found = w.__bodies.filter((b) => b.url.endsWith(suffix)).pop();
    return found ? await found.text : null;
  }, suffix);
  expect(text, `a body sent to …${suffix}`).not.toBeNull();
  return JSON.parse(text!);
}

/** Makes a request in `page`; its links and the id the page sent (the note's associated data). */
async function makeRequest(page: Page, note: string): Promise<{ request: string; inbox: string; id: string }> {
  await recordBodies(page);
  await page.goto('/request');
  await hydrated(page);
  await page.getByTestId('request-note').fill(note);
  await page.getByTestId('create-request').click();
  const request = await page.getByTestId('request-link').inputValue();
  const inbox = await page.getByTestId('inbox-link').inputValue();
  expect(request).toContain('/r/');
  expect(inbox).toContain('/i/');
  expect(new URL(request).pathname.split('/').pop()).toBe(new URL(inbox).pathname.split('/').pop());
  return { request, inbox, id: (await sentBody(page, '/api/requests')).id };
}

/** The fragments, the public key's part and the note: none may reach the server. */
function keepSecret(session: { secret(v: string): void }, links: { request: string; inbox: string }, note: string) {
  const request = new URL(links.request).hash.slice(1);
  const inbox = new URL(links.inbox).hash.slice(1);
  expect(request).toMatch(/^[A-Za-z0-9_-]{86}$/);
  expect(inbox).toMatch(/^[A-Za-z0-9_-]{86}$/);
  session.secret(request);
  session.secret(inbox);
  session.secret(request.slice(0, 42)); // the public key
  session.secret(inbox.slice(0, 42)); // the private key
  session.secret(note);
}

test('a request is answered in another browser with text and a photo, and read once in the inbox', async ({ session, request: api }) => {
  const requester = await session.page();
  const note = 'the front of your ID card, please Q7x';
  const links = await makeRequest(requester, note);
  keepSecret(session, links, note);
  await expect(requester.getByTestId('inbox-warning')).toBeVisible();

  // The responder, in a browser of their own.
  const responder = await session.page();
  await recordBodies(responder);
  await responder.goto(links.request);
  await hydrated(responder);
  await expect(responder.getByTestId('request-note')).toHaveText(note);
  await expect(responder.getByTestId('request-note')).toHaveAttribute('translate', 'no');
  await expect(responder.getByTestId('expiry')).toHaveCount(0);
  await responder.getByTestId('secret-text').fill('passport P123456 Z9w');
  session.secret('P123456 Z9w');
  await responder.getByTestId('image-input').setInputFiles(fixture('gps-camera.jpg'));
  await expect(responder.getByTestId('removed')).toContainText('location');
  await responder.getByTestId('create').click();
  await expect(responder.getByTestId('answer-sent')).toBeVisible();
  const answer = await sentBody(responder, '/answer');
  const answerPath = `/api/requests/${new URL(links.request).pathname.split('/').pop()}/answer`;

  // A second answer is refused, clearly.
  const second = await session.page();
  await second.goto(links.request);
  await hydrated(second);
  await expect(second.getByTestId('request-answered')).toBeVisible();
  const again = await api.post(answerPath, { data: answer });
  expect(again.status()).toBe(409);
  expect((await again.json()).code).toBe('already_answered');

  // The requester's inbox: answered, revealed once.
  await requester.goto(links.inbox);
  await hydrated(requester);
  await expect(requester.getByTestId('inbox-state')).toHaveAttribute('data-state', 'answered');
  await expect(requester.getByTestId('inbox-note')).toHaveText(note);
  await requester.getByTestId('reveal').click();
  await expect(requester.getByTestId('secret-text')).toHaveText('passport P123456 Z9w');
  const size = await requester.getByTestId('secret-image').evaluate(async (img: HTMLImageElement) => {
    await img.decode();
    return [img.naturalWidth, img.naturalHeight];
  });
  expect(size).toEqual([1200, 800]);
  await expect(requester.getByTestId('inbox-state')).toHaveAttribute('data-state', 'read');

  // Decrypted independently (Node's X25519, HKDF and AES-GCM): the photo is clean.
  const sk = Buffer.from(new URL(links.inbox).hash.slice(1), 'base64url').subarray(0, 32);
  const aad = Buffer.from(`${links.id}\n${answer.secret.id}`);
  const key = await hpkeOpen(sk, Buffer.from('oncelink/request/v1'), aad, Buffer.from(answer.key_box, 'base64url'));
  expect(key.length).toBe(32);
  session.secret(key.toString('base64url'));
  const envelope = unpackEnvelope(
    await decryptWithWebCrypto(`http://x/s/a#${key.toString('base64url')}`, answer.secret.id, answer.secret.ciphertext),
  );
  expect(envelope.text).toBe('passport P123456 Z9w');
  const tags = exiftool(envelope.image!);
  expect(tags['File:ImageWidth']).toBe(1200);
  expect(identifying(tags)).toEqual([]);

  // A second reveal gets nothing: the inbox says read and offers no Reveal.
  const later = await session.page();
  await later.goto(links.inbox);
  await hydrated(later);
  await expect(later.getByTestId('inbox-state')).toHaveAttribute('data-state', 'read');
  await expect(later.getByTestId('reveal')).toHaveCount(0);
});

test('a cancelled request refuses answers', async ({ session }) => {
  const requester = await session.page();
  const note = 'your API key K5q';
  const links = await makeRequest(requester, note);
  keepSecret(session, links, note);
  await requester.goto(links.inbox);
  await hydrated(requester);
  await expect(requester.getByTestId('inbox-state')).toHaveAttribute('data-state', 'waiting');
  await requester.getByTestId('cancel-request').click();
  await expect(requester.getByTestId('inbox-state')).toHaveAttribute('data-state', 'cancelled');

  const responder = await session.page();
  await responder.goto(links.request);
  await hydrated(responder);
  await expect(responder.getByTestId('request-cancelled')).toBeVisible();
  await expect(responder.getByTestId('create')).toHaveCount(0);
});

test('a request link with its public key altered cannot produce an answer', async ({ session }) => {
  const requester = await session.page();
  const note = 'altered W3r';
  const links = await makeRequest(requester, note);
  keepSecret(session, links, note);
  const fragment = new URL(links.request).hash.slice(1);
  // Another X25519 public key (any 32 bytes are one) in place of the requester's.
  const crypto = await import('node:crypto');
  const other = crypto.randomBytes(32).toString('base64url');
  const altered = links.request.replace(fragment, other + fragment.slice(43));
  // The server refuses the altered link's answer proof: the page reports that 403 in its console.
  session.allowedErrors.push(/status of 403/);
  const responder = await session.page();
  let answers = 0;
  responder.on('request', (r) => {
    if (r.url().endsWith('/answer')) answers++;
  });
  await responder.goto(altered);
  await hydrated(responder);
  await expect(responder.getByTestId('request-damaged')).toBeVisible();
  await expect(responder.getByTestId('create')).toHaveCount(0);
  expect(answers).toBe(0);
  // The request is still open for the real link.
  await requester.goto(links.inbox);
  await hydrated(requester);
  await expect(requester.getByTestId('inbox-state')).toHaveAttribute('data-state', 'waiting');
});

test('the request pages have no serious accessibility violations, in light, dark and right-to-left', async ({ session }) => {
  const AxeBuilder = (await import('@axe-core/playwright')).default;
  const check = async (page: Page, what: string) => {
    const results = await new AxeBuilder({ page }).analyze();
    const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), what).toEqual([]);
  };
  for (const scheme of ['light', 'dark'] as const) {
    const requester = await session.page({ colorScheme: scheme });
    await requester.goto('/request');
    await hydrated(requester);
    await check(requester, `request page (${scheme})`);
    const note = `accessible ${scheme} N8p`;
    const links = await makeRequest(requester, note);
    keepSecret(session, links, note);
    await check(requester, `request made (${scheme})`);
    const responder = await session.page({ colorScheme: scheme });
    await responder.goto(links.request);
    await hydrated(responder);
    await expect(responder.getByTestId('request-note')).toBeVisible();
    await check(responder, `answer page (${scheme})`);
    await requester.goto(links.inbox);
    await hydrated(requester);
    await expect(requester.getByTestId('inbox-state')).toBeVisible();
    await check(requester, `inbox (${scheme})`);
  }
  const arabic = await session.page();
  await arabic.goto('/request?lng=ar');
  await hydrated(arabic);
  await expect(arabic.locator('html')).toHaveAttribute('dir', 'rtl');
  await check(arabic, 'request page (Arabic)');
});

test('requests cross between the CLI and the browser, both ways', async ({ session, baseURL }) => {
  const { execFileSync } = await import('node:child_process');
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const cli = process.env.ONCELINK_CLI ?? '';
  expect(cli, 'ONCELINK_CLI must name the built oncelink binary').not.toBe('');
  const oncelink = (args: string[], input = '') =>
    execFileSync(cli, args, { input, env: { ...process.env, ONCELINK_PASSPHRASE: '' }, encoding: 'utf8' });

  // Asked in the browser, answered with the CLI.
  const requester = await session.page();
  const note = 'the staging API key, please V2m';
  const links = await makeRequest(requester, note);
  keepSecret(session, links, note);
  oncelink(['answer', links.request, 'sk-staging-4711 T6k']);
  session.secret('sk-staging-4711 T6k');
  await requester.goto(links.inbox);
  await hydrated(requester);
  await expect(requester.getByTestId('inbox-state')).toHaveAttribute('data-state', 'answered');
  await requester.getByTestId('reveal').click();
  await expect(requester.getByTestId('secret-text')).toHaveText('sk-staging-4711 T6k');

  // Asked with the CLI, answered in the browser.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oncelink-request-'));
  const inboxFile = path.join(dir, 'inbox.txt');
  const cliNote = 'a photo of the signed form B4n';
  const requestLink = oncelink(['request', '--server', baseURL!, '--inbox-file', inboxFile, cliNote]).trim();
  expect(requestLink).toContain('/r/');
  expect(fs.statSync(inboxFile).mode & 0o777).toBe(0o600);
  const inboxLink = fs.readFileSync(inboxFile, 'utf8').trim();
  keepSecret(session, { request: requestLink, inbox: inboxLink }, cliNote);
  const responder = await session.page();
  await responder.goto(requestLink);
  await hydrated(responder);
  await expect(responder.getByTestId('request-note')).toHaveText(cliNote);
  await responder.getByTestId('secret-text').fill('signed, see you Monday J8d');
  session.secret('signed, see you Monday J8d');
  await responder.getByTestId('create').click();
  await expect(responder.getByTestId('answer-sent')).toBeVisible();
  expect(oncelink(['inbox', inboxFile])).toBe('signed, see you Monday J8d');
  fs.rmSync(dir, { recursive: true });
});
