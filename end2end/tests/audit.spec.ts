import { test, expect } from '@playwright/test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, hydrated, signIn } from './helpers';

const PASSWORD = 'a long and fine passphrase';

test('an admin filters the audit log, reads an entry in full, exports it and follows a person', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(page).toHaveURL(/\/members$/);
  await hydrated(page);

  // Someone to find: added through the API with the admin's session.
  const me = await (await page.request.post('/api/auth/me')).json();
  const ws = me.workspaces[0].id;
  const added = await page.request.post('/api/admin/users', {
    form: {
      email: 'quinn@audit.example', name: 'Quinn', password: PASSWORD, workspace_id: ws,
      role: 'workspace_viewer', must_change_password: 'false',
    },
  });
  expect(added.status()).toBe(201);
  const quinn = (await added.json()).user_id as string;

  await page.goto('/audit');
  await hydrated(page);
  await expect(page.getByTestId('audit-row').first()).toBeVisible();

  // Filter by action: the address carries it, and every row shown is that action.
  await page.getByTestId('audit-filter-action').selectOption('admin_create_user');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/\/audit\?action=admin_create_user$/);
  const rows = page.getByTestId('audit-row');
  await expect(rows.filter({ hasText: 'quinn@audit.example' })).toHaveCount(1);
  const actions = await rows.locator('code').allTextContents();
  expect(actions.length).toBeGreaterThan(0);
  expect(new Set(actions)).toEqual(new Set(['admin_create_user']));

  // The details are longer than a cell: unfolded with the keyboard, they are there in full.
  const quinnRow = rows.filter({ hasText: 'quinn@audit.example' });
  const summary = quinnRow.getByTestId('audit-detail').locator('summary');
  await summary.focus();
  await page.keyboard.press('Enter');
  await expect(quinnRow.locator('.detail-full')).toBeVisible();
  await expect(quinnRow.locator('.detail-full')).toHaveText(
    'role=workspace_viewer must_change_password=false generated_password=false',
  );

  // The exports carry the same filter, and download what the page shows.
  await expect(page.getByTestId('audit-export-csv')).toHaveAttribute('href', '/api/audit/export.csv?action=admin_create_user');
  const csv = await page.request.get('/api/audit/export.csv?action=admin_create_user');
  expect(csv.status()).toBe(200);
  const lines = (await csv.text()).trim().split('\n');
  expect(lines[0]).toBe('id,time,actor,actor_token,action,target,workspace_id,workspace,ip,detail');
  expect(lines.some((l) => l.includes('quinn@audit.example'))).toBe(true);

  // Days in the future match nothing, and the page says that it is the filter.
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  await page.getByTestId('audit-filter-from').fill(tomorrow);
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(new RegExp(`from=${tomorrow}`));
  await expect(page.getByTestId('audit-empty')).toHaveText('Nothing matches these filters.');

  // From Quinn's page to Quinn's whole history.
  await page.goto(`/people/${quinn}`);
  await hydrated(page);
  await page.getByTestId('person-history').click();
  await expect(page).toHaveURL(new RegExp(`/audit\\?person=${quinn}$`));
  await expect(page.getByTestId('audit-filter-person')).toBeVisible();
  const targets = await page.getByTestId('audit-row').allTextContents();
  expect(targets.length).toBeGreaterThan(0);
  for (const text of targets) expect(text).toContain('quinn@audit.example');

  // Clear goes back to everything.
  await page.getByRole('link', { name: 'Clear' }).click();
  await expect(page).toHaveURL(/\/audit$/);
  await context.close();
});

test('the members page exports what its search and filter show', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(page).toHaveURL(/\/members$/);
  await hydrated(page);
  const me = await (await page.request.post('/api/auth/me')).json();
  const ws = me.workspaces[0].id as string;
  const added = await page.request.post('/api/admin/users', {
    form: {
      email: 'rita@export.example', name: 'Rita', password: PASSWORD, workspace_id: ws,
      role: 'workspace_editor', must_change_password: 'false',
    },
  });
  expect(added.status()).toBe(201);
  await page.reload();
  await hydrated(page);
  const link = page.getByTestId('members-export');
  await expect(link).toHaveAttribute('href', `/api/members/export.csv?workspace_id=${ws}&q=&status=all&role=all&sort=email`);
  await page.getByTestId('member-search').fill('rita');
  await page.getByTestId('status-filter').selectOption('active');
  await expect(link).toHaveAttribute('href', `/api/members/export.csv?workspace_id=${ws}&q=rita&status=active&role=all&sort=email`);
  const csv = await page.request.get((await link.getAttribute('href'))!);
  expect(csv.status()).toBe(200);
  expect(csv.headers()['content-disposition']).toMatch(/^attachment; filename="roster-members-\d{4}-\d{2}-\d{2}\.csv"$/);
  const lines = (await csv.text()).trim().split('\n');
  expect(lines[0]).toBe('email,name,status,role,role_source,since,last_sign_in,invited_by,invitation_expires,has_account');
  expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['rita@export.example']);
  await context.close();
});
