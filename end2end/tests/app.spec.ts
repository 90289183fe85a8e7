import { test, expect } from '@playwright/test';
import { hydrated } from './helpers';

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

test('a wrong password shows a clear error without leaving the page', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill('nobody@example.com');
  await page.getByLabel('Password', { exact: true }).fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Email or password is incorrect');
  await expect(page).toHaveURL(/\/login/);
});
