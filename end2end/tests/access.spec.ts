import { test, expect, hydrated, createSecret, reveal, aliasOf, accessProof } from './support';

test('a 3-view secret opens in three browsers, and a fourth finds it gone', async ({ session, request }) => {
  const sender = await session.page();
  const link = await createSecret(sender, { text: 'the contract', views: 3 });
  session.track(link);

  for (const left of [2, 1, 0]) {
    const recipient = await session.page();
    await recipient.goto(link);
    await hydrated(recipient);
    if (left + 1 > 1) await expect(recipient.getByTestId('views-before')).toContainText(String(left + 1));
    await recipient.getByTestId('reveal').click();
    await expect(recipient.getByTestId('secret-text')).toHaveText('the contract');
    if (left > 0) {
      await expect(recipient.getByTestId('views-left')).toHaveText(`Views left after this one: ${left}.`);
    } else {
      await expect(recipient.getByTestId('views-left')).toContainText('deleted from the server');
    }
  }
  const fourth = await session.page();
  await fourth.goto(link);
  await expect(fourth.getByTestId('gone')).toBeVisible();
  // And the API agrees: nothing left, even with the right proof.
  const response = await request.post(`/api/secrets/${aliasOf(link)}/reveal`, {
    data: { access_proof: await accessProof(link) },
  });
  expect(response.status()).toBe(404);
});

test('a wrong passphrase burns nothing and shows the tries left; the right one opens', async ({ session, request }) => {
  const passphrase = 'tango-oscar-4711';
  session.secret(passphrase);
  const sender = await session.page();
  const link = await createSecret(sender, { text: 'passport scan notes', passphrase });
  session.track(link);

  const recipient = await session.page();
  await recipient.goto(link);
  // Known before any click: the page asks for the passphrase.
  await expect(recipient.getByTestId('passphrase-needed')).toBeVisible();
  await hydrated(recipient);
  await expect(recipient.getByTestId('reveal')).toBeDisabled();

  await recipient.getByTestId('reveal-passphrase').fill('tango-oscar-4712');
  const started = Date.now();
  await recipient.getByTestId('reveal').click();
  await expect(recipient.getByTestId('wrong-passphrase')).toHaveText(
    'Wrong passphrase. Tries left before the secret is destroyed: 4.',
  );
  console.log(`wrong passphrase round trip (Argon2id in WASM + request): ${Date.now() - started} ms`);
  // Nothing was burned: the secret is still waiting, one try spent.
  const info = await (await request.get(`/api/secrets/${aliasOf(link)}/info`)).json();
  expect(info).toMatchObject({ passphrase_required: true, tries_left: 4, views_left: 1 });

  await recipient.getByTestId('reveal-passphrase').fill(passphrase);
  await recipient.getByTestId('reveal').click();
  await expect(recipient.getByTestId('secret-text')).toHaveText('passport scan notes');

  const again = await session.page();
  await again.goto(link);
  await expect(again.getByTestId('gone')).toBeVisible();
});

test('the manage page shows "opened" after a reveal, and "Destroy now" kills the link', async ({ session }) => {
  const sender = await session.page();
  const link = await createSecret(sender, { text: 'first', views: 2 });
  session.track(link);
  const manage = await sender.getByTestId('manage-link').inputValue();
  expect(manage).toMatch(/\/m\/[A-Za-z0-9]{8}\?lng=en#[A-Za-z0-9_-]{43}$/);
  session.track(manage);
  expect(aliasOf(manage)).toBe(aliasOf(link));

  const owner = await session.page();
  await owner.goto(manage);
  await hydrated(owner);
  await expect(owner.getByTestId('manage-state')).toHaveAttribute('data-state', 'waiting');
  await expect(owner.getByTestId('manage-views')).toHaveText('Views: 0 of 2');
  // Nothing on the manage page shows the content.
  await expect(owner.locator('body')).not.toContainText('first');

  const recipient = await session.page();
  await reveal(recipient, link);
  await expect(recipient.getByTestId('secret-text')).toHaveText('first');

  await owner.reload();
  await hydrated(owner);
  await expect(owner.getByTestId('manage-state')).toHaveAttribute('data-state', 'opened');
  await expect(owner.getByTestId('manage-state')).toHaveText('Opened');
  await expect(owner.getByTestId('manage-views')).toHaveText('Views: 1 of 2');
  await expect(owner.getByTestId('manage-opened').locator('li')).toHaveCount(1);

  await owner.getByTestId('destroy').click();
  await expect(owner.getByTestId('manage-state')).toHaveAttribute('data-state', 'destroyed');
  await expect(owner.getByTestId('destroy')).toHaveCount(0);

  const late = await session.page();
  await late.goto(link);
  await expect(late.getByTestId('gone')).toBeVisible();
});

test('a manage link with a wrong token shows nothing and destroys nothing', async ({ session }) => {
  const sender = await session.page();
  const link = await createSecret(sender, { text: 'keep me' });
  session.track(link);
  const manage = await sender.getByTestId('manage-link').inputValue();
  session.track(manage);
  session.allowedErrors.push(/403|Forbidden/);

  const stranger = await session.page();
  const forged = manage.replace(/#.*/, '#' + 'A'.repeat(43));
  await stranger.goto(forged);
  await hydrated(stranger);
  await expect(stranger.getByTestId('manage-problem')).toBeVisible();
  await expect(stranger.getByTestId('destroy')).toHaveCount(0);

  const recipient = await session.page();
  await reveal(recipient, link);
  await expect(recipient.getByTestId('secret-text')).toHaveText('keep me');
});
