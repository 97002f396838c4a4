import { test, expect, createSecret, reveal } from './support';

// The answer to a reveal is lost after the server counted the view (a dropped connection):
// the page asks again with the same claim, gets the same view, and confirms it. Nobody else
// gets it.
test('a reveal whose answer is lost is delivered on retry, then confirmed', async ({ session }) => {
  const sender = await session.page();
  const text = 'delivered although the first answer was lost';
  const link = await createSecret(sender, { text });
  session.track(link);

  // The lost answer shows in the console as a reset connection: expected here.
  session.allowedErrors.push(/ERR_CONNECTION_RESET/);
  const recipient = await session.page();
  const reveals: string[] = [];
  let confirms = 0;
  await recipient.route('**/fn/reveal', async (route) => {
    reveals.push(route.request().postDataBuffer()?.toString('base64') ?? '');
    if (reveals.length === 1) {
      // The server answers, and counts the view...
      const answer = await route.fetch();
      expect(answer.status()).toBe(200);
      // ...but the answer never reaches the page.
      await route.abort('connectionreset');
      return;
    }
    await route.continue();
  });
  await recipient.route('**/fn/confirm', async (route) => {
    confirms += 1;
    await route.continue();
  });
  await reveal(recipient, link);
  await expect(recipient.getByTestId('secret-text')).toHaveText(text);
  // The same request twice: the same claim, so the same view.
  expect(reveals.length).toBe(2);
  expect(reveals[1]).toBe(reveals[0]);
  await expect.poll(() => confirms).toBe(1);

  const other = await session.page();
  await other.goto(link);
  await expect(other.getByTestId('gone')).toBeVisible();
});
