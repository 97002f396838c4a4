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
