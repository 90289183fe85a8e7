import { test, expect } from '@playwright/test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, hydrated, lateBundleParts, signIn } from './helpers';

test('the login page is rendered on the server, then hydrates and reacts', async ({ page, request }) => {
  const html = await (await request.get('/login')).text();
  expect(html).toContain('<h1>Sign in</h1>');

  await page.goto('/login');
  await hydrated(page);
  const password = page.getByLabel('Password', { exact: true });
  await expect(password).toHaveAttribute('type', 'password');
  // A purely client-side interaction: only works once the wasm is running.
  await page.getByTestId('show-password').check();
  await expect(password).toHaveAttribute('type', 'text');
});

test('a page in a later part of the bundle says it is hydrated only once that part is', async ({ page }) => {
  // The sign-in page (a later part of the bundle) must not be marked hydrated before its part
  // has loaded and hydrated, or a click in between is lost.
  await lateBundleParts(page);
  await page.goto('/login');
  await hydrated(page);
  const password = page.getByLabel('Password', { exact: true });
  await page.getByTestId('show-password').click();
  await expect(password).toHaveAttribute('type', 'text', { timeout: 500 });
});

test('a wrong password shows a clear error without leaving the page', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill('nobody@example.com');
  await page.getByLabel('Password', { exact: true }).fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Email or password is incorrect');
  await expect(page).toHaveURL(/\/login/);
});

test('the members page hydrates from what the server wrote: its list is not fetched again', async ({ page }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(page).toHaveURL(/\/members$/);
  await hydrated(page);

  const lists: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/members/list')) lists.push(r.url());
  });
  await page.goto('/members');
  await hydrated(page);
  await expect(page.getByTestId('member-row').first()).toBeVisible();
  await page.waitForLoadState('networkidle');
  expect(lists).toEqual([]);

  // Still live: a search asks the server for the list.
  await page.getByTestId('member-search').fill('admin@');
  await expect.poll(() => lists.length).toBeGreaterThan(0);
  await expect(page.locator('tr[data-email="admin@example.com"]')).toBeVisible();
});
