import { test, expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { ADMIN_EMAIL, ADMIN_PASSWORD, hydrated, signIn } from './helpers';

/** WCAG 2.2 levels A and AA, and the 2.0/2.1 rules they include. */
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

/** Runs axe-core on the page as it is now and fails listing every violation. */
async function noViolations(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).withTags(WCAG).analyze();
  const found = results.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`);
  expect.soft(found, `${what}:\n${found.join('\n')}`).toEqual([]);
}

async function open(page: Page, path: string) {
  await page.goto(path);
  await hydrated(page);
}

test('every page and dialog passes axe-core (WCAG 2.2 A and AA) with data on it', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(page).toHaveURL(/\/members$/);
  await hydrated(page);

  // Data on every page: a member, a pending invitation, an organization with a workspace.
  const me = await (await page.request.post('/api/auth/me')).json();
  const ws = me.workspaces[0].id as string;
  const added = await page.request.post('/api/admin/users', {
    form: {
      email: 'ally@a11y.example', name: 'Ally', password: 'a long and fine passphrase', workspace_id: ws,
      role: 'workspace_editor', must_change_password: 'false',
    },
  });
  expect(added.status()).toBe(201);
  const ally = (await added.json()).user_id as string;
  expect((await page.request.post('/api/invites/create', {
    form: { workspace_id: ws, emails: 'ivy@a11y.example', role: 'workspace_viewer' },
  })).status()).toBe(200);
  const link = await page.request.post('/api/invites/link', { form: { workspace_id: ws, email: 'ivy@a11y.example' } });
  expect(link.status()).toBe(200);
  const invitation = new URL((await link.json()) as string).pathname;
  expect((await page.request.post('/api/admin/users', {
    form: {
      email: 'hal@a11y.example', name: 'Hal', password: 'a long and fine passphrase', workspace_id: ws,
      role: 'workspace_viewer', must_change_password: 'true',
    },
  })).status()).toBe(201);
  const orgs = await (await page.request.post('/api/orgs/list')).json();
  const org = orgs[0].id as string;

  await open(page, '/members');
  await expect(page.locator('tr[data-email="ivy@a11y.example"]')).toBeVisible();
  await noViolations(page, '/members');
  await page.getByTestId('invite').click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await noViolations(page, 'the invite dialog');
  await page.keyboard.press('Escape');
  await page.getByTestId('add-user').click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await noViolations(page, 'the Add User dialog');
  await page.keyboard.press('Escape');

  await open(page, '/audit');
  await expect(page.getByTestId('audit-row').first()).toBeVisible();
  await page.getByTestId('audit-detail').first().locator('summary').click();
  await noViolations(page, '/audit');

  for (const path of ['/people', `/people/${ally}`, '/orgs', `/orgs/${org}`, '/profile']) {
    await open(page, path);
    await noViolations(page, path);
  }
  await context.close();

  // Signed out: the sign-in page, an invitation's page, the sign-in error page.
  const anonymous = await (await browser.newContext()).newPage();
  for (const path of ['/login', invitation, '/auth/error?reason=not_configured']) {
    await open(anonymous, path);
    await noViolations(anonymous, path);
  }
  await anonymous.context().close();

  // Held on the forced password change.
  const held = await (await browser.newContext()).newPage();
  await signIn(held, 'hal@a11y.example', 'a long and fine passphrase');
  await expect(held).toHaveURL(/\/change-password$/);
  await hydrated(held);
  await noViolations(held, '/change-password');
  await held.context().close();
});
