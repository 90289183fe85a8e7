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
