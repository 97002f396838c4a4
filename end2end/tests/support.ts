import { test as base, expect, type APIRequestContext, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from '@playwright/test';
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { execFileSync } from 'node:child_process';

/** A set of wire-format vectors and image fixtures (the same rules as `testkit::fixtures`). */
export type FixtureRoot = { name: 'repository' | 'shared'; vectors: string; images: string };

/** The repository's own fixtures (`fixtures/`, made by `fixtures/generate.py`): always there. */
export const repositoryFixtures: FixtureRoot = {
  name: 'repository',
  vectors: path.resolve(__dirname, '../../fixtures/vectors/wire-format.json'),
  images: path.resolve(__dirname, '../../fixtures/images'),
};

/**
 * Every fixture root: the repository's, then the shared one beside the project
 * (`../shared`, or $ONCELINK_SHARED_DIR; `none` leaves it out) when that directory exists.
 * A root that is used must hold its vectors, so a test never passes over zero cases.
 */
export function fixtureRoots(): FixtureRoot[] {
  const setting = process.env.ONCELINK_SHARED_DIR;
  const sharedDir = setting ?? path.resolve(__dirname, '../../../shared');
  const roots = [repositoryFixtures];
  if (setting !== '' && setting !== 'none' && fs.existsSync(sharedDir)) {
    roots.push({
      name: 'shared',
      vectors: path.join(sharedDir, 'vectors', 'wire-format.json'),
      images: path.join(sharedDir, 'fixtures', 'images'),
    });
  }
  for (const root of roots) {
    if (!fs.existsSync(root.vectors) || fs.statSync(root.vectors).size === 0) {
      throw new Error(`${root.name}: no vectors at ${root.vectors}`);
    }
  }
  return roots;
}

/** An image fixture of the repository's set (the shared set has the same names and content kinds). */
export const fixture = (name: string) => path.join(repositoryFixtures.images, name);
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

  /** Remembers another secret string (a passphrase, a manage token) that no request may carry. */
  secret(value: string) {
    this.keys.push(value);
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
  options: { text?: string; image?: string; lang?: string; views?: number; passphrase?: string; expiry?: number } = {},
): Promise<string> {
  await page.goto(options.lang ? `/?lng=${options.lang}` : '/');
  await hydrated(page);
  if (options.text !== undefined) await page.getByTestId('secret-text').fill(options.text);
  if (options.views !== undefined) await page.getByTestId('views').selectOption(String(options.views));
  if (options.expiry !== undefined) await page.getByTestId('expiry').selectOption(String(options.expiry));
  if (options.passphrase !== undefined) await page.getByTestId('passphrase').fill(options.passphrase);
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

/** Decrypts a payload with Node's WebCrypto: an implementation of the format independent of ours. */
export async function decryptWithWebCrypto(link: string, id: string, ciphertextB64: string): Promise<Uint8Array> {
  const { webcrypto } = await import('node:crypto');
  const subtle = webcrypto.subtle;
  const master = Buffer.from(new URL(link).hash.slice(1), 'base64url');
  expect(master.length).toBe(32);
  const ikm = await subtle.importKey('raw', master, 'HKDF', false, ['deriveKey']);
  const key = await subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: Buffer.from('only-once-share-v1'), info: Buffer.from(id) },
    ikm,
    { name: 'AES-GCM', length: 256 },
    false,
    ['decrypt'],
  );
  const payload = Buffer.from(ciphertextB64, 'base64');
  expect(payload[0]).toBe(1);
  const plain = await subtle.decrypt(
    { name: 'AES-GCM', iv: payload.subarray(1, 13), additionalData: Buffer.from(id) },
    key,
    payload.subarray(13),
  );
  return new Uint8Array(plain);
}

/**
 * The access proof for a link, derived in Node (HKDF-SHA-256, salt "oncelink-access-v1",
 * info "access proof"): an implementation independent of crypto-core.
 */
export async function accessProof(link: string): Promise<string> {
  const { webcrypto } = await import('node:crypto');
  const master = Buffer.from(new URL(link).hash.slice(1), 'base64url');
  const ikm = await webcrypto.subtle.importKey('raw', master, 'HKDF', false, ['deriveBits']);
  const bits = await webcrypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: Buffer.from('oncelink-access-v1'), info: Buffer.from('access proof') },
    ikm,
    256,
  );
  return Buffer.from(bits).toString('base64url');
}

/** Reveals a web-app secret through the REST API, as a client holding the link would. */
export async function revealByApi(
  request: APIRequestContext,
  link: string,
): Promise<{ ciphertext: string; id: string; views_left: number }> {
  const response = await request.post(`/api/secrets/${aliasOf(link)}/reveal`, {
    data: { access_proof: await accessProof(link) },
  });
  expect(response.status()).toBe(200);
  return await response.json();
}

