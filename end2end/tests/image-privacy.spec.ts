import * as fs from 'node:fs';
import { test, expect, hydrated, createSecret, reveal, aliasOf, decryptWithWebCrypto, unpackEnvelope, accessProof, revealByApi, exiftool, fixture, identifying } from './support';

test('metadata is removed in the browser, shown to the user, and absent from what the server stores', async ({ session, request }) => {
  const page = await session.page();
  await page.goto('/');
  await hydrated(page);
  await page.getByTestId('image-input').setInputFiles(fixture('gps-camera.jpg'));
  const removed = page.getByTestId('removed');
  await expect(removed).toContainText('location (40.13° N, 73.85° W)');
  await expect(removed).toContainText('camera FixtureCam Model-1');
  await expect(removed).toContainText('date taken May 2, 2024');
  await expect(removed).toContainText('author');
  await expect(removed).toContainText('serial number');
  await expect(page.getByTestId('keep-original')).not.toBeChecked();
  await page.getByTestId('create').click();
  const link = await page.getByTestId('link').inputValue();
  session.track(link);

  // Fetch the ciphertext as any API client would, decrypt it independently, run exiftool.
  const response = await request.post(`/api/secrets/${aliasOf(link)}/reveal`, { data: { access_proof: await accessProof(link) } });
  expect(response.status()).toBe(200);
  const { ciphertext, id } = await response.json();
  const envelope = unpackEnvelope(await decryptWithWebCrypto(link, id, ciphertext));
  expect(envelope.mime).toBe('image/jpeg');
  const tags = exiftool(envelope.image!);
  expect(tags['File:ImageWidth']).toBe(1200);
  expect(tags['File:ImageHeight']).toBe(800);
  expect(identifying(tags)).toEqual([]);
});

test('the summary follows the language', async ({ session }) => {
  const page = await session.page();
  await page.goto('/?lng=es');
  await hydrated(page);
  await page.getByTestId('image-input').setInputFiles(fixture('gps-camera.jpg'));
  await expect(page.getByTestId('removed')).toContainText('ubicación (40.13° N, 73.85° O)');
  await expect(page.getByTestId('removed')).toContainText('2 de mayo de 2024');
});

test('"keep the original" warns and then sends the metadata', async ({ session, request }) => {
  const page = await session.page();
  await page.goto('/');
  await hydrated(page);
  await page.getByTestId('image-input').setInputFiles(fixture('gps-camera.jpg'));
  await page.getByTestId('keep-original').check();
  await expect(page.getByTestId('keep-original-warning')).toContainText('including the location');
  await page.getByTestId('create').click();
  const link = await page.getByTestId('link').inputValue();
  session.track(link);
  const { ciphertext, id } = await revealByApi(request, link);
  const envelope = unpackEnvelope(await decryptWithWebCrypto(link, id, ciphertext));
  expect(identifying(exiftool(envelope.image!))).toContain('IFD0:Make');
});

test('a sideways photo arrives upright, and a clean image says nothing was found', async ({ session }) => {
  const sender = await session.page();
  const link = await createSecret(sender, { image: 'rotated-orientation6.jpg' });
  session.track(link);
  const recipient = await session.page();
  await reveal(recipient, link);
  const img = recipient.getByTestId('secret-image');
  await expect
    .poll(() => img.evaluate((el: HTMLImageElement) => [el.naturalWidth, el.naturalHeight]))
    .toEqual([800, 1200]);

  // The downloaded image is already clean: choosing it again finds nothing to remove.
  const [download] = await Promise.all([
    recipient.waitForEvent('download'),
    recipient.getByTestId('download').click(),
  ]);
  expect(download.suggestedFilename()).toBe('oncelink-image.jpg');
  const bytes = fs.readFileSync(await download.path());
  const again = await session.page();
  await again.goto('/');
  await hydrated(again);
  await again.getByTestId('image-input').setInputFiles({ name: 'again.jpg', mimeType: 'image/jpeg', buffer: bytes });
  await expect(again.getByTestId('removed')).toContainText('No identifying metadata');
});

test('the animated GIF stays animated and the WebP and PNG are cleaned', async ({ session, request }) => {
  for (const [name, mime] of [['animated.gif', 'image/gif'], ['gps.webp', 'image/webp'], ['gps.png', 'image/png']] as const) {
    const page = await session.page();
    const link = await createSecret(page, { image: name });
    session.track(link);
    const { ciphertext, id } = await revealByApi(request, link);
    const envelope = unpackEnvelope(await decryptWithWebCrypto(link, id, ciphertext));
    expect(envelope.mime).toBe(mime);
    const tags = exiftool(envelope.image!);
    expect(identifying(tags), name).toEqual([]);
    if (name === 'animated.gif') expect(tags['GIF:FrameCount']).toBe(3);
  }
});

test('a truncated image is refused with a clear message', async ({ session }) => {
  const page = await session.page();
  await page.goto('/');
  await hydrated(page);
  await page.getByTestId('image-input').setInputFiles(fixture('truncated.jpg'));
  await expect(page.getByTestId('problem')).toContainText('incomplete');
  await expect(page.getByTestId('image-preview')).toHaveCount(0);
});
