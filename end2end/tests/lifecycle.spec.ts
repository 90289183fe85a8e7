import { test, expect, APIRequestContext } from '@playwright/test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, hydrated, signIn as signInOnly } from './helpers';
import type { Page } from '@playwright/test';

/** Signs in and waits for the members page, so that a `goto` after it is not cut short by the
 * sign-in's own navigation. */
async function signIn(page: Page, email: string, password: string) {
  await signInOnly(page, email, password);
  await expect(page).toHaveURL(/\/members$/);
  await hydrated(page);
}

const PASSWORD = 'a long and fine passphrase';

async function api(request: APIRequestContext, path: string, form: Record<string, string>) {
  const r = await request.post(path, { form });
  if (!r.ok()) throw new Error(`${path}: ${r.status()} ${await r.text()}`);
  return r.json();
}

test('an org owner makes a colleague org admin, who then administers the organization', async ({ browser, playwright, baseURL }) => {
  // The platform admin creates an organization from the Organizations page.
  const root = await (await browser.newContext()).newPage();
  await signIn(root, ADMIN_EMAIL, ADMIN_PASSWORD);
  await hydrated(root);
  const mainNav = root.getByRole('navigation', { name: 'Main' });
  await expect(mainNav.getByRole('link', { name: 'Members' })).toHaveAttribute('aria-current', 'page');
  await mainNav.getByRole('link', { name: 'Organizations' }).click();
  await expect(root).toHaveURL(/\/orgs$/);
  await hydrated(root);
  // A client-side navigation moves the navigation's mark to the page now shown, and only there.
  await expect(mainNav.getByRole('link', { name: 'Organizations' })).toHaveAttribute('aria-current', 'page');
  await expect(mainNav.locator('[aria-current]')).toHaveCount(1);
  await root.getByTestId('create-org').getByLabel('Organization name').fill('Initech');
  await root.getByRole('button', { name: 'Create organization' }).click();
  await root.getByRole('link', { name: 'Initech' }).click();
  await expect(root.getByTestId('org-name')).toHaveText('Initech');
  await hydrated(root);
  await root.getByTestId('create-workspace').getByLabel('New workspace').fill('Initech HQ');
  await root.getByRole('button', { name: 'Create workspace' }).click();
  await expect(root.getByTestId('org-workspaces')).toContainText('Initech HQ');
  const orgId = root.url().split('/orgs/')[1];

  // Olive owns it; Peter is a viewer of its workspace.
  const admin = await playwright.request.newContext({ baseURL });
  await api(admin, '/api/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  const page = await api(admin, '/api/orgs/members', { org_id: orgId });
  const ws = page.workspaces[0].id;
  for (const email of ['olive@initech.example', 'peter@initech.example']) {
    await api(admin, '/api/admin/users', {
      email, name: email.split('@')[0], password: PASSWORD, workspace_id: ws, role: 'workspace_viewer',
      must_change_password: 'false',
    });
  }
  const olive = (await api(admin, '/api/orgs/members', { org_id: orgId })).people
    .find((p: { email: string }) => p.email === 'olive@initech.example');
  await api(admin, '/api/orgs/set_role', { org_id: orgId, user_id: olive.user_id, role: 'org_owner' });
  await admin.dispose();

  const owner = await (await browser.newContext()).newPage();
  await signIn(owner, 'olive@initech.example', PASSWORD);
  await hydrated(owner);
  await owner.getByRole('link', { name: 'Organizations' }).click();
  // The members page stays on screen until the organizations page's part of the bundle has
  // loaded, and its rows link to people of Initech too.
  await owner.getByTestId('org-list').getByRole('link', { name: 'Initech' }).click();
  await hydrated(owner);
  const peter = owner.locator('tr[data-email="peter@initech.example"]');
  await peter.getByTestId('org-role').selectOption('org_admin');
  await expect(peter.getByTestId('org-role')).toHaveValue('org_admin');

  // Peter, now an org admin, renames the workspace from the organization page.
  const p = await (await browser.newContext()).newPage();
  await signIn(p, 'peter@initech.example', PASSWORD);
  await hydrated(p);
  await p.goto(`/orgs/${orgId}`);
  await hydrated(p);
  p.once('dialog', (d) => d.accept('Initech Headquarters'));
  await p.getByTestId('rename-workspace').click();
  await expect(p.getByTestId('org-workspaces')).toContainText('Initech Headquarters');
  // He cannot touch the owner's role: no control for it.
  await expect(p.locator('tr[data-email="olive@initech.example"]').getByTestId('org-role')).toHaveCount(0);
});

test('a user signs out another of their sessions from the profile page', async ({ browser, playwright, baseURL }) => {
  const admin = await playwright.request.newContext({ baseURL });
  await api(admin, '/api/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  const me = await api(admin, '/api/auth/me', {});
  await api(admin, '/api/admin/users', {
    email: 'sam@example.com', name: 'Sam', password: PASSWORD, workspace_id: me.workspaces[0].id,
    role: 'workspace_viewer', must_change_password: 'false',
  });
  await admin.dispose();

  const laptop = await (await browser.newContext()).newPage();
  await signIn(laptop, 'sam@example.com', PASSWORD);
  const phoneContext = await browser.newContext();
  const phone = await phoneContext.newPage();
  await signIn(phone, 'sam@example.com', PASSWORD);
  await hydrated(phone);

  await laptop.goto('/profile');
  await hydrated(laptop);
  const sessions = laptop.getByTestId('session');
  await expect(sessions).toHaveCount(2);
  await expect(laptop.locator('[data-testid="session"][data-current="true"]')).toContainText('this session');
  await laptop.locator('[data-testid="session"][data-current="false"]').getByTestId('end-session').click();
  await expect(sessions).toHaveCount(1);

  // The other browser is signed out: its next page load goes to the sign-in page.
  await phone.goto('/members');
  await expect(phone).toHaveURL(/\/login/);
  // This one is still signed in.
  await laptop.goto('/members');
  await expect(laptop).toHaveURL(/\/members$/);
});

test('a person creates an API token on the profile page, uses it from a script, and revokes it', async ({ page, playwright, baseURL }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await hydrated(page);
  await page.goto('/profile');
  await hydrated(page);
  const panel = page.getByTestId('tokens');
  await panel.getByLabel('Name').fill('nightly export');
  await panel.getByRole('button', { name: 'Create token' }).click();
  const secret = await panel.getByTestId('token-secret').inputValue();
  expect(secret).toMatch(/^roster_pat_[0-9a-f]{64}$/);
  await expect(panel.locator('tr[data-name="nightly export"]')).toContainText('members:read');

  // A script with no cookie at all.
  const script = await playwright.request.newContext({ baseURL, extraHTTPHeaders: { Authorization: `Bearer ${secret}` } });
  const me = await script.post('/api/auth/me', { form: {} });
  expect(me.status()).toBe(200);
  const workspace = (await me.json()).workspaces[0].id;
  const list = await script.post('/api/members/list', { form: { workspace_id: workspace } });
  expect(list.status()).toBe(200);
  // Outside its scope.
  const invite = await script.post('/api/invites/create', { form: { workspace_id: workspace, emails: 'x@example.com', role: 'workspace_viewer' } });
  expect(invite.status()).toBe(403);

  page.once('dialog', (d) => d.accept());
  await panel.locator('tr[data-name="nightly export"]').getByTestId('revoke-token').click();
  await expect(panel.locator('tr[data-name="nightly export"]')).toHaveCount(0);
  const after = await script.post('/api/members/list', { form: { workspace_id: workspace } });
  expect(after.status()).toBe(401);
  expect((await after.json()).code).toBe('invalid_token');
  await script.dispose();
});

test('an org admin adds a webhook, sends a test, sees the delivery, and deletes it', async ({ page, playwright, baseURL }) => {
  const admin = await playwright.request.newContext({ baseURL });
  await api(admin, '/api/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  const org = await api(admin, '/api/orgs/create', { name: 'Hooli' });
  await admin.dispose();

  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await hydrated(page);
  await page.goto(`/orgs/${org.id}`);
  await hydrated(page);
  const panel = page.getByTestId('webhooks');
  await expect(panel).toContainText('No webhooks yet.');
  // Nothing listens on this port: deliveries wait and retry.
  await panel.getByLabel('Endpoint URL').fill('http://127.0.0.1:9/hook');
  await panel.getByRole('button', { name: 'Add webhook' }).click();
  await expect(panel.getByTestId('webhook-secret')).toHaveValue(/^whsec_[0-9a-f]{64}$/);
  const hook = panel.locator('[data-testid="webhook"][data-url="http://127.0.0.1:9/hook"]');
  await expect(hook).toContainText('member.added, member.removed');
  await hook.getByTestId('webhook-test').click();
  await expect(hook.getByTestId('delivery')).toHaveCount(1);
  await expect(hook.getByTestId('delivery')).toContainText('ping');
  page.once('dialog', (d) => d.accept());
  await hook.getByTestId('webhook-delete').click();
  await expect(panel).toContainText('No webhooks yet.');
});