/** Unpacks a binary envelope (text, or text + image, possibly padded to a size bucket). */
export function unpackEnvelope(envelope: Uint8Array): { text: string; mime?: string; image?: Buffer } {
  let buf = Buffer.from(envelope);
  if (buf[0] === 0x02) {
    // Padded: type 0x02 | inner length (u32 BE) | inner envelope | zeros.
    const inner = buf.readUInt32BE(1);
    expect(buf.subarray(5 + inner).every((b) => b === 0)).toBe(true);
    buf = buf.subarray(5, 5 + inner);
  }
  if (buf[0] === 0x00) return { text: buf.subarray(1).toString('utf8') };
  expect(buf[0]).toBe(0x01);
  const textLen = buf.readUInt32BE(1);
  const text = buf.subarray(5, 5 + textLen).toString('utf8');
  const mimeLen = buf[5 + textLen];
  const mime = buf.subarray(6 + textLen, 6 + textLen + mimeLen).toString('ascii');
  return { text, mime, image: buf.subarray(6 + textLen + mimeLen) };
}

/** The identifying tags (location, camera, author, dates, XMP, IPTC…) in exiftool's view. */
export const identifying = (tags: Record<string, unknown>) =>
  Object.keys(tags).filter((key) => {
    const [group, tag] = key.includes(':') ? key.split(':') : ['', key];
    return (
      tag.includes('GPS') ||
      group.startsWith('XMP') ||
      group.startsWith('IPTC') ||
      ['Make', 'Model', 'SerialNumber', 'DateTimeOriginal', 'Software', 'Artist', 'Creator', 'By-line', 'City', 'Comment'].includes(tag)
    );
  });

/** exiftool's view of some image bytes (`group:tag` → value). */
export function exiftool(bytes: Uint8Array): Record<string, unknown> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'oncelink-')), 'image');
  fs.writeFileSync(file, bytes);
  const out = execFileSync('exiftool', ['-j', '-a', '-G1', file], { encoding: 'utf8' });
  fs.rmSync(path.dirname(file), { recursive: true });
  return JSON.parse(out)[0];
}

/** A valid JPEG of about `size` bytes: a fixture padded with vendor segments (APP15). */
export function bigJpeg(size: number): Buffer {
  const base = fixtureBytes('gps-camera.jpg');
  const pad: Buffer[] = [];
  let total = base.length;
  while (total < size) {
    const segment = Buffer.alloc(65535 + 2, 0x41);
    segment[0] = 0xff;
    segment[1] = 0xef;
    segment.writeUInt16BE(65535, 2);
    pad.push(segment);
    total += segment.length;
  }
  return Buffer.concat([base.subarray(0, 2), ...pad, base.subarray(2)]);
}

/**
 * Opens an HPKE base-mode box (RFC 9180: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
 * AES-256-GCM, sequence 0) with Node's own X25519, HKDF and AES-GCM: an implementation
 * independent of crypto-core's, so a test can decrypt an answer to a request by itself.
 * `box` is enc (32 bytes) ‖ ciphertext ‖ tag; `sk` the recipient's 32-byte private key.
 */
export async function hpkeOpen(sk: Buffer, info: Buffer, aad: Buffer, box: Buffer): Promise<Buffer> {
  const crypto = await import('node:crypto');
  const i2osp = (n: number, len: number) => {
    const b = Buffer.alloc(len);
    b.writeUIntBE(n, 0, len);
    return b;
  };
  const extract = (salt: Buffer, ikm: Buffer) => crypto.createHmac('sha256', salt.length ? salt : Buffer.alloc(32)).update(ikm).digest();
  // HKDF-Expand (RFC 5869): Node's hkdfSync always extracts first, so expand by hand.
  function expand(prk: Buffer, infoBytes: Buffer, len: number): Buffer {
    const blocks: Buffer[] = [];
    let previous = Buffer.alloc(0);
    for (let i = 1; Buffer.concat(blocks).length < len; i++) {
      previous = crypto.createHmac('sha256', prk).update(Buffer.concat([previous, infoBytes, Buffer.from([i])])).digest();
      blocks.push(previous);
    }
    return Buffer.concat(blocks).subarray(0, len);
  }
  const v1 = Buffer.from('HPKE-v1');
  const labeledExtract = (suite: Buffer, salt: Buffer, label: string, ikm: Buffer) =>
    extract(salt, Buffer.concat([v1, suite, Buffer.from(label), ikm]));
  const labeledExpand = (suite: Buffer, prk: Buffer, label: string, infoBytes: Buffer, len: number) =>
    expand(prk, Buffer.concat([i2osp(len, 2), v1, suite, Buffer.from(label), infoBytes]), len);

  const kemSuite = Buffer.concat([Buffer.from('KEM'), i2osp(0x0020, 2)]);
  const suite = Buffer.concat([Buffer.from('HPKE'), i2osp(0x0020, 2), i2osp(0x0001, 2), i2osp(0x0002, 2)]);
  const enc = box.subarray(0, 32);
  const privateKey = crypto.createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), sk]),
    format: 'der',
    type: 'pkcs8',
  });
  const pkR = Buffer.from(crypto.createPublicKey(privateKey).export({ format: 'jwk' }).x!, 'base64url');
  const pkE = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: enc.toString('base64url') }, format: 'jwk' });
  const dh = crypto.diffieHellman({ privateKey, publicKey: pkE });
  const eaePrk = labeledExtract(kemSuite, Buffer.alloc(0), 'eae_prk', dh);
  const shared = labeledExpand(kemSuite, eaePrk, 'shared_secret', Buffer.concat([enc, pkR]), 32);
  const pskIdHash = labeledExtract(suite, Buffer.alloc(0), 'psk_id_hash', Buffer.alloc(0));
  const infoHash = labeledExtract(suite, Buffer.alloc(0), 'info_hash', info);
  const context = Buffer.concat([Buffer.from([0]), pskIdHash, infoHash]);
  const secret = labeledExtract(suite, shared, 'secret', Buffer.alloc(0));
  const key = labeledExpand(suite, secret, 'key', context, 32);
  const nonce = labeledExpand(suite, secret, 'base_nonce', context, 12);
  const body = box.subarray(32);
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(body.subarray(body.length - 16));
  return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
}

