import { execFileSync } from 'node:child_process';
import { test, expect, createSecret, reveal, fixture } from './support';

// The CLI binary the test command built (scripts/test.sh sets ONCELINK_CLI).
const cli = process.env.ONCELINK_CLI ?? '';

function oncelink(args: string[], options: { input?: string; env?: Record<string, string> } = {}): string {
  return execFileSync(cli, args, {
    input: options.input ?? '',
    env: { ...process.env, ONCELINK_PASSPHRASE: '', ...options.env },
    encoding: 'utf8',
  });
}

test.beforeAll(() => {
  expect(cli, 'ONCELINK_CLI must name the built oncelink binary').not.toBe('');
});

test('a link made by the CLI is revealed in the browser', async ({ session, baseURL }) => {
  const link = oncelink(['send', '--server', baseURL!], { input: 'made in a terminal ✓' }).trim();
  session.track(link);
  const page = await session.page();
  await reveal(page, link);
  await expect(page.getByTestId('secret-text')).toHaveText('made in a terminal ✓');

  const withImage = oncelink(['send', '--server', baseURL!, '--image', fixture('gps-camera.jpg'), 'photo']).trim();
  session.track(withImage);
  const viewer = await session.page();
  await reveal(viewer, withImage);
  await expect(viewer.getByTestId('secret-text')).toHaveText('photo');
  const size = await viewer.getByTestId('secret-image').evaluate(async (img: HTMLImageElement) => {
    await img.decode();
    return [img.naturalWidth, img.naturalHeight];
  });
  expect(size).toEqual([1200, 800]);
});

test('a link made in the browser is opened by the CLI, passphrase included', async ({ session }) => {
  const page = await session.page();
  const link = await createSecret(page, { text: 'made in a browser\nsecond line' });
  session.track(link);
  expect(oncelink(['open', link])).toBe('made in a browser\nsecond line');

  const passphrase = 'four words of passphrase';
  session.secret(passphrase);
  const other = await session.page();
  const guarded = await createSecret(other, { text: 'guarded', passphrase, views: 2 });
  session.track(guarded);
  expect(oncelink(['open', guarded], { env: { ONCELINK_PASSPHRASE: passphrase } })).toBe('guarded');
  // The browser still gets the second view.
  const recipient = await session.page();
  await recipient.goto(guarded);
  await expect(recipient.getByTestId('passphrase-needed')).toBeVisible();
});

test('several files go from the CLI to the browser and from the browser to the CLI', async ({ session, baseURL }) => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const crypto = await import('node:crypto');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oncelink-cli-files-'));
  const files = [
    // Named like a PDF but none by its content: it goes as it is, byte for byte (a real PDF
    // is rewritten by the cleaner: document-privacy.spec.ts).
    { name: 'invoice-K2w.pdf', bytes: Buffer.concat([Buffer.from('not a PDF\n'), crypto.randomBytes(5000)]) },
    { name: 'data-K3w.bin', bytes: crypto.randomBytes(200_000) },
    { name: 'readme-K4w.txt', bytes: Buffer.from('hello from the other side\n') },
  ];
  for (const f of files) fs.writeFileSync(path.join(dir, f.name), f.bytes);
  for (const f of files) session.secret(f.name.replace(/\.[a-z]+$/, ''));

  // CLI → browser.
  const link = oncelink(['send', '--server', baseURL!, 'from the terminal', '--file', ...files.map((f) => path.join(dir, f.name))]).trim();
  session.track(link);
  const page = await session.page();
  await reveal(page, link);
  await expect(page.getByTestId('secret-text')).toHaveText('from the terminal');
  await expect(page.getByTestId('save-file')).toHaveCount(files.length, { timeout: 60_000 });
  for (let i = 0; i < files.length; i++) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-file').nth(i).click()]);
    const sent = files.find((f) => f.name === download.suggestedFilename());
    expect(sent, download.suggestedFilename()).toBeDefined();
    expect(fs.readFileSync(await download.path()).equals(sent!.bytes)).toBe(true);
  }

  // Browser → CLI.
  const sender = await session.page();
  await sender.goto('/');
  await expect(sender.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await sender.getByTestId('secret-text').fill('from the browser');
  await sender.getByTestId('files-input').setInputFiles(files.map((f) => path.join(dir, f.name)));
  await expect(sender.getByTestId('file-row')).toHaveCount(files.length);
  await sender.getByTestId('create').click();
  await expect(sender.getByTestId('link')).toBeVisible({ timeout: 60_000 });
  const back = await sender.getByTestId('link').inputValue();
  session.track(back);
  const out = path.join(dir, 'received');
  fs.mkdirSync(out);
  expect(oncelink(['open', back, '-o', out])).toContain('from the browser');
  for (const f of files) expect(fs.readFileSync(path.join(out, f.name)).equals(f.bytes), f.name).toBe(true);
});
