import { test, expect, Page, Browser } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_EMAIL, ADMIN_PASSWORD, hydrated, signIn } from './helpers';

// Sign-in goes through a real OpenID provider process on 127.0.0.1 (oidc-provider), standing in
// for Google. Its accounts file sets the claims of each login, re-read at every sign-in.
const ACCOUNTS = join(__dirname, '..', '.accounts.json');
function setAccounts(accounts: Record<string, Record<string, unknown>>) {
  writeFileSync(ACCOUNTS, JSON.stringify(accounts));
}

async function adminPage(browser: Browser): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(page).toHaveURL(/\/members$/);
  await hydrated(page);
  return page;
}

async function invite(admin: Page, email: string): Promise<string> {
  await admin.getByTestId('invite').click();
  const dialog = admin.getByRole('dialog', { name: /Invite to/ });
  await dialog.getByTestId('invite-emails').fill(email);
  await dialog.getByRole('button', { name: 'Send invitations' }).click();
  await expect(dialog.getByTestId('invite-results')).toContainText(`${email} — invited`);
  await dialog.getByTestId('invite-done').click();
  const row = admin.locator(`tr[data-email="${email}"]`);
  await expect(row).toHaveAttribute('data-status', 'pending');
  await row.getByTestId('copy-link').click();
  return admin.getByTestId('invite-link').inputValue();
}

/** The provider's development login page: any password signs the login in. */
async function providerLogin(page: Page, login: string) {
  await expect(page.locator('input[name="login"]')).toBeVisible();
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.locator('button[type="submit"]').click();
}

test('an invited person accepts by signing in with Google; an existing password account is never linked', async ({ browser }) => {
  setAccounts({});
  const admin = await adminPage(browser);
  const link = await invite(admin, 'lovelace@example.com');

  // The invitee opens the link and continues with "Google".
  const invitee = await (await browser.newContext()).newPage();
  await invitee.goto(link);
  await invitee.getByTestId('continue-with-google').click();
  await providerLogin(invitee, 'lovelace@example.com');
  await expect(invitee).toHaveURL(/\/members$/);
  await expect(invitee.getByTestId('signed-in-as')).toHaveText('lovelace@example.com');

  // The invitation became an active membership.
  await admin.reload();
  await expect(admin.locator('tr[data-email="lovelace@example.com"]')).toHaveAttribute('data-status', 'active');

  // Sign out and in again: the same account.
  await hydrated(invitee);
  await invitee.getByTestId('sign-out').click();
  await expect(invitee).toHaveURL(/\/login$/);
  await invitee.goto('/auth/oidc/login');
  await expect(invitee).toHaveURL(/\/members$/);
  await expect(invitee.getByTestId('signed-in-as')).toHaveText('lovelace@example.com');
  await admin.reload();
  await expect(admin.locator('tr[data-email="lovelace@example.com"]')).toHaveCount(1);

  // A password user with the same email as a Google account is not linked.
  await admin.getByTestId('add-user').click();
  const dialog = admin.getByRole('dialog', { name: 'Add User' });
  await dialog.getByLabel('Email').fill('turing@example.com');
  await dialog.locator('input[name="password"]').fill('turing own password 1912');
  await dialog.getByRole('button', { name: 'Add User' }).click();
  await expect(dialog.getByTestId('user-created')).toBeVisible();
  await dialog.getByTestId('add-user-done').click();
  const stranger = await (await browser.newContext()).newPage();
  await stranger.goto('/auth/oidc/login');
  await providerLogin(stranger, 'turing@example.com');
  await expect(stranger).toHaveURL(/\/auth\/error\?reason=account_exists$/);
  await expect(stranger.getByRole('heading', { name: 'Account already exists' })).toBeVisible();
});

test('roles follow the provider\'s roles claim at every sign-in', async ({ browser }) => {
  setAccounts({ 'hopper@example.com': { roles: ['admin'] } });
  const admin = await adminPage(browser);
  const link = await invite(admin, 'hopper@example.com');

  const first = await (await browser.newContext()).newPage();
  await first.goto(link);
  await first.getByTestId('continue-with-google').click();
  await providerLogin(first, 'hopper@example.com');
  await expect(first).toHaveURL(/\/members$/);

  await admin.reload();
  const row = admin.locator('tr[data-email="hopper@example.com"]');
  await expect(row.locator('select')).toHaveValue('workspace_admin');
  await expect(row.getByTestId('role-source')).toHaveText('identity provider');

  // The claim changes at the provider; the next sign-in (a new browser) applies it.
  setAccounts({ 'hopper@example.com': { roles: ['staff'] } });
  const second = await (await browser.newContext()).newPage();
  await second.goto('/auth/oidc/login');
  await providerLogin(second, 'hopper@example.com');
  await expect(second).toHaveURL(/\/members$/);
  await admin.reload();
  await expect(row.locator('select')).toHaveValue('workspace_viewer');

  // An unknown value changes nothing.
  setAccounts({ 'hopper@example.com': { roles: ['intern'] } });
  const third = await (await browser.newContext()).newPage();
  await third.goto('/auth/oidc/login');
  await providerLogin(third, 'hopper@example.com');
  await expect(third).toHaveURL(/\/members$/);
  await admin.reload();
  await expect(row.locator('select')).toHaveValue('workspace_viewer');
});
