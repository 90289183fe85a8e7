import { expect, Page } from '@playwright/test';

export const ADMIN_EMAIL = 'admin@example.com';
/** The admin's own password, set by global-setup.ts in place of the bootstrap one. */
export const ADMIN_PASSWORD = 'admin chosen secret 1';

/** Waits until the server-rendered page has hydrated and reacts to clicks. */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

export async function signIn(page: Page, email: string, password: string) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function changePassword(page: Page, current: string, next: string) {
  await expect(page).toHaveURL(/\/change-password$/);
  await hydrated(page);
  await page.getByLabel('Current password').fill(current);
  await page.getByLabel('New password').fill(next);
  await page.getByRole('button', { name: 'Change password' }).click();
}