/**
 * Receives a secret's files by itself, as any client holding the link could, without the
 * recipient's page: the reveal with a claim (Node's HKDF for the access proof), the payload
 * decrypted with Node's WebCrypto, the manifest read from the envelope, and each file's
 * STREAM (64 KiB chunks, AES-256-GCM, nonce = index as 11 bytes ‖ last flag) decrypted from
 * the data download. An implementation of the format independent of crypto-core.
 */
export async function receiveFilesIndependently(
  request: APIRequestContext,
  link: string,
): Promise<{ text: string; files: Map<string, Buffer> }> {
  const { webcrypto, randomBytes } = await import('node:crypto');
  const access = await accessProof(link);
  const claim = randomBytes(32).toString('base64url');
  const alias = aliasOf(link);
  const revealed = await request.post(`/api/secrets/${alias}/reveal`, { data: { access_proof: access, claim } });
  expect(revealed.status()).toBe(200);
  const { ciphertext, id } = await revealed.json();
  let envelope = Buffer.from(await decryptWithWebCrypto(link, id, ciphertext));
  expect(envelope[0]).toBe(0x02);
  envelope = envelope.subarray(5, 5 + envelope.readUInt32BE(1));
  expect(envelope[0]).toBe(0x03);
  let at = 1;
  const textLength = envelope.readUInt32BE(at);
  at += 4;
  const text = envelope.subarray(at, at + textLength).toString('utf8');
  at += textLength;
  const count = envelope.readUInt16BE(at);
  at += 2;
  const entries: { name: string; size: number; key: Buffer }[] = [];
  for (let i = 0; i < count; i++) {
    const nameLength = envelope.readUInt16BE(at);
    const name = envelope.subarray(at + 2, at + 2 + nameLength).toString('utf8');
    at += 2 + nameLength;
    at += 1 + envelope[at]; // the MIME type
    const size = Number(envelope.readBigUInt64BE(at));
    const key = envelope.subarray(at + 8, at + 40);
    at += 40;
    entries.push({ name, size, key });
  }
  const data = await request.get(`/api/secrets/${alias}/data`, {
    headers: { 'Oncelink-Access-Proof': access, 'Oncelink-Claim': claim },
  });
  expect(data.status()).toBe(200);
  const sealed = await data.body();
  const CHUNK = 65536;
  const files = new Map<string, Buffer>();
  let offset = 0;
  for (const entry of entries) {
    const chunks = Math.max(1, Math.ceil(entry.size / CHUNK));
    const key = await webcrypto.subtle.importKey('raw', entry.key, 'AES-GCM', false, ['decrypt']);
    const plain: Buffer[] = [];
    for (let i = 0; i < chunks; i++) {
      const length = Math.min(CHUNK, entry.size - i * CHUNK) + 16;
      const nonce = Buffer.alloc(12);
      nonce.writeUIntBE(i, 5, 6); // the index, big-endian, in the first 11 bytes
      nonce[11] = i === chunks - 1 ? 1 : 0;
      const opened = await webcrypto.subtle.decrypt({ name: 'AES-GCM', iv: nonce }, key, sealed.subarray(offset, offset + length));
      plain.push(Buffer.from(opened));
      offset += length;
    }
    files.set(entry.name, Buffer.concat(plain));
  }
  expect(offset).toBe(sealed.length);
  const confirmed = await request.post(`/api/secrets/${alias}/confirm`, { data: { claim } });
  expect(confirmed.status()).toBe(200);
  return { text, files };
}
