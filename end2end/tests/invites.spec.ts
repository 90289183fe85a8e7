import { test, expect } from '@playwright/test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, hydrated, signIn } from './helpers';

test('admin invites two people, resends one, cancels the other, copies a link and opens it', async ({ page, context }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(page).toHaveURL(/\/members$/);
  await hydrated(page);

  await page.getByTestId('invite').click();
  const dialog = page.getByRole('dialog', { name: /Invite to/ });
  await dialog.getByTestId('invite-emails').fill('lin@example.com\nmax@example.com');
  await dialog.locator('select[name="role"]').selectOption('workspace_editor');
  await dialog.getByRole('button', { name: 'Send invitations' }).click();
  await expect(dialog.getByTestId('invite-results')).toContainText('lin@example.com — invited');
  await expect(dialog.getByTestId('invite-results')).toContainText('max@example.com — invited');
  await dialog.getByTestId('invite-done').click();

  const lin = page.locator('tr[data-email="lin@example.com"]');
  const max = page.locator('tr[data-email="max@example.com"]');
  await expect(lin).toHaveAttribute('data-status', 'pending');
  await expect(max).toHaveAttribute('data-status', 'pending');
  await expect(lin).toContainText('invited by admin@example.com');

  await lin.getByTestId('resend').click();
  await expect(page.getByRole('status').filter({ hasText: 'Invitation sent again' })).toBeVisible();

  page.once('dialog', (d) => d.accept());
  await max.getByTestId('cancel-invite').click();
  await expect(max).toHaveCount(0);
  await expect(lin).toBeVisible();

  // The list is searched on the server, by the start of an email, in any case.
  const search = page.getByTestId('member-search');
  await search.fill('LIN@');
  await expect(page.getByTestId('member-row')).toHaveCount(1);
  await expect(lin).toBeVisible();
  await search.fill('max@');
  await expect(page.getByText('Nobody matches.')).toBeVisible();
  await search.fill('');
  await expect(lin).toBeVisible();
  await expect(page.getByTestId('member-counts')).toContainText(/\d+ invitations? · page 1/);

  await lin.getByTestId('copy-link').click();
  const link = await page.getByTestId('invite-link').inputValue();
  expect(link).toMatch(/\/invite\/[0-9a-f]{64}$/);

  const invitee = await context.browser()!.newContext();
  const invitePage = await invitee.newPage();
  await invitePage.goto(link);
  await expect(invitePage.getByRole('heading', { name: 'You are invited' })).toBeVisible();
  await expect(invitePage.getByTestId('invitation-workspaces')).toContainText('Default workspace');
  await expect(invitePage.getByTestId('continue-with-google')).toBeVisible();
  await invitee.close();
});

/** Presses Tab (Shift+Tab with `back`) until `target` has the focus; fails after 60 presses. */
async function tabTo(page: import('@playwright/test').Page, target: import('@playwright/test').Locator, back = false) {
  for (let i = 0; i < 60; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  throw new Error('never reached with Tab');
}

const focusInsideDialog = (page: import('@playwright/test').Page) =>
  page.evaluate(() => !!document.activeElement?.closest('[role="dialog"]'));

test('invite, resend and cancel with the keyboard alone; dialogs keep and give back the focus', async ({ page }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(page).toHaveURL(/\/members$/);
  await hydrated(page);

  // Open the dialog from the keyboard: the focus goes into it.
  const invite = page.getByTestId('invite');
  await tabTo(page, invite);
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: /Invite to/ });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('invite-emails')).toBeFocused();
  // Tab and Shift+Tab go round inside it, never out to the page behind.
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    expect(await focusInsideDialog(page)).toBe(true);
  }
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Shift+Tab');
    expect(await focusInsideDialog(page)).toBe(true);
  }
  // Escape closes it and gives the focus back to the button that opened it.
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(invite).toBeFocused();

  // Invite for real.
  await page.keyboard.press('Enter');
  await expect(dialog.getByTestId('invite-emails')).toBeFocused();
  await page.keyboard.type('kim@keys.example');
  await tabTo(page, dialog.getByRole('button', { name: 'Send invitations' }));
  await page.keyboard.press('Enter');
  await expect(dialog.getByTestId('invite-results')).toContainText('kim@keys.example — invited');
  await tabTo(page, dialog.getByTestId('invite-done'));
  await page.keyboard.press('Enter');
  await expect(dialog).toHaveCount(0);
  await expect(invite).toBeFocused();

  // Find the row by searching (typed, too), then resend and cancel from it.
  await tabTo(page, page.getByTestId('member-search'), true);
  await page.keyboard.type('kim@');
  await expect(page.getByTestId('member-row')).toHaveCount(1);
  const kim = page.locator('tr[data-email="kim@keys.example"]');
  await expect(kim).toHaveAttribute('data-status', 'pending');
  await tabTo(page, kim.getByTestId('resend'));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('status').filter({ hasText: 'Invitation sent again' })).toBeVisible();
  await tabTo(page, kim.getByTestId('cancel-invite'));
  // The confirmation is the browser's own dialog (accepted here, as Enter would).
  page.once('dialog', (d) => d.accept());
  await page.keyboard.press('Enter');
  await expect(kim).toHaveCount(0);
});
