import AxeBuilder from '@axe-core/playwright';
import { test, expect, hydrated, createSecret } from './support';
import type { Page } from '@playwright/test';

async function expectNoSeriousViolations(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
    what,
  ).toEqual([]);
}

for (const scheme of ['light', 'dark'] as const) {
  test(`no serious or critical accessibility violations (${scheme})`, async ({ session }) => {
    const sender = await session.page({ colorScheme: scheme });
    await sender.goto('/');
    await hydrated(sender);
    await expectNoSeriousViolations(sender, 'create page');

    const link = await createSecret(sender, { text: 'accessible' });
    session.track(link);
    await expectNoSeriousViolations(sender, 'result');

    const recipient = await session.page({ colorScheme: scheme });
    await recipient.goto(link);
    await hydrated(recipient);
    await expectNoSeriousViolations(recipient, 'reveal page');
    await recipient.getByTestId('reveal').click();
    await expect(recipient.getByTestId('secret-text')).toBeVisible();
    await expectNoSeriousViolations(recipient, 'revealed secret');

    await recipient.goto('/security?lng=ar');
    await expectNoSeriousViolations(recipient, 'security page (Arabic)');
  });
}

test('keyboard: the create flow works without a mouse', async ({ session }) => {
  const page = await session.page();
  await page.goto('/');
  await hydrated(page);
  await page.getByTestId('secret-text').focus();
  await page.keyboard.type('typed by keyboard');
  // Tab to the Create button and press Enter.
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press('Tab');
    if (await page.getByTestId('create').evaluate((el) => el === document.activeElement)) break;
  }
  await expect(page.getByTestId('create')).toBeFocused();
  await page.keyboard.press('Enter');
  const link = await page.getByTestId('link').inputValue();
  session.track(link);
  expect(link).toContain('/s/');
});
