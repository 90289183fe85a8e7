import { test, expect, Page } from '@playwright/test';
import path from 'node:path';
import { ADMIN_EMAIL, ADMIN_PASSWORD, hydrated, signIn } from '../tests/helpers';

const OUT = path.join(__dirname, '..', '..', 'docs', 'screenshots');
const PASSWORD = 'a long and fine passphrase';

async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.join(OUT, `${name}.png`) });
}

test('README screenshots', async ({ browser }) => {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(page).toHaveURL(/\/members$/);
  await hydrated(page);
  const me = await (await page.request.post('/api/auth/me')).json();
  const ws = me.workspaces[0].id as string;
  const people: [string, string, string][] = [
    ['grace@example.com', 'Grace Hopper', 'workspace_admin'],
    ['alan@example.com', 'Alan Turing', 'workspace_editor'],
    ['katherine@example.com', 'Katherine Johnson', 'workspace_viewer'],
    ['edsger@example.com', 'Edsger Dijkstra', 'workspace_viewer'],
  ];
  for (const [email, name, role] of people) {
    const r = await page.request.post('/api/admin/users', {
      form: { email, name, password: PASSWORD, workspace_id: ws, role, must_change_password: 'false' },
    });
    expect(r.status()).toBe(201);
  }
  expect((await page.request.post('/api/admin/users', {
    form: { email: 'barbara@example.com', name: 'Barbara Liskov', password: PASSWORD, workspace_id: ws, role: 'workspace_viewer', must_change_password: 'true' },
  })).status()).toBe(201);
  expect((await page.request.post('/api/invites/create', {
    form: { workspace_id: ws, emails: 'margaret@example.com, donald@example.com', role: 'workspace_editor' },
  })).status()).toBe(200);

  await page.goto('/members');
  await hydrated(page);
  await expect(page.locator('tr[data-status="pending"]')).toHaveCount(2);
  await shot(page, 'members');

  await page.getByTestId('invite').click();
  await page.getByTestId('invite-emails').fill('ada@example.com\nradia@example.com');
  await shot(page, 'invite-dialog');
  await page.keyboard.press('Escape');

  await page.getByTestId('add-user').click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Email').fill('frances@example.com');
  await dialog.getByLabel('Name').fill('Frances Allen');
  await dialog.getByTestId('generate-password').click();
  await shot(page, 'add-user-dialog');
  await page.keyboard.press('Escape');

  await page.goto('/audit');
  await hydrated(page);
  await page.getByTestId('audit-detail').first().locator('summary').click();
  await shot(page, 'audit-log');

  const orgs = await (await page.request.post('/api/orgs/list')).json();
  await page.goto(`/orgs/${orgs[0].id}`);
  await hydrated(page);
  await shot(page, 'organization');

  const held = await (await browser.newContext()).newPage();
  await signIn(held, 'barbara@example.com', PASSWORD);
  await expect(held).toHaveURL(/\/change-password$/);
  await hydrated(held);
  await shot(held, 'change-password');
});
