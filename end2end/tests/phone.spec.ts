import { test, expect } from '@playwright/test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, hydrated, signIn } from './helpers';

const PHONE = { width: 390, height: 844 };

test('on a phone, member rows are cards whose status and actions are on screen', async ({ browser }) => {
  const context = await browser.newContext({ viewport: PHONE });
  const page = await context.newPage();
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(page).toHaveURL(/\/members$/);
  await hydrated(page);
  const me = await (await page.request.post('/api/auth/me')).json();
  const ws = me.workspaces[0].id as string;
  const added = await page.request.post('/api/admin/users', {
    form: {
      email: 'pia@phone.example', name: 'Pia', password: 'a long and fine passphrase', workspace_id: ws,
      role: 'workspace_viewer', must_change_password: 'false',
    },
  });
  expect(added.status()).toBe(201);
  const invited = await page.request.post('/api/invites/create', {
    form: { workspace_id: ws, emails: 'ole@phone.example', role: 'workspace_viewer' },
  });
  expect(invited.status()).toBe(200);
  await page.reload();
  await hydrated(page);

  // Nothing is wider than the screen: no sideways scrolling to reach an action.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
  const inside = async (locator: import('@playwright/test').Locator) => {
    await locator.scrollIntoViewIfNeeded();
    const box = (await locator.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
  };
  const pia = page.locator('tr[data-email="pia@phone.example"]');
  const ole = page.locator('tr[data-email="ole@phone.example"]');
  // The status is shown (the desktop table's column is not simply dropped).
  await expect(pia.locator('td[data-label="Status"]')).toBeVisible();
  await expect(ole.locator('td[data-label="Status"]')).toContainText('Pending');
  for (const action of [pia.getByTestId('deactivate'), pia.getByTestId('reset-password'), ole.getByTestId('resend'), ole.getByTestId('cancel-invite')]) {
    await expect(action).toBeVisible();
    await inside(action);
  }
  // And they work from there.
  await ole.getByTestId('resend').click();
  await expect(page.getByRole('status').filter({ hasText: 'Invitation sent again' })).toBeVisible();
  await context.close();
});
