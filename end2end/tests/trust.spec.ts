import { test, expect, APIRequestContext } from '@playwright/test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, arrivedAt, changePassword, hydrated, lateBundleParts, signIn } from './helpers';

const PASSWORD = 'a long and fine passphrase';

async function api(request: APIRequestContext, path: string, form: Record<string, string>) {
  const r = await request.post(path, { form });
  if (!r.ok()) throw new Error(`${path}: ${r.status()} ${await r.text()}`);
  return r.json();
}

/** An API client signed in as the platform admin. */
async function adminApi(playwright: { request: { newContext: (o: object) => Promise<APIRequestContext> } }, baseURL: string) {
  const request = await playwright.request.newContext({ baseURL });
  await api(request, '/api/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  return request;
}

async function addUser(request: APIRequestContext, email: string, workspaceId: string, role: string) {
  return api(request, '/api/admin/users', {
    email, name: email.split('@')[0], password: PASSWORD, workspace_id: workspaceId, role,
    must_change_password: 'false',
  });
}

test('an account of another organization is invited, not added, and accepts while signed in', async ({ browser, playwright, baseURL }) => {
  const admin = await adminApi(playwright, baseURL!);
  const me = await api(admin, '/api/auth/me', {});
  const defaultWs = me.workspaces.find((w: { name: string }) => w.name === 'Default workspace').id;
  const org = await api(admin, '/api/orgs/create', { name: 'Globex' });
  const globex = await api(admin, '/api/workspaces/create', { org_id: org.id, name: 'Globex HQ' });
  // Bo belongs to Globex only; Wes administers the default workspace only.
  await addUser(admin, 'bo@globex.example', globex.id, 'workspace_viewer');
  await addUser(admin, 'wes@example.com', defaultWs, 'workspace_admin');
  await admin.dispose();

  // Wes invites Bo: an invitation, shown as pending with a badge, not a membership.
  const wes = await (await browser.newContext()).newPage();
  await signIn(wes, 'wes@example.com', PASSWORD);
  await expect(wes).toHaveURL(/\/members$/);
  await hydrated(wes);
  await wes.getByTestId('invite').click();
  const dialog = wes.getByRole('dialog', { name: /Invite to/ });
  await dialog.getByTestId('invite-emails').fill('bo@globex.example');
  await dialog.getByRole('button', { name: 'Send invitations' }).click();
  await expect(dialog.getByTestId('invite-results')).toContainText('bo@globex.example — invited');
  await dialog.getByTestId('invite-done').click();
  const row = wes.locator('tr[data-email="bo@globex.example"]');
  await expect(row).toHaveAttribute('data-status', 'pending');
  await expect(row.getByTestId('has-account')).toBeVisible();
  await row.getByTestId('copy-link').click();
  const link = await wes.getByTestId('invite-link').inputValue();

  // Signed in as someone else, the page says whom the invitation is for.
  await wes.goto(link);
  await expect(wes.getByTestId('invitation-other-account')).toContainText(
    'This invitation is for bo@globex.example; you are signed in as wes@example.com',
  );

  // Bo opens the link signed out, signs in, comes back and accepts.
  const bo = await (await browser.newContext()).newPage();
  // As on a slow machine: the invitation page's HTML is there well before it hydrates.
  await lateBundleParts(bo);
  await bo.goto(link);
  await hydrated(bo);
  await bo.getByTestId('sign-in-to-answer').click();
  await expect(bo).toHaveURL(/\/login\?return_to=/);
  await hydrated(bo);
  await bo.getByLabel('Email').fill('bo@globex.example');
  await bo.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await bo.getByRole('button', { name: 'Sign in' }).click();
  // The sign-in page's own address ends with the invitation's path (`return_to`): wait for
  // the path itself, or the mark found would be the sign-in page's, and a click on Accept could
  // land before the invitation page has hydrated.
  await arrivedAt(bo, /^\/invite\/[0-9a-f]{64}$/);
  await bo.getByTestId('accept-invitation').click();
  await expect(bo).toHaveURL(/\/members$/);
  await hydrated(bo);
  await expect(bo.getByTestId('workspace-switcher')).toContainText('Default workspace');

  // Wes now sees Bo as an active member.
  await wes.goto('/members');
  await expect(wes.locator('tr[data-email="bo@globex.example"]')).toHaveAttribute('data-status', 'active');
});

test('an admin deactivates a member, who is refused at sign-in, and resets a password, which must be changed', async ({ browser, playwright, baseURL }) => {
  const admin = await adminApi(playwright, baseURL!);
  const me = await api(admin, '/api/auth/me', {});
  const defaultWs = me.workspaces.find((w: { name: string }) => w.name === 'Default workspace').id;
  await addUser(admin, 'dee@example.com', defaultWs, 'workspace_viewer');
  await addUser(admin, 'rey@example.com', defaultWs, 'workspace_viewer');
  const initech = await api(admin, '/api/workspaces/create', {
    org_id: (await api(admin, '/api/orgs/create', { name: 'Initech' })).id, name: 'Initech Ops',
  });
  await api(admin, '/api/invites/create', { workspace_id: initech.id, emails: 'ivy@initech.example', role: 'workspace_viewer' });
  await admin.dispose();

  const page = await (await browser.newContext()).newPage();
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(page).toHaveURL(/\/members$/);
  await hydrated(page);

  const dee = page.locator('tr[data-email="dee@example.com"]');
  page.once('dialog', (d) => d.accept());
  await dee.getByTestId('deactivate').click();
  await expect(page.getByTestId('account-changed')).toContainText('dee@example.com is deactivated');
  await expect(dee).toHaveAttribute('data-status', 'deactivated');

  const deePage = await (await browser.newContext()).newPage();
  await signIn(deePage, 'dee@example.com', PASSWORD);
  await expect(deePage.getByRole('alert')).toContainText('deactivated');
  await expect(deePage).toHaveURL(/\/login$/);

  const rey = page.locator('tr[data-email="rey@example.com"]');
  page.once('dialog', (d) => d.accept());
  await rey.getByTestId('reset-password').click();
  const temporary = await page.getByTestId('reset-password-value').inputValue();
  expect(temporary).toHaveLength(20);

  const reyPage = await (await browser.newContext()).newPage();
  await signIn(reyPage, 'rey@example.com', PASSWORD);
  await expect(reyPage.getByRole('alert')).toContainText('incorrect');
  await signIn(reyPage, 'rey@example.com', temporary);
  await changePassword(reyPage, temporary, 'rey chose this one');
  await expect(reyPage).toHaveURL(/\/members$/);

  // Another workspace starts without this one's notes: the temporary password is not shown
  // beside rows it does not belong to.
  await expect(page.getByTestId('password-reset')).toBeVisible();
  await page.getByTestId('workspace-switcher').selectOption(initech.id);
  await expect(page).toHaveURL(new RegExp(`workspace=${initech.id}`));
  // Initech Ops holds only its creator, the admin, and one invitation.
  await expect(page.getByTestId('member-counts')).toContainText('1 member · 1 invitation');
  await expect(rey).toHaveCount(0);
  await expect(page.getByTestId('password-reset')).toHaveCount(0);
  await expect(page.getByTestId('account-changed')).toHaveCount(0);
  // Nor does acting there bring them back: only the answer to what was done here shows.
  await page.locator('tr[data-email="ivy@initech.example"]').getByTestId('resend').click();
  await expect(page.getByRole('status').filter({ hasText: 'Invitation sent again' })).toBeVisible();
  await expect(page.getByTestId('password-reset')).toHaveCount(0);
  await expect(page.getByTestId('reset-password-value')).toHaveCount(0);
  await expect(page.getByTestId('account-changed')).toHaveCount(0);
});

test('a hostile return path after signing in stays on this origin', async ({ page }) => {
  for (const hostile of ['//evil.example', '/\t/evil.example', '/\\evil.example', 'https://evil.example/']) {
    await page.context().clearCookies();
    await page.goto(`/login?return_to=${encodeURIComponent(hostile)}`);
    await hydrated(page);
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(/^http:\/\/127\.0\.0\.1:\d+\/members$/);
  }
});
