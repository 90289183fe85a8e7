import { test, expect, type Page } from '@playwright/test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, hydrated, signIn } from './helpers';

/** Signs in as the admin on the members page and adds `emails` as viewers of the first
 *  workspace; returns that workspace's id. */
async function signedInWithViewers(page: Page, emails: string[]): Promise<string> {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(page).toHaveURL(/\/members$/);
  await hydrated(page);
  const me = await (await page.request.post('/api/auth/me')).json();
  const ws = me.workspaces[0].id as string;
  for (const email of emails) {
    const r = await page.request.post('/api/admin/users', {
      form: { email, name: email.split('@')[0], password: 'a long and fine passphrase', workspace_id: ws, role: 'workspace_viewer', must_change_password: 'false' },
    });
    expect(r.status()).toBe(201);
  }
  return ws;
}

test('an admin ticks rows and changes their role, removes one and cancels invitations in bulk, after a confirmation that counts them', async ({ page }) => {
  const ws = await signedInWithViewers(page, ['bk-u1@bulk.example', 'bk-u2@bulk.example']);
  expect((await page.request.post('/api/invites/create', {
    form: { workspace_id: ws, emails: 'bk-i1@bulk.example, bk-i2@bulk.example', role: 'workspace_viewer' },
  })).status()).toBe(200);
  await page.reload();
  await hydrated(page);
  await page.getByTestId('member-search').fill('bk-');
  await expect(page.getByTestId('member-row')).toHaveCount(4);
  const row = (email: string) => page.locator(`tr[data-email="${email}"]`);
  const tick = (email: string) => row(email).getByTestId('select-row').check();

  // Two members ticked: their role changes together.
  await tick('bk-u1@bulk.example');
  await tick('bk-u2@bulk.example');
  await expect(page.getByTestId('bulk-count')).toHaveText('2 rows selected');
  let question = '';
  page.once('dialog', (d) => { question = d.message(); d.accept(); });
  await page.getByTestId('bulk-role').selectOption('workspace_editor');
  await expect(page.getByTestId('bulk-result')).toHaveText('Done: 2 rows.');
  expect(question).toBe('Change the role of 2 rows?');
  for (const email of ['bk-u1@bulk.example', 'bk-u2@bulk.example']) {
    await expect(row(email).locator('select')).toHaveValue('workspace_editor');
  }
  await expect(page.getByTestId('select-row').first()).not.toBeChecked();

  // A member and an invitation ticked, Remove: only the member is a removal, and the
  // confirmation says so before anything happens.
  await tick('bk-u1@bulk.example');
  await tick('bk-i1@bulk.example');
  page.once('dialog', (d) => { question = d.message(); d.accept(); });
  await page.getByTestId('bulk-remove').click();
  await expect(row('bk-u1@bulk.example')).toHaveCount(0);
  expect(question).toBe('Remove 1 row?');

  // Declining the confirmation changes nothing.
  await tick('bk-i2@bulk.example');
  page.once('dialog', (d) => { question = d.message(); d.dismiss(); });
  await page.getByTestId('bulk-cancel').click();
  await expect.poll(() => question).toBe('Cancel 2 rows?');
  await expect(row('bk-i1@bulk.example')).toBeVisible();
  await expect(row('bk-i2@bulk.example')).toBeVisible();
  // Accepted, both invitations go.
  page.once('dialog', (d) => d.accept());
  await page.getByTestId('bulk-cancel').click();
  await expect(page.getByTestId('bulk-result')).toHaveText('Done: 2 rows.');
  await expect(page.getByTestId('member-row')).toHaveCount(1);
  await expect(row('bk-u2@bulk.example')).toBeVisible();
});

test("the page's box ticks every row on the page, from the keyboard too, follows the rows' own boxes, and Clear selection unticks it", async ({ page }) => {
  await signedInWithViewers(page, ['pg-u1@page-box.example', 'pg-u2@page-box.example']);
  await page.reload();
  await hydrated(page);
  // The header says how the rows are ordered (by email, A to Z, unless asked otherwise).
  await expect(page.locator('th[aria-sort]')).toHaveCount(1);
  await expect(page.locator('th[aria-sort="ascending"]')).toHaveText('Email');
  await page.getByTestId('member-search').fill('pg-');
  await expect(page.getByTestId('member-row')).toHaveCount(2);
  const pageBox = page.getByTestId('select-page');
  const rowBox = (email: string) => page.locator(`tr[data-email="${email}"]`).getByTestId('select-row');

  await pageBox.focus();
  await page.keyboard.press('Space');
  await expect(page.getByTestId('bulk-count')).toHaveText('2 rows selected');
  await expect(rowBox('pg-u1@page-box.example')).toBeChecked();
  await expect(rowBox('pg-u2@page-box.example')).toBeChecked();
  await expect(pageBox).toBeChecked();
  await expect(pageBox).toBeFocused();

  // One row unticked: the page is no longer wholly ticked. Ticked again: it is.
  await rowBox('pg-u2@page-box.example').uncheck();
  await expect(page.getByTestId('bulk-count')).toHaveText('1 row selected');
  await expect(pageBox).not.toBeChecked();
  await rowBox('pg-u2@page-box.example').check();
  await expect(pageBox).toBeChecked();

  // New rows (a narrower search) rebuild the table: the page's box says what is ticked on it.
  await page.getByTestId('member-search').fill('pg-u1');
  await expect(page.getByTestId('member-row')).toHaveCount(1);
  await expect(pageBox).toBeChecked();
  await rowBox('pg-u1@page-box.example').uncheck();
  await expect(pageBox).not.toBeChecked();
  await page.getByTestId('member-search').fill('pg-');
  await expect(page.getByTestId('member-row')).toHaveCount(2);
  await expect(page.getByTestId('bulk-count')).toHaveText('1 row selected');
  await expect(pageBox).not.toBeChecked();
  await rowBox('pg-u1@page-box.example').check();
  await expect(pageBox).toBeChecked();

  await page.getByTestId('bulk-clear').click();
  await expect(page.getByTestId('bulk-bar')).toHaveCount(0);
  await expect(pageBox).not.toBeChecked();
  await expect(rowBox('pg-u1@page-box.example')).not.toBeChecked();
  // Unticking the page's box unticks its rows.
  await pageBox.check();
  await expect(page.getByTestId('bulk-count')).toHaveText('2 rows selected');
  await pageBox.uncheck();
  await expect(page.getByTestId('bulk-bar')).toHaveCount(0);
  await expect(rowBox('pg-u1@page-box.example')).not.toBeChecked();
});
