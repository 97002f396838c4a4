import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { test, expect, hydrated, fixture, exiftool, identifying, receiveFilesIndependently } from './support';

test('an iPhone photo (HEIC) among the files is cleaned in the page, and arrives clean and upright', async ({ session }) => {
  const sender = await session.page();
  await sender.goto('/');
  await hydrated(sender);
  await sender.getByTestId('secret-text').fill('the photo');
  await sender.getByTestId('files-input').setInputFiles([fixture('photo-gps-rotated.heic')]);
  await expect(sender.getByTestId('file-row')).toHaveCount(1);
  const removed = sender.getByTestId('file-row').getByTestId('removed');
  await expect(removed).toContainText('location (40.13° N, 73.85° W)');
  await expect(removed).toContainText('camera FixtureCam Model-1');
  await expect(removed).toContainText('serial number');
  await sender.getByTestId('create').click();
  const link = await sender.getByTestId('link').inputValue();
  session.track(link);

  const recipient = await session.page();
  await recipient.goto(link);
  await hydrated(recipient);
  await recipient.getByTestId('reveal').click();
  await expect(recipient.getByTestId('save-file')).toHaveCount(1, { timeout: 60_000 });
  const [download] = await Promise.all([recipient.waitForEvent('download'), recipient.getByTestId('save-file').click()]);
  expect(download.suggestedFilename()).toBe('photo-gps-rotated.heic');
  const bytes = fs.readFileSync(await download.path());
  const original = fs.readFileSync(fixture('photo-gps-rotated.heic'));
  expect(bytes.length).toBe(original.length);
  expect(bytes.includes(Buffer.from('FixtureCam'))).toBe(false);
  const tags = exiftool(bytes);
  expect(identifying(tags)).toEqual([]);
  expect(tags['QuickTime:Rotation']).toBe(270);
  // libheif decodes it, upright: 400 × 600 as the original shows.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oncelink-heic-'));
  fs.writeFileSync(path.join(dir, 'received.heic'), bytes);
  execFileSync('heif-convert', [path.join(dir, 'received.heic'), path.join(dir, 'received.png')]);
  const png = fs.readFileSync(path.join(dir, 'received.png'));
  expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([400, 600]);
  fs.rmSync(dir, { recursive: true });
});

test('a Word document is cleaned in the page: the summary names what goes, tracked changes are reported, and it arrives clean', async ({ session }) => {
  const docx = path.join(__dirname, '../../fixtures/documents/form.docx');
  const sender = await session.page();
  await sender.goto('/');
  await hydrated(sender);
  await sender.getByTestId('files-input').setInputFiles([docx]);
  await expect(sender.getByTestId('file-row')).toHaveCount(1);
  const removed = sender.getByTestId('file-row').getByTestId('removed');
  await expect(removed).toContainText('author Jane Source');
  await expect(removed).toContainText('company Example Ltd');
  await expect(removed).toContainText('comments and who wrote them');
  // The originals only on request, with a warning; off by default.
  const keep = sender.getByTestId('keep-original-files');
  await expect(keep).not.toBeChecked();
  await keep.check();
  await expect(sender.getByTestId('keep-original-files-warning')).toBeVisible();
  await keep.uncheck();
  await expect(sender.getByTestId('keep-original-files-warning')).toHaveCount(0);
  await expect(removed).toContainText('metadata of the images inside');
  await expect(removed.getByTestId('tracked-changes')).toBeVisible();
  await sender.getByTestId('create').click();
  const link = await sender.getByTestId('link').inputValue();
  session.track(link);

  const recipient = await session.page();
  await recipient.goto(link);
  await hydrated(recipient);
  await recipient.getByTestId('reveal').click();
  await expect(recipient.getByTestId('save-file')).toHaveCount(1, { timeout: 60_000 });
  const [download] = await Promise.all([recipient.waitForEvent('download'), recipient.getByTestId('save-file').click()]);
  expect(download.suggestedFilename()).toBe('form.docx');
  // unzip finds a sound package whose parts hold none of the identifying values.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oncelink-docx-'));
  const file = path.join(dir, 'form.docx');
  fs.writeFileSync(file, fs.readFileSync(await download.path()));
  execFileSync('unzip', ['-tq', file]);
  const everything = execFileSync('unzip', ['-p', file], { maxBuffer: 64 * 1024 * 1024 });
  for (const value of ['Jane Source', 'Example Ltd', 'Max Manager', 'CUSTOMER-7781', 'Check the price', 'FixtureCam']) {
    expect(everything.includes(Buffer.from(value)), value).toBe(false);
  }
  expect(everything.includes(Buffer.from('The contract text stays.'))).toBe(true);
  fs.rmSync(dir, { recursive: true });
});

test('a PDF and a HEIC are cleaned in the page: decrypted by the test itself, the earlier revision, attachment and script are gone, the photo is clean, and the pages render the same', async ({ session, request }) => {
  const pdf = path.join(__dirname, '../../fixtures/documents/report.pdf');
  const sender = await session.page();
  await sender.goto('/');
  await hydrated(sender);
  await sender.getByTestId('files-input').setInputFiles([pdf, fixture('photo-gps-rotated.heic')]);
  await expect(sender.getByTestId('file-row')).toHaveCount(2);
  const removed = sender.getByTestId('file-row').first().getByTestId('removed');
  await expect(removed).toContainText('author');
  await expect(removed).toContainText('company Example Ltd');
  await expect(removed).toContainText('earlier versions of the document kept in the file (1)');
  await expect(removed).toContainText('attached files');
  await expect(removed).toContainText('scripts and automatic actions');
  await sender.getByTestId('create').click();
  const link = await sender.getByTestId('link').inputValue();
  session.track(link);

  // Received and decrypted by the test itself (Node's crypto), not by the page.
  const received = await receiveFilesIndependently(request, link);
  expect([...received.files.keys()].sort()).toEqual(['photo-gps-rotated.heic', 'report.pdf']);
  const bytes = received.files.get('report.pdf')!;
  const photo = received.files.get('photo-gps-rotated.heic')!;
  expect(identifying(exiftool(photo))).toEqual([]);
  expect(photo.includes(Buffer.from('FixtureCam'))).toBe(false);
  for (const value of ['SECRET LINE THAT WAS REDACTED', 'Jane Source', 'CUSTOMER-7781', 'FixtureCam', 'JavaScript']) {
    expect(bytes.includes(Buffer.from(value)), value).toBe(false);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oncelink-pdf-'));
  const file = path.join(dir, 'report.pdf');
  fs.writeFileSync(file, bytes);
  const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
  expect(info).toContain('Pages:           2');
  expect(info).not.toContain('Author:');
  // Both pages render as the original's do.
  execFileSync('pdftoppm', ['-r', '40', file, path.join(dir, 'after')]);
  execFileSync('pdftoppm', ['-r', '40', pdf, path.join(dir, 'before')]);
  for (const page of ['1', '2']) {
    const a = fs.readFileSync(path.join(dir, `after-${page}.ppm`));
    const b = fs.readFileSync(path.join(dir, `before-${page}.ppm`));
    expect(a.equals(b), `page ${page}`).toBe(true);
  }
  fs.rmSync(dir, { recursive: true });
});
