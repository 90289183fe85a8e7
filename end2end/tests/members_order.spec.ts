import { test, expect } from '@playwright/test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, hydrated, signIn } from './helpers';

test('an admin orders the members by any column and filters them by role and status, with the counts per status beside the filter', async ({ page }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(page).toHaveURL(/\/members$/);
  await hydrated(page);
  const me = await (await page.request.post('/api/auth/me')).json();
  const ws = me.workspaces[0].id as string;
  // Added one after the other: the last added is the newest member.
  for (const [email, role] of [['ord-b@order.example', 'workspace_editor'], ['ord-a@order.example', 'workspace_viewer'], ['ord-c@order.example', 'workspace_editor']]) {
    const r = await page.request.post('/api/admin/users', {
      form: { email, name: `Zed ${email.slice(4, 5)}`, password: 'a long and fine passphrase', workspace_id: ws, role, must_change_password: 'false' },
    });
    expect(r.status()).toBe(201);
    // Join times are in seconds: a second apart, the order by joined is certain.
    await page.waitForTimeout(1_100);
  }
  expect((await page.request.post('/api/invites/create', {
    form: { workspace_id: ws, emails: 'ord-i@order.example', role: 'workspace_editor' },
  })).status()).toBe(200);
  await page.reload();
  await hydrated(page);
  const emails = () => page.getByTestId('member-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-email')));
  await page.getByTestId('member-search').fill('ord-');
  await expect(page.getByTestId('member-row')).toHaveCount(4);
  expect(await emails()).toEqual(['ord-a@order.example', 'ord-b@order.example', 'ord-c@order.example', 'ord-i@order.example']);

  // Newest first: the invitation (not joined yet), then the members by the time they joined.
  await page.getByTestId('sort').selectOption('-joined');
  await expect.poll(emails).toEqual(['ord-i@order.example', 'ord-c@order.example', 'ord-a@order.example', 'ord-b@order.example']);
  await expect(page.locator('th[aria-sort="descending"]')).toHaveText('Since');
  await page.getByTestId('sort').selectOption('-email');
  await expect.poll(emails).toEqual(['ord-i@order.example', 'ord-c@order.example', 'ord-b@order.example', 'ord-a@order.example']);

  // Editors only (the invitation is for an editor too), then pending invitations only.
  await page.getByTestId('role-filter').selectOption('workspace_editor');
  await expect.poll(emails).toEqual(['ord-i@order.example', 'ord-c@order.example', 'ord-b@order.example']);
  await page.getByTestId('status-filter').selectOption('pending');
  await expect.poll(emails).toEqual(['ord-i@order.example']);
  // The options are written again with the new counts; the choice stays.
  await expect(page.getByTestId('status-filter')).toHaveValue('pending');
  // The counts are the workspace's, whatever the filter.
  const counts = await (await page.request.post('/api/members/list', { form: { workspace_id: ws } })).json();
  await expect(page.getByTestId('status-filter').locator('option[value="pending"]')).toHaveText(`Pending invitations (${counts.counts.pending})`);
  await expect(page.getByTestId('status-filter').locator('option[value="active"]')).toHaveText(`Active (${counts.counts.active})`);
  expect(counts.counts.pending).toBeGreaterThanOrEqual(1);

  // The export takes the same filter and order.
  const href = await page.getByTestId('members-export').getAttribute('href');
  const csv = await (await page.request.get(href!)).text();
  expect(csv.trim().split('\n').slice(1).map((l) => l.split(',')[0])).toEqual(['ord-i@order.example']);
});
